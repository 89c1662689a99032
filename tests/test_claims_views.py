"""What the reading commands, `doctor` and `init` make of the claims registry: a milestone
held there is held, whatever this branch's file says, and shows where it is held."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gitmilestone import claims, git
from gitmilestone.registry import Registry
from tests.conftest import Repo

T0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)
LATER = {"GIT_MILESTONE_NOW": "2025-11-15T04:00:00Z"}  # every 2h lease has expired


def register(repo: Repo, mid: str, holder: str, branch: str, *, release: bool = False) -> None:
    """Put a claim in the registry as another worktree's command would."""
    reg = Registry(git.discover(repo.path))
    who = claims.Claimant(holder, branch, T0, timedelta(hours=2))
    claim = reg.get(mid)
    entry = (
        claims.release(claim.entry, who, action="release")
        if release
        else claims.take(claim.entry, mid, who, action="claim")
    )
    assert entry is not None and reg.swap(claim, entry) is not None


@pytest.fixture
def two(repo: Repo) -> Repo:
    """`free` and `taken`, both unowned in this branch's files."""
    assert repo.gm("init").exit_code == 0
    for mid in ("free", "taken"):
        assert repo.gm("new", f"Work {mid}", "--id", mid, "--step", "a").exit_code == 0
    return repo


def listed(repo: Repo, *args: str, env: dict[str, str] | None = None) -> dict[str, dict]:  # type: ignore[type-arg]
    ran = repo.gm("list", "--json", *args, env=env)
    assert ran.exit_code == 0, ran.stderr
    return {m["milestone_id"]: m for m in json.loads(ran.stdout)["data"]["milestones"]}


def test_list_shows_the_registry_s_holder_and_branch(two: Repo) -> None:
    register(two, "taken", "bob", "feat-b")
    rows = listed(two)
    assert (rows["taken"]["owner"], rows["taken"]["lease_active"]) == ("bob", True)
    assert rows["taken"]["holder"]["branch"] == "feat-b"
    assert rows["free"]["owner"] is None
    line = next(li for li in two.gm("list").stdout.splitlines() if li.startswith("taken"))
    assert "bob on feat-b" in line
    assert list(listed(two, "--owner", "bob")) == ["taken"]


def test_an_expired_registry_claim_is_marked(two: Repo) -> None:
    register(two, "taken", "bob", "feat-b")
    rows = listed(two, env=LATER)
    assert (rows["taken"]["owner"], rows["taken"]["lease_active"]) == ("bob", False)
    assert "bob on feat-b (lease expired)" in two.gm("list", env=LATER).stdout


def test_a_registry_release_frees_what_this_branch_s_file_still_names(two: Repo) -> None:
    assert two.gm("claim", "taken", "--as", "carol").exit_code == 0
    register(two, "taken", "carol", "main", release=True)  # released in another worktree
    assert listed(two)["taken"]["owner"] is None
    ran = two.gm("next", "--json", "--as", "dave")
    assert [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["ready"]] == [
        "free",
        "taken",
    ]


def test_next_never_offers_what_the_registry_says_someone_else_holds(two: Repo) -> None:
    register(two, "taken", "bob", "feat-b")
    ran = two.gm("next", "--json")
    assert [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["ready"]] == ["free"]
    later = two.gm("next", "--json", env=LATER)
    assert [m["milestone_id"] for m in json.loads(later.stdout)["data"]["ready"]] == [
        "free",
        "taken",
    ]


def test_show_resume_prime_and_board_name_the_holder_s_branch(two: Repo) -> None:
    register(two, "taken", "bob", "feat-b")
    show = two.gm("show", "taken")
    assert "owner    bob on feat-b" in show.stdout
    assert json.loads(two.gm("show", "taken", "--json").stdout)["data"]["holder"] == {
        "name": "bob",
        "branch": "feat-b",
        "active": True,
        "expires_at": "2025-11-15T03:00:00Z",
        "in_registry": True,
        "here": False,
    }
    resume = two.gm("resume", "taken")
    assert (
        "owner: bob (lease active, until 2025-11-15T03:00:00Z), on branch feat-b" in resume.stdout
    )
    assert "bob on feat-b holds it" in resume.stdout
    prime = json.loads(two.gm("prime", "--json").stdout)["data"]
    assert prime["counts"]["held_by_others"] == 1
    assert "bob on feat-b" in two.gm("board").stdout


def doctor(repo: Repo, env: dict[str, str] | None = None) -> dict[str, dict]:  # type: ignore[type-arg]
    ran = repo.gm("doctor", "--json", env=env)
    return {c["check"]: c for c in json.loads(ran.stdout)["data"]["checks"]}


