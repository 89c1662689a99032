"""The three-way merge of one milestone file, field by field. Pure: documents in, out.

Steps merge by number while both sides keep the list's shape; when a side added, removed
or moved steps, they are matched by description, so a change of one step follows it to
its new place (a step removed on one side and changed on the other, steps moved
differently on the two sides, or steps that cannot be told apart are a conflict). A
step's status merges by how far it got (unless a side reopened it), times by maximum,
`revision` as max + 1, progress is recomputed, the handoff (instructions, notes, and who
wrote them, when, at which step) comes whole from the side that wrote one (both did: the
side written last), blockers merge as a set. Two different new owners, or two different edits
of one plain field, are a conflict: never a silent pick.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitmilestone import matching, timestamps
from gitmilestone.model import derive_progress
from gitmilestone.records import field, mutable

Doc = Mapping[str, Any]
_TIMES = frozenset(
    {"created_at", "updated_at", "claimed_at", "renewed_at"}
    | {"started_at", "completed_at", "reopened_at"}
)
_LATEST_WINS = frozenset({"updated_by"})
# The handoff: the instructions and who wrote them, when, at which step. They travel
# together, from the side that wrote a handoff (both did: the side written last).
HANDOFF = ("next_session_should", "handoff_notes", "handoff_by", "handoff_at", "handoff_step")
_STEP_RANK = {"pending": 0, "blocked": 1, "in_progress": 2, "skipped": 3, "completed": 3}


@mutable
class Merged:
    document: dict[str, Any]
    conflicts: list[str] = field(default_factory=list)


def _later(ours: Doc, theirs: Doc) -> Doc:
    """The side written last (ours on a tie)."""
    try:
        mine = timestamps.parse(ours["updated_at"])
        other = timestamps.parse(theirs["updated_at"])
    except (KeyError, TypeError, ValueError):
        return ours
    return theirs if other > mine else ours


def _max_time(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return a if b is None else b
    try:
        return a if timestamps.parse(a) >= timestamps.parse(b) else b
    except (TypeError, ValueError):
        return None


def _notes(base: Any, ours: Any, theirs: Any) -> Any:
    """Both sides appended to a note: keep both additions."""
    strings = isinstance(base, str) and isinstance(ours, str) and isinstance(theirs, str)
    if strings and ours.startswith(base) and theirs.startswith(base):
        added = theirs[len(base) :].lstrip("\n")
        return ours + ("\n" if ours and added else "") + added
    return _CONFLICT


_CONFLICT: Any = object()
_MISSING: Any = object()


def _scalar(key: str, base: Any, ours: Any, theirs: Any) -> Any:
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    if key in _TIMES:
        return _max_time(None if ours is _MISSING else ours, None if theirs is _MISSING else theirs)
    if key == "notes":
        return _notes(base, ours, theirs)
    return _CONFLICT


def _merge_step(
    base: Doc | None, ours: Doc, theirs: Doc, where: str, later: Doc, conflicts: list[str]
) -> dict[str, Any]:
    """A step both sides changed: the side that got further (or reopened it) wins, with
    both sides' additions to the notes and a conflict for two different descriptions."""
    if ours == theirs or base == theirs:
        return dict(ours)
    if base == ours:
        return dict(theirs)
    b = base or {}
    winner = _reopened_side(b, ours, theirs)
    if winner is None:
        rank_o = _STEP_RANK.get(ours.get("status", ""), 0)
        rank_t = _STEP_RANK.get(theirs.get("status", ""), 0)
        winner = ours if rank_o > rank_t else theirs if rank_t > rank_o else later
    out = dict(winner)
    for key in _keys(b, ours, theirs):
        if key == "description" or key == "notes" or key.startswith("x-"):
            value = _scalar(key, *(d.get(key, _MISSING) for d in (b, ours, theirs)))
            if value is _CONFLICT:
                conflicts.append(f"{where}.{key}")
            elif value is _MISSING:
                out.pop(key, None)
            else:
                out[key] = value
    return out


