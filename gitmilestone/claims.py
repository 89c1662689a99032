"""The claims registry's entries: who holds a milestone, seen from every branch, worktree
and clone. Pure: the entry, its encoding in a registry commit, and the decisions.

`registry.py` keeps one chain of commits per milestone under `refs/milestones/claims/`;
each commit's message carries one entry (read for every milestone with one
`git for-each-ref`), and its tree holds the same entry as `claim.json` for people and
other tools.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from gitmilestone import timestamps
from gitmilestone.errors import OwnerConflict
from gitmilestone.messages import subject
from gitmilestone.records import frozen, replace

NONE = "none"
# The action of an entry that puts back the one before a failed branch commit.
RESTORE = "restore"
FILE_NAME = "claim.json"
# An owner's write renews the registry only once this share of the lease has passed since
# the last renewal, so most writes cost no registry write; a claim then always has at
# least three quarters of its lease left after its holder's last write.
RENEW_AFTER = 0.25

_KEYS = {
    "milestone-claim": "milestone_id",
    "milestone-holder": "holder",
    "milestone-branch": "branch",
    "milestone-claimed-at": "claimed_at",
    "milestone-renewed-at": "renewed_at",
    "milestone-lease": "lease",
    "milestone-action": "action",
    "milestone-actor": "actor",
    "milestone-previous-owner": "previous_holder",
    "milestone-forced": "forced",
    "milestone-sequence": "sequence",
}


@frozen
class Entry:
    """One state of a milestone's claim: its holder (None: free), where they work, since
    when, their last renewal and lease; and who made this change, how and when."""

    milestone_id: str
    holder: str | None
    branch: str | None
    claimed_at: datetime | None
    renewed_at: datetime | None
    lease: timedelta
    action: str
    actor: str
    at: datetime
    sequence: int = 1
    previous_holder: str | None = None
    forced: bool = False

    def active(self, now: datetime) -> bool:
        """Whether the holder's lease runs (measured from their last renewal)."""
        return (
            self.holder is not None
            and self.renewed_at is not None
            and now - self.renewed_at < self.lease
        )

    def held_by_other(self, name: str, now: datetime) -> bool:
        return self.active(now) and self.holder != name

    @property
    def expires_at(self) -> datetime | None:
        """When the holder's lease runs out; None when nobody holds it, or past the end of
        the calendar."""
        if self.renewed_at is None:
            return None
        try:
            return self.renewed_at + self.lease
        except OverflowError:
            return None

    def renewal_due(self, now: datetime) -> bool:
        return self.renewed_at is None or now - self.renewed_at >= self.lease * RENEW_AFTER

    def where(self) -> str:
        """`alice on branch feature-x`: who holds it and where, for messages."""
        return f"{self.holder} {self.on()}"

    def on(self) -> str:
        """`on branch feat-x` (or `on a detached HEAD`)."""
        return "on a detached HEAD" if self.branch is None else f"on branch {self.branch}"

    def holding(self, now: datetime) -> Holder:
        """The holder this entry names, as the commands and the guard weigh it."""
        return Holder(self.holder, self.active(now), self.branch, self.expires_at, True)

    def summary(self) -> str:
        return self._summary()[0]

    def _summary(self) -> tuple[str, tuple[str, ...]]:
        """The subject's summary, and its free text (names, the branch) in order: what
        `messages.subject` shortens when the subject would pass 72 characters."""
        on = self.on()
        branch = () if self.branch is None else (self.branch,)
        if self.action == RESTORE:
            who = self.holder or "nobody"
            return f"restored to {who} (the branch commit failed)", (who,)
        if self.holder is None:
            return f"released by {self.actor} ({self.action})", (self.actor,)
        previous = self.previous_holder or NONE
        if self.forced:
            text = f"{self.holder} takes it over from {previous} {on} (forced)"
            return text, (self.holder, previous, *branch)
        if self.previous_holder is not None:
            text = f"{self.holder} claims it {on} (lease of {previous} expired)"
            return text, (self.holder, *branch, previous)
        if self.claimed_at != self.at:
            return f"{self.holder} renews {on} ({self.action})", (self.holder, *branch)
        return f"{self.holder} claims it {on} ({self.action})", (self.holder, *branch)

    def message(self) -> str:
        """The registry commit's message: a subject, then one `Key: value` line a field."""
        lines = [
            ("Milestone-Claim", self.milestone_id),
            ("Milestone-Holder", self.holder or NONE),
            ("Milestone-Branch", self.branch or NONE),
            ("Milestone-Claimed-At", _time(self.claimed_at)),
            ("Milestone-Renewed-At", _time(self.renewed_at)),
            ("Milestone-Lease", str(int(self.lease.total_seconds())) + "s"),
            ("Milestone-Action", self.action),
            ("Milestone-Actor", self.actor),
            ("Milestone-Sequence", str(self.sequence)),
        ]
        if self.previous_holder is not None:
            lines.append(("Milestone-Previous-Owner", self.previous_holder))
        if self.forced:
            lines.append(("Milestone-Forced", "true"))
        body = "\n".join(f"{k}: {v}" for k, v in lines)
        summary, free = self._summary()
        return f"{subject(self.milestone_id, summary, free, kind='claim')}\n\n{body}\n"

    def document(self) -> bytes:
        """The entry as the `claim.json` file of the commit's tree."""
        doc = {
            "milestone_id": self.milestone_id,
            "holder": self.holder,
            "branch": self.branch,
            "claimed_at": None if self.claimed_at is None else timestamps.format(self.claimed_at),
            "renewed_at": None if self.renewed_at is None else timestamps.format(self.renewed_at),
            "expires_at": None if self.expires_at is None else timestamps.format(self.expires_at),
            "lease_seconds": int(self.lease.total_seconds()),
            "action": self.action,
            "actor": self.actor,
            "at": timestamps.format(self.at),
            "sequence": self.sequence,
            "previous_holder": self.previous_holder,
            "forced": self.forced,
        }
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def to_dict(self, now: datetime) -> dict[str, object]:
        """The holder as `list`, `show` and `resume` report it."""
        return {
            "holder": self.holder,
            "branch": self.branch,
            "claimed_at": None if self.claimed_at is None else timestamps.format(self.claimed_at),
            "renewed_at": None if self.renewed_at is None else timestamps.format(self.renewed_at),
            "expires_at": None if self.expires_at is None else timestamps.format(self.expires_at),
            "active": self.active(now),
        }


