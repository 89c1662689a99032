"""The handoff record in `git log`: what to ask git for, and how to read its answer. Pure.

git does the trailer parsing (`%(trailers:only,unfold)` reads only the final trailer
paragraph, so a `Milestone:` line in a note is not a trailer) and a `--grep` prefilter
keeps commits that cannot be milestone commits out of Python altogether.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gitmilestone.messages import Record, parse_trailer_lines, record
from gitmilestone.text import printable

SEP = "\x1f"
LOG_FORMAT = "%H%x1f%aI%x1f%s%x1f%(trailers:only,unfold)"
HEADER = ("WHEN", "ACTOR", "MILESTONE", "ACTION", "STEP", "PROGRESS", "SUBJECT")


def log_args(milestone_id: str | None = None) -> list[str]:
    """`git log` options selecting the commits that may carry `Milestone` trailers.

    `milestone_id` must already be a checked id (lowercase slug: nothing a regex reads).
    """
    pattern = f"^Milestone: {milestone_id}$" if milestone_id else "^Milestone: "
    return [f"--grep={pattern}"]


def parse_entry(entry: bytes) -> Record | None:
    """One `LOG_FORMAT` record; None when its trailers do not name a milestone."""
    fields = entry.decode("utf-8", "replace").lstrip("\n").split(SEP, 3)
    if len(fields) != 4:
        return None
    commit, when, subj, trailer_text = fields
    return record(commit, when, subj, parse_trailer_lines(trailer_text))


def records(
    entries: Iterable[bytes],
    *,
    milestone_id: str | None = None,
    actor: str | None = None,
    limit: int | None = None,
) -> Iterator[Record]:
    """The milestone commits among `entries`, in order, filtered, at most `limit` of them."""
    if limit is not None and limit <= 0:
        return
    count = 0
    for entry in entries:
        rec = parse_entry(entry)
        if rec is None:
            continue
        if milestone_id is not None and rec.milestone != milestone_id:
            continue
        if actor is not None and rec.actor != actor:
            continue
        yield rec
        count += 1
        if limit is not None and count >= limit:
            return


def short_subject(milestone: str, subject: str) -> str:
    """The subject without its `milestone(ID): ` prefix (the milestone is shown anyway)."""
    prefix = f"milestone({milestone}): "
    return subject[len(prefix) :] if subject.startswith(prefix) else subject


def short_when(when: str) -> str:
    """`2025-11-15T01:00:00+00:00` -> `2025-11-15 01:00` (the time as the commit recorded it)."""
    return f"{when[:10]} {when[11:16]}"


def step_label(steps: tuple[tuple[int, str], ...]) -> str:
    return ", ".join([f"{n} {status}" for n, status in steps]) if steps else "-"


def row(rec: Record) -> tuple[str, ...]:
    """The cells of one `table` line."""
    return (
        short_when(rec.when),
        rec.actor or "?",
        rec.milestone,
        rec.action or "?",
        step_label(rec.steps),
        "-" if rec.progress is None else f"{rec.progress}%",
        short_subject(rec.milestone, rec.subject),
    )


def table(recs: Iterable[Record]) -> str:
    """One aligned line per commit: when, actor, milestone, action, step, progress, subject."""
    rows = [HEADER, *(tuple(map(printable, row(r))) for r in recs)]
    if len(rows) == 1:
        return ""
    columns = list(zip(*rows, strict=True))[:6]
    line = "  ".join([f"{{:<{max(map(len, c))}}}" for c in columns]) + "  {}"
    return "\n".join([line.format(*r) for r in rows])
