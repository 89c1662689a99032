"""A write's claim in the registry, around its branch commit (see `Workspace.write`).

Before the operation runs, the registry's entry for the milestone says who holds it (the
operation's who-may-write rule asks it, whatever this branch's file says). After it, the
registry is brought to what the new file says: a take or a renewal is written first, and
the branch commit is made only once the registry agreed (undone if that commit fails); a
release is written after the branch commit. A crash in between can only leave the
registry naming a holder the branch does not, which the holder's next command (or
`doctor`) repairs; never a holder in the branch that the registry does not know.

With a claims remote, the remote's entry decides: it is fetched before any change, and a
push refused because someone moved it means: fetch, decide again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gitmilestone import claims, git, registry
from gitmilestone.claims import Claimant, Entry, Holder, Plan
from gitmilestone.errors import GitFailed, OwnerConflict, Stale
from gitmilestone.records import frozen
from gitmilestone.registry import Claim, Found, Registry, Tally

ATTEMPTS = 8


@frozen
class Report:
    """What a write did to the registry, for `--json` (`claim` in a write's result)."""

    registry: str
    change: str | None
    entry: Entry | None
    pushes: int
    fetches: int
    now: datetime
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "change": self.change,
            "holder": None if self.entry is None else self.entry.to_dict(self.now),
            "push_attempts": self.pushes,
            "fetches": self.fetches,
            "warning": self.warning,
        }


class Claiming:
    """One write's dealings with the registry (under the repository lock)."""

    def __init__(
        self, repo: git.Repo, remote: str | None, milestone_id: str, tally: Tally | None = None
    ) -> None:
        self.registry = Registry(repo, remote, tally)
        self.milestone_id = milestone_id
        self.branch = git.current_branch(repo)
        self.claim = self.registry.get(milestone_id)
        self.fetched = remote is None
        self.before: Claim | None = None
        self.done: Claim | None = None
        self.later: Plan | None = None
        self.change: str | None = None
        self.warning: str | None = None

    def who(self, name: str, now: datetime, lease: Any) -> Claimant:
        return Claimant(name, self.branch, now, lease)

    def entry(self, name: str, now: datetime) -> Entry | None:
        """The entry that decides: this clone's newest knowledge, or once the claims remote
        was fetched, the remote's (unless a claim made here and not pushed yet is newer and
        held by someone else: it holds)."""
        if self.registry.remote is None or not self.fetched:
            return self.claim.entry
        remote = None if self.claim.remote is None else self.claim.remote.entry
        local = None if self.claim.local is None else self.claim.local.entry
        if (
            local is not None
            and local.held_by_other(name, now)
            and (remote is None or local.sequence > remote.sequence)
        ):
            return local
        return remote

    def damaged(self) -> Found | None:
        """The registry ref that decides, when it holds no entry (changed by hand)."""
        if self.registry.remote is not None and self.fetched:
            found = self.claim.remote
        else:
            found = self.claim.newest
        return found if found is not None and found.entry is None else None

    def holder(self, name: str, now: datetime) -> Holder | None:
        """Who holds the milestone in the registry; None when it has no entry for it."""
        entry = self.entry(name, now)
        return None if entry is None else entry.holding(now)

    def prepare(
        self,
        who: Claimant,
        owner_before: str | None,
        owner_after: str | None,
        *,
        action: str,
        forced: bool,
    ) -> bool:
        """Bring the registry to what the write's outcome needs before its branch commit.
        False: the registry moved, or was only now fetched: run the operation again on
        what it says. Raises OwnerConflict when someone else holds it there, or when its
        entry there is damaged (nobody can tell who holds it)."""
        damaged = self.damaged()
        if damaged is not None and owner_after == who.name:
            detail, fix = registry.damage(self.milestone_id, damaged, self.registry.remote)
            raise OwnerConflict(f"{detail}; {fix}")
        found = claims.plan(
            self.entry(who.name, who.now),
            self.milestone_id,
            owner_before,
            owner_after,
            who,
            action=action,
            forced=forced,
        )
        if found is None:
            return True
        if not found.first:
            self.later = found
            return True
        if not self.fetched:
            self.refresh()
            return False
        after = self.registry.swap(self.claim, found.entry)
        if after is None:
            self.refresh()
            return False
        self.before, self.done, self.claim = self.claim, after, after
        self.change = _kind(found.entry)
        return True

    def refresh(self) -> None:
        self.claim = self.registry.refresh(self.milestone_id)
        self.fetched = True

    def undo(self, who: Claimant) -> None:
        """The branch commit failed: put the registry back as it was."""
        if self.done is None or self.before is None:
            return
        try:
            undone = self.registry.undo(self.before, self.done, who)
        except GitFailed as exc:
            undone, self.warning = False, exc.message
        if undone:
            self.change, self.done = None, None

    def finish(self, who: Claimant) -> None:
        """After the branch commit: the release it needs. A failure leaves the registry
        naming the holder (the safe side) and is reported as a warning."""
        if self.later is None:
            return
        try:
            for _ in range(ATTEMPTS):
                if not self.fetched:
                    self.refresh()
                entry = claims.release(
                    self.entry(who.name, who.now), who, action=self.later.entry.action
                )
                if entry is None:
                    return
                after = self.registry.swap(self.claim, entry)
                if after is not None:
                    self.claim, self.change = after, "release"
                    return
                self.refresh()
            self.warning = f"the registry moved {ATTEMPTS} times while releasing"
        except OwnerConflict:
            return  # someone else holds it now: nothing of ours to release
        except GitFailed as exc:
            self.warning = exc.message
        if self.warning is not None:
            self.warning = (
                f"{self.warning}; the claims registry still names {who.name} for "
                f"{self.milestone_id}: run `git milestone release {self.milestone_id}` again"
            )

    def report(self, now: datetime) -> Report:
        return Report(
            self.registry.remote or "local",
            self.change,
            self.claim.entry,
            self.registry.tally.pushes,
            self.registry.tally.fetches,
            now,
            self.warning,
        )


def too_many() -> Stale:
    return Stale(
        f"the claims registry moved {ATTEMPTS} times while this command decided; run it again"
    )


def _kind(entry: Entry) -> str:
    if entry.holder is None:
        return "release"
    return "renew" if entry.claimed_at != entry.at else "take"