def _time(moment: datetime | None) -> str:
    return NONE if moment is None else timestamps.format(moment)


def parse(message: str, at: datetime) -> Entry | None:
    """The entry a registry commit's message carries; None when it is not one."""
    _, _, body = message.partition("\n\n")
    fields: dict[str, str] = {}
    for line in body.splitlines():
        key, sep, value = line.partition(": ")
        name = _KEYS.get(key.strip().lower())
        if sep and name is not None:
            fields.setdefault(name, value.strip())
    try:
        milestone_id, actor = fields["milestone_id"], fields["actor"]
        lease = timestamps.parse_duration(fields["lease"])
        return Entry(
            milestone_id=milestone_id,
            holder=_none(fields.get("holder")),
            branch=_none(fields.get("branch")),
            claimed_at=_parse_time(fields.get("claimed_at")),
            renewed_at=_parse_time(fields.get("renewed_at")),
            lease=lease,
            action=fields.get("action", ""),
            actor=actor,
            at=at,
            sequence=int(fields.get("sequence", "1")),
            previous_holder=fields.get("previous_holder"),
            forced=fields.get("forced", "").lower() == "true",
        )
    except (KeyError, ValueError):
        return None


def _none(value: str | None) -> str | None:
    return None if value is None or value == NONE else value


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None or value == NONE else timestamps.parse(value)


def conflict(entry: Entry, now: datetime) -> OwnerConflict:
    """Exit 3: someone else holds the milestone in the registry."""
    return held_elsewhere(entry.milestone_id, entry.holding(now), entry.lease)


def held_elsewhere(milestone_id: str, holder: Holder, lease: timedelta) -> OwnerConflict:
    """Exit 3 naming who holds the milestone in the registry, and on which branch."""
    until = "" if holder.expires_at is None else f", until {_time(holder.expires_at)}"
    return OwnerConflict(
        f"{holder.name} holds {milestone_id}{holder.on_branch()} (claims registry, lease "
        f"{timestamps.describe_age(lease)}{until}); ask {holder.name} to release it, wait "
        f"for the lease to run out, or take it over with "
        f"`git milestone claim {milestone_id} --force`",
        details={"holder": holder.name, "branch": holder.branch},
    )


@frozen
class Claimant:
    """Who changes the registry, from where, when, and with which lease."""

    name: str
    branch: str | None
    now: datetime
    lease: timedelta


def take(
    entry: Entry | None,
    milestone_id: str,
    who: Claimant,
    *,
    action: str,
    force: bool = False,
) -> Entry | None:
    """The entry that makes `who` the holder, or None when it already is there, from the
    same branch, and no renewal is due. Someone else's active claim is exit 3 unless
    `force`; an expired one is taken over (recorded as the previous holder)."""
    now = timestamps.truncate(who.now)
    if entry is not None and entry.held_by_other(who.name, now) and not force:
        raise conflict(entry, now)
    mine = entry is not None and entry.active(now) and entry.holder == who.name
    if mine and entry is not None:
        if entry.branch == who.branch and not entry.renewal_due(now):
            return None
        return _next(entry, who, now, action=action, renewed_at=now)
    previous = None if entry is None or entry.holder == who.name else entry.holder
    forced = entry is not None and entry.held_by_other(who.name, now)
    base = entry or Entry(milestone_id, None, None, None, None, who.lease, action, who.name, now, 0)
    return _next(
        base,
        who,
        now,
        action=action,
        holder=who.name,
        claimed_at=now,
        renewed_at=now,
        previous_holder=previous,
        forced=forced,
    )


