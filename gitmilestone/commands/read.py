"""`list` and `show`: read-only views of the milestone files."""

from __future__ import annotations

from gitmilestone import holding, render
from gitmilestone.model import CLOSED, PRIORITIES
from gitmilestone.output import Result, use_color
from gitmilestone.summary import to_dict
from gitmilestone.text import printable
from gitmilestone.workspace import Workspace, current_time


def list_milestones(
    ws: Workspace,
    *,
    show_all: bool,
    status: str | None,
    owner: str | None,
    mine: bool,
) -> Result:
    rows, broken = ws.summaries()
    if not show_all and status is None:
        rows = [m for m in rows if m.status not in CLOSED]
    if status is not None:
        rows = [m for m in rows if m.status == status]
    now, lease = current_time(), ws.settings.lease
    holders = holding.holders(ws, rows, now)
    if mine:
        owner = ws.actor_name
    if owner is not None:
        rows = [m for m in rows if holders[m.milestone_id].name == owner]
    rows.sort(key=lambda m: (PRIORITIES.index(m.priority), m.milestone_id))
    warnings = tuple(
        f"unreadable: {printable(f)} (run `git milestone validate {printable(f)}`)" for f in broken
    )
    return Result(
        lambda: {
            "milestones": [to_dict(m, now, lease, holders[m.milestone_id]) for m in rows],
            "unreadable": broken,
        },
        lambda: render.list_table(rows, now, lease, use_color(), holders),
        warnings=warnings,
    )


def show(ws: Workspace, milestone_id: str) -> Result:
    m = ws.load(milestone_id)
    now = current_time()
    holder = holding.holder(ws, m, now)
    from gitmilestone.briefing import handoff

    data = {
        **m.to_dict(),
        "lease_active": holder.active,
        "holder": holder.to_dict(),
        "handoff": handoff(m, None),
    }
    return Result(data, render.show_text(m, now, ws.settings.lease, use_color(), holder))
