"""Who holds each milestone, for the commands that read: the claims registry where it has an
entry (shared by every branch, worktree and clone), else this branch's file.

Reads stay cheap: every milestone's claim comes from one `git for-each-ref`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from gitmilestone import claims, git
from gitmilestone.claims import Holder
from gitmilestone.records import replace
from gitmilestone.rules import Leased, lease_active, lease_end

if TYPE_CHECKING:
    from gitmilestone.registry import Claim, Registry
    from gitmilestone.workspace import Workspace


class Known(Leased, Protocol):
    """A milestone or its summary: what holding needs of it."""

    @property
    def milestone_id(self) -> str: ...


def registry(ws: Workspace) -> Registry:
    from gitmilestone.registry import Registry

    return Registry(ws.repo, ws.settings.claims_remote)


def holders(ws: Workspace, milestones: Iterable[Known], now: datetime) -> dict[str, Holder]:
    """Each milestone's holder, by id."""
    known = registry(ws).all()
    branch = git.current_branch(ws.repo)
    return {m.milestone_id: of(ws, m, now, known.get(m.milestone_id), branch) for m in milestones}


def holder(ws: Workspace, m: Known, now: datetime) -> Holder:
    """One milestone's holder (reads only its own registry ref)."""
    return of(ws, m, now, registry(ws).get(m.milestone_id), git.current_branch(ws.repo))


def of(ws: Workspace, m: Leased, now: datetime, claim: Claim | None, branch: str | None) -> Holder:
    if claim is not None and claim.newest is not None and claim.newest.entry is None:
        # Changed by hand: nobody can tell who holds it, and nothing may take it.
        return claims.DAMAGED
    entry = None if claim is None else claim.entry
    lease = ws.settings.lease
    found = claims.holder(m.owner, lease_active(m, now, lease), lease_end(m, lease), entry, now)
    if found.branch is not None and found.branch == branch:
        found = replace(found, here=True)
    return found