def _reopened_side(base: Doc, ours: Doc, theirs: Doc) -> Doc | None:
    """The side that reopened the step after base, if only one did."""
    b = base.get("reopened_at")
    sides = [d for d in (ours, theirs) if d.get("reopened_at") not in (None, b)]
    return sides[0] if len(sides) == 1 else None


def _keys(*docs: Doc) -> list[str]:
    seen: dict[str, None] = {}
    for d in docs:
        seen.update(dict.fromkeys(d))
    return list(seen)


def _steps(
    base: list[Doc], ours: list[Doc], theirs: list[Doc], later: int, conflicts: list[str]
) -> list[dict[str, Any]]:
    """Merge the step lists; `later` is the side written last (0 ours, 1 theirs)."""
    if matching.in_place(base, ours) and matching.in_place(base, theirs):
        return _steps_by_number(base, ours, theirs, later, conflicts)
    return _steps_by_identity(base, ours, theirs, later, conflicts)


def _steps_by_number(
    base: list[Doc], ours: list[Doc], theirs: list[Doc], later: int, conflicts: list[str]
) -> list[dict[str, Any]]:
    later_steps = {s.get("step"): s for s in (ours, theirs)[later]}
    by_number = [{s.get("step"): s for s in side} for side in (base, ours, theirs)]
    numbers = sorted({n for side in by_number for n in side if isinstance(n, int)})
    out = []
    for n in numbers:
        b, o, t = (side.get(n) for side in by_number)
        where = f"$.steps[{n - 1}]"
        if o is None or t is None:
            present = o if o is not None else t
            if b is not None and present != b:
                conflicts.append(f"{where} (removed on one side, changed on the other)")
            if b is None and present is not None:
                out.append(dict(present))
            elif b is not None and present == b:
                continue
            elif present is not None:
                out.append(dict(present))
            continue
        if b is None and o != t:
            conflicts.append(f"{where} (two different new steps {n})")
        out.append(_merge_step(b, o, t, where, later_steps.get(n, o), conflicts))
    return out


def _steps_by_identity(
    base: list[Doc], ours: list[Doc], theirs: list[Doc], later: int, conflicts: list[str]
) -> list[dict[str, Any]]:
    """A side added, removed or moved steps: match each side's steps to the base's by
    description (`matching.align`), so that a step's changes follow it to its new place."""
    sides = (ours, theirs)
    found = [matching.align(base, side) for side in sides]
    aligned = [a for a in found if a is not None]
    if len(aligned) != len(sides):
        conflicts.append(
            "$.steps (steps were added, removed or moved, and steps that repeat cannot be "
            "told apart)"
        )
        return [dict(s) for s in ours]
    places = [{b: i for i, b in enumerate(a) if b is not None} for a in aligned]
    merged: dict[int, dict[str, Any]] = {}
    for j, b in enumerate(base):
        o, t = (
            (ours[places[0][j]] if j in places[0] else None),
            (theirs[places[1][j]] if j in places[1] else None),
        )
        where = f'$.steps[{j}] (step {j + 1} "{b.get("description")}"'
        if o is None or t is None:
            present = o if o is not None else t
            if present is not None and matching.content(present) != matching.content(b):
                conflicts.append(f"{where} removed on one side, changed on the other)")
            continue
        o, t, b = _unnumbered(o), _unnumbered(t), _unnumbered(b)
        merged[j] = _merge_step(b, o, t, f"$.steps[{j}]", (o, t)[later], conflicts)
    orders = [[b for b in a if b is not None and b in merged] for a in aligned]
    order = orders[0]
    if orders[0] != orders[1]:
        if orders[0] == sorted(merged):
            order = orders[1]
        elif orders[1] != sorted(merged):
            conflicts.append("$.steps (steps were moved differently on the two sides)")
    added = [_added(side, a, merged) for side, a in zip(sides, aligned, strict=True)]
    out: list[dict[str, Any]] = []
    for anchor in (None, *order):
        if anchor is not None:
            out.append(merged[anchor])
        new_o, new_t = (side.get(anchor, []) for side in added)
        if new_o and new_t and [*map(matching.content, new_o)] != [*map(matching.content, new_t)]:
            conflicts.append(f"$.steps[{len(out)}] (two different new steps at one place)")
        out += [_unnumbered(s) for s in new_o or new_t]
    return [{"step": i, **s} for i, s in enumerate(out, 1)]