def test_doctor_names_a_registry_claim_whose_branch_commit_is_missing(two: Repo) -> None:
    register(two, "taken", "bob", "main")
    check = doctor(two)["claim taken"]
    assert not check["ok"]
    assert "bob on branch main holds it, but this branch's file names nobody" in check["detail"]
    assert "as bob: `git milestone claim taken`" in check["fix"]
    assert doctor(two, LATER)["claim taken"]["ok"]  # expired: anyone may claim it


def test_doctor_names_a_file_claim_the_registry_does_not_know(two: Repo) -> None:
    assert two.gm("claim", "taken", "--as", "carol").exit_code == 0
    assert "claim taken" not in doctor(two)  # registry and file agree: nothing to say
    two.git("update-ref", "-d", "refs/milestones/claims/taken")  # as before the registry
    check = doctor(two)["claim taken"]
    assert not check["ok"] and "registry has no entry" in check["detail"]
    register(two, "taken", "dave", "elsewhere")
    check = doctor(two)["claim taken"]
    assert not check["ok"]
    assert "in the registry dave on branch elsewhere holds it" in check["detail"]


def test_doctor_reports_claims_held_on_other_branches_as_fine(two: Repo) -> None:
    register(two, "taken", "bob", "feat-b")
    register(two, "elsewhere", "eve", "feat-e")
    checks = doctor(two)
    assert checks["claim taken"]["ok"] and "bob on branch feat-b" in checks["claim taken"]["detail"]
    assert checks["claim elsewhere"]["ok"]
    assert "not a milestone of this branch" in checks["claim elsewhere"]["detail"]
    assert checks["claims registry"]["ok"]


# A claims remote


@pytest.fixture
def cloned(two: Repo, tmp_path: Path) -> Repo:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    two.git("remote", "add", "origin", str(bare))
    two.git("push", "-q", "-u", "origin", "main")
    return two


def test_init_makes_a_plain_fetch_bring_claims_and_leaves_push_alone(
    cloned: Repo, tmp_path: Path
) -> None:
    cloned.write(".gitmilestone.toml", 'claims_remote = "origin"\n')
    cloned.git("add", ".gitmilestone.toml")
    cloned.git("commit", "-q", "-m", "claims go through origin")
    ran = cloned.gm("init", "--json")
    assert ran.exit_code == 0, ran.stderr
    assert json.loads(ran.stdout)["data"]["claims_remote"] == "origin"
    fetch = cloned.git("config", "--get-all", "remote.origin.fetch").splitlines()
    assert "+refs/milestones/claims/*:refs/milestones/remotes/origin/claims/*" in fetch
    assert cloned.git("config", "--get-all", "remote.origin.push", check=False) == ""
    assert cloned.gm("init").exit_code == 0  # idempotent
    assert len(cloned.git("config", "--get-all", "remote.origin.fetch").splitlines()) == 2
    # a bare `git push` still pushes the branch, and only the branch
    register(cloned, "taken", "alice", "main")
    cloned.git("commit", "-q", "--allow-empty", "-m", "more work")
    cloned.git("push", "-q")
    bare = tmp_path / "remote.git"
    remote_refs = subprocess.run(
        ["git", "--git-dir", str(bare), "for-each-ref", "--format=%(refname) %(objectname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert remote_refs == f"refs/heads/main {cloned.head()}\n"
    # what someone pushed to the remote's registry comes with a plain fetch
    cloned.git("push", "-q", "origin", "refs/milestones/claims/taken")
    cloned.git("update-ref", "-d", "refs/milestones/claims/taken")
    cloned.git("fetch", "-q")
    assert cloned.git("for-each-ref", "--format=%(refname)", "refs/milestones/").split() == [
        "refs/milestones/remotes/origin/claims/taken"
    ]
    assert listed(cloned)["taken"]["holder"]["branch"] == "main"
    assert doctor(cloned)["claims registry"]["ok"]


def test_a_claims_remote_that_does_not_exist_is_refused_before_anything(two: Repo) -> None:
    two.write(".gitmilestone.toml", 'claims_remote = "upstream"\n')
    head = two.head()
    ran = two.gm("init")
    assert ran.exit_code == 1
    assert "no such remote" in ran.stderr
    assert two.head() == head
    assert not doctor(two)["claims registry"]["ok"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('claim_remote = "origin"\n', "the keys are `dir`, `lease`, `claims_remote`"),
        ("claims_remote = 3\n", "claims_remote must name a git remote"),
        ('claims_remote = "a b"\n', "claims_remote must name a git remote"),
    ],
    ids=["misspelt", "not-a-string", "a-space"],
)
def test_a_bad_claims_remote_setting_is_refused(repo: Repo, toml: str, message: str) -> None:
    repo.write(".gitmilestone.toml", toml)
    ran = repo.gm("list")
    assert ran.exit_code == 1
    assert message in ran.stderr
