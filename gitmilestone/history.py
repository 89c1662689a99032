"""The handoff record in `git log`: what to ask git for, and how to read its answer. Pure.

`log` asks one `git log` for every commit that changed the milestone directory (or one
milestone's file), newest first, with its rewritten parents, author, trailers and message,
each field NUL-separated (a message never holds a NUL, so no text can pass for another
field). git does the trailer parsing: `%(trailers:only,unfold)` reads only the final
trailer paragraph, so a `Milestone:` line in a note is not a trailer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from gitmilestone.commits import log_format
from gitmilestone.messages import NONE, NOTE_INDENT, REMOVED

# `%(trailers:unfold)`, not `only`: the trailer block's other lines come too, such as the
# `(cherry picked from commit X)` that `git cherry-pick -x` adds to it.
PLACEHOLDERS = ("%H", "%P", "%aI", "%an", "%s", "%(trailers:unfold)")
LOG_FORMAT = log_format(PLACEHOLDERS)
# With each commit's body too, for the notes.
FULL_FORMAT = log_format((*PLACEHOLDERS, "%b"))
# A whole history (`log` without a limit): the raw message instead. Parsing trailer
# blocks is a tenth of what git spends on such a walk; a message in the shape the tool
# writes is read here with one match (`parse_messages`), and the few others are read by
# git after the walk (`UNREAD`).
MESSAGE_FORMAT = log_format(("%H", "%P", "%aI", "%an", "%B"))
# The trailers of a commit git must read: no field git prints holds a NUL.
UNREAD = "\0"
STEP_FROM = "milestone-step-from"
_MILESTONE = re.compile(r"^milestone:", re.IGNORECASE | re.MULTILINE)
_REVERT = re.compile(r"^This reverts commit ([0-9a-f]{7,64})\b", re.MULTILINE)
_CHERRY = re.compile(r"^\(cherry picked from commit ([0-9a-f]{7,64})\)", re.MULTILINE)


def log_args(directory: str, milestone_id: str | None = None) -> list[str]:
    """`git log` options: every commit that changed `directory` (or the one milestone's
    file), with parents rewritten to the commits shown, so that each commit's parent in the
    record is the version it changed."""
    path = directory if milestone_id is None else f"{directory}/{milestone_id}.json"
    return ["--parents", "--", path]


class Commit(NamedTuple):
    """One commit as `log` reads it. `body` is None when it was not asked for."""

    sha: str
    parents: tuple[str, ...]
    when: str
    author: str
    subject: str
    trailers: str
    body: str | None

    def note(self, body: str | None = None) -> str:
        """The text between the subject and the trailer block; for a commit the tool made,
        with the indent that made it inert taken off."""
        text = (self.body if body is None else body) or ""
        paragraphs = text.strip("\n").split("\n\n")
        if self.trailers.strip() and paragraphs:
            paragraphs = paragraphs[:-1]
        lines = "\n\n".join(paragraphs).strip("\n").split("\n")
        if _MILESTONE.search(self.trailers) and all(
            not line or line.startswith(NOTE_INDENT) for line in lines
        ):
            lines = [line[len(NOTE_INDENT) :] for line in lines]
        return "\n".join(lines).strip("\n")

    @property
    def cherry_picked_from(self) -> str | None:
        """The commit `git cherry-pick -x` copied this one from."""
        return cherry_picked_from(self.trailers)


def cherry_picked_from(text: str) -> str | None:
    if "(cherry picked" not in text:
        return None
    found = _CHERRY.search(text)
    return None if found is None else found.group(1)


def reverts(body: str) -> str | None:
    """The commit a `git revert` message names."""
    found = _REVERT.search(body)
    return None if found is None else found.group(1)


def parse(chunks: Iterable[list[str]], *, bodies: bool = False) -> Iterator[Commit]:
    """The commits of a `git log -z --format=LOG_FORMAT` (with `bodies`: FULL_FORMAT)
    stream, read as lists of whole fields (`git.log_text_stream`)."""
    count = len(PLACEHOLDERS) + bodies
    # Built with tuple.__new__: a NamedTuple's own constructor costs five times as much,
    # and a long history has tens of thousands of commits.
    new = tuple.__new__
    fields: list[str] = []
    for chunk in chunks:
        fields = fields + chunk if fields else chunk
        whole = len(fields) - len(fields) % count
        it = iter(fields[:whole])
        if bodies:
            for sha, parents, when, author, subject, trailers, body in zip(
                *[it] * count, strict=True
            ):
                yield new(
                    Commit,
                    (sha.lstrip("\n"), (*parents.split(),), when, author, subject, trailers, body),
                )
        else:
            for sha, parents, when, author, subject, trailers in zip(*[it] * count, strict=True):
                yield new(
                    Commit,
                    (sha.lstrip("\n"), (*parents.split(),), when, author, subject, trailers, None),
                )
        fields = fields[whole:]
    if fields:
        # The last commit's last field has no NUL after it; an empty one is no field at all.
        last = fields + [""] * (count - len(fields))
        body = last[6] if bodies else None
        sha, parents, when, author, subject, trailers = last[:6]
        yield Commit(
            sha.lstrip("\n"), tuple(parents.split()), when, author, subject, trailers, body
        )


def parse_messages(chunks: Iterable[list[str]]) -> Iterator[Commit]:
    """The commits of a `git log -z --format=MESSAGE_FORMAT` stream, as `parse` reads them
    with `bodies`, where each message is in the tool's shape; any other commit's subject
    and trailers are `UNREAD` (git must read them: `trail.build` asks its source)."""
    new = tuple.__new__
    fields: list[str] = []
    for chunk in chunks:
        fields = fields + chunk if fields else chunk
        whole = len(fields) - len(fields) % 5
        it = iter(fields[:whole])
        for sha, parents, when, author, message in zip(*[it] * 5, strict=True):
            subject, trailers, body = _split_message(message)
            yield new(
                Commit,
                (sha.lstrip("\n"), (*parents.split(),), when, author, subject, trailers, body),
            )
        fields = fields[whole:]
    if fields:
        sha, parents, when, author, message = fields + [""] * (5 - len(fields))
        subject, trailers, body = _split_message(message)
        yield Commit(
            sha.lstrip("\n"), tuple(parents.split()), when, author, subject, trailers, body
        )


def _split_message(message: str) -> tuple[str, str, str]:
    """Subject, trailers (as `%(trailers:unfold)` prints them) and body of a message in the
    shape `messages.format_message` writes: a one-line subject, a blank line, and a last
    paragraph that is the tool's trailer block, each line `Key: value` with nothing to
    trim. Anything else (`UNREAD`) is left to git's own reading, which a look at a few
    characters could get wrong: a `---` divider or a `#` line (a cut line) before the
    block, values with space around them, a subject over several lines."""
    end = message.find("\n")
    start = message.rfind("\n\nMilestone: ") + 2
    if end > 0 and start > end and message[end + 1 : end + 2] == "\n":
        head, block = message[:start], message[start:]
        found = _tool_match(block)
        if (
            found is not None
            and not head[end - 1].isspace()
            and head[0] != "#"
            and "\n---" not in head
            and "\n#" not in head
            and " \n" not in block
            and ":  " not in block
            and "\t" not in block
            and "\r" not in block
            and "\v" not in block
            and "\f" not in block
        ):
            # `trailers` is asked about this very block next: the match is kept for it.
            _matched[:] = [block, found]
            return head[:end], block, message[end + 2 :]
    return UNREAD, UNREAD, UNREAD


class Trailers(NamedTuple):
    """What a commit's `Milestone-*` trailers say (a tuple: `log` reads thousands)."""

    milestone: str
    action: str
    status: str
    progress: int | None
    owner: str | None
    actor: str
    revision: int | None
    steps: tuple[tuple[int, str], ...]
    step_count: int | None
    forced: bool
    previous_owner: str | None
    step_from: int | None
    text: str


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


