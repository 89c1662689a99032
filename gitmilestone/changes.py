"""What one version of a milestone says, and what changed between versions. Pure.

`log` keeps, for each version of a file it has seen, the part of the milestone a reviewer
follows (status, owner, progress, revision and each step's status): from the file when it
read it, or from the trailers of the commit the tool made, applied to the version before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from gitmilestone.messages import record_dict
from gitmilestone.model import Milestone

if TYPE_CHECKING:
    from gitmilestone.history import Commit

# Fields a merge takes from one side or combines, in the order they are told.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("status", ("status",)),
    ("owner", ("owner",)),
    ("steps", ("steps",)),
    (
        "handoff",
        ("next_session_should", "handoff_notes", "handoff_by", "handoff_at", "handoff_step"),
    ),
    ("blockers", ("blockers",)),
    ("details", ("title", "priority", "context", "depends_on", "completion_notes")),
)
# What every write changes: not worth telling.
_BOOKKEEPING = frozenset({"revision", "updated_at", "updated_by", "progress"})


class State(NamedTuple):
    """What a reviewer follows in one version of a milestone."""

    status: str
    owner: str | None
    progress: int | None
    revision: int | None
    steps: tuple[str, ...]


def state_of(m: Milestone) -> State:
    return State(m.status, m.owner, m.progress, m.revision, tuple(s.status for s in m.steps))


def step_changes(
    before: tuple[str, ...] | None, after: tuple[str, ...]
) -> tuple[tuple[int, str], ...]:
    """(step, status) for each step whose status is new at its place."""
    old = before or ()
    return tuple(
        (i, status) for i, status in enumerate(after, 1) if i > len(old) or old[i - 1] != status
    )


def state_changes(before: State | None, after: State | None) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for what a reviewer follows (`steps[N].status`, and
    `step_count` when steps were added or removed)."""
    out: dict[str, list[Any]] = {}
    if before is None or after is None:
        return out
    for field in ("status", "owner", "progress", "revision"):
        a, b = getattr(before, field), getattr(after, field)
        if a != b:
            out[field] = [a, b]
    if len(before.steps) != len(after.steps):
        out["step_count"] = [len(before.steps), len(after.steps)]
    for i in range(max(len(before.steps), len(after.steps))):
        a = before.steps[i] if i < len(before.steps) else None
        b = after.steps[i] if i < len(after.steps) else None
        if a != b:
            out[f"steps[{i + 1}].status"] = [a, b]
    return out


def other_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """The other top-level fields whose value changed (a title, the handoff notes...)."""
    if before is None or after is None:
        return []
    followed = {"status", "owner", "steps", *_BOOKKEEPING}
    keys = dict.fromkeys([*before, *after])
    return [k for k in keys if k not in followed and before.get(k) != after.get(k)]


def summary(changes: Mapping[str, list[Any]], others: Sequence[str] = ()) -> str:
    """`status in_progress→blocked, owner alice→none, step 2 completed→in_progress`."""
    parts = []
    for field, (a, b) in changes.items():
        if field.startswith("steps["):
            number = field[len("steps[") : field.index("]")]
            parts.append(f"step {number} {a or 'none'}→{b or 'removed'}")
        elif field == "progress":
            parts.append(f"progress {a}%→{b}%")
        elif field == "step_count":
            parts.append(f"{b} steps (was {a})")
        else:
            parts.append(f"{field} {'none' if a is None else a}→{'none' if b is None else b}")
    parts += list(others)
    return ", ".join(parts)


def merge_sides(
    result: Mapping[str, Any], parents: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> dict[str, str]:
    """For each group of fields the merged parents disagree on: the parent (its commit) the
    result took it from, or `combined` when it is none of them."""
    out: dict[str, str] = {}
    known = [(sha, doc) for sha, doc in parents if doc is not None]
    for group, fields in GROUPS:
        values = [tuple(doc.get(f) for f in fields) for _, doc in known]
        if len(set(map(repr, values))) <= 1:
            continue
        mine = tuple(result.get(f) for f in fields)
        source = next((sha for (sha, _), v in zip(known, values, strict=True) if v == mine), None)
        out[group] = "combined" if source is None else source
    return out


def sides_summary(sides: Mapping[str, str]) -> str:
    parts = [
        f"{group} combined" if source == "combined" else f"{group} from {source[:9]}"
        for group, source in sides.items()
    ]
    return ", ".join(parts)


class Entry(NamedTuple):
    """One change of one milestone file (a tuple: `log` builds thousands)."""

    commit: str
    when: str
    milestone: str
    action: str
    actor: str
    owner: str | None
    status: str | None
    progress: int | None
    revision: int | None
    steps: tuple[tuple[int, str], ...]
    forced: bool
    previous_owner: str | None
    subject: str
    file: str
    kind: str
    change: str
    parents: tuple[str, ...]
    author: str
    after: State | None
    before: State | None
    others: tuple[str, ...]
    sides: Mapping[str, str] | None
    problems: tuple[str, ...]
    verified: bool
    source: Commit
    reverts: str | None
    cherry_picked_from: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            **record_dict(self),
            "file": self.file,
            "kind": self.kind,
            "change": self.change,
            "parents": list(self.parents),
            "author": self.author,
            "note": self.source.note(),
            "reverts": self.reverts,
            "cherry_picked_from": self.cherry_picked_from,
            "step_count": None if self.after is None else len(self.after.steps),
            "step_statuses": None if self.after is None else list(self.after.steps),
            "changes": state_changes(self.before, self.after),
            "other_fields": list(self.others),
            "merge": None if self.sides is None else {"sides": dict(self.sides)},
            "problems": list(self.problems),
            "verified": self.verified,
        }
