"""The claims registry in real git: one ref per milestone, compare-and-swap between
worktrees, a remote that decides between clones, and history that is kept."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gitmilestone import claims, git, registry
from gitmilestone.claims import Claimant
from gitmilestone.errors import GitFailed, OwnerConflict
from gitmilestone.registry import Registry
from tests.conftest import Repo, make_repo

T0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)
LEASE = timedelta(hours=2)
REF = "refs/milestones/claims/deploy"


def who(name: str, branch: str = "main", minutes: float = 0) -> Claimant:
    return Claimant(name, branch, T0 + timedelta(minutes=minutes), LEASE)


def take(reg: Registry, name: str, *, branch: str = "main", force: bool = False) -> bool:
    """Read, decide and swap once, as a command does: True when this claim landed."""
    claim = reg.refresh("deploy")
    base = reg.base(claim)
    entry = claims.take(
        None if base is None else base.entry,
        "deploy",
        who(name, branch),
        action="claim",
        force=force,
    )
    assert entry is not None
    return reg.swap(claim, entry) is not None


def worktree(repo: Repo, name: str) -> Repo:
    path = repo.path.parent / name
    repo.git("worktree", "add", "-q", "-b", name, str(path))
    return Repo(path, repo.monkeypatch)


def holder_in(git_dir: Path, ref: str = REF) -> str:
    proc = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{ref}:claim.json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, str] = json.loads(proc.stdout)
    return data["holder"]


def test_worktrees_share_the_registry_and_a_stale_swap_loses(repo: Repo) -> None:
    other = worktree(repo, "wt-b")
    mine, theirs = Registry(git.discover(repo.path)), Registry(git.discover(other.path))
    seen_by_b = theirs.get("deploy")
    assert take(mine, "alice")
    entry = claims.take(None, "deploy", who("bob", "wt-b"), action="claim")
    assert entry is not None
    assert theirs.swap(seen_by_b, entry) is None  # alice moved it after bob read it
    now_b = theirs.get("deploy")
    assert now_b.entry is not None and now_b.entry.holder == "alice"
    with pytest.raises(OwnerConflict, match="alice holds deploy on branch main"):
        claims.take(now_b.entry, "deploy", who("bob", "wt-b"), action="claim")
    assert holder_in(repo.path / ".git") == "alice"


def test_each_change_is_a_commit_and_a_release_keeps_the_history(repo: Repo) -> None:
    reg = Registry(git.discover(repo.path))
    assert take(reg, "alice")
    claim = reg.get("deploy")
    released = claims.release(claim.entry, who("alice", minutes=5), action="release")
    assert released is not None and reg.swap(claim, released) is not None
    assert take(reg, "bob", branch="feat")
    subjects = repo.git("log", "--format=%s", REF).splitlines()
    assert subjects == [
        "claim(deploy): bob claims it on branch feat (claim)",
        "claim(deploy): released by alice (release)",
        "claim(deploy): alice claims it on branch main (claim)",
    ]
    trailers = repo.git("log", "-1", "--format=%(trailers:only,unfold)", REF)
    assert "Milestone-Holder: bob" in trailers and "Milestone-Branch: feat" in trailers
    repo.git("fsck", "--strict", "--no-dangling")


def test_claims_of_different_milestones_are_different_refs(repo: Repo) -> None:
    reg = Registry(git.discover(repo.path))
    for milestone_id, name in (("one", "alice"), ("two", "bob")):
        claim = reg.get(milestone_id)
        entry = claims.take(None, milestone_id, who(name), action="claim")
        assert entry is not None and reg.swap(claim, entry) is not None
    everything = reg.all()
    assert sorted(everything) == ["one", "two"]
    assert [everything[i].entry.holder for i in ("one", "two")] == ["alice", "bob"]  # type: ignore[union-attr]


def test_an_undo_puts_the_ref_back(repo: Repo) -> None:
    reg = Registry(git.discover(repo.path))
    before = reg.get("deploy")
    entry = claims.take(None, "deploy", who("alice"), action="claim")
    assert entry is not None
    after = reg.swap(before, entry)
    assert after is not None
    assert reg.undo(before, after, who("alice"))
    assert repo.git("for-each-ref", "refs/milestones/") == ""


def test_packed_refs_and_objects_read_and_swap_as_git_does(repo: Repo) -> None:
    reg = Registry(git.discover(repo.path))
    assert take(reg, "alice")
    repo.git("gc", "-q")  # the ref goes to packed-refs, its objects into a pack
    assert not (repo.path / ".git" / REF).exists()
    claim = reg.get("deploy")
    assert claim.entry is not None and claim.entry.holder == "alice"
    entry = claims.release(claim.entry, who("alice", minutes=1), action="release")
    assert entry is not None and reg.swap(claim, entry) is not None  # a loose ref wins
    assert repo.git("rev-parse", REF).strip() == reg.get("deploy").local.sha  # type: ignore[union-attr]
    assert reg.get("deploy").entry.holder is None  # type: ignore[union-attr]
    stale = reg.swap(claim, entry)  # from the packed value: someone moved it
    assert stale is None
    repo.git("fsck", "--strict", "--no-dangling")


def test_a_lock_left_by_a_killed_git_on_a_registry_ref_is_cleared(repo: Repo) -> None:
    reg = Registry(git.discover(repo.path))
    assert take(reg, "alice")
    lock = repo.path / ".git" / "refs" / "milestones" / "claims" / "deploy.lock"
    lock.write_text("")
    claim = reg.get("deploy")
    entry = claims.release(claim.entry, who("alice", minutes=1), action="release")
    assert entry is not None and reg.swap(claim, entry) is not None
    assert not lock.exists()


def test_entries_that_are_not_claims_are_read_as_unreadable(repo: Repo) -> None:
    repo.git("update-ref", "refs/milestones/claims/odd", repo.head())
    repo.git("update-ref", "refs/milestones/claims/tree", "HEAD^{tree}")
    found = Registry(git.discover(repo.path)).all()
    assert found["odd"].newest is not None and found["odd"].entry is None
    assert found["tree"].newest is not None and not found["tree"].newest.is_commit


def test_a_sha256_repository_gets_sha256_objects(tmp_path: Path, repo: Repo) -> None:
    path = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(path)], check=True)
    other = Repo(path, repo.monkeypatch)
    reg = Registry(git.discover(path))
    assert take(reg, "alice")
    assert len(other.git("rev-parse", REF).strip()) == 64
    other.git("fsck", "--strict", "--no-dangling")


# Clones of one remote: the remote decides.


def clone(bare: Path, path: Path, repo: Repo) -> Repo:
    subprocess.run(["git", "clone", "-q", str(bare), str(path)], check=True)
    return Repo(path, repo.monkeypatch)


@pytest.fixture
def bare(repo: Repo, tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    repo.git("push", "-q", str(path), "HEAD:refs/heads/main")
    return path


def test_between_clones_the_remote_decides(repo: Repo, bare: Path, tmp_path: Path) -> None:
    a, b = (clone(bare, tmp_path / n, repo) for n in ("a", "b"))
    reg_a, reg_b = (Registry(git.discover(c.path), "origin") for c in (a, b))
    seen_by_b = reg_b.refresh("deploy")
    assert take(reg_a, "alice")
    entry = claims.take(None, "deploy", who("bob"), action="claim")
    assert entry is not None
    assert reg_b.swap(seen_by_b, entry) is None  # the push is refused: alice got there
    assert not _try(lambda: take(reg_b, "bob"))  # after a fetch, bob sees alice: exit 3
    assert holder_in(bare) == "alice"
    assert (reg_a.tally.pushes, reg_b.tally.pushes) == (1, 1)
    # b keeps the remote's copy apart from its own refs
    assert b.git("for-each-ref", "--format=%(refname)", "refs/milestones/").split() == [
        "refs/milestones/remotes/origin/claims/deploy"
    ]


def _try(action: object) -> bool:
    try:
        return bool(action())  # type: ignore[operator]
    except OwnerConflict:
        return False


def test_a_fetch_never_overwrites_a_claim_that_was_not_pushed(
    repo: Repo, bare: Path, tmp_path: Path
) -> None:
    a, b = (clone(bare, tmp_path / n, repo) for n in ("a", "b"))
    assert take(Registry(git.discover(a.path), "origin"), "alice")
    local_b = Registry(git.discover(b.path))  # b claims without the remote: only here
    claim = local_b.get("other")
    entry = claims.take(None, "other", who("bob"), action="claim")
    assert entry is not None and local_b.swap(claim, entry) is not None
    b.git("fetch", "-q", "origin", registry.fetch_refspec("origin"))
    known = local_b.all()
    assert known["other"].entry.holder == "bob"  # type: ignore[union-attr]
    assert known["deploy"].entry.holder == "alice"  # type: ignore[union-attr]


NO_REWIND = """#!/bin/sh
# refuse any update of a ref that is not a fast-forward (a server policy)
case "$3" in 0000000*) exit 1;; esac
case "$2" in 0000000*) exit 0;; esac
git merge-base --is-ancestor "$2" "$3"
"""


@pytest.mark.parametrize("rewinds", [True, False], ids=["rewinds", "server-refuses-rewinds"])
def test_a_remote_undo_puts_the_old_claim_back(
    repo: Repo, bare: Path, tmp_path: Path, rewinds: bool
) -> None:
    if not rewinds:
        hook = bare / "hooks" / "update"
        hook.write_text(NO_REWIND)
        hook.chmod(0o755)
    a = clone(bare, tmp_path / "a", repo)
    reg = Registry(git.discover(a.path), "origin")
    assert take(reg, "alice")
    before = reg.refresh("deploy")
    entry = claims.take(before.entry, "deploy", who("bob"), action="claim", force=True)
    assert entry is not None
    after = reg.swap(before, entry)
    assert after is not None and holder_in(bare) == "bob"
    assert reg.undo(before, after, who("bob"))
    assert holder_in(bare) == "alice"
    assert reg.get("deploy").entry.holder == "alice"  # type: ignore[union-attr]
    subjects = a.git("log", "--format=%s", "refs/milestones/remotes/origin/claims/deploy")
    latest = subjects.splitlines()[0]
    if rewinds:
        assert latest == "claim(deploy): alice claims it on branch main (claim)"
    else:  # a new commit restores alice
        assert latest == "claim(deploy): restored to alice (the branch commit failed)"


def test_a_remote_that_cannot_be_reached_is_a_clear_error(repo: Repo, tmp_path: Path) -> None:
    repo.git("remote", "add", "origin", str(tmp_path / "nowhere.git"))
    reg = Registry(git.discover(repo.path), "origin")
    with pytest.raises(GitFailed, match="cannot fetch the claims from origin"):
        reg.refresh("deploy")


def test_the_holder_s_branch_is_read_from_head(tmp_path: Path, repo: Repo) -> None:
    other = make_repo(tmp_path / "plain", repo.monkeypatch)
    assert git.current_branch(git.discover(other.path)) == "main"
    other.git("checkout", "-q", "--detach")
    assert git.current_branch(git.discover(other.path)) is None
