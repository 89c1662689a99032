"""What each command does to a milestone: pure transitions, no I/O.

Every operation takes the current milestone, who acts and when, and returns the new
milestone with a `Change` for the commit message, or None when there is nothing to do.
Each asks `access.may_write` first (the one who-may-write rule) and stamps the result with
`access.written` (revision + 1, progress recomputed, the owner's lease renewed by the
owner's own writes only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gitmilestone.access import TICK, Access, Actor, may_write, stamp, written
from gitmilestone.errors import Invalid, NotFound, UsageError
from gitmilestone.messages import Change
from gitmilestone.model import (
    CLOSED,
    Context,
    Milestone,
    Priority,
    Status,
    Step,
    StepStatus,
)
from gitmilestone.records import replace
from gitmilestone.text import check_line

__all__ = ["TICK", "Access", "Actor", "Outcome", "may_write", "stamp", "written"]

Outcome = tuple[Milestone, Change]


def _when(m: Milestone, actor: Actor) -> datetime:
    return stamp(actor, m.updated_at)


def _label(m: Milestone, number: int) -> str:
    step = m.step(number)
    description = step.description if step else ""
    return f'step {number}/{len(m.steps)} "{description}"'


def _require_open(m: Milestone, verb: str) -> None:
    if m.status in CLOSED:
        raise Invalid(
            f"{m.milestone_id} is {m.status}; reopen it first "
            f"(`git milestone reopen {m.milestone_id}`) to {verb} it"
        )


def create(
    milestone_id: str,
    title: str,
    actor: Actor,
    *,
    priority: Priority = "MEDIUM",
    steps: tuple[str, ...] = (),
    why: str | None = None,
    success: str | None = None,
    files: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    depends_on: tuple[str, ...] = (),
    claim: bool = False,
    schema_ref: str | None = None,
) -> Outcome:
    check_line(title, "TITLE", "a title")
    for option, values in (("--step", steps), ("--file", files), ("--needs", needs)):
        for value in values:
            check_line(value, option)
    when = stamp(actor)
    context = None
    if why or success or files or needs:
        context = Context(
            why=why,
            related_files=files or None,
            dependencies=needs or None,
            success_criteria=success,
        )
    m = Milestone(
        milestone_id=milestone_id,
        title=title,
        priority=priority,
        owner=actor.name if claim else None,
        status="pending",
        progress=0,
        revision=1,
        created_at=when,
        updated_at=when,
        updated_by=actor.name,
        claimed_at=when if claim else None,
        renewed_at=when if claim else None,
        context=context,
        depends_on=depends_on or None,
        steps=tuple(Step(i, text) for i, text in enumerate(steps, 1)),
        schema_ref=schema_ref,
    )
    summary = f'create "{title}" ({len(steps)} step{"" if len(steps) == 1 else "s"})'
    return m, Change("create", summary, free=(title,))


def claim(m: Milestone, actor: Actor, *, force: bool = False) -> Outcome | None:
    _require_open(m, "claim")
    if m.owner == actor.name:
        return None
    access = may_write(m, actor, take=True, force=force)
    previous, forced = access.previous_owner, access.forced
    new = written(m, actor, owner=access.owner)
    if forced:
        summary = f"{actor.name} takes over from {previous} (forced)"
    elif previous is not None:
        summary = f"claim by {actor.name} (lease of {previous} expired)"
    else:
        summary = f"claim by {actor.name}"
    names = (actor.name,) if previous is None else (actor.name, previous)
    return new, Change("claim", summary, forced=forced, previous_owner=previous, free=names)


def release(m: Milestone, actor: Actor) -> Outcome | None:
    if m.owner is None:
        return None
    may_write(m, actor, take=False)
    new = written(m, actor, owner=None)
    return new, Change(
        "release", f"release by {actor.name}", previous_owner=m.owner, free=(actor.name,)
    )


def _set_step(s: Step, to: StepStatus, actor: Actor, when: datetime) -> Step:
    """One step moved to `to`, with who and when; undoing a done step records a reopen."""
    if to == s.status:
        return s
    reopen: dict[str, Any] = {"reopened_by": actor.name, "reopened_at": when} if s.done else {}
    if to == "completed":
        return replace(s, status=to, completed_by=actor.name, completed_at=when)
    if to == "skipped":
        return replace(s, status=to)
    if to == "in_progress":
        return replace(
            s,
            status=to,
            started_by=actor.name,
            started_at=when,
            completed_by=None,
            completed_at=None,
            **reopen,
        )
    if to == "pending":
        return replace(
            s,
            status=to,
            started_by=None,
            started_at=None,
            completed_by=None,
            completed_at=None,
            **reopen,
        )
    return replace(s, status=to, completed_by=None, completed_at=None, **reopen)


def _status_for(m: Milestone, steps: tuple[Step, ...]) -> Status:
    if steps and all(s.done for s in steps) and m.status != "pending":
        return "completed"
    if m.status == "completed" or (
        m.status == "pending" and any(s.status != "pending" for s in steps)
    ):
        return "in_progress"
    return m.status


def _with_note(s: Step, note: str | None) -> Step:
    if not note:
        return s
    return replace(s, notes=f"{s.notes}\n{note}" if s.notes else note)


def _steps_outcome(
    m: Milestone,
    actor: Actor,
    steps: tuple[Step, ...],
    changed: tuple[int, ...],
    summary: str,
    note: str | None,
    action: str = "advance",
    free: tuple[str, ...] = (),
) -> Outcome:
    access = may_write(m, actor, take=True)
    previous = access.previous_owner
    status = _status_for(m, steps)
    owner = None if status == "completed" else access.owner
    new = written(m, actor, steps=steps, status=status, owner=owner)
    tail = ", milestone completed" if status == "completed" else ""
    return new, Change(
        action,
        f"{summary} ({new.progress}%){tail}",
        note=note,
        steps=changed,
        previous_owner=previous,
        free=free,
    )


def advance(
    m: Milestone,
    actor: Actor,
    *,
    step: int | None = None,
    to: StepStatus | None = None,
    note: str | None = None,
) -> Outcome:
    _require_open(m, "advance")
    may_write(m, actor, take=True)
    if m.status == "blocked":
        raise Invalid(
            f"{m.milestone_id} is blocked ({'; '.join(m.blockers) or 'a step is blocked'}); "
            f"clear it with `git milestone unblock {m.milestone_id}` first"
        )
    if step is not None:
        return _advance_one(m, actor, step, to or "completed", note)
    if to is not None:
        raise UsageError("--to needs a STEP: `git milestone advance ID STEP --to STATUS`")
    steps = list(m.steps)
    current = next((s for s in steps if s.status == "in_progress"), None)
    changed: list[int] = []
    summary = ""
    free: tuple[str, ...] = ()
    if current is not None:
        steps[current.step - 1] = _with_note(
            _set_step(current, "completed", actor, _when(m, actor)), note
        )
        changed.append(current.step)
        summary = f"complete {_label(m, current.step)}"
        free = (current.description,)
    nxt = next((s for s in steps if s.status == "pending"), None)
    if nxt is not None:
        started = _set_step(nxt, "in_progress", actor, _when(m, actor))
        steps[nxt.step - 1] = started if current is not None else _with_note(started, note)
        changed.append(nxt.step)
        if not summary:
            summary, free = f"start {_label(m, nxt.step)}", (nxt.description,)
    if not changed:
        if m.steps and all(s.done for s in m.steps):
            return _steps_outcome(m, actor, m.steps, (), "finish", note)
        if m.steps or m.status != "pending":
            raise Invalid(
                f"{m.milestone_id} has no pending step to start; set a step with "
                f"`git milestone advance {m.milestone_id} STEP --to STATUS`, add one with "
                "`git milestone step add`, or finish with `git milestone complete`"
            )
        access = may_write(m, actor, take=True)
        new = written(m, actor, status="in_progress", owner=access.owner)
        return new, Change(
            "advance", "start work (no steps)", note=note, previous_owner=access.previous_owner
        )
    return _steps_outcome(m, actor, tuple(steps), tuple(sorted(changed)), summary, note, free=free)


def _step(m: Milestone, number: int) -> Step:
    step = m.step(number)
    if step is None:
        raise NotFound(
            f"{m.milestone_id} has no step {number} (it has {len(m.steps)}); "
            f"see `git milestone show {m.milestone_id}`"
        )
    return step


def _advance_one(
    m: Milestone, actor: Actor, number: int, to: StepStatus, note: str | None
) -> Outcome:
    target = _step(m, number)
    steps = list(m.steps)
    steps[number - 1] = _with_note(_set_step(target, to, actor, _when(m, actor)), note)
    verb = "complete" if to == "completed" else f"set {to}:"
    if to == "in_progress":
        verb = "start"
    return _steps_outcome(
        m,
        actor,
        tuple(steps),
        (number,),
        f"{verb} {_label(m, number)}",
        note,
        free=(target.description,),
    )


def block(m: Milestone, actor: Actor, *, reason: str, step: int | None = None) -> Outcome:
    _require_open(m, "block")
    # Blocking a step changes steps, so it takes the milestone; a blocker alone does not.
    access = may_write(m, actor, take=step is not None)
    if not reason.strip():
        raise UsageError("--reason must say what blocks the work")
    check_line(reason, "--reason", "a blocker")
    blockers = m.blockers if reason in m.blockers else (*m.blockers, reason)
    steps = m.steps
    changed: tuple[int, ...] = ()
    if step is not None:
        _step(m, step)  # refuses a step that does not exist
        steps = tuple(
            _set_step(s, "blocked", actor, _when(m, actor)) if s.step == step else s for s in steps
        )
        changed = (step,)
    new = written(m, actor, blockers=blockers, status="blocked", steps=steps, owner=access.owner)
    where = f" at step {step}" if step is not None else ""
    return new, Change(
        "block",
        f"blocked{where}: {_one_line(reason)}",
        note=reason,
        steps=changed,
        previous_owner=access.previous_owner,
        free=(_one_line(reason),),
    )


def unblock(m: Milestone, actor: Actor) -> Outcome | None:
    if m.status != "blocked" and not m.blockers:
        return None
    changed = tuple(s.step for s in m.steps if s.status == "blocked")
    access = may_write(m, actor, take=bool(changed))
    steps = tuple(
        _set_step(s, "in_progress" if s.started_at else "pending", actor, _when(m, actor))
        if s.status == "blocked"
        else s
        for s in m.steps
    )
    status: Status = m.status
    if m.status == "blocked":
        started = any(s.status != "pending" for s in steps)
        status = "in_progress" if started else "pending"
    new = written(m, actor, blockers=(), status=status, steps=steps, owner=access.owner)
    return new, Change(
        "unblock",
        f"unblocked ({len(m.blockers)} blocker(s) cleared)",
        steps=changed,
        previous_owner=access.previous_owner,
    )


def handoff(
    m: Milestone,
    actor: Actor,
    *,
    next_steps: tuple[str, ...] = (),
    notes: str | None = None,
    release: bool = False,
) -> Outcome:
    if not next_steps and notes is None and not release:
        raise UsageError(
            "say what the next session should know: --next TEXT, --notes TEXT or --release"
        )
    for item in next_steps:
        check_line(item, "--next", "an instruction")
    may_write(m, actor, take=False)
    changes: dict[str, Any] = {}
    if next_steps:
        changes["next_session_should"] = next_steps
    if notes is not None:
        changes["handoff_notes"] = notes
    if changes:
        # Who wrote these instructions, when and at which step: so that a reader can tell
        # when later work may have overtaken them.
        current = m.current_step
        changes.update(
            handoff_by=actor.name,
            handoff_at=_when(m, actor),
            handoff_step=None if current is None else current.step,
        )
    if release:
        changes["owner"] = None
    new = written(m, actor, **changes)
    summary = f"handoff by {actor.name}" + (", released" if release else "")
    return new, Change(
        "handoff",
        summary,
        note=notes,
        previous_owner=m.owner if release and m.owner else None,
        free=(actor.name,),
    )


def complete(
    m: Milestone, actor: Actor, *, notes: str | None = None, force: bool = False
) -> Outcome | None:
    if m.status == "completed":
        return _completion_notes(m, actor, notes)
    _require_open(m, "complete")
    if m.status != "in_progress":
        how = "unblock" if m.status == "blocked" else "advance"
        raise Invalid(
            f"{m.milestone_id} is {m.status}; only work in progress completes "
            f"(run `git milestone {how} {m.milestone_id}` first)"
        )
    previous = may_write(m, actor, take=True).previous_owner
    unfinished = [s.step for s in m.steps if not s.done]
    if unfinished and not force:
        raise Invalid(
            f"{m.milestone_id} has unfinished steps {unfinished}; finish them with "
            f"`git milestone advance`, or skip them with `complete --force`"
        )
    steps = tuple(
        _set_step(s, "skipped", actor, _when(m, actor)) if not s.done else s for s in m.steps
    )
    changes: dict[str, Any] = {"status": "completed", "owner": None, "steps": steps}
    if notes is not None:
        changes["completion_notes"] = notes
    new = written(m, actor, **changes)
    skipped = f", skipped {_numbers(unfinished)}" if unfinished else ""
    return new, Change(
        "complete",
        f"complete{skipped}",
        note=notes,
        steps=tuple(unfinished),
        previous_owner=previous,
    )


def _completion_notes(m: Milestone, actor: Actor, notes: str | None) -> Outcome | None:
    """Notes for work already completed: added to its completion notes, as a commit of
    their own (`complete-notes`); the same notes again change nothing."""
    mid = m.milestone_id
    if notes is None or not notes.strip():
        raise Invalid(
            f"{mid} is already completed; to record notes about it, `git milestone complete "
            f"{mid} --notes TEXT` (to work on it again, `git milestone reopen {mid}`)"
        )
    earlier = (m.completion_notes or "").rstrip()
    if notes.strip() in (part.strip() for part in earlier.split("\n\n")):
        return None
    may_write(m, actor, take=False)
    new = written(m, actor, completion_notes=f"{earlier}\n\n{notes}" if earlier else notes)
    return new, Change(
        "complete-notes", f"completion notes by {actor.name}", note=notes, free=(actor.name,)
    )


def abandon(m: Milestone, actor: Actor, *, reason: str) -> Outcome | None:
    if m.status == "abandoned":
        return None
    if m.status == "completed":
        raise Invalid(
            f"{m.milestone_id} is completed, and completed work is not abandoned; "
            f"to stop it after all, `git milestone reopen {m.milestone_id}` first"
        )
    if not reason.strip():
        raise UsageError("--reason must say why the work is abandoned")
    may_write(m, actor, take=False)
    new = written(m, actor, status="abandoned", owner=None, completion_notes=reason)
    return new, Change(
        "abandon", f"abandon: {_one_line(reason)}", note=reason, free=(_one_line(reason),)
    )


def reopen(m: Milestone, actor: Actor, *, step: int | None = None) -> Outcome:
    if step is not None:
        target = _step(m, step)
        if not target.done:
            raise Invalid(
                f"step {step} of {m.milestone_id} is {target.status}, not done; "
                "only a completed or skipped step reopens"
            )
        if m.status == "abandoned":
            raise Invalid(f"{m.milestone_id} is abandoned; reopen the milestone first")
        steps = tuple(
            _set_step(s, "pending", actor, _when(m, actor)) if s.step == step else s
            for s in m.steps
        )
        return _steps_outcome(
            m,
            actor,
            steps,
            (step,),
            f"reopen {_label(m, step)}",
            None,
            action="reopen",
            free=(target.description,),
        )
    if m.status == "completed":
        access = may_write(m, actor, take=True)
        new = written(m, actor, status="in_progress", owner=access.owner)
        return new, Change("reopen", "reopen", previous_owner=access.previous_owner)
    if m.status == "abandoned":
        may_write(m, actor, take=False)
        steps = tuple(
            _set_step(s, "pending", actor, _when(m, actor)) if s.status == "in_progress" else s
            for s in m.steps
        )
        new = written(m, actor, status="pending", steps=steps)
        changed = tuple(s.step for s in m.steps if s.status == "in_progress")
        return new, Change("reopen", "reopen", steps=changed)
    raise Invalid(
        f"{m.milestone_id} is {m.status}; only completed or abandoned milestones "
        "reopen (or give a STEP to reopen a done step)"
    )


def add_step(m: Milestone, actor: Actor, text: str, *, after: int | None = None) -> Outcome:
    _require_open(m, "add a step to")
    if not text.strip():
        raise UsageError("a step needs a description")
    check_line(text, "TEXT", "a step description")
    position = len(m.steps) if after is None else after
    if not 0 <= position <= len(m.steps):
        raise NotFound(f"--after {after}: {m.milestone_id} has steps 1..{len(m.steps)}")
    steps = list(m.steps)
    steps.insert(position, Step(position + 1, text))
    steps = [replace(s, step=i) for i, s in enumerate(steps, 1)]
    m_new = replace(m, steps=tuple(steps))
    return _steps_outcome(
        m,
        actor,
        tuple(steps),
        (position + 1,),
        f"add {_label(m_new, position + 1)}",
        None,
        action="step-add",
        free=(text,),
    )


def _numbers(steps: list[int]) -> str:
    """`steps 2-4, 7` (ranges, so that a long list still reads as a fact); `3 steps` when
    even that would not fit in a subject."""
    spans: list[list[int]] = []
    for n in steps:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
    if len(text) > 30:
        return f"{len(steps)} steps"
    return f"step{'s' if len(steps) > 1 else ''} {text}"


def _one_line(text: str, limit: int = 72) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
