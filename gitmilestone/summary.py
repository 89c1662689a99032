"""What the overviews (`list`, `next`, and whatever else reads every milestone) need of a
milestone, read straight from a checked document. Pure: no I/O.

A summary is built without the full model (no step records, two timestamps parsed), and
it is small and made of plain values, so the summary cache can keep one per file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from gitmilestone import timestamps
from gitmilestone.claims import Holder
from gitmilestone.model import DONE_STEP, Priority, Status, StepStatus
from gitmilestone.rules import lease_active


class CurrentStep(NamedTuple):
    step: int
    description: str
    status: StepStatus


class Summary(NamedTuple):
    """One readable milestone file, as the overviews show it."""

    milestone_id: str
    title: str
    priority: Priority
    status: Status
    progress: int
    owner: str | None
    created_at: datetime
    updated_at: datetime
    steps: int
    done: int
    current_step: CurrentStep | None
    depends_on: tuple[str, ...]
    blockers: tuple[str, ...]
    next_session_should: tuple[str, ...]
    revision: int
    updated_by: str | None
    blocked_steps: tuple[CurrentStep, ...]
    renewed_at: datetime | None = None

    @property
    def lease_start(self) -> datetime:
        """Where the owner's lease is measured from (see `Milestone.lease_start`)."""
        return self.renewed_at if self.renewed_at is not None else self.updated_at


def from_document(doc: Mapping[str, Any]) -> Summary:
    """The summary of a document that passed the file checks (`rules.is_readable`)."""
    steps = doc["steps"]
    # One pass over the steps: the one in progress (else the first not done), how many
    # are done, the blocked ones.
    current = first_open = None
    done = 0
    blocked: list[CurrentStep] = []
    for s in steps:
        status = s["status"]
        if status in DONE_STEP:
            done += 1
            continue
        if status == "in_progress":
            if current is None:
                current = s
        elif status == "blocked":
            blocked.append(CurrentStep(int(s["step"]), s["description"], status))
        if first_open is None:
            first_open = s
    if current is None:
        current = first_open
    renewed = doc.get("renewed_at")
    parse = timestamps.parse
    return Summary(
        doc["milestone_id"],
        doc["title"],
        doc["priority"],
        doc["status"],
        int(doc["progress"]),
        doc.get("owner"),
        parse(doc["created_at"]),
        parse(doc["updated_at"]),
        len(steps),
        done,
        None
        if current is None
        else CurrentStep(int(current["step"]), current["description"], current["status"]),
        tuple(doc.get("depends_on") or ()),
        tuple(doc.get("blockers") or ()),
        tuple(doc.get("next_session_should") or ()),
        int(doc.get("revision") or 0),
        doc.get("updated_by"),
        tuple(blocked),
        None if renewed is None else parse(renewed),
    )


Row = tuple[Any, ...]
_CREATED, _UPDATED, _CURRENT, _BLOCKED, _RENEWED = 6, 7, 10, 16, 17


_REPEATED = tuple(Summary._fields.index(f) for f in ("priority", "status", "owner", "updated_by"))


def to_row(s: Summary) -> Row:
    """Plain values for the cache (times as ISO 8601 text)."""
    row: list[Any] = list(s)
    row[_CREATED] = s.created_at.isoformat()
    row[_UPDATED] = s.updated_at.isoformat()
    current = s.current_step
    row[_CURRENT] = None if current is None else (*current[:2], sys.intern(current.status))
    row[_BLOCKED] = tuple(tuple(b) for b in s.blocked_steps)
    row[_RENEWED] = None if s.renewed_at is None else s.renewed_at.isoformat()
    # Values that repeat across milestones, interned, are stored once in the cache and
    # read back as one object.
    for i in _REPEATED:
        if row[i] is not None:
            row[i] = sys.intern(row[i])
    return tuple(row)


def from_row(row: Row) -> Summary:
    """The inverse of `to_row`; TypeError/ValueError when the row is not one."""
    if len(row) != _FIELDS:
        raise ValueError("not a summary row")
    values = list(row)
    values[_CREATED] = _fromisoformat(row[_CREATED])
    values[_UPDATED] = _fromisoformat(row[_UPDATED])
    current = row[_CURRENT]
    if current is not None:
        values[_CURRENT] = CurrentStep(*current)
    values[_BLOCKED] = tuple(map(_step, row[_BLOCKED]))
    renewed = row[_RENEWED]
    if renewed is not None:
        values[_RENEWED] = _fromisoformat(renewed)
    return Summary._make(values)


_FIELDS = len(Summary._fields)
_fromisoformat = datetime.fromisoformat
_step = CurrentStep._make


def to_dict(
    s: Summary, now: datetime, lease: timedelta, holder: Holder | None = None
) -> dict[str, object]:
    """The `--json` form of one row of `list` and `next`; with `holder` (the claims
    registry's view), `owner` and `lease_active` are theirs."""
    current = s.current_step
    held: dict[str, object] = (
        {"owner": s.owner, "lease_active": lease_active(s, now, lease)}
        if holder is None
        else {"owner": holder.name, "lease_active": holder.active, "holder": holder.to_dict()}
    )
    return {
        "milestone_id": s.milestone_id,
        "title": s.title,
        "priority": s.priority,
        "status": s.status,
        "progress": s.progress,
        **held,
        "current_step": None
        if current is None
        else {"step": current.step, "description": current.description, "status": current.status},
        "steps": s.steps,
        "updated_at": timestamps.format(s.updated_at),
    }
