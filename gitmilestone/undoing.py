"""Undoing a milestone's last change as a new forward commit. Pure: no I/O.

The content goes back to the version before the undone commit, but the write is a new
one: `revision` is the current one + 1, `updated_at` now, a step that goes back from done
is recorded as reopened, and who may write follows the one rule (`access.may_write`: a
milestone someone else holds is an owner conflict; an undo that changes steps takes the
milestone). The result is checked as the guard will check the commit, so an undo that the
hooks or `validate --range` would refuse is refused here, with what to do instead.
"""

from __future__ import annotations

from typing import Any

from gitmilestone.access import Actor, may_write, stamp, written
from gitmilestone.errors import Invalid
from gitmilestone.messages import Change
from gitmilestone.model import TRANSITIONS, Milestone, can_transition
from gitmilestone.records import fields, replace
from gitmilestone.rules import change_findings, milestone_findings, same_steps, steps_changed
from gitmilestone.workflow import Outcome

UNDOES = "Milestone-Undoes"
# Stamped by `written` for this write, not restored.
_STAMPED = frozenset({"revision", "updated_at", "updated_by", "progress"})


def undo(
    current: Milestone,
    before: Milestone,
    actor: Actor,
    *,
    commit: str,
    subject: str,
    file: str,
) -> Outcome:
    """`current` with the content of `before` (the version before `commit`, whose subject
    is `subject`), written as `actor`'s new change."""
    mid = current.milestone_id
    what = f"undoing {commit[:9]} ({subject})"
    if not can_transition(current.status, before.status):
        allowed = ", ".join(sorted(TRANSITIONS.get(current.status, ()))) or "nothing"
        raise Invalid(
            f"{what} would take {mid}'s status from {current.status} back to "
            f"{before.status}, which is not allowed ({current.status} may go to {allowed}); "
            f"set what you need with the commands instead (`git milestone advance {mid} STEP "
            f"--to STATUS`, `block`, `reopen`)"
        )
    changed = steps_changed(current, before)
    access = may_write(current, actor, take=changed)
    when = stamp(actor, current.updated_at)
    steps = tuple(
        replace(s, reopened_by=actor.name, reopened_at=when)
        if now is not None and now.done and not s.done
        else s
        for s, now in zip(before.steps, same_steps(current, before), strict=True)
    )
    restored: dict[str, Any] = {
        name: getattr(before, name) for name in fields(before) if name not in _STAMPED
    }
    restored.update(steps=steps, owner=access.owner if changed else before.owner)
    new = written(current, actor, **restored)
    found = [
        *milestone_findings(file, new, mid),
        *change_findings(file, current, new, actor=actor.name, now=actor.now, lease=actor.lease),
    ]
    if found:
        problems = "; ".join(f"{f.code} {f.path}: {f.message}" for f in found[:3])
        raise Invalid(
            f"{what} would make a change the guard refuses ({problems}); make the change you "
            "need with the `git milestone` commands instead"
        )
    numbers = tuple(
        s.step for s in new.steps if (old := current.step(s.step)) is None or old.status != s.status
    )
    summary = f'undo {commit[:9]} "{subject}"'
    return new, Change(
        "undo",
        summary,
        steps=numbers,
        previous_owner=access.previous_owner,
        details=((UNDOES, commit),),
        free=(subject,),
    )
