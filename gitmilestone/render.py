"""Text for people: the `list` table, `show`, progress bars. Plain when not a terminal."""

from __future__ import annotations

import re
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
    if text.isascii() or _NARROW(text) is not None:
        return len(text)
    return sum(map(_char_width, text))


# Characters that take one column each (Latin, and the punctuation such as the ellipsis of a
# clipped cell, but not the soft hyphen U+00AD): text made only of them is as wide as long.
_NARROW = re.compile("[\x00-\xac\xae-\u02ff\u2010-\u2027\u2030-\u205e]*").fullmatch


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
    holders = holders or {}
    rows: list[tuple[str, ...]] = []
    expired_rows: list[bool] = []
    progress_cells: dict[int, str] = {}
    describe_age = timestamps.describe_age
    for m in milestones:
        owner, expired = owner_label(m, now, lease, holders.get(m.milestone_id))
        progress = progress_cells.get(m.progress)
        if progress is None:
            progress = progress_cells[m.progress] = f"{bar(m.progress, color)} {m.progress:3d}%"
        rows.append(
            (
                m.milestone_id,
                m.priority,
                m.status,
                progress,
                owner,
                current_step_label(m),
                describe_age(now - m.updated_at) + " ago",
            )
        )
        expired_rows.append(expired)
    # Each cell's width once; a row of narrow characters only (nearly all) has its cells'
    # lengths.
    plain = [j.isascii() or _NARROW(j) is not None for j in map("".join, rows)]
    cell_widths = [
        tuple(map(len, r)) if is_ascii else tuple(map(display_width, r))
        for r, is_ascii in zip(rows, plain, strict=True)
    ]
    widths = [
        max(len(h), *column)
        for h, column in zip(_HEADER, zip(*cell_widths, strict=True), strict=True)
    ]
    widths[3] = max(len(_HEADER[3]), _PROGRESS_WIDTH)
    lines = ["  ".join(h.ljust(w) for h, w in zip(_HEADER, widths, strict=True)).rstrip()]
    if not color:
        # One format for the rows whose cells are as wide as long.
        ascii_row = "  ".join(f"%-{w}s" for w in widths)
        for r, found, is_ascii in zip(rows, cell_widths, plain, strict=True):
            if is_ascii:
                lines.append((ascii_row % r).rstrip())
                continue
            cells = [t + " " * (w - n) for t, w, n in zip(r, widths, found, strict=True)]
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