def _added(
    side: list[Doc], aligned: list[int | None], kept: Mapping[int, Any]
) -> dict[int | None, list[Doc]]:
    """A side's new steps, by the kept base step they follow (None: first)."""
    out: dict[int | None, list[Doc]] = {}
    anchor: int | None = None
    for step, b in zip(side, aligned, strict=True):
        if b is None:
            out.setdefault(anchor, []).append(step)
        elif b in kept:
            anchor = b
    return out


def _unnumbered(step: Doc) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k != "step"}


def _blockers(base: list[str], ours: list[str], theirs: list[str]) -> list[str]:
    removed = (set(base) - set(ours)) | (set(base) - set(theirs))
    out: list[str] = []
    for item in [*ours, *theirs]:
        if item not in removed and item not in out:
            out.append(item)
    return out


def merge(base: Doc, ours: Doc, theirs: Doc) -> Merged:
    """Merge two edits of one milestone made from a common `base`."""
    if ours in (base, theirs):
        return Merged(dict(theirs))
    if theirs == base:
        return Merged(dict(ours))
    conflicts: list[str] = []
    later = _later(ours, theirs)
    later_side = 0 if later is ours else 1
    handoff = _handoff_side(base, ours, theirs, later)
    out: dict[str, Any] = {}
    for key in _keys(ours, theirs, base):
        b, o, t = (d.get(key, _MISSING) for d in (base, ours, theirs))
        if key == "steps":
            value: Any = _steps(
                b if isinstance(b, list) else [],
                o if o is not _MISSING else [],
                t if t is not _MISSING else [],
                later_side,
                conflicts,
            )
        elif key == "blockers":
            value = _blockers(*(x if isinstance(x, list) else [] for x in (b, o, t)))
        elif key == "revision":
            # Absent or null is revision 0.
            value = max(_revision(o), _revision(t)) + 1
        elif key in HANDOFF:
            value = handoff.get(key, _MISSING)
        elif key in _LATEST_WINS and o != t:
            value = later.get(key, _MISSING)
        elif key == "owner" and o != t and o != b and t != b and (o is None or t is None):
            value = o if o is not None else t
        else:
            value = _scalar(key, b, o, t)
        if value is _CONFLICT:
            conflicts.append(f"$.{key}")
            value = o
        if value is not _MISSING:
            out[key] = value
    out = _reorder(out, ours, theirs)
    if out.get("owner") is None:
        # A lease belongs to an owner: one side's renewal does not outlive the other's release.
        out.pop("renewed_at", None)
    if isinstance(out.get("steps"), list) and isinstance(out.get("status"), str):
        from gitmilestone.model import Step

        try:
            steps = tuple(Step.from_dict(s) for s in out["steps"])
            out["progress"] = derive_progress(steps, out["status"])
        except (KeyError, TypeError, ValueError):
            pass
    return Merged(out, conflicts)


def _handoff_side(base: Doc, ours: Doc, theirs: Doc, later: Doc) -> Doc:
    """The side whose handoff the merge keeps: the one that wrote it, or when both did,
    the one written last."""
    wrote = [
        side
        for side in (ours, theirs)
        if any(side.get(k, _MISSING) != base.get(k, _MISSING) for k in HANDOFF)
    ]
    return wrote[0] if len(wrote) == 1 else later


def _revision(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _reorder(out: dict[str, Any], ours: Doc, theirs: Doc) -> dict[str, Any]:
    """Keep the key order of our side, new keys from theirs after."""
    order = [k for k in ours if k in out] + [k for k in theirs if k in out and k not in ours]
    order += [k for k in out if k not in order]
    return {k: out[k] for k in order}
