"""Editing a milestone after it was created: its fields, its dependencies and its steps.
Pure transitions, like `workflow`: a milestone in, the new one and a `Change` out, or None
when there is nothing to change.

Who may edit follows the one rule for every write: the holder, or anyone when nobody holds
the milestone (no owner, or the owner's lease expired); editing a milestone someone else
holds is an owner conflict. Field and dependency edits leave the owner as it is; a step
edit, removal or move changes steps, so it takes the milestone, as `advance` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gitmilestone.errors import Invalid, NotFound, UsageError
from gitmilestone.messages import Change
from gitmilestone.model import Context, Milestone, Priority, Status, Step
from gitmilestone.records import frozen, replace
from gitmilestone.workflow import (
    Actor,
    Outcome,
    _label,
    _require_open,
    _step,
    may_write,
    written,
)

FIELDS = "Milestone-Fields"
DEPENDENCY = "Milestone-Dependency"
STEP_FROM = "Milestone-Step-From"
# The order `Milestone-Fields` names fields in (extension keys follow, sorted).
FIELD_ORDER = (
    "title",
    "priority",
    "why",
    "success_criteria",
    "related_files",
    "dependencies",
    "depends_on",
)
MAX_TITLE = 200


@frozen
class Edits:
    """What `edit` is asked to change; None or empty leaves a field as it is."""

    title: str | None = None
    priority: Priority | None = None
    why: str | None = None
    success: str | None = None
    add_files: tuple[str, ...] = ()
    remove_files: tuple[str, ...] = ()
    add_needs: tuple[str, ...] = ()
    remove_needs: tuple[str, ...] = ()
    add_deps: tuple[str, ...] = ()
    remove_deps: tuple[str, ...] = ()
    set_keys: tuple[tuple[str, Any], ...] = ()
    unset_keys: tuple[str, ...] = ()


# The dependency graph: every milestone id there is, and what it depends on.
Graph = Mapping[str, tuple[str, ...]]


def edit(m: Milestone, actor: Actor, edits: Edits, graph: Graph | None = None) -> Outcome | None:
    """Change the fields of `m`; `graph` is needed when `edits` adds dependencies."""
    _check_edits(edits)
    ctx = m.context or Context()
    why = ctx.why if edits.why is None else edits.why or None
    success = ctx.success_criteria if edits.success is None else edits.success or None
    files = _edit_list(ctx.related_files, edits.add_files, edits.remove_files)
    needs = _edit_list(ctx.dependencies, edits.add_needs, edits.remove_needs)
    depends = _edit_list(m.depends_on, edits.add_deps, edits.remove_deps)
    added = [d for d in edits.add_deps if d not in (m.depends_on or ())]
    if added:
        _check_dependencies(m.milestone_id, added, graph or {})
    extra = dict(m.extra)
    for key, value in edits.set_keys:
        extra[key] = value
    for key in edits.unset_keys:
        extra.pop(key, None)
    changes: dict[str, Any] = {
        "title": m.title if edits.title is None else edits.title,
        "priority": m.priority if edits.priority is None else edits.priority,
        "context": _tidy(Context(why, files, needs, success, ctx.extra)),
        "depends_on": depends,
        "extra": extra,
    }
    before, after = _fields(m), _fields(replace(m, **changes))
    changed = [k for k in FIELD_ORDER if before.get(k) != after.get(k)]
    keys = sorted({*before, *after} - set(FIELD_ORDER))
    changed += [k for k in keys if before.get(k) != after.get(k)]
    if not changed:
        return None
    may_write(m, actor, take=False)
    names = ", ".join(changed)
    new = written(m, actor, **changes)
    return new, Change("edit", f"edit {names}", details=((FIELDS, names),))


def dep_add(m: Milestone, actor: Actor, other: str, graph: Graph) -> Outcome | None:
    """`m` depends on `other` from now on: refused when `other` does not exist, or when it
    depends on `m` (directly or through others), which would make a cycle."""
    if other in (m.depends_on or ()):
        return None
    may_write(m, actor, take=False)
    _check_dependencies(m.milestone_id, [other], graph)
    new = written(m, actor, depends_on=(*(m.depends_on or ()), other))
    return new, Change("dep-add", f"depend on {other}", details=((DEPENDENCY, other),))


def dep_remove(m: Milestone, actor: Actor, other: str) -> Outcome | None:
    """`m` no longer depends on `other`."""
    if other not in (m.depends_on or ()):
        return None
    may_write(m, actor, take=False)
    rest = tuple(d for d in m.depends_on or () if d != other)
    new = written(m, actor, depends_on=rest or None)
    return new, Change("dep-remove", f"no longer depend on {other}", details=((DEPENDENCY, other),))


def step_edit(
    m: Milestone,
    actor: Actor,
    number: int,
    *,
    description: str | None = None,
    notes: str | None = None,
) -> Outcome | None:
    """Change a step's description, or replace its notes (an empty text clears them)."""
    if description is not None and not description.strip():
        raise UsageError("a step needs a description: --description cannot be empty")
    _require_open(m, "edit a step of")
    target = _step(m, number)
    changes: dict[str, Any] = {}
    if description is not None and description != target.description:
        changes["description"] = description
    if notes is not None and notes != target.notes:
        changes["notes"] = notes
    if not changes:
        return None
    steps = tuple(replace(s, **changes) if s.step == number else s for s in m.steps)
    return _steps_change(
        m,
        actor,
        steps,
        Change(
            "step-edit",
            f"edit {_label(m, number)}",
            note=changes.get("notes"),
            steps=(number,),
            details=((FIELDS, ", ".join(changes)),),
            free=(target.description,),
        ),
    )


