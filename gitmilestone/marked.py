"""A block between two marker lines in a text file that people also edit (AGENTS.md, a
board): replaced in place, appended when absent, and nothing outside it touched. Pure."""

from __future__ import annotations

from gitmilestone.errors import Invalid


def newline_of(text: str | None) -> str:
    """The file's own line ending, so a block written into a CRLF file stays CRLF."""
    return "\r\n" if text is not None and "\r\n" in text else "\n"


def update(text: str | None, start: str, end: str, body: str, *, name: str) -> str:
    """`text` with the block from `start` to `end` (markers included) replaced by one that
    holds `body`; the block is appended, after a blank line, when the file has none.

    Everything before the start marker and after the end marker is kept byte for byte, so
    running it again with the same body gives the same text. `name` is the file, for the
    message when the markers are broken.
    """
    nl = newline_of(text)
    block = nl.join([start, *body.split("\n"), end])
    if not text:
        return block + nl
    starts, ends = text.count(start), text.count(end)
    if starts == 0 and ends == 0:
        if text.endswith(nl + nl):
            return text + block + nl
        return text + (nl if text.endswith(nl) else nl + nl) + block + nl
    first, last = text.find(start), text.find(end)
    if starts != 1 or ends != 1 or last < first:
        raise Invalid(
            f"{name}: expected one {start} line followed by one {end} line, found {starts} "
            f"and {ends}; repair or delete the markers by hand, then run this again"
        )
    return text[:first] + block + text[last + len(end) :]