_PAIR = re.compile(r"^(milestone[-a-z]*)[ \t]*:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
# The block as the tool writes it (`messages.trailers`), read with one match; any other
# block (other keys, another order or case, other trailers) is read line by line.
_TOOL = re.compile(
    r"Milestone: ([^\n]*)\n"
    r"Milestone-Action: ([^\n]*)\n"
    r"((?:Milestone-Step: \d+\nMilestone-Step-Status: [^\n]*\n)*)"
    r"((?:Milestone-(?!Status: )[A-Za-z-]+: [^\n]*\n)*?)"
    r"Milestone-Status: ([^\n]*)\n"
    r"Milestone-Progress: (\d+)\n"
    r"Milestone-Steps: (\d+)\n"
    r"Milestone-Owner: ([^\n]*)\n"
    r"Milestone-Actor: ([^\n]*)\n"
    r"Milestone-Revision: (\d+)\n"
    r"(?:Milestone-Previous-Owner: ([^\n]*)\n)?"
    r"(Milestone-Forced: true\n)?"
)
_TOOL_STEP = re.compile(r"Milestone-Step: (\d+)\nMilestone-Step-Status: ([^\n]*)\n")
# Keys read above that must not come twice (the first would count).
_READ_KEY = re.compile(
    r"^milestone(?:-action|-step|-step-status|-status|-progress|-steps|-owner|-actor"
    r"|-revision|-previous-owner|-forced)?: ",
    re.IGNORECASE | re.MULTILINE,
)
_STEP_FROM_LINE = re.compile(r"^Milestone-Step-From: (\d+)$", re.MULTILINE)


def trailers(text: str) -> Trailers | None:
    """The `Milestone-*` trailers git printed (`%(trailers:unfold)`, each `Key: value` on
    one line); None when they name no milestone. Keys are read in any case; of a key
    given twice the first counts (the step pairs all do)."""
    if "ilestone" not in text:
        return None
    found = _matched[1] if text is _matched[0] else _tool_match(text)
    if found is None:
        return _trailers(text)
    (
        mid,
        action,
        step_lines,
        details,
        status,
        progress,
        count,
        owner,
        actor,
        revision,
        prev,
        forced,
    ) = found.groups()
    step_from = None
    if details:
        if _READ_KEY.search(details):
            return _trailers(text)
        moved = _STEP_FROM_LINE.search(details)
        step_from = None if moved is None else int(moved.group(1))
    # The same few step lists come again and again (`1 completed, 2 in_progress`...).
    steps = _step_lists.get(step_lines)
    if steps is None:
        steps = tuple((int(n), s) for n, s in _TOOL_STEP.findall(step_lines))
        if len(_step_lists) < 4096:
            _step_lists[step_lines] = steps
    return _new(
        Trailers,
        (
            mid,
            action,
            status,
            int(progress),
            None if owner == NONE else owner,
            actor,
            int(revision),
            steps,
            int(count),
            forced is not None,
            prev,
            step_from,
            text,
        ),
    )


_tool_match = _TOOL.fullmatch
# The last block `_split_message` matched, and its match.
_matched: list[Any] = [None, None]
_new = tuple.__new__
_step_lists: dict[str, tuple[tuple[int, str], ...]] = {"": ()}


def _trailers(text: str) -> Trailers | None:
    """The general case: keys in any case, any spacing."""
    single: dict[str, str] = {}
    steps: list[tuple[int, str]] = []
    pending: int | None = None
    for key, value in _PAIR.findall(text):
        lowered = key.lower()
        if lowered == "milestone-step":
            pending = _int(value)
        elif lowered == "milestone-step-status":
            if pending is not None:
                steps.append((pending, value))
            pending = None
        elif lowered not in single:
            single[lowered] = value
    return _from(single.get("milestone", ""), single, tuple(steps), text)


def _from(
    milestone: str, single: dict[str, str], steps: tuple[tuple[int, str], ...], text: str
) -> Trailers | None:
    if not milestone:
        return None
    owner = single.get("milestone-owner", NONE)
    return Trailers(
        milestone,
        single.get("milestone-action", ""),
        single.get("milestone-status", ""),
        _int(single.get("milestone-progress")),
        None if owner == NONE else owner,
        single.get("milestone-actor", ""),
        _int(single.get("milestone-revision")),
        steps,
        _int(single.get("milestone-steps")),
        single.get("milestone-forced", "").lower() == "true",
        single.get("milestone-previous-owner"),
        _int(single.get(STEP_FROM)),
        text,
    )


def pairs(text: str) -> list[tuple[str, str]]:
    """Every `Key: value` trailer line (the block's other lines left out)."""
    out = []
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            out.append((key.strip(), value.strip()))
    return out


def apply(steps: tuple[str, ...] | None, t: Trailers) -> tuple[str, ...] | None:
    """The step statuses after a commit the tool made, from those before it and what its
    trailers list; None when the trailers do not account for the change (the file must
    be read instead)."""
    if t.action == "create":
        out = ["pending"] * (t.step_count or 0)
    elif steps is None:
        return None
    elif not t.steps:
        return steps if t.step_count is None or len(steps) == t.step_count else None
    else:
        out = list(steps)
    for number, status in t.steps:
        at = number - 1
        if t.action == "step-add":
            if not 0 <= at <= len(out):
                return None
            out.insert(at, status)
        elif status == REMOVED:
            if not 0 <= at < len(out):
                return None
            del out[at]
        elif t.action == "step-move" and t.step_from is not None:
            if not (0 <= at < len(out) and 0 < t.step_from <= len(out)):
                return None
            out.pop(t.step_from - 1)
            out.insert(at, status)
        elif 0 <= at < len(out):
            out[at] = status
        else:
            return None
    if t.step_count is not None and len(out) != t.step_count:
        return None
    return tuple(out)


def short_subject(milestone: str, subject: str) -> str:
    """The subject without its `milestone(ID): ` prefix (the milestone is shown anyway)."""
    prefix = f"milestone({milestone}): "
    return subject[len(prefix) :] if subject.startswith(prefix) else subject


def short_when(when: str) -> str:
    """`2025-11-15T01:00:00+00:00` -> `2025-11-15 01:00` (the time as the commit recorded it)."""
    return f"{when[:10]} {when[11:16]}"


def step_label(steps: Iterable[tuple[int, str]]) -> str:
    label = ", ".join([f"{n} {status}" for n, status in steps])
    return label or "-"