def step_remove(m: Milestone, actor: Actor, number: int, *, force: bool = False) -> Outcome:
    """Remove a step; the steps after it move up. Removing a step that was started or done
    needs `force`. Removing the last unfinished step of work in progress completes it, as
    completing that step with `advance` would."""
    _require_open(m, "remove a step from")
    target = _step(m, number)
    may_write(m, actor, take=True)
    forced = _needs_force(m, target, "removing", force)
    steps = _renumber(s for s in m.steps if s.step != number)
    if m.status == "blocked" and not m.blockers and all(s.status != "blocked" for s in steps):
        raise Invalid(
            f"step {number} is what blocks {m.milestone_id}; unblock it first "
            f"(`git milestone unblock {m.milestone_id}`), then remove the step"
        )
    status: Status = m.status
    if m.status == "in_progress" and not target.done and steps and all(s.done for s in steps):
        status = "completed"
    return _steps_change(
        m,
        actor,
        steps,
        Change(
            "step-remove",
            f"remove {_label(m, number)}",
            removed=number,
            forced=forced,
            free=(target.description,),
        ),
        status,
    )


def step_move(
    m: Milestone, actor: Actor, number: int, *, to: int, force: bool = False
) -> Outcome | None:
    """Move a step to place `to`; the steps between shift by one. Moving a step that was
    started or done needs `force`. Moving a step to where it is changes nothing."""
    _require_open(m, "move a step of")
    target = _step(m, number)
    if not 1 <= to <= len(m.steps):
        raise NotFound(f"--to {to}: {m.milestone_id} has steps 1..{len(m.steps)}")
    if to == number:
        return None
    may_write(m, actor, take=True)
    forced = _needs_force(m, target, "moving", force)
    steps = [s for s in m.steps if s.step != number]
    steps.insert(to - 1, target)
    return _steps_change(
        m,
        actor,
        _renumber(steps),
        Change(
            "step-move",
            f"move {_label(m, number)} to {to}",
            steps=(to,),
            forced=forced,
            details=((STEP_FROM, str(number)),),
            free=(target.description,),
        ),
    )


def find_cycle(start: str, graph: Graph, adding: tuple[str, ...]) -> list[str] | None:
    """The cycle `start` would be in if it also depended on `adding`: `[start, ..., start]`,
    or None."""
    stack: list[tuple[str, list[str]]] = [(dep, [start, dep]) for dep in reversed(adding)]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        if node == start:
            return path
        if node in seen:
            continue
        seen.add(node)
        for dep in reversed(graph.get(node, ())):
            stack.append((dep, [*path, dep]))
    return None


