"""`prime`: what an agent needs at session start, in at most 800 tokens whatever the
repository holds: the working protocol, then what this actor holds, what is ready and what
is blocked, each list cut with a pointer to the full one."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gitmilestone import protocol, render
from gitmilestone.claims import Holder
from gitmilestone.errors import UsageError
from gitmilestone.model import CLOSED, PRIORITIES
from gitmilestone.output import Result
from gitmilestone.rules import lease_active
from gitmilestone.summary import Summary
from gitmilestone.text import printable
from gitmilestone.workspace import Workspace, current_time

# A token is about four characters; the text and the whole `--json` document each stay
# within the budget.
TOKEN_BUDGET = 800
CHAR_BUDGET = TOKEN_BUDGET * 4
ENVELOPE = 64
SECTIONS = ("holding", "ready", "blocked")
# How many of each a session needs to see to choose; the rest is one command away.
SHOWN = {"holding": 3, "ready": 3, "blocked": 3}
TITLE_WIDTH = 40
STEP_WIDTH = 36
BLOCKER_WIDTH = 60
NAME_WIDTH = 32
MORE = "`git milestone list`"


def _short(text: str, width: int) -> str:
    # One line however the file was written: the briefing is counted in characters. What
    # an agent cannot see (a right-to-left override, tag characters spelling hidden text)
    # is shown as an escape before the clip, so the escapes count against the budget.
    return render.clip(printable(" ".join(text.split())), width)


def _item(m: Summary, h: Holder) -> dict[str, Any]:
    return {
        "milestone_id": m.milestone_id,
        "title": _short(m.title, TITLE_WIDTH),
        "priority": m.priority,
        "status": m.status,
        "progress": m.progress,
        "owner": None if h.name is None else _short(h.name, NAME_WIDTH),
        "lease_active": h.active,
        "current_step": _short(render.current_step_label(m, STEP_WIDTH), STEP_WIDTH),
    }


def _blocked_item(m: Summary, h: Holder) -> dict[str, Any]:
    reasons = list(m.blockers) or [
        f"step {s.step} is blocked: {s.description}" for s in m.blocked_steps
    ]
    return {
        "milestone_id": m.milestone_id,
        "priority": m.priority,
        "owner": None if h.name is None else _short(h.name, NAME_WIDTH),
        "lease_active": h.active,
        "blockers": [_short(r, BLOCKER_WIDTH) for r in reasons[:1]],
        "blocker_count": len(reasons),
    }


def _rank(m: Summary) -> tuple[int, str]:
    return PRIORITIES.index(m.priority), m.milestone_id


def state(
    milestones: Sequence[Summary],
    actor: str | None,
    now: datetime,
    lease: timedelta,
    holders: Mapping[str, Holder] | None = None,
) -> dict[str, Any]:
    """Who holds what: the sections in full (sorted) and the counts. `holders` is who holds
    each milestone (the claims registry's view); without it, the files say."""
    from gitmilestone.commands.review import ready

    def who(m: Summary) -> Holder:
        found = None if holders is None else holders.get(m.milestone_id)
        return found or Holder(m.owner, m.owner is not None and lease_active(m, now, lease))

    open_ = [m for m in milestones if m.status not in CLOSED]
    holding = sorted(
        (m for m in open_ if actor is not None and who(m).name == actor),
        key=lambda m: (m.status != "in_progress", *_rank(m)),
    )
    rows, why_not = ready(milestones, now, lease, holders)
    ready_rows = [m for m in rows if actor is None or who(m).name != actor]
    blocked = sorted(
        (m for m in open_ if m.status == "blocked" or m.blockers),
        key=lambda m: (who(m).name != actor, *_rank(m)),
    )
    blocked_ids = {m.milestone_id for m in blocked}
    others = [m for m in open_ if who(m).held_by_other(actor) and m.milestone_id not in blocked_ids]
    return {
        "holding": [_item(m, who(m)) for m in holding],
        "ready": [_item(m, who(m)) for m in ready_rows],
        "blocked": [_blocked_item(m, who(m)) for m in blocked],
        "counts": {
            "open": len(open_),
            "holding": len(holding),
            "ready": len(ready_rows),
            "blocked": len(blocked),
            "held_by_others": len(others),
            "waiting": why_not["waiting"],
        },
    }


def briefing(
    directory: str, actor: str | None, full: Mapping[str, Any], unreadable: int
) -> dict[str, Any]:
    """The briefing as data, cut to fit the budget (text and JSON alike)."""
    data: dict[str, Any] = {
        "actor": None if actor is None else _short(actor, NAME_WIDTH),
        "directory": directory,
        "intro": protocol.intro(directory),
        "protocol": protocol.lines(),
        "counts": dict(full["counts"]),
        "unreadable": unreadable,
    }
    for section in SECTIONS:
        items = list(full[section])
        data[section] = {"milestones": items[: SHOWN[section]], "more": 0}
        data[section]["more"] = len(items) - len(data[section]["milestones"])
    while (
        len(text(data)) > CHAR_BUDGET
        or len(json.dumps(data, ensure_ascii=False)) > CHAR_BUDGET - ENVELOPE
    ):
        longest = max(SECTIONS, key=lambda s: len(data[s]["milestones"]))
        if not data[longest]["milestones"]:
            break
        data[longest]["milestones"].pop()
        data[longest]["more"] += 1
    return data


def _line(item: Mapping[str, Any]) -> str:
    status = f"{item['priority']} {item['status']} {item['progress']}%"
    line = f"- {item['milestone_id']} [{status}] {item['title']}; step {item['current_step']}"
    if item["owner"] is not None and not item["lease_active"]:
        line += f" ({item['owner']}'s lease expired)"
    return line


def _blocked_line(item: Mapping[str, Any]) -> str:
    extra = item["blocker_count"] - len(item["blockers"])
    reasons = "; ".join(item["blockers"]) + (f" (+{extra} more)" if extra > 0 else "")
    who = f", held by {item['owner']}" if item["owner"] and item["lease_active"] else ""
    return f"- {item['milestone_id']} [{item['priority']}{who}]: {reasons}"


def _next_move(data: Mapping[str, Any]) -> str:
    if data["holding"]["milestones"]:
        first = data["holding"]["milestones"][0]["milestone_id"]
        return f"Start with: `git milestone resume {first}`"
    if data["ready"]["milestones"]:
        first = data["ready"]["milestones"][0]["milestone_id"]
        return f"Start with: `git milestone next --claim` (takes {first})"
    return "Nothing is ready: see `git milestone list`, or add work with `git milestone new`"


def text(data: Mapping[str, Any]) -> str:
    """The briefing for the agent to read."""
    counts = data["counts"]
    who = data["actor"] or "nobody yet (set GIT_MILESTONE_ACTOR before any change)"
    lines = [
        f"# Milestones: you act as {who}",
        data["intro"],
        "How to work:",
        *data["protocol"],
        f"Now: {counts['open']} open; you hold {counts['holding']}, {counts['ready']} ready, "
        f"{counts['blocked']} blocked, {counts['held_by_others']} held by others, "
        f"{counts['waiting']} waiting for depends_on.",
    ]
    titles = {
        "holding": "You hold:",
        "ready": "Ready, highest priority first:",
        "blocked": "Blocked:",
    }
    for section in SECTIONS:
        part = data[section]
        if not part["milestones"] and not part["more"]:
            continue
        lines.append(titles[section])
        render_line = _blocked_line if section == "blocked" else _line
        lines.extend(render_line(item) for item in part["milestones"])
        if part["more"]:
            lines.append(f"- and {part['more']} more ({MORE})")
    if data["unreadable"]:
        lines.append(
            f"{data['unreadable']} milestone file(s) cannot be read: `git milestone validate`"
        )
    lines.append(_next_move(data))
    return "\n".join(lines)


def prime(ws: Workspace) -> Result:
    """The session-start briefing for the actor (who may not be set yet)."""
    try:
        actor: str | None = ws.actor_name
    except UsageError:
        # Not knowing who acts is what the briefing then asks to fix; a bad --as is not.
        if ws.as_actor is not None:
            raise
        actor = None
    from gitmilestone.holding import holders

    milestones, unreadable = ws.summaries()
    now = current_time()
    full = state(milestones, actor, now, ws.settings.lease, holders(ws, milestones, now))
    data = briefing(ws.settings.dir, actor, full, len(unreadable))
    return Result(data, text(data))
