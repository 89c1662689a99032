"""The milestone: records, derived fields and serialization. Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from gitmilestone import timestamps
from gitmilestone.records import field, frozen

Priority = Literal["HIGH", "MEDIUM", "LOW"]
Status = Literal["pending", "in_progress", "blocked", "completed", "abandoned"]
StepStatus = Literal["pending", "in_progress", "completed", "blocked", "skipped"]

PRIORITIES: tuple[Priority, ...] = ("HIGH", "MEDIUM", "LOW")
STATUSES: tuple[Status, ...] = ("pending", "in_progress", "blocked", "completed", "abandoned")
STEP_STATUSES: tuple[StepStatus, ...] = (
    "pending",
    "in_progress",
    "completed",
    "blocked",
    "skipped",
)
DONE_STEP: frozenset[str] = frozenset({"completed", "skipped"})
CLOSED: frozenset[str] = frozenset({"completed", "abandoned"})

_STEP_TIMES = ("started_at", "completed_at", "reopened_at")
_STEP_KEYS = (
    "step",
    "description",
    "status",
    "started_by",
    "started_at",
    "completed_by",
    "completed_at",
    "reopened_by",
    "reopened_at",
    "notes",
)
_CONTEXT_KEYS = ("why", "related_files", "dependencies", "success_criteria")


def _extra(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k.startswith("x-")}


def _time(value: Any) -> datetime | None:
    return None if value is None else timestamps.parse(value)


@frozen
class Step:
    step: int
    description: str
    status: StepStatus = "pending"
    started_by: str | None = None
    started_at: datetime | None = None
    completed_by: str | None = None
    completed_at: datetime | None = None
    reopened_by: str | None = None
    reopened_at: datetime | None = None
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status in DONE_STEP

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Step:
        return cls(
            step=int(doc["step"]),
            description=doc["description"],
            status=doc["status"],
            started_by=doc.get("started_by"),
            started_at=_time(doc.get("started_at")),
            completed_by=doc.get("completed_by"),
            completed_at=_time(doc.get("completed_at")),
            reopened_by=doc.get("reopened_by"),
            reopened_at=_time(doc.get("reopened_at")),
            notes=doc.get("notes") or "",
            extra=_extra(doc),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _STEP_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            out[key] = timestamps.format(value) if key in _STEP_TIMES else value
        out.update(self.extra)
        return out


@frozen
class Context:
    why: str | None = None
    related_files: tuple[str, ...] | None = None
    dependencies: tuple[str, ...] | None = None
    success_criteria: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Context:
        files, deps = doc.get("related_files"), doc.get("dependencies")
        return cls(
            why=doc.get("why"),
            related_files=None if files is None else tuple(files),
            dependencies=None if deps is None else tuple(deps),
            success_criteria=doc.get("success_criteria"),
            extra=_extra(doc),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _CONTEXT_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        out.update(self.extra)
        return out


@frozen
class Milestone:
    milestone_id: str
    title: str
    priority: Priority
    owner: str | None
    status: Status
    progress: int
    created_at: datetime
    updated_at: datetime
    steps: tuple[Step, ...] = ()
    revision: int = 0
    updated_by: str | None = None
    claimed_at: datetime | None = None
    renewed_at: datetime | None = None
    context: Context | None = None
    depends_on: tuple[str, ...] | None = None
    next_session_should: tuple[str, ...] = ()
    blockers: tuple[str, ...] = ()
    handoff_notes: str = ""
    # Who wrote next_session_should and handoff_notes, when, and at which step.
    handoff_by: str | None = None
    handoff_at: datetime | None = None
    handoff_step: int | None = None
    completion_notes: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # `$schema`: where editors find the schema; kept as it is, written first.
    schema_ref: str | None = None

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Milestone:
        """Build from a schema-valid document; ValueError for an unreadable timestamp."""
        context, depends = doc.get("context"), doc.get("depends_on")
        return cls(
            milestone_id=doc["milestone_id"],
            title=doc["title"],
            priority=doc["priority"],
            owner=doc.get("owner"),
            status=doc["status"],
            progress=int(doc["progress"]),
            revision=int(doc.get("revision") or 0),
            created_at=timestamps.parse(doc["created_at"]),
            updated_at=timestamps.parse(doc["updated_at"]),
            updated_by=doc.get("updated_by"),
            claimed_at=_time(doc.get("claimed_at")),
            renewed_at=_time(doc.get("renewed_at")),
            context=None if context is None else Context.from_dict(context),
            depends_on=None if depends is None else tuple(depends),
            steps=tuple(Step.from_dict(s) for s in doc["steps"]),
            next_session_should=tuple(doc.get("next_session_should", ())),
            blockers=tuple(doc.get("blockers", ())),
            handoff_notes=doc.get("handoff_notes", ""),
            handoff_by=doc.get("handoff_by"),
            handoff_at=_time(doc.get("handoff_at")),
            handoff_step=doc.get("handoff_step"),
            completion_notes=doc.get("completion_notes"),
            extra=_extra(doc),
            schema_ref=doc.get("$schema"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The document in the SPEC's key order (`$schema` first, for editors); `x-` keys
        last."""
        out: dict[str, Any] = {} if self.schema_ref is None else {"$schema": self.schema_ref}
        out |= {
            "milestone_id": self.milestone_id,
            "title": self.title,
            "priority": self.priority,
            "owner": self.owner,
            "status": self.status,
            "progress": self.progress,
            "revision": self.revision,
            "created_at": timestamps.format(self.created_at),
            "updated_at": timestamps.format(self.updated_at),
        }
        if self.updated_by is not None:
            out["updated_by"] = self.updated_by
        if self.claimed_at is not None:
            out["claimed_at"] = timestamps.format(self.claimed_at)
        if self.renewed_at is not None:
            out["renewed_at"] = timestamps.format(self.renewed_at)
        if self.context is not None:
            out["context"] = self.context.to_dict()
        if self.depends_on is not None:
            out["depends_on"] = list(self.depends_on)
        out["steps"] = [s.to_dict() for s in self.steps]
        out["next_session_should"] = list(self.next_session_should)
        out["blockers"] = list(self.blockers)
        out["handoff_notes"] = self.handoff_notes
        if self.handoff_by is not None:
            out["handoff_by"] = self.handoff_by
        if self.handoff_at is not None:
            out["handoff_at"] = timestamps.format(self.handoff_at)
        if self.handoff_step is not None:
            out["handoff_step"] = self.handoff_step
        if self.completion_notes is not None:
            out["completion_notes"] = self.completion_notes
        out.update(self.extra)
        return out

    def dumps(self) -> str:
        return dumps(self.to_dict())

    @property
    def lease_start(self) -> datetime:
        """Where the owner's lease is measured from: the owner's own last write
        (`renewed_at`; a file written before that field existed: `updated_at`)."""
        return self.renewed_at if self.renewed_at is not None else self.updated_at

    @property
    def derived_progress(self) -> int:
        return derive_progress(self.steps, self.status)

    @property
    def current_step(self) -> Step | None:
        """The step being worked on: the first in progress, else the first not done."""
        for s in self.steps:
            if s.status == "in_progress":
                return s
        return next((s for s in self.steps if not s.done), None)

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)

    def step(self, number: int) -> Step | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None


def derive_progress(steps: tuple[Step, ...], status: str) -> int:
    """floor(100 × done / steps); with no steps, 100 when completed, else 0."""
    if not steps:
        return 100 if status == "completed" else 0
    done = sum(1 for s in steps if s.done)
    return 100 * done // len(steps)


def dumps(doc: Mapping[str, Any]) -> str:
    """UTF-8-ready text: 2-space indent, one trailing newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


TRANSITIONS: Mapping[str, frozenset[str]] = {
    "pending": frozenset({"in_progress", "blocked", "abandoned"}),
    "in_progress": frozenset({"blocked", "completed", "abandoned"}),
    "blocked": frozenset({"in_progress", "pending", "abandoned"}),
    "completed": frozenset({"in_progress"}),
    "abandoned": frozenset({"pending"}),
}


def can_transition(old: str, new: str) -> bool:
    """Whether the status may go from `old` to `new` (staying put is always allowed)."""
    return old == new or new in TRANSITIONS.get(old, frozenset())