def _check_dependencies(milestone_id: str, adding: list[str], graph: Graph) -> None:
    for dep in adding:
        if dep != milestone_id and dep not in graph:
            raise NotFound(
                f"no milestone {dep!r} to depend on; see `git milestone list --all`, "
                "or create it first with `git milestone new`"
            )
    cycle = find_cycle(milestone_id, graph, tuple(adding))
    if cycle is not None:
        raise Invalid(
            f"{milestone_id} cannot depend on {cycle[1]}: that makes a cycle, "
            f"{' -> '.join(cycle)}; remove one of these dependencies first "
            "(`git milestone dep remove ID OTHER`)"
        )


def _check_edits(edits: Edits) -> None:
    if edits.title is not None and (not edits.title.strip() or len(edits.title) > MAX_TITLE):
        raise UsageError(f"--title must be a non-empty line of at most {MAX_TITLE} characters")
    for added, removed, option in (
        (edits.add_files, edits.remove_files, "file"),
        (edits.add_needs, edits.remove_needs, "needs"),
        (edits.add_deps, edits.remove_deps, "depends-on"),
    ):
        both = sorted(set(added) & set(removed))
        if both:
            raise UsageError(f"--{option} and --no-{option} both name {both[0]!r}; keep one")
    both = sorted({k for k, _ in edits.set_keys} & set(edits.unset_keys))
    if both:
        raise UsageError(f"--set and --unset both name {both[0]}; keep one")


def _edit_list(
    current: tuple[str, ...] | None, add: tuple[str, ...], remove: tuple[str, ...]
) -> tuple[str, ...] | None:
    items = [i for i in current or () if i not in remove]
    items += [i for i in dict.fromkeys(add) if i not in items]
    if tuple(items) == tuple(current or ()):
        return current
    return tuple(items) or None


def _tidy(context: Context) -> Context | None:
    """No context at all rather than an empty one."""
    return context if context.to_dict() else None


def _fields(m: Milestone) -> dict[str, str]:
    """Each editable field as canonical JSON, to tell a change from a rewrite of the same."""
    ctx = (m.context or Context()).to_dict()
    values: dict[str, Any] = {
        "title": m.title,
        "priority": m.priority,
        "why": ctx.get("why"),
        "success_criteria": ctx.get("success_criteria"),
        "related_files": ctx.get("related_files") or None,
        "dependencies": ctx.get("dependencies") or None,
        "depends_on": list(m.depends_on) if m.depends_on else None,
        **m.extra,
    }
    return {k: json.dumps(v, sort_keys=True) for k, v in values.items() if v is not None}


def _needs_force(m: Milestone, step: Step, doing: str, force: bool) -> bool:
    """Whether `force` is what allows this (a step that was started or done)."""
    if step.status == "pending":
        return False
    if not force:
        raise Invalid(
            f"step {step.step} of {m.milestone_id} is {step.status}: {doing} a step that was "
            "started or done rewrites the record of that work; add --force to do it anyway "
            "(the commit records it)"
        )
    return True


def _renumber(steps: Any) -> tuple[Step, ...]:
    return tuple(replace(s, step=i) for i, s in enumerate(steps, 1))


def _steps_change(
    m: Milestone,
    actor: Actor,
    steps: tuple[Step, ...],
    change: Change,
    status: Status | None = None,
) -> Outcome:
    """A change of steps: the actor takes the milestone (a completed one is released)."""
    access = may_write(m, actor, take=True)
    previous = access.previous_owner
    status = status or m.status
    owner = None if status == "completed" else access.owner
    new = written(m, actor, steps=steps, status=status, owner=owner)
    tail = ", milestone completed" if status == "completed" and m.status != "completed" else ""
    summary = f"{change.summary} ({new.progress}%){tail}"
    return new, replace(change, summary=summary, previous_owner=previous)
