"""Commit messages: a subject for humans, the user's note, and a final trailer block.

git reads trailers from the last paragraph of a message, after cutting what it takes for
comments, a scissors line or a `---` divider; which lines those are depends on the
reader's `core.commentChar`. So nothing the user typed may start a line of the message:
every line of a note is indented (git never reads an indented line as a trailer, a
divider or, whatever the comment character, a scissors line), git's scissors mark in a
note is turned around (`8<`), control characters are escaped, and the trailer block,
whose every value is one line from the milestone itself, is always the last paragraph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from gitmilestone.model import Milestone
from gitmilestone.records import field, frozen
from gitmilestone.text import printable

if TYPE_CHECKING:
    from gitmilestone import changes

NONE = "none"
SUBJECT_MAX = 72
BODY_WIDTH = 72
NOTE_INDENT = "  "
ELLIPSIS = "…"
# git's scissors line is a comment character, a space, then this: `git commit -v` and
# every trailer reader cut the message there.
_CUT = "------------------------ >8 ------------------------"
_CUT_DEFUSED = "------------------------ 8< ------------------------"


@frozen
class Change:
    """What a command did, for the commit message.

    `free` lists the parts of `summary` that are free text (a title, a description, a
    name, a reason), in order: they are shortened, with an ellipsis, when the subject
    would pass 72 characters; the facts around them never are.
    """

    action: str
    summary: str
    note: str | None = None
    steps: tuple[int, ...] = ()
    forced: bool = False
    previous_owner: str | None = None
    free: tuple[str, ...] = field(default=(), compare=False)
    # A step this change removed (its trailers say `removed`), and further trailers naming
    # what changed (`Milestone-Fields`, `Milestone-Dependency`, ...), each one line.
    removed: int | None = None
    details: tuple[tuple[str, str], ...] = ()


REMOVED = "removed"


def one_line(text: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces, controls escaped."""
    return printable(" ".join(text.split()))


def subject(
    milestone_id: str, summary: str, free: tuple[str, ...] = (), *, kind: str = "milestone"
) -> str:
    """`milestone(ID): SUMMARY` (`KIND(ID): ...`), at most 72 characters: free text is
    shortened first, then the id; only a summary whose facts alone pass the limit is cut at
    its end."""
    parts: list[tuple[str, int]] = [(f"{kind}(", 0), (milestone_id, 2), ("): ", 0)]
    rest = one_line(summary)
    for text in (one_line(f) for f in free):
        at = rest.find(text) if text else -1
        if at < 0:
            continue
        parts += [(rest[:at], 0), (text, 1)]
        rest = rest[at + len(text) :]
    parts.append((rest, 0))
    return fit(parts, SUBJECT_MAX)


def fit(parts: list[tuple[str, int]], width: int) -> str:
    """Join `(text, rank)` parts into at most `width` characters: parts of rank 1, then
    rank 2, are shortened (each keeps an ellipsis); rank 0 is kept whole when it can be."""
    texts = [t for t, _ in parts]
    for rank in (1, 2):
        excess = sum(map(len, texts)) - width
        if excess <= 0:
            break
        movable = [i for i, (_, r) in enumerate(parts) if r == rank and texts[i]]
        sizes = _shrink([len(texts[i]) for i in movable], excess)
        for i, size in zip(movable, sizes, strict=True):
            if size < len(texts[i]):
                texts[i] = texts[i][: max(size - 1, 0)] + ELLIPSIS
    line = "".join(texts)
    return line if len(line) <= width else line[: width - 1] + ELLIPSIS


