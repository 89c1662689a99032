"""The table `log` prints: one aligned line per change, and what was found under it. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from gitmilestone import changes, history
from gitmilestone.changes import Entry
from gitmilestone.text import printable

_problems = attrgetter("problems")
HEADER = ("WHEN", "ACTOR", "MILESTONE", "ACTION", "STEP", "PROGRESS", "SUBJECT")


def row(e: Entry) -> tuple[str, ...]:
    """The cells of one `table` line."""
    when = e.when
    return (
        f"{when[:10]} {when[11:16]}",
        e.actor or "?",
        e.milestone,
        e.action or "?",
        ", ".join([f"{n} {status}" for n, status in e.steps]) or "-",
        "-" if e.progress is None else f"{e.progress}%",
        _subject(e),
    )


def _subject(e: Entry) -> str:
    subject = history.short_subject(e.milestone, e.subject)
    if e.kind == "tool" and not e.verified and e.change != "deleted":
        return subject
    told = []
    if e.kind == "revert" and e.reverts:
        told.append(f"reverts {e.reverts[:9]}")
    if e.kind == "cherry-pick" and e.cherry_picked_from:
        told.append(f"cherry-picked from {e.cherry_picked_from[:9]}")
    if e.change == "deleted" or (e.change == "added" and e.action != "create"):
        told.append(f"file {e.change}")
    if e.sides:
        told.append(changes.sides_summary(e.sides))
    if e.kind != "tool":
        what = changes.summary(changes.state_changes(e.before, e.after), e.others)
        if what:
            told.append(what)
    return f"{subject} ({'; '.join(told)})" if told else subject


def table(entries: Iterable[Entry], *, notes: bool = False) -> str:
    """One aligned line per change: when, actor, milestone, action, step, progress,
    subject; the problems found under it (`!!`), and with `notes` each change's note."""
    entries = list(entries)
    if not entries:
        return ""
    # A long record is thousands of rows: the cells are made column by column, the same
    # step lists and percentages once each.
    labels: dict[tuple[tuple[int, str], ...], str] = {(): "-"}
    percents: dict[int | None, str] = {None: "-"}
    rows: list[tuple[str, ...]] = []
    append = rows.append
    for e in entries:
        when, steps, progress, subject, milestone = (
            e.when,
            e.steps,
            e.progress,
            e.subject,
            e.milestone,
        )
        label = labels.get(steps)
        if label is None:
            label = labels[steps] = ", ".join([f"{n} {status}" for n, status in steps])
        percent = percents.get(progress)
        if percent is None:
            percent = percents[progress] = f"{progress}%"
        if e.kind == "tool" and not e.verified and e.change != "deleted":
            prefix = f"milestone({milestone}): "
            if subject.startswith(prefix):
                subject = subject[len(prefix) :]
        else:
            subject = _subject(e)
        append(
            (
                f"{when[:10]} {when[11:16]}",
                e.actor or "?",
                milestone,
                e.action or "?",
                label,
                percent,
                subject,
            )
        )
    # Escaping is rarely needed: look at all the cells at once, escape them one by one
    # only when something needs it.
    # (`isprintable` is true of text with none of the characters `printable` escapes.)
    every = "".join(["".join(cells) for cells in rows])
    if not every.isprintable() and printable(every) != every:
        rows = [tuple(map(printable, cells)) for cells in rows]
    rows.insert(0, HEADER)
    widths = [max(map(len, column)) for column in list(zip(*rows, strict=True))[:6]]
    line = "  ".join([f"%-{w}s" for w in widths]) + "  %s"
    if not notes and not any(map(_problems, entries)):
        return "\n".join([line % cells for cells in rows])
    out = [line % rows[0]]
    for e, cells in zip(entries, rows[1:], strict=True):
        out.append(line % cells)
        if e.problems:
            out += [f"    !! {printable(p)}" for p in e.problems]
        note = e.source.note() if notes else ""
        if note:
            out += [f"    {printable(text, lines=True)}" for text in note.split("\n")]
    return "\n".join(out)
