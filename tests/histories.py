"""Histories that bypass the commit hooks, built with real git: each returns the commit that
a reviewer (`log`) and CI (`validate --range`) must not miss."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Repo

ID = "m"
FILE = f"MILESTONES/{ID}.json"


def at(minutes: int) -> dict[str, str]:
    """`GIT_MILESTONE_NOW` a number of minutes after 01:00 on the fixtures' day."""
    return {"GIT_MILESTONE_NOW": f"2025-11-15T{1 + minutes // 60:02d}:{minutes % 60:02d}:00Z"}


def gm(repo: Repo, *args: str, minutes: int = 0, actor: str = "alice") -> None:
    ran = repo.gm(*args, env={**at(minutes), "GIT_MILESTONE_ACTOR": actor})
    assert ran.exit_code == 0, (args, ran.stdout, ran.stderr)


def start(repo: Repo) -> None:
    """`m` with three steps, created and step 1 started by alice."""
    gm(repo, "new", "Merge work", "--id", ID, "--step", "a", "--step", "b", "--step", "c")
    gm(repo, "advance", ID, minutes=1)


def doc(repo: Repo, rev: str | None = None) -> dict[str, Any]:
    text = repo.read(FILE) if rev is None else repo.git("show", f"{rev}:{FILE}")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def head(repo: Repo) -> str:
    return repo.head()


def reverted(repo: Repo) -> str:
    """`git revert` of an advance: revision and updated_at go back, step 1 is undone."""
    start(repo)
    gm(repo, "advance", ID, "--note", "a is done", minutes=2)
    repo.git("revert", "--no-edit", "HEAD")
    return head(repo)


def cherry_picked(repo: Repo) -> str:
    """`git cherry-pick -x` of an advance made on another branch, onto a main where the
    milestone moved on meanwhile: the picked trailers and revision are stale there."""
    start(repo)
    repo.git("checkout", "-q", "-b", "side")
    gm(repo, "advance", ID, "--note", "a on side", minutes=2)
    picked = head(repo)
    repo.git("checkout", "-q", "main")
    gm(repo, "handoff", ID, "--next", "finish a", minutes=3)
    repo.git("cherry-pick", "-x", "-X", "theirs", picked)
    return head(repo)


def rebased(repo: Repo) -> str:
    """`git rebase` of a branch's advance onto a main where the milestone moved on."""
    start(repo)
    repo.git("checkout", "-q", "-b", "feature")
    gm(repo, "advance", ID, "--note", "a on feature", minutes=2)
    repo.git("checkout", "-q", "main")
    gm(repo, "handoff", ID, "--next", "finish a", minutes=3)
    repo.git("checkout", "-q", "feature")
    repo.git("rebase", "-q", "-X", "theirs", "main")
    return head(repo)


def unverified(repo: Repo) -> str:
    """A hand edit the guard would refuse (progress not derived, revision not bumped),
    committed with `git commit --no-verify`."""
    start(repo)
    d = doc(repo)
    d["steps"][0].update(
        status="completed", completed_by="alice", completed_at="2025-11-15T01:05:00Z"
    )
    d["updated_at"] = "2025-11-15T01:05:00Z"
    write(repo, d)
    repo.git("commit", "-q", "--no-verify", "-am", "mark a done by hand")
    return head(repo)


def forged(repo: Repo) -> str:
    """A proper hand edit (step 1 done, revision + 1) committed with `--no-verify` under
    trailers that claim the milestone is complete."""
    start(repo)
    return forge(repo)


def forge(repo: Repo) -> str:
    """Complete step 1 of `m` by hand, properly, and commit it under trailers that claim
    the whole milestone is complete."""
    d = doc(repo)
    d["steps"][0].update(
        status="completed", completed_by="alice", completed_at="2025-11-15T01:05:00Z"
    )
    d.update(revision=d["revision"] + 1, updated_at="2025-11-15T01:05:00Z", progress=33)
    write(repo, d)
    trailers = (
        f"Milestone: {ID}\nMilestone-Action: complete\nMilestone-Status: completed\n"
        f"Milestone-Progress: 100\nMilestone-Steps: 3\nMilestone-Owner: none\n"
        f"Milestone-Actor: alice\nMilestone-Revision: {d['revision']}\n"
    )
    repo.git("commit", "-q", "--no-verify", "-am", f"milestone({ID}): complete\n\n{trailers}")
    return head(repo)


def write(repo: Repo, d: dict[str, Any]) -> None:
    repo.write(FILE, json.dumps(d, indent=2) + "\n")
