"""Consistency rules M0xx..M3xx: pure functions that return findings, never print."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from gitmilestone import timestamps
from gitmilestone.claims import Holder
from gitmilestone.model import DONE_STEP, Milestone, Step, can_transition, derive_progress
from gitmilestone.records import field, frozen

MAX_BYTES = 1024 * 1024


@frozen(order=True)
class Finding:
    file: str
    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.code} {self.path}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "file": self.file, "path": self.path, "message": self.message}


@frozen
class Checked:
    """The outcome of checking one file: the milestone when it could be read, and findings."""

    file: str
    milestone: Milestone | None
    findings: tuple[Finding, ...] = field(default=())
    document: Any = None


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def decode(file: str, data: bytes) -> tuple[Any, list[Finding]]:
    """Bytes to a JSON document, or M001 findings (size, encoding, BOM, syntax, duplicates)."""

    def fail(reason: str) -> tuple[Any, list[Finding]]:
        return None, [Finding(file, "M001", "$", reason)]

    if len(data) > MAX_BYTES:
        return fail(f"file is {len(data)} bytes, over the 1 MiB limit; split the milestone")
    if data.startswith(b"\xef\xbb\xbf"):
        return fail("file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(f"not UTF-8 (byte {exc.start}); save the file as UTF-8")
    try:
        doc = _DECODER.decode(text)
    except _DuplicateKey as exc:
        return fail(f"key {str(exc)!r} appears twice in one object; keep one")
    except json.JSONDecodeError as exc:
        return fail(
            # Some of json's messages end in "at" ("Unterminated string starting at").
            f"not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno} "
            f"column {exc.colno}; correct it there"
        )
    except RecursionError:
        return fail("JSON nested too deeply to read; a milestone is a few levels deep")
    except ValueError:
        return fail(
            "not valid JSON: a number is NaN, Infinity or thousands of digits long; "
            "write a plain number"
        )
    if _SURROGATE.search(data) is not None:
        try:
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return fail("a string holds a lone UTF-16 surrogate (\\uD800-\\uDFFF); remove it")
    return doc, []


_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    # 1e999 is JSON, but reads as infinity, which no write could put back as JSON.
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite
)


def json_path(parts: Iterator[Any] | Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def schema_findings(file: str, doc: Any) -> list[Finding]:
    """M002 for every schema violation, each at its JSON path."""
    from gitmilestone import schema

    if schema.fast_check()(doc):
        return []
    from jsonschema import Draft202012Validator

    from gitmilestone.schema_words import describe

    validator = Draft202012Validator(schema.schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    out: dict[tuple[str, str], Finding] = {}
    for error in errors:
        for path, message in describe(error):
            where = json_path(path)
            out.setdefault((where, message), Finding(file, "M002", where, message))
    return list(out.values())


def _bad_time(value: str) -> str:
    return (
        f"{_short(repr(value), 60)} is not a valid date and time; write it like "
        "2025-11-15T00:20:00Z"
    )


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


_TIMES = ("created_at", "updated_at", "claimed_at", "renewed_at", "handoff_at")
_STEP_TIMES = ("started_at", "completed_at", "reopened_at")


def _timestamp_paths(doc: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in _TIMES:
        yield f"$.{key}", doc.get(key)
    for i, step in enumerate(doc.get("steps", ())):
        for key in _STEP_TIMES:
            yield f"$.steps[{i}].{key}", step.get(key)


# What the schema's timestamp patterns still let through that `timestamps.parse` refuses: a
# year 0, a 29 February of a common year, an offset that carries year 1 or 9999 out of the
# calendar, and a newline after the time (a pattern's `$` matches before one). Any other
# schema-valid timestamp reads, so only these are parsed to know.
_EDGE_YEARS = frozenset({"0000", "0001", "9999"})


def _may_not_read(value: str) -> bool:
    return value[:4] in _EDGE_YEARS or value[5:10] == "02-29" or value[-1:] == "\n"


def _times_readable(doc: Mapping[str, Any]) -> bool:
    """Whether every timestamp of a schema-valid document reads (no paths worded)."""
    parse, doubtful = timestamps.parse, _may_not_read
    try:
        for key in _TIMES:
            value = doc.get(key)
            if value is not None and doubtful(value):
                parse(value)
        for step in doc.get("steps", ()):
            for key in _STEP_TIMES:
                value = step.get(key)
                if value is not None and doubtful(value):
                    parse(value)
    except ValueError:
        return False
    return True


def check_bytes(file: str, data: bytes, stem: str | None = None) -> Checked:
    """Every single-file rule (M0xx, M1xx) over the bytes of one milestone file."""
    doc, findings = decode(file, data)
    if findings:
        return Checked(file, None, tuple(findings))
    return check_document(file, doc, stem)


def check_document(file: str, doc: Any, stem: str | None = None) -> Checked:
    findings = schema_findings(file, doc)
    if findings:
        return Checked(file, None, tuple(findings), doc)
    try:
        # Building the model reads every timestamp once; only a file with an unreadable
        # one pays for a second pass that says which.
        milestone = Milestone.from_dict(doc)
    except ValueError:
        bad = tuple(_timestamp_findings(file, doc))
        if not bad:
            raise
        return Checked(file, None, bad, doc)
    return Checked(file, milestone, tuple(milestone_findings(file, milestone, stem)), doc)


def _timestamp_findings(file: str, doc: Any) -> Iterator[Finding]:
    for path, value in _timestamp_paths(doc):
        if value is None:
            continue
        try:
            timestamps.parse(value)
        except ValueError:
            yield Finding(file, "M002", path, _bad_time(value))


def is_readable(doc: Any) -> bool:
    """Whether `check_document` gives a milestone for this decoded document (schema-valid,
    every timestamp readable), without building the model or wording any finding."""
    from gitmilestone import schema

    return schema.fast_check()(doc) and _times_readable(doc)


def milestone_findings(file: str, m: Milestone, stem: str | None = None) -> Iterator[Finding]:
    """M003, M004 and M101..M105 over a loaded milestone."""
    if stem is not None and m.milestone_id != stem:
        yield Finding(
            file,
            "M003",
            "$.milestone_id",
            f"milestone_id is {m.milestone_id!r} but the file is named {stem}.json; "
            f"rename the file or set milestone_id to {stem!r}",
        )
    numbers = [s.step for s in m.steps]
    if numbers != list(range(1, len(numbers) + 1)):
        yield Finding(
            file,
            "M004",
            "$.steps",
            f"step numbers are {numbers}; number the steps 1..{len(numbers)} in list order",
        )
    derived = derive_progress(m.steps, m.status)
    if m.progress != derived:
        yield Finding(
            file,
            "M101",
            "$.progress",
            f"progress is {m.progress} but {m.done_count} of {len(m.steps)} steps are done; "
            f"set progress to {derived}",
        )
    yield from _status_findings(file, m)
    yield from _time_findings(file, m)
    for i, s in enumerate(m.steps):
        for status, who, when in (
            ("completed", "completed_by", "completed_at"),
            ("in_progress", "started_by", "started_at"),
        ):
            missing = [k for k in (who, when) if getattr(s, k) is None]
            if s.status == status and missing:
                yield Finding(
                    file,
                    "M105",
                    f"$.steps[{i}]",
                    f"step {s.step} is {status} without {' and '.join(missing)}; "
                    f"record who and when",
                )


def _status_findings(file: str, m: Milestone) -> Iterator[Finding]:
    if m.status == "completed":
        open_steps = [s.step for s in m.steps if s.status not in DONE_STEP]
        if open_steps:
            yield Finding(
                file,
                "M102",
                "$.status",
                f"status is completed but steps {open_steps} are not done; finish or skip "
                "them, or set the status to in_progress",
            )
    if m.status == "pending":
        # Done steps may stay in a pending milestone: reopening abandoned work keeps them.
        started = [s.step for s in m.steps if s.status == "in_progress"]
        if started:
            yield Finding(
                file,
                "M102",
                "$.status",
                f"status is pending but steps {started} are in progress; "
                "set the status to in_progress",
            )
    if m.status == "blocked" and not m.blockers and all(s.status != "blocked" for s in m.steps):
        yield Finding(
            file,
            "M103",
            "$.status",
            "status is blocked but there is no blocker or blocked step; add a blocker "
            "(`git milestone block ID --reason ...`) or unblock it",
        )


def _time_findings(file: str, m: Milestone) -> Iterator[Finding]:
    if m.updated_at < m.created_at:
        yield Finding(
            file, "M104", "$.updated_at", "updated_at is before created_at; correct the times"
        )
    if m.renewed_at is not None and m.renewed_at > m.updated_at:
        yield Finding(
            file,
            "M104",
            "$.renewed_at",
            "renewed_at (the owner's last write) is after updated_at (the last write); "
            "set it to the time of the owner's last write",
        )
    if m.handoff_at is not None and m.handoff_at > m.updated_at:
        yield Finding(
            file,
            "M104",
            "$.handoff_at",
            "handoff_at (when the handoff was written) is after updated_at (the last write); "
            "set it to the time of the handoff",
        )
    for i, s in enumerate(m.steps):
        if s.started_at and s.completed_at and s.completed_at < s.started_at:
            yield Finding(
                file,
                "M104",
                f"$.steps[{i}].completed_at",
                f"step {s.step} was completed before it was started; correct the times",
            )
        for key in ("started_at", "completed_at", "reopened_at"):
            when: datetime | None = getattr(s, key)
            if when is not None and when > m.updated_at:
                yield Finding(
                    file,
                    "M104",
                    f"$.steps[{i}].{key}",
                    f"step {s.step} {key} is after the milestone's updated_at; "
                    "set updated_at to the time of this change",
                )


class Leased(Protocol):
    """What the lease rule reads: a milestone, or its summary."""

    @property
    def owner(self) -> str | None: ...

    @property
    def lease_start(self) -> datetime: ...


def lease_active(m: Leased, now: datetime, lease: timedelta) -> bool:
    """Whether someone holds the milestone: an owner whose own last write (`renewed_at`, see
    `Milestone.lease_start`) is within the lease. Writes by others never renew it."""
    return m.owner is not None and now - m.lease_start < lease


def held_by_other(m: Leased, actor: str | None, now: datetime, lease: timedelta) -> bool:
    """Whether `actor` must not write `m`: someone else owns it and their lease is active.
    The one rule for every command, the guard and every other front end."""
    return m.owner is not None and m.owner != actor and lease_active(m, now, lease)


def lease_end(m: Leased, lease: timedelta) -> datetime | None:
    """When the owner's lease runs out; None with no owner, or past the end of the calendar
    (a lease that never runs out in practice)."""
    if m.owner is None:
        return None
    try:
        return m.lease_start + lease
    except OverflowError:
        return None


def change_findings(
    file: str,
    old: Milestone | None,
    new: Milestone | None,
    *,
    actor: str | None,
    now: datetime,
    lease: timedelta,
    forced: bool = False,
    holder: Holder | None = None,
) -> Iterator[Finding]:
    """M2xx and M3xx: the staged version `new` against HEAD's `old`. `holder` is who holds
    the milestone in the claims registry (None: it has no entry; the file says)."""
    if old is None:
        return
    if new is None:
        yield Finding(
            file,
            "M206",
            "$",
            "a milestone file was deleted; restore it (`git restore --staged --worktree "
            f"{file}`) and abandon it instead (`git milestone abandon {old.milestone_id} "
            "--reason ...`) so its history stays readable",
        )
        return
    if old.to_dict() == new.to_dict():
        return
    yield from _stale_findings(file, old, new)
    if not can_transition(old.status, new.status):
        yield Finding(
            file,
            "M204",
            "$.status",
            f"status may not go from {old.status} to {new.status}; "
            "see `git milestone --help` for the allowed transitions",
        )
    if old.milestone_id != new.milestone_id or old.created_at != new.created_at:
        yield Finding(
            file,
            "M205",
            "$.milestone_id" if old.milestone_id != new.milestone_id else "$.created_at",
            "milestone_id and created_at never change; restore them, or create a new milestone",
        )
    yield from _owner_findings(file, old, new, actor, now, lease, forced, holder)


def same_steps(old: Milestone, new: Milestone) -> list[Step | None]:
    """For each step of `new`, the same step in `old` (None for a new step): matched by
    place while the list keeps its shape, else by description or content
    (`matching.align`), so that steps added, removed or moved are not mistaken for each
    other."""
    from gitmilestone import matching

    aligned = matching.align_loosely(
        [s.to_dict() for s in old.steps], [s.to_dict() for s in new.steps]
    )
    return [None if i is None else old.steps[i] for i in aligned]


def steps_changed(old: Milestone, new: Milestone) -> bool:
    """Whether the steps changed in substance: renumbering them in list order is no change."""
    from gitmilestone.matching import content

    before = [content(s.to_dict()) for s in old.steps]
    return before != [content(s.to_dict()) for s in new.steps]


def _stale_findings(file: str, old: Milestone, new: Milestone) -> Iterator[Finding]:
    if new.updated_at <= old.updated_at:
        yield Finding(
            file,
            "M201",
            "$.updated_at",
            f"content changed but updated_at is not later than HEAD's "
            f"({timestamps.format(old.updated_at)}); set it to the time of this change",
        )
    if new.revision != old.revision + 1:
        yield Finding(
            file,
            "M202",
            "$.revision",
            f"revision is {new.revision} but HEAD has {old.revision}: the file was edited "
            f"from an old copy; redo the change on the current file with revision "
            f"{old.revision + 1}",
        )
    for i, (s, before) in enumerate(zip(new.steps, same_steps(old, new), strict=True)):
        if before is None or not before.done or s.done:
            continue
        if s.reopened_at is None or s.reopened_at <= old.updated_at:
            yield Finding(
                file,
                "M203",
                f"$.steps[{i}].status",
                f"step {s.step} was {before.status} in HEAD and is {s.status} now; if it "
                f"must be redone, use `git milestone reopen {new.milestone_id} {s.step}`",
            )


# What any write changes, and what follows from the rest of the file: a change of these
# alone (a `validate --fix` repair, say) decides nothing the holder must decide.
_DERIVED = frozenset(
    {"steps", "status", "progress", "revision", "updated_at", "updated_by", "renewed_at"}
)


def _decides(old: Milestone, new: Milestone, steps: bool) -> bool:
    """Whether a change decides something beyond its steps (which M302 covers): a field
    other than the derived ones, or a status that does not follow from the steps."""
    before, after = old.to_dict(), new.to_dict()
    if any(before.get(k) != after.get(k) for k in (set(before) | set(after)) - _DERIVED):
        return True
    # A pending milestone with started steps is in progress: that follows (M102).
    follows = (old.status, new.status) == ("pending", "in_progress") and any(
        s.status == "in_progress" for s in new.steps
    )
    return old.status != new.status and not (steps or follows)


def _owner_findings(
    file: str,
    old: Milestone,
    new: Milestone,
    actor: str | None,
    now: datetime,
    lease: timedelta,
    forced: bool,
    holder: Holder | None = None,
) -> Iterator[Finding]:
    if holder is None:
        held, who = held_by_other(old, actor, now, lease), f"{old.owner}"
    else:
        held = holder.held_by_other(actor)
        who = f"{holder.name}{holder.on_branch()} (claims registry)"
    changed = steps_changed(old, new)
    if held and not forced and _decides(old, new, changed):
        yield Finding(
            file,
            "M301",
            "$.owner" if new.owner != old.owner else "$",
            f"{who} holds this milestone (lease active), so only they change it; ask "
            f"them to release it or take it with `git milestone claim {new.milestone_id} "
            "--force`",
        )
    elif (
        new.owner is not None
        and new.owner == old.owner
        and new.owner != actor
        and new.lease_start != old.lease_start
    ):
        yield Finding(
            file,
            "M301",
            "$.renewed_at",
            f"this change by {actor or 'an unknown actor'} renews the lease of {new.owner}; "
            f"only {new.owner}'s own writes do: set renewed_at to "
            f"{timestamps.format(old.lease_start)}",
        )
    if changed and ((held and not forced) or new.owner not in (None, actor)):
        yield Finding(
            file,
            "M302",
            "$.steps",
            f"steps changed by {actor or 'an unknown actor'}, who does not hold this "
            f"milestone; claim it first (`git milestone claim {new.milestone_id}`)",
        )
    for i, (s, before) in enumerate(zip(new.steps, same_steps(old, new), strict=True)):
        for key in ("started_by", "completed_by"):
            value = getattr(s, key)
            if value is not None and value != actor and value != getattr(before, key, None):
                yield Finding(
                    file,
                    "M303",
                    f"$.steps[{i}].{key}",
                    f"{key} names {value} but this change is made by {actor}; "
                    "record only your own work",
                )