def release(entry: Entry | None, who: Claimant, *, action: str) -> Entry | None:
    """The entry that frees the milestone, or None when nobody holds it there.

    Someone else's active claim is exit 3: only its holder releases it.
    """
    now = timestamps.truncate(who.now)
    if entry is None or entry.holder is None:
        return None
    if entry.held_by_other(who.name, now):
        raise conflict(entry, now)
    return _next(
        entry,
        who,
        now,
        action=action,
        holder=None,
        branch=None,
        claimed_at=None,
        renewed_at=None,
        previous_holder=entry.holder,
    )


def _next(entry: Entry, who: Claimant, now: datetime, **changes: object) -> Entry:
    fields: dict[str, object] = {
        "branch": who.branch,
        "lease": who.lease,
        "actor": who.name,
        "at": now,
        "sequence": entry.sequence + 1,
        "previous_holder": None,
        "forced": False,
    }
    fields.update(changes)
    return replace(entry, **fields)


def restored(old: Entry | None, current: Entry, who: Claimant) -> Entry:
    """An entry that puts back `old` on top of `current` (an undo that keeps history)."""
    now = timestamps.truncate(who.now)
    if old is None:
        return _next(
            current,
            who,
            now,
            action=RESTORE,
            holder=None,
            branch=None,
            claimed_at=None,
            renewed_at=None,
        )
    return replace(old, action=RESTORE, actor=who.name, at=now, sequence=current.sequence + 1)


@frozen
class Holder:
    """Who holds a milestone, all things considered: the registry where it has an entry for
    the milestone (whatever this branch's file says), else the file's owner."""

    name: str | None
    active: bool
    branch: str | None = None
    expires_at: datetime | None = None
    in_registry: bool = False
    # The holder works on the branch checked out here: `label` need not say where.
    here: bool = False
    # The registry's entry was changed by hand: nobody can tell who holds it, and nobody
    # may take it until it is removed (`doctor` says how).
    damaged: bool = False

    def held_by_other(self, name: str | None) -> bool:
        return self.active and (self.damaged or self.name != name)

    def on_branch(self) -> str:
        """` on branch feat-x` (` on a detached HEAD`)."""
        return " on a detached HEAD" if self.branch is None else f" on branch {self.branch}"

    def label(self) -> str:
        """`-`, `alice`, `alice on feat-x`, with `(lease expired)` when it is."""
        if self.damaged:
            return "? (claim damaged)"
        if self.name is None:
            return "-"
        text = self.name if self.branch is None or self.here else f"{self.name} on {self.branch}"
        return text if self.active else f"{text} (lease expired)"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "branch": self.branch,
            "active": self.active,
            "expires_at": None if self.expires_at is None else timestamps.format(self.expires_at),
            "in_registry": self.in_registry,
            "here": self.here,
        }
        if self.damaged:  # only then: a registry entry changed by hand
            out["damaged"] = True
        return out


# Who holds a milestone whose registry entry was changed by hand: unknown, and held.
DAMAGED = Holder(None, True, in_registry=True, damaged=True)


def holder(
    owner: str | None,
    file_active: bool,
    file_expires: datetime | None,
    entry: Entry | None,
    now: datetime,
) -> Holder:
    """Combine the file's view (its owner, whether their lease runs, when it ends) with the
    registry's entry, which wins when there is one."""
    if entry is None:
        return Holder(owner, file_active and owner is not None, None, file_expires)
    return entry.holding(now)


@frozen
class Plan:
    """The registry change a write needs: a take or renewal goes to the registry before the
    branch commit (`first`), a release after it, so that a crash in between can only leave
    the registry naming a holder the branch does not (never the reverse)."""

    entry: Entry
    first: bool


def plan(
    entry: Entry | None,
    milestone_id: str,
    owner_before: str | None,
    owner_after: str | None,
    who: Claimant,
    *,
    action: str,
    forced: bool = False,
) -> Plan | None:
    """What the registry must say after a write that leaves the file's owner `owner_after`
    (the actor takes or keeps it, or nobody holds it); None when it already does."""
    if owner_after == who.name:
        taken = take(entry, milestone_id, who, action=action, force=forced)
        return None if taken is None else Plan(taken, True)
    if (
        owner_after is None
        and entry is not None
        and entry.holder is not None
        and entry.holder in (who.name, owner_before)
    ):
        released = release(entry, who, action=action)
        return None if released is None else Plan(released, False)
    return None
