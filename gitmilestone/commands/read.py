"""`list` and `show`: read-only views of the milestone files."""

from __future__ import annotations

from gitmilestone import render
from gitmilestone.model import CLOSED, PRIORITIES, Milestone
from gitmilestone.output import Result, use_color
from gitmilestone.rules import lease_active
from gitmilestone.text import printable
from gitmilestone.workspace import Workspace, current_time


def summary(m: Milestone, ws: Workspace) -> dict[str, object]:
    now, lease = current_time(), ws.settings.lease
    step = m.current_step
    return {
        "milestone_id": m.milestone_id,
        "title": m.title,
        "priority": m.priority,
        "status": m.status,
        "progress": m.progress,
        "owner": m.owner,
        "lease_active": lease_active(m, now, lease),
        "current_step": None
        if step is None
        else {"step": step.step, "description": step.description, "status": step.status},
        "steps": len(m.steps),
        "updated_at": m.to_dict()["updated_at"],
    }


def list_milestones(
    ws: Workspace,
    *,
    show_all: bool,
    status: str | None,
    owner: str | None,
    mine: bool,
) -> Result:
    checked = ws.all()
    rows = [c.milestone for c in checked if c.milestone is not None]
    broken = [c.file for c in checked if c.milestone is None]
    if not show_all and status is None:
        rows = [m for m in rows if m.status not in CLOSED]
    if status is not None:
        rows = [m for m in rows if m.status == status]
    if mine:
        owner = ws.actor_name
    if owner is not None:
        rows = [m for m in rows if m.owner == owner]
    rows.sort(key=lambda m: (PRIORITIES.index(m.priority), m.milestone_id))
    now = current_time()
    text = render.list_table(rows, now, ws.settings.lease, use_color())
    warnings = tuple(
        f"unreadable: {printable(f)} (run `git milestone validate {printable(f)}`)" for f in broken
    )
    data = {"milestones": [summary(m, ws) for m in rows], "unreadable": broken}
    return Result(data, text, warnings=warnings)


def show(ws: Workspace, milestone_id: str) -> Result:
    m = ws.load(milestone_id)
    now = current_time()
    data = {**m.to_dict(), "lease_active": lease_active(m, now, ws.settings.lease)}
    return Result(data, render.show_text(m, now, ws.settings.lease, use_color()))
