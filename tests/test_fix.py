"""`validate --fix`: what can be derived is rewritten, one commit per file that the hooks
accept; anything else is reported and left as it is."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from gitmilestone import repair
from gitmilestone.rules import check_bytes
from tests.conftest import Ran, Repo, seed_bytes
from tests.test_hooks_git import (
    BIN,
    hooked,  # noqa: F401  (a fixture)
)

SEED = "MILESTONES/deploy-dashboard.json"
# A day after the seed's last write: its owner's lease has long expired.
NEXT_DAY = {"GIT_MILESTONE_NOW": "2025-11-16T00:00:00Z"}


def seed_doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(seed_bytes())
    return loaded


def install_hooks(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    assert repo.gm("install-hooks").exit_code == 0
    return repo


def put(repo: Repo, rel: str, d: dict[str, Any] | bytes) -> None:
    repo.write(rel, d if isinstance(d, bytes) else json.dumps(d, indent=2) + "\n")
    repo.git("add", rel)
    repo.git("commit", "-q", "--no-verify", "-m", f"add {rel}")


def fixes(d: dict[str, Any]) -> repair.Plan:
    return repair.plan(check_bytes("f.json", json.dumps(d).encode(), "deploy-dashboard"))


def test_the_seed_becomes_clean_with_one_command_under_the_hooks(
    seeded: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = install_hooks(seeded, monkeypatch)  # after the seed was committed as it is
    assert repo.gm("validate").exit_code == 1
    head = repo.head()
    ran = repo.gm("validate", "--fix")  # the real hooks run
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert "fixed M101, timestamps" in ran.stdout
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert repo.files_in() == [SEED]
    trailers = repo.trailers()
    assert trailers["Milestone-Action"] == ["fix"]
    assert trailers["Milestone-Fixed"] == ["M101, timestamps"]
    assert trailers["Milestone-Owner"] == ["session-3-coordinator"]
    assert repo.gm("validate").exit_code == 0
    d = json.loads(repo.read(SEED))
    assert (d["progress"], d["revision"], d["updated_at"]) == (33, 1, "2025-11-15T01:00:00Z")
    assert d["created_at"] == "2025-11-15T00:20:00Z"
    assert " UTC" not in repo.read(SEED)
    assert [s["notes"] for s in d["steps"]] == [s["notes"] for s in seed_doc()["steps"]]
    assert "fix" in repo.gm("log", "deploy-dashboard").stdout
    assert repo.gm("validate", "--range", "HEAD").exit_code == 0
    again = repo.gm("validate", "--fix")
    assert again.exit_code == 0 and "nothing to fix" in again.stdout
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"


def test_anyone_may_fix_a_held_milestone_and_its_holder_stays(repo: Repo) -> None:
    # 35 minutes after session-3-coordinator's last write: it holds the milestone. A fix
    # decides nothing (no step, no owner, no text changes), so alice may run it.
    put(repo, SEED, seed_bytes())
    ran = repo.gm("validate", "--fix")
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    d = json.loads(repo.read(SEED))
    assert d["owner"] == "session-3-coordinator" and d["updated_by"] == "alice"
    assert "claimed_at" not in d
    assert d["renewed_at"] == "2025-11-15T00:25:00Z"  # the holder's lease, not renewed
    assert repo.gm("claim", "deploy-dashboard").exit_code == 3


def test_each_file_is_fixed_or_reported_on_its_own(repo: Repo) -> None:
    bad = seed_doc()
    bad["milestone_id"] = "bad"
    del bad["steps"][0]["completed_by"]  # M105: who did it cannot be derived
    put(repo, "MILESTONES/bad.json", bad)
    put(repo, SEED, seed_bytes())
    ok = seed_doc()
    ok.update(milestone_id="ok", progress=33)
    put(repo, "MILESTONES/ok.json", ok)
    before = repo.read("MILESTONES/bad.json")
    head = repo.head()
    ran = repo.gm("validate", "--fix", "--json", env=NEXT_DAY)
    assert ran.exit_code == 1
    files = {f["file"]: f for f in json.loads(ran.stdout)["data"]["files"]}
    assert files[SEED]["fixed"] == ["M101", "timestamps"] and files[SEED]["commit"]
    assert files["MILESTONES/ok.json"]["fixed"] == ["timestamps"]
    assert {p["code"] for p in files["MILESTONES/bad.json"]["problems"]} == {"M105"}
    assert files["MILESTONES/bad.json"]["commit"] is None
    assert repo.read("MILESTONES/bad.json") == before
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "2"
    text = repo.gm("validate", "--fix", env=NEXT_DAY)
    assert "MILESTONES/bad.json: cannot fix it, left as it is" in text.stdout
    assert "M105 $.steps[0]" in text.stdout


def test_step_numbers_out_of_list_order_are_renumbered_and_the_guard_agrees(
    hooked: Repo,  # noqa: F811
) -> None:
    d = seed_doc()
    d["steps"][0]["step"], d["steps"][1]["step"] = 2, 1
    d["progress"] = 33
    put(hooked, SEED, d)
    ran = hooked.gm("validate", "--fix", SEED, env=NEXT_DAY)
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert hooked.trailers()["Milestone-Fixed"] == ["M004, timestamps"]
    fixed = json.loads(hooked.read(SEED))
    assert [s["step"] for s in fixed["steps"]] == [1, 2, 3, 4, 5, 6]
    assert [s["description"] for s in fixed["steps"]] == [
        s["description"] for s in seed_doc()["steps"]
    ]
    assert hooked.gm("validate").exit_code == 0


def test_a_file_other_commands_refuse_is_repaired_by_fix_and_then_editable(repo: Repo) -> None:
    d = seed_doc()
    d["steps"][0]["step"], d["steps"][1]["step"] = 2, 1
    put(repo, SEED, d)
    refused = repo.gm("edit", "deploy-dashboard", "--priority", "low", env=NEXT_DAY)
    assert refused.exit_code == 1 and "M004" in refused.stderr
    assert repo.gm("validate", "--fix", "deploy-dashboard", env=NEXT_DAY).exit_code == 0
    ran = repo.gm("edit", "deploy-dashboard", "--priority", "low", env=NEXT_DAY)
    assert ran.exit_code == 0, ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("change", "fixed", "left"),
    [
        pytest.param(lambda d: None, ("M101", "timestamps"), set(), id="the-seed"),
        pytest.param(
            lambda d: d["steps"][0].update(step=7), ("M101", "timestamps"), {"M004"}, id="gap"
        ),
        pytest.param(
            lambda d: d.update(status="pending"), ("M101", "M102", "timestamps"), set(), id="M102"
        ),
        pytest.param(
            lambda d: d.update(status="completed"), ("M101", "timestamps"), {"M102"}, id="done?"
        ),
        pytest.param(
            lambda d: d.update(status="blocked"), ("M101", "timestamps"), {"M103"}, id="M103"
        ),
    ],
)
def test_what_is_derived_and_what_is_left(
    change: Any, fixed: tuple[str, ...], left: set[str]
) -> None:
    d = seed_doc()
    change(d)
    plan = fixes(d)
    assert plan.fixes == fixed
    assert {f.code for f in plan.problems} == left


def test_a_clean_repository_has_nothing_to_fix(repo: Repo) -> None:
    assert repo.gm("new", "Work", "--id", "work", "--step", "a").exit_code == 0
    head = repo.head()
    ran = repo.gm("validate", "--fix")
    assert ran.exit_code == 0
    assert "work.json: nothing to fix" in ran.stdout
    assert repo.head() == head


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(("--fix", "nowhere"), 1, id="unknown-id"),
        pytest.param(("--fix", "elsewhere/x.json"), 2, id="outside"),
        pytest.param(("--fix", "--staged"), 2, id="fix-and-staged"),
        pytest.param(("--no-commit",), 2, id="no-commit-without-fix"),
    ],
)
def test_fix_usage(repo: Repo, args: tuple[str, ...], code: int) -> None:
    ran: Ran = repo.gm("validate", *args)
    assert ran.exit_code == code, ran.stdout + ran.stderr