def _shrink(sizes: list[int], excess: int) -> list[int]:
    """New sizes (each at least 1) whose total is `excess` smaller, taken from the longest
    first, so that short parts stay whole as long as possible."""
    out = list(sizes)
    while excess > 0:
        top = max(out, default=0)
        if top <= 1:
            break
        widest = [i for i, s in enumerate(out) if s == top]
        below = max([s for s in out if s < top], default=1)
        step = min(top - below, -(-excess // len(widest)))
        for i in widest:
            cut = min(step, excess, out[i] - 1)
            out[i] -= cut
            excess -= cut
    return out


def body(note: str) -> str:
    """The note as the message body: each line indented, wrapped at 72 columns (a long word
    such as a URL stays whole), controls escaped, git's scissors mark turned around."""
    import textwrap  # only a write with a note needs it

    lines = note.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    for line in lines:
        line = printable(line.rstrip(" \t"), lines=True).replace(_CUT, _CUT_DEFUSED)
        if not line.strip():
            out.append("")
            continue
        out += textwrap.wrap(
            line,
            width=BODY_WIDTH,
            initial_indent=NOTE_INDENT,
            subsequent_indent=NOTE_INDENT,
            break_long_words=False,
            break_on_hyphens=False,
            expand_tabs=False,
            replace_whitespace=False,
        )
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def trailers(m: Milestone, change: Change, actor: str) -> list[tuple[str, str]]:
    out = [("Milestone", m.milestone_id), ("Milestone-Action", change.action)]
    for number in change.steps:
        step = m.step(number)
        if step is not None:
            out += [("Milestone-Step", str(number)), ("Milestone-Step-Status", step.status)]
    if change.removed is not None:
        out += [("Milestone-Step", str(change.removed)), ("Milestone-Step-Status", REMOVED)]
    out += list(change.details)
    out += [
        ("Milestone-Status", m.status),
        ("Milestone-Progress", str(m.progress)),
        ("Milestone-Steps", str(len(m.steps))),
        ("Milestone-Owner", m.owner or NONE),
        ("Milestone-Actor", actor),
        ("Milestone-Revision", str(m.revision)),
    ]
    if change.previous_owner is not None:
        out.append(("Milestone-Previous-Owner", change.previous_owner))
    if change.forced:
        out.append(("Milestone-Forced", "true"))
    return out


def format_message(m: Milestone, change: Change, actor: str) -> str:
    """The whole commit message; ends with the trailer paragraph and a newline.

    The only writer of commit messages: every value in the trailer block is one line (the
    one-line fields refuse line breaks and control characters), the note is made inert by
    `body`, and the subject is one line of at most 72 characters.
    """
    parts = [subject(m.milestone_id, change.summary, change.free)]
    note = body(change.note) if change.note else ""
    if note:
        parts.append(note)
    # Values are one line already (names, ids and titles refuse line breaks and control
    # characters), and are written as they are, so that they match the file.
    parts.append("\n".join(f"{k}: {v}" for k, v in trailers(m, change, actor)))
    return "\n\n".join(parts) + "\n"


def repository_message(summary: str, action: str, actor: str) -> str:
    """The message of a commit that changes the repository's own files (not a milestone):
    no `Milestone` trailer, so `log` and the commit-msg check leave it alone."""
    subj = f"milestone: {' '.join(summary.split())}"
    if len(subj) > 72:
        subj = subj[:71] + "…"
    return f"{subj}\n\nMilestone-Action: {action}\nMilestone-Actor: {actor}\n"


def parse_trailer_lines(text: str) -> list[tuple[str, str]]:
    """Split the `Key: value` lines git printed for `%(trailers:only,unfold)`."""
    out = []
    # git ends lines only at "\n"; `str.splitlines` would also split at U+2028, \x1e, \x85...
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        if sep:
            out.append((key.strip(), value.strip()))
    return out


class Record(NamedTuple):
    """One milestone commit, as its trailers tell it (a tuple: `log` builds thousands)."""

    commit: str
    when: str
    subject: str
    milestone: str
    action: str
    status: str
    progress: int | None
    owner: str | None
    actor: str
    revision: int | None
    steps: tuple[tuple[int, str], ...] = ()
    step_count: int | None = None
    forced: bool = False
    previous_owner: str | None = None

    def to_dict(self) -> dict[str, object]:
        return record_dict(self)


def record_dict(r: Record | changes.Entry) -> dict[str, object]:
    """The fields a commit's trailers tell, as `--json` shows them: the whole of a
    `Record` (`resume`'s recent commits), the start of a `log` entry."""
    return {
        "commit": r.commit,
        "when": r.when,
        "milestone": r.milestone,
        "action": r.action,
        "actor": r.actor,
        "owner": r.owner,
        "status": r.status,
        "progress": r.progress,
        "revision": r.revision,
        "steps": [{"step": n, "status": s} for n, s in r.steps],
        "forced": r.forced,
        "previous_owner": r.previous_owner,
        "subject": r.subject,
    }


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def record(commit: str, when: str, subj: str, pairs: Iterable[tuple[str, str]]) -> Record | None:
    """A Record from parsed trailers; None when the commit carries no `Milestone` trailer."""
    single: dict[str, str] = {}
    steps: list[tuple[int, str]] = []
    pending_step: int | None = None
    for key, value in pairs:
        lowered = key.lower()
        if lowered == "milestone-step":
            pending_step = _int(value)
        elif lowered == "milestone-step-status" and pending_step is not None:
            steps.append((pending_step, value))
            pending_step = None
        else:
            single.setdefault(lowered, value)
    milestone = single.get("milestone")
    if not milestone:
        return None
    owner = single.get("milestone-owner", NONE)
    return Record(
        commit=commit,
        when=when,
        subject=subj,
        milestone=milestone,
        action=single.get("milestone-action", ""),
        status=single.get("milestone-status", ""),
        progress=_int(single.get("milestone-progress")),
        owner=None if owner == NONE else owner,
        actor=single.get("milestone-actor", ""),
        revision=_int(single.get("milestone-revision")),
        steps=tuple(steps),
        step_count=_int(single.get("milestone-steps")),
        forced=single.get("milestone-forced", "").lower() == "true",
        previous_owner=single.get("milestone-previous-owner"),
    )
