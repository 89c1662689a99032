"""What a session with no memory needs to pick up a milestone, as data and as text. Pure.

The text is built from the data, so `resume --json` and `resume` say the same things.
It stays compact: a ten-step milestone with notes fits in about 2,000 tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gitmilestone import history, timestamps
from gitmilestone.changes import Entry
from gitmilestone.claims import Holder
from gitmilestone.model import Context, Milestone, Step
from gitmilestone.rules import lease_active, lease_end
from gitmilestone.text import printable

NOTE_LIMIT = 400


def _step(s: Step) -> dict[str, Any]:
    by = s.completed_by or s.started_by
    at = s.completed_at or s.started_at
    return {
        "step": s.step,
        "description": s.description,
        "status": s.status,
        "by": by,
        "at": None if at is None else timestamps.format(at),
        "notes": s.notes,
    }


def _todo(m: Milestone, actor: str | None, holder: Holder, waiting: Sequence[str]) -> list[str]:
    mid = m.milestone_id
    if m.status == "completed":
        return [f"it is completed; `git milestone reopen {mid}` to work on it again"]
    if m.status == "abandoned":
        return [f"it is abandoned; `git milestone reopen {mid}` to take it up again"]
    todo = []
    if holder.damaged:
        todo.append(
            "its entry in the claims registry was changed by hand, so nobody can tell who "
            "holds it and nobody can take it: `git milestone doctor` says how to repair it"
        )
    elif holder.held_by_other(actor):
        todo.append(
            f"{holder.label()} holds it: ask them to `git milestone release {mid}`, wait for "
            f"the lease to expire, or take it over with `git milestone claim {mid} --force`"
        )
    elif holder.name is None or holder.name != actor or not holder.active:
        todo.append(
            f"claim it: `git milestone claim {mid}` (or `git milestone resume {mid} --claim`)"
        )
    if waiting:
        todo.append(f"it depends on {', '.join(waiting)}, which must be completed first")
    if m.status == "blocked" or m.blockers:
        todo.append(f"clear the blockers, then `git milestone unblock {mid}`")
    else:
        current = m.current_step
        if current is not None and current.status == "in_progress":
            todo.append(
                f"when step {current.step} is done: `git milestone advance {mid} --note TEXT` "
                "(completes it and starts the next)"
            )
        elif current is not None:
            todo.append(f"start step {current.step}: `git milestone advance {mid}`")
        else:
            todo.append(f"every step is done: `git milestone complete {mid} --notes TEXT`")
    todo.append(
        f"before you stop: `git milestone handoff {mid} --next TEXT --notes TEXT` "
        "(add --release to let someone else take it)"
    )
    return todo


def briefing(
    m: Milestone,
    *,
    now: datetime,
    lease: timedelta,
    actor: str | None,
    holder: Holder | None = None,
    dependencies: Mapping[str, str | None],
    recent: Sequence[Entry],
) -> dict[str, Any]:
    """The briefing as data; `dependencies` maps each `depends_on` id to its status (None:
    no such milestone), `recent` is this milestone's last commits, newest first; `holder`
    is who holds it (the claims registry's view; without it, the file's owner)."""
    if holder is None:
        holder = Holder(m.owner, lease_active(m, now, lease), None, lease_end(m, lease))
    current = m.current_step
    ctx = m.context or Context()
    waiting = [d for d, status in dependencies.items() if status != "completed"]
    return {
        "milestone_id": m.milestone_id,
        "title": m.title,
        "priority": m.priority,
        "status": m.status,
        "progress": m.progress,
        "steps_done": m.done_count,
        "steps_total": len(m.steps),
        "revision": m.revision,
        "owner": holder.name,
        "owner_branch": holder.branch,
        "lease_active": holder.active,
        "lease_expires_at": None
        if holder.expires_at is None or holder.name is None
        else timestamps.format(holder.expires_at),
        "updated_at": timestamps.format(m.updated_at),
        "updated_by": m.updated_by,
        "why": ctx.why,
        "success_criteria": ctx.success_criteria,
        "needs": list(ctx.dependencies or ()),
        "related_files": list(ctx.related_files or ()),
        "depends_on": [{"milestone_id": d, "status": s} for d, s in dependencies.items()],
        "done_steps": [_step(s) for s in m.steps if s.done],
        "current_step": None if current is None else _step(current),
        "remaining_steps": [_step(s) for s in m.steps if not s.done and s is not current],
        "next_session_should": list(m.next_session_should),
        "blockers": list(m.blockers),
        "handoff_notes": m.handoff_notes,
        "handoff": handoff(m, actor),
        "completion_notes": m.completion_notes,
        "recent_commits": [r.to_dict() for r in recent],
        "todo": _todo(m, actor, holder, waiting),
    }


def handoff(m: Milestone, actor: str | None) -> dict[str, Any] | None:
    """Who wrote the handoff (`next_session_should`, `handoff_notes`), when and at which
    step, and what may have overtaken it since: steps done since that step, or a later
    write by someone else (than its writer and than `actor`, who knows what they did).
    None when the file does not say (written before these fields existed)."""
    if m.handoff_by is None:
        return None
    at = None if m.handoff_at is None else timestamps.format(m.handoff_at)
    step = m.handoff_step
    since = [s.step for s in m.steps if step is not None and s.step >= step and s.done]
    later = None
    if (
        m.updated_by not in (None, m.handoff_by, actor)
        and m.handoff_at is not None
        and m.updated_at > m.handoff_at
    ):
        later = m.updated_by
    if step is None:
        where = "when no step was left to do"
    elif since:
        where = f"at step {step}, {len(since)} step{'s' if len(since) > 1 else ''} ago"
    else:
        where = f"at step {step}, the current step"
    summary = f"written by {m.handoff_by} {where}" + (f" ({at})" if at else "")
    warnings = []
    if since:
        done = ", ".join(map(str, since))
        warnings.append(
            f"step{'s' if len(since) > 1 else ''} {done} "
            f"{'were' if len(since) > 1 else 'was'} done after this handoff was written; "
            "check that it still applies"
        )
    if later is not None:
        warnings.append(
            f"{later} wrote to the milestone after this handoff "
            f"({timestamps.format(m.updated_at)}); check that it still applies"
        )
    return {
        "by": m.handoff_by,
        "at": at,
        "step": step,
        "steps_done_since": since,
        "written_later_by": later,
        "summary": summary,
        "warnings": warnings,
    }


def handoff_lines(info: Mapping[str, Any] | None) -> list[str]:
    """The handoff's summary line and its warnings (`!`), for the text outputs."""
    if info is None:
        return []
    return [f"  {info['summary']}", *(f"  ! {w}" for w in info["warnings"])]


