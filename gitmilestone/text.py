"""User text at the edges: one-line fields refused when they hold line breaks or control
characters, and text from files shown with those characters escaped. Pure.

git splits a commit message only at `\\n`, but Python (`str.splitlines`), terminals and
editors also break lines at `\\r`, `\\v`, `\\f`, `\\x1c`-`\\x1e`, `\\x85`, U+2028 and U+2029;
a terminal obeys escape sequences. A name or a title holding any of them could pass for two
lines to one reader and one line to another, or rewrite the screen, so one-line fields
refuse them all, and every text output shows them escaped (`\\x1b`, `\\u2028`).
"""

from __future__ import annotations

import re

from gitmilestone.errors import UsageError

# C0 controls (tab, line feed and carriage return included), DEL, C1 controls (NEL
# included), and the Unicode line and paragraph separators.
NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What a terminal or a reader must not receive raw: the above except tab and line feed
# (kept where text may span lines), and the bidirectional overrides and isolates, which
# make text display in another order than it is stored.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_char(ch: str) -> str:
    """`\\x1b`, `\\u2028`: a character as it is written in Python or JSON source."""
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def line_problem(value: str) -> str | None:
    """Why `value` is not one line (the first offending character), or None."""
    found = NOT_IN_A_LINE.search(value)
    if found is None:
        return None
    return f"it holds {escape_char(found.group())} at position {found.start() + 1}"


def check_line(value: str, where: str, what: str = "a value") -> str:
    """Refuse a one-line field holding a line break or a control character (exit 2).

    `where` names the option, variable or setting the value came from (`--as`,
    `GIT_MILESTONE_ACTOR`); `what` says what it is (`a name`, `a title`).
    """
    problem = line_problem(value)
    if problem is not None:
        raise UsageError(
            f"{where}: {what} is one line without line breaks or control characters, but "
            f"{problem}; remove it"
        )
    return value


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with control characters, line separators and bidirectional overrides
    escaped, for a terminal; with `lines`, line feeds and tabs are kept (multi-line notes).
    """
    pattern = _UNSAFE if lines else _UNSAFE_IN_LINE
    if lines:
        text = text.replace("\r\n", "\n")
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda m: escape_char(m.group()), text)
