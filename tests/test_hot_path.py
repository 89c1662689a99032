"""The hot path stays lean: what `advance`, `claim` and the guard import, and how many git
processes each command starts (counted from git's own trace, as upper bounds, so that a
change that adds one shows here; these are counts, not timings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo

HEAVY = ("git", "jsonschema")  # GitPython, and the validator only `validate` wording needs

IMPORTS = """
import os, sys
from gitmilestone.cli import cli
try:
    cli(sys.argv[1:], prog_name="git milestone")
except SystemExit as exit:
    code = exit.code
with open(os.environ["MODULES_OUT"], "w") as out:
    out.write(f"{code}\\n" + "\\n".join(sorted(sys.modules)))
"""


def imported(repo: Repo, tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    out = tmp_path / "modules.txt"
    proc = subprocess.run(
        [sys.executable, "-c", IMPORTS, *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "MODULES_OUT": str(out)},
    )
    assert out.exists(), proc.stderr
    code, *modules = out.read_text().splitlines()
    return int(code), set(modules)


def git_processes(repo: Repo, tmp_path: Path, *args: str) -> list[list[str]]:
    """The git processes a real `git milestone ARGS` run starts (hooks and children too)."""
    trace = tmp_path / "trace.json"
    trace.unlink(missing_ok=True)
    ran = repo.gm_proc(*args, env={"GIT_TRACE2_EVENT": str(trace)})
    assert ran.exit_code == 0, ran.stderr
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return [e["argv"] for e in events if e["event"] == "start"]


@pytest.fixture
def work(repo: Repo) -> Repo:
    for mid in ("alpha", "bravo"):
        ran = repo.gm("new", f"Work {mid}", "--id", mid, "--step", "a", "--step", "b")
        assert ran.exit_code == 0, ran.stderr
    return repo


def test_advance_claim_and_the_guard_import_neither_gitpython_nor_jsonschema(
    work: Repo, tmp_path: Path
) -> None:
    for args in (("claim", "alpha"), ("advance", "alpha"), ("advance", "bravo", "--no-commit")):
        code, modules = imported(work, tmp_path, *args)
        assert code == 0, args
        assert not [m for m in modules if m.split(".")[0] in HEAVY], args
    # The guard, on the valid change `advance --no-commit` staged.
    code, modules = imported(work, tmp_path, "validate", "--staged")
    assert code == 0
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    # The check is real: a command that needs jsonschema (wording a schema error) shows it.
    work.write("MILESTONES/broken.json", '{"milestone_id": 3}\n')
    code, modules = imported(work, tmp_path, "validate", "MILESTONES/broken.json")
    assert code == 1
    assert "jsonschema" in modules


def test_git_processes_per_command(work: Repo, tmp_path: Path) -> None:
    bounds = {
        # discover; one `cat-file --batch-check` (the file and its index entry must be
        # HEAD's: a write never commits a change it did not make); commit --only (and the
        # `maintenance run --auto` it starts)
        ("claim", "alpha"): 4,
        ("advance", "alpha"): 4,
        ("handoff", "alpha", "--notes", "n"): 4,
        # discover; the claims registry's refs
        ("list",): 2,
        ("next",): 2,
        # the same, and one `git log` limited to the file
        ("resume", "alpha"): 3,
    }
    for args, bound in bounds.items():
        started = git_processes(work, tmp_path, *args)
        assert len(started) <= bound, (args, started)


def test_an_existing_file_git_does_not_know_yet_is_refused_before_any_commit(
    work: Repo, tmp_path: Path
) -> None:
    # Committing it under a claim's trailers would record a milestone no `create` made.
    text = work.read("MILESTONES/alpha.json").replace('"alpha"', '"charlie"', 1)
    work.write("MILESTONES/charlie.json", text)
    head = work.head()
    ran = work.gm_proc("claim", "charlie", env={"GIT_TRACE2_EVENT": str(tmp_path / "t.json")})
    assert ran.exit_code == 4 and "not in git yet" in ran.stderr
    assert work.head() == head
    events = [json.loads(line) for line in (tmp_path / "t.json").read_text().splitlines()]
    started = [e["argv"][1] for e in events if e["event"] == "start" and e["argv"][0] == "git"]
    assert started == ["rev-parse", "cat-file"]