def _clip(text: str, mid: str) -> str:
    if len(text) <= NOTE_LIMIT:
        return text
    return text[: NOTE_LIMIT - 1] + f"… (all of it: `git milestone show {mid}`)"


def _step_lines(s: Mapping[str, Any], mid: str) -> list[str]:
    who = f" {s['by']} {s['at']}" if s["by"] and s["at"] else ""
    lines = [f"  {s['step']}. {s['description']} [{s['status']}{who}]"]
    lines += [f"     {line}" for line in _clip(s["notes"], mid).splitlines() if line.strip()]
    return lines


def text(b: Mapping[str, Any]) -> str:
    """The briefing for people (and for sessions that read text)."""
    mid = b["milestone_id"]
    lines = [
        f"{mid}: {b['title']}",
        f"{b['priority']}, {b['status']}, {b['progress']}% ({b['steps_done']}/{b['steps_total']}"
        f" steps done), revision {b['revision']}, updated {b['updated_at']}"
        + (f" by {b['updated_by']}" if b["updated_by"] else ""),
    ]
    if b["owner"] is None:
        lines.append("owner: none (free to claim)")
    else:
        state = "active" if b["lease_active"] else "expired"
        where = f", on branch {b['owner_branch']}" if b["owner_branch"] else ""
        until = b["lease_expires_at"] or "the end of the calendar"
        lines.append(f"owner: {b['owner']} (lease {state}, until {until}){where}")
    for label, key in (("why", "why"), ("success", "success_criteria")):
        if b[key]:
            lines.append(f"{label}: {b[key]}")
    if b["depends_on"]:
        deps = ", ".join(
            f"{d['milestone_id']} ({d['status'] or 'missing'})" for d in b["depends_on"]
        )
        lines.append(f"depends on: {deps}")
    if b["needs"]:
        lines.append(f"needs: {'; '.join(b['needs'])}")
    if b["related_files"]:
        lines.append(f"files: {', '.join(b['related_files'])}")
    sections: list[tuple[str, list[str]]] = [
        ("done:", [line for s in b["done_steps"] for line in _step_lines(s, mid)]),
        ("current step:", [] if b["current_step"] is None else _step_lines(b["current_step"], mid)),
        ("remaining:", [line for s in b["remaining_steps"] for line in _step_lines(s, mid)]),
        ("handoff:", handoff_lines(b["handoff"])),
        ("next session should:", [f"  - {item}" for item in b["next_session_should"]]),
        ("blockers:", [f"  - {item}" for item in b["blockers"]]),
        ("handoff notes:", [f"  {line}" for line in b["handoff_notes"].splitlines()]),
        (
            "completion notes:",
            [f"  {line}" for line in (b["completion_notes"] or "").splitlines()],
        ),
        ("recent commits:", [_commit_line(c) for c in b["recent_commits"]]),
        ("to do:", [f"  - {item}" for item in b["todo"]]),
    ]
    for title, body in sections:
        if body:
            lines.append(title)
            lines.extend(body)
    # Built from the file's text: escape what a terminal would obey (the briefing has no
    # colour of its own); `--json` carries the exact text.
    return printable("\n".join(lines), lines=True)


def _commit_line(c: Mapping[str, Any]) -> str:
    subject = history.short_subject(c["milestone"], c["subject"])
    return f"  {history.short_when(c['when'])} {c['commit'][:9]} {c['actor']}: {subject}"
