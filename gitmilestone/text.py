"""User text at the edges: one-line fields refused when they hold line breaks or control
characters, and text from files shown with those characters escaped. Pure.

git splits a commit message only at `\\n`, but Python (`str.splitlines`), terminals and
editors also break lines at `\\r`, `\\v`, `\\f`, `\\x1c`-`\\x1e`, `\\x85`, U+2028 and U+2029;
a terminal obeys escape sequences. A name or a title holding any of them could pass for two
lines to one reader and one line to another, or rewrite the screen, so one-line fields
refuse them all, and every text output shows them escaped (`\\x1b`, `\\u2028`).

Names are what the record attests (`Milestone-Actor`, owners), and are written into trailers
as they are: they also refuse Unicode's invisible format characters (bidirectional
overrides and isolates, zero-width spaces and joiners, ...), with which one name renders as
another (`ali\\u200bce` as `alice`, `\\u202eecila` as `alice`). Other text may hold them (they
have uses in right-to-left writing); every text output shows them escaped, except the
joiners and variation selectors that scripts and emoji are written with.

Text that is not valid UTF-8 (an argument or a variable holding bytes Python could not
decode, which it keeps as lone surrogates) is refused wherever it enters.
"""

from __future__ import annotations

import re
from functools import cache

from gitmilestone.errors import UsageError

# C0 controls (tab, line feed and carriage return included), DEL, C1 controls (NEL
# included), and the Unicode line and paragraph separators.
NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Invisible characters: Unicode's format characters (category Cf: the bidirectional
# overrides U+202A-U+202E and isolates U+2066-U+2069, zero-width spaces and joiners, the
# byte order mark, tags...) and the other default-ignorable code points (variation
# selectors, the combining grapheme joiner, Hangul fillers), as of Unicode 15: they show
# nothing, or change how the text around them is displayed.
INVISIBLE = (
    "\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# Those of them that writing needs (the joiners of Arabic, Persian and Indic scripts and of
# emoji, variation selectors): text outside names shows them as they are.
_WRITING = "[\u180b-\u180d\u180f\u200c\u200d\ufe00-\ufe0f\U000e0100-\U000e01ef]"
# What Python makes of bytes that are not UTF-8 (`surrogateescape`), and any lone surrogate.
_SURROGATE = "\ud800-\udfff"
_NOT_UTF8 = re.compile(f"[{_SURROGATE}]")
# What a name cannot hold; the schema's `name` says the same (a test compares them).
NOT_IN_A_NAME = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}{_SURROGATE}]")
# What a terminal or a reader must not receive raw: the above except tab and line feed
# (kept where text may span lines) and what writing needs: controls, line separators, and
# invisible characters, which hide text or make it display in another order than stored.
# `_UNSAFE` (text that spans lines: notes) and `_WRITING` (an escape) are compiled when
# first used, which most commands never do.
_UNSAFE = f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}{_SURROGATE}]"
_UNSAFE_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}{_SURROGATE}]")


def escape_char(ch: str) -> str:
    """`\\x1b`, `\\u2028`, `\\U000e0041`: a character as it is written in Python source."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def utf8_problem(value: str) -> str | None:
    """Why `value` is not text (bytes that were not UTF-8), or None."""
    found = _NOT_UTF8.search(value)
    if found is None:
        return None
    # surrogateescape keeps byte B as U+DC00+B.
    code = ord(found.group())
    what = f"byte \\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else escape_char(chr(code))
    return f"it is not valid UTF-8 text ({what} at position {found.start() + 1})"


def line_problem(value: str) -> str | None:
    """Why `value` is not one line (the first offending character), or None."""
    found = NOT_IN_A_LINE.search(value)
    if found is None:
        return utf8_problem(value)
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


def check_name(value: str, where: str) -> str:
    """Refuse a name that is not one line (see `check_line`), or that holds an invisible
    format character, with which it would display as another name (exit 2)."""
    check_line(value, where, "a name")
    found = NOT_IN_A_NAME.search(value)
    if found is not None:
        raise UsageError(
            f"{where}: a name cannot hold invisible formatting characters, with which it "
            f"would display as another name, but it holds {escape_char(found.group())} at "
            f"position {found.start() + 1}; remove it"
        )
    return value


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with control characters, line separators and invisible characters escaped,
    for a terminal; with `lines`, line feeds and tabs are kept (multi-line notes). Joiners
    and variation selectors, which writing needs, are kept.
    """
    pattern = _compiled(_UNSAFE) if lines else _UNSAFE_IN_LINE
    if lines:
        text = text.replace("\r\n", "\n")
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    ch = match.group()
    return ch if _compiled(_WRITING).match(ch) else escape_char(ch)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
