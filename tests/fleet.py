"""Many milestones at once, built with the pure workflow and committed in one commit (a
command per milestone would cost a commit each)."""

from __future__ import annotations

from datetime import timedelta

from gitmilestone import timestamps, workflow
from gitmilestone.model import PRIORITIES, Milestone
from gitmilestone.workflow import Actor
from tests.conftest import T0, Repo

LEASE = timedelta(hours=2)
KINDS = ("mine", "blocked", "ready", "others", "waiting", "completed")


def fleet(count: int, actor: str = "alice") -> list[Milestone]:
    """`count` milestones cycling through KINDS: held by `actor`, blocked, ready, held by
    someone else, waiting for a dependency, completed. Titles and notes are long, so that
    nothing fits by luck."""
    now = timestamps.parse(T0) - timedelta(minutes=30)
    out: list[Milestone] = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        who = Actor(actor if kind == "mine" else f"agent-{i}", now, LEASE)
        mid = f"task-{i:03d}-{kind}"
        depends = (out[-3].milestone_id,) if kind == "waiting" and len(out) >= 3 else ()
        m, _ = workflow.create(
            mid,
            f"Milestone {i}: " + "a rather long title that goes on " * 5,
            who,
            priority=PRIORITIES[i % 3],
            steps=tuple(f"Step {n} of work item {i}, described at length " * 3 for n in range(6)),
            depends_on=depends,
        )
        if kind in ("mine", "others", "completed"):
            m = workflow.claim(m, who)[0]  # type: ignore[index]
            m = workflow.advance(m, who)[0]
            m = workflow.advance(m, who, note="done " * 40)[0]
        if kind == "blocked":
            m = workflow.block(m, who, reason=f"waiting for {i} " + "on a long blocker " * 8)[0]
        if kind == "completed":
            m = workflow.complete(m, who, force=True)[0]
        out.append(m)
    return out


def commit_fleet(repo: Repo, count: int, actor: str = "alice") -> list[Milestone]:
    milestones = fleet(count, actor)
    for m in milestones:
        repo.write(f"MILESTONES/{m.milestone_id}.json", m.dumps())
    repo.git("add", "MILESTONES")
    repo.git("commit", "-q", "-m", f"{count} milestones")
    return milestones
