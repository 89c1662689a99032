"""Text for people: the `list` table, `show`, progress bars. Plain when not a terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from gitmilestone import timestamps
from gitmilestone.claims import Holder
from gitmilestone.model import Milestone
from gitmilestone.rules import Leased, lease_active
from gitmilestone.summary import Summary
from gitmilestone.text import printable

_STATUS_COLOR = {
    "pending": "white",
    "in_progress": "cyan",
    "blocked": "red",
    "completed": "green",
    "abandoned": "bright_black",
}
_PRIORITY_COLOR = {"HIGH": "red", "MEDIUM": "yellow", "LOW": "bright_black"}
BAR_WIDTH = 12


def display_width(text: str) -> int:
    """The columns `text` takes in a terminal: wide and fullwidth (CJK) characters take two,
    combining marks and invisible format characters none."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def clip(text: str, width: int) -> str:
    """`text` cut to at most `width` columns, with an ellipsis when it was cut."""
    if text.isascii():
        return text if len(text) <= width else text[: width - 1] + "…"
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def style(text: str, color: bool, **kwargs: object) -> str:
    if not color:
        return text
    import click

    return click.style(text, **kwargs)  # type: ignore[arg-type]


def bar(progress: int, color: bool, width: int = BAR_WIDTH) -> str:
    filled = progress * width // 100
    if color:
        return style("█" * filled, color, fg="green") + style(
            "░" * (width - filled), color, fg="bright_black"
        )
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def owner_label(
    m: Leased, now: datetime, lease: timedelta, holder: Holder | None = None
) -> tuple[str, bool]:
    """The owner to show (the claims registry's holder, when given), and whether their
    lease has expired."""
    if holder is not None:
        return printable(holder.label()), holder.name is not None and not holder.active
    if m.owner is None:
        return "-", False
    expired = not lease_active(m, now, lease)
    owner = printable(m.owner)
    return (f"{owner} (lease expired)" if expired else owner), expired


def current_step_label(m: Summary, width: int = 32) -> str:
    step = m.current_step
    if step is None:
        return f"{m.done}/{m.steps} done" if m.steps else "-"
    return clip(f"{step.step}/{m.steps} {printable(step.description)}", width)


_HEADER = ("MILESTONE", "PRIORITY", "STATUS", "PROGRESS", "OWNER", "STEP", "UPDATED")
_PROGRESS_WIDTH = BAR_WIDTH + 7


def list_table(
    milestones: Sequence[Summary],
    now: datetime,
    lease: timedelta,
    color: bool,
    holders: Mapping[str, Holder] | None = None,
) -> str:
    if not milestones:
        return "no milestones to show (try --all, or create one with `git milestone new`)"
    rows: list[tuple[str, ...]] = []
    expired_rows: list[bool] = []
    for m in milestones:
        owner, expired = owner_label(m, now, lease, (holders or {}).get(m.milestone_id))
        rows.append(
            (
                m.milestone_id,
                m.priority,
                m.status,
                f"{bar(m.progress, color)} {m.progress:3d}%",
                owner,
                current_step_label(m),
                timestamps.describe_age(now - m.updated_at) + " ago",
            )
        )
        expired_rows.append(expired)
    widths = [
        max(len(_HEADER[i]), *(display_width(r[i]) for r in rows)) for i in range(len(_HEADER))
    ]
    widths[3] = max(len(_HEADER[3]), _PROGRESS_WIDTH)
    lines = ["  ".join(h.ljust(w) for h, w in zip(_HEADER, widths, strict=True)).rstrip()]
    if not color:
        for r in rows:
            cells = [t + " " * (w - display_width(t)) for t, w in zip(r, widths, strict=True)]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)
    for r, expired in zip(rows, expired_rows, strict=True):
        styles: list[dict[str, object] | None] = [
            {"bold": True},
            {"fg": _PRIORITY_COLOR[r[1]]},
            {"fg": _STATUS_COLOR[r[2]]},
            None,
            {"fg": "yellow"} if expired else {},
            {},
            {"fg": "bright_black"},
        ]
        cells = []
        for text, attrs, w in zip(r, styles, widths, strict=True):
            pad = " " * (w - (_PROGRESS_WIDTH if attrs is None else display_width(text)))
            cells.append((text if attrs is None else style(text, color, **attrs)) + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def show_text(
    m: Milestone, now: datetime, lease: timedelta, color: bool, holder: Holder | None = None
) -> str:
    owner, _ = owner_label(m, now, lease, holder)
    lines = [
        style(f"{m.milestone_id}: {printable(m.title)}", color, bold=True),
        f"  priority {m.priority}   status {m.status}   revision {m.revision}",
        f"  progress {bar(m.progress, color)} {m.progress}% ({m.done_count}/{len(m.steps)} steps)",
        f"  owner    {owner}",
        f"  created  {timestamps.format(m.created_at)}   updated {timestamps.format(m.updated_at)}"
        + (f" by {printable(m.updated_by)}" if m.updated_by else ""),
    ]
    if m.depends_on:
        lines.append(f"  depends on {', '.join(m.depends_on)}")
    ctx = m.context
    if ctx is not None:
        if ctx.why:
            lines.append(f"  why      {printable(ctx.why, lines=True)}")
        if ctx.success_criteria:
            lines.append(f"  success  {printable(ctx.success_criteria, lines=True)}")
        if ctx.dependencies:
            lines.append(f"  needs    {printable('; '.join(ctx.dependencies))}")
        if ctx.related_files:
            lines.append(f"  files    {printable(', '.join(ctx.related_files))}")
    lines.append("steps:")
    for s in m.steps:
        who = s.completed_by or s.started_by
        mark = {"completed": "x", "skipped": "-", "in_progress": ">", "blocked": "!"}.get(
            s.status, " "
        )
        lines.append(
            f"  [{mark}] {s.step}. {printable(s.description)} ({s.status}"
            + (f", {printable(who)}" if who else "")
            + ")"
        )
        for note_line in printable(s.notes, lines=True).split("\n"):
            if note_line.strip():
                lines.append(f"        {note_line}")
    from gitmilestone.briefing import handoff, handoff_lines

    written = handoff_lines(handoff(m, None))
    if written:
        lines.append("handoff:")
        lines.extend(printable(line) for line in written)
    for title, items in (
        ("next session should:", m.next_session_should),
        ("blockers:", m.blockers),
    ):
        if items:
            lines.append(title)
            lines.extend(f"  - {printable(item)}" for item in items)
    if m.handoff_notes:
        lines.append(f"handoff notes: {printable(m.handoff_notes, lines=True)}")
    if m.completion_notes:
        lines.append(f"completion notes: {printable(m.completion_notes, lines=True)}")
    return "\n".join(lines)
