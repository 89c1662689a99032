"""Who may write a milestone, and how every write is stamped. Pure: no I/O.

One rule for every command (and the guard, through `rules.held_by_other`):

- A milestone is *held* by its owner while the owner's lease is active, measured from the
  owner's own last write (`renewed_at`; `updated_at` in a file written before it existed).
- While it is held by someone else, every write is an owner conflict, except
  `claim --force` (recorded as a forced takeover).
- When nobody holds it, anyone may write. A write that changes steps (and `claim`) takes
  the milestone first, in the same commit: the actor becomes the owner, and an owner whose
  lease expired is recorded as the previous owner. Other writes leave `owner` and
  `renewed_at` as they are.
- Every write by the owner renews the lease (`renewed_at` := the write's time); a release
  clears it; a write by anyone else never moves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gitmilestone import timestamps
from gitmilestone.claims import Holder, held_elsewhere
from gitmilestone.errors import Invalid, OwnerConflict
from gitmilestone.model import Milestone, derive_progress
from gitmilestone.records import frozen, replace
from gitmilestone.rules import held_by_other

TICK = timedelta(milliseconds=1)


@frozen
class Actor:
    """Who acts, when, and how long a claim lasts; and who holds the milestone in the
    claims registry (None: the registry has no entry for it, so its file says)."""

    name: str
    now: datetime
    lease: timedelta
    holder: Holder | None = None


@frozen
class Access:
    """What `may_write` allows: the owner after the write, and the takeover to record."""

    owner: str | None
    previous_owner: str | None = None
    forced: bool = False


def may_write(m: Milestone, actor: Actor, *, take: bool, force: bool = False) -> Access:
    """The who-may-write rule; every operation asks it before changing `m`.

    `take`: the write takes the milestone (it changes steps, or it is a claim). `force`:
    take it even from an active lease (`claim --force`). Raises OwnerConflict (exit 3)
    when someone else holds the milestone.
    """
    if _held(m, actor):
        if not (take and force):
            raise conflict(m, actor)
        previous = m.owner if actor.holder is None else actor.holder.name
        return Access(actor.name, previous, True)
    if not take:
        return Access(m.owner)
    previous = m.owner if m.owner not in (None, actor.name) else None
    return Access(actor.name, previous)


def _held(m: Milestone, actor: Actor) -> bool:
    """Held by someone else: in the claims registry when it knows the milestone (every
    branch, worktree and clone shares it), else by the file's owner."""
    if actor.holder is not None:
        return actor.holder.held_by_other(actor.name)
    return held_by_other(m, actor.name, actor.now, actor.lease)


def conflict(m: Milestone, actor: Actor) -> OwnerConflict:
    """The owner conflict for `actor` on a milestone someone else holds."""
    if actor.holder is not None:
        return held_elsewhere(m.milestone_id, actor.holder, actor.lease)
    age = timestamps.describe_age(actor.now - m.lease_start)
    return OwnerConflict(
        f"{m.owner} holds {m.milestone_id} (their last write {age} ago, lease "
        f"{timestamps.describe_age(actor.lease)}); ask {m.owner} to release it, wait for "
        f"the lease to run out, or take it over with "
        f"`git milestone claim {m.milestone_id} --force`"
    )


def stamp(actor: Actor, previous: datetime | None = None) -> datetime:
    """Now, but always after the previous write, so `updated_at` only moves forward."""
    now = timestamps.truncate(actor.now)
    if previous is not None and now <= previous:
        try:
            return previous + TICK
        except OverflowError:
            raise Invalid(
                f"the last write is stamped {timestamps.format(previous)}, the end of the "
                "calendar, so no later write can be stamped; correct updated_at (and the "
                "step times) in the file by hand"
            ) from None
    return now


def written(m: Milestone, actor: Actor, **changes: Any) -> Milestone:
    """`m` with `changes`, stamped as `actor`'s write: revision + 1, `updated_at`,
    `updated_by`, progress recomputed, and the claim and lease times of the owner after
    the write (set by a new owner, renewed by the owner, kept by anyone else)."""
    when = stamp(actor, m.updated_at)
    new = replace(m, **changes)
    if new.owner is None:
        new = replace(new, claimed_at=None, renewed_at=None)
    elif new.owner == actor.name:
        claimed = when if new.owner != m.owner else new.claimed_at
        new = replace(new, claimed_at=claimed, renewed_at=when)
    elif new.owner == m.owner:
        # Someone else's claim: their lease is still measured from their own last write.
        new = replace(new, renewed_at=m.lease_start)
    return replace(
        new,
        revision=m.revision + 1,
        updated_at=when,
        updated_by=actor.name,
        progress=derive_progress(new.steps, new.status),
    )
