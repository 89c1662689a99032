"""What a write checks before it changes anything, so that it refuses and leaves nothing
behind rather than guessing: the file is HEAD's version (no change it did not make gets
folded into its commit), the current file has no problem a write would carry on, and the
file it is about to write passes every rule `validate` applies.
"""

from __future__ import annotations

from collections.abc import Collection

from gitmilestone import journal
from gitmilestone.errors import Invalid, Stale
from gitmilestone.model import Milestone
from gitmilestone.rules import Checked, Finding, check_bytes
from gitmilestone.text import printable
from gitmilestone.worktree import FileState

# Problems that make a file unfit to be written on (read rules M001-M004): a write would
# carry them on, or guess (misnumbered steps, a file named for another milestone).
_BLOCKING_PREFIX = "M0"


def _lines(findings: Collection[Finding]) -> str:
    return "\n".join(f"  {printable(f.code)} {f.path}: {printable(f.message)}" for f in findings)


def writable(checked: Checked, repairs: Collection[str] = ()) -> Milestone:
    """The milestone of a file a write may change; Invalid (exit 1) naming each problem
    when the file has one of M001-M004, unless the write repairs it (`repairs`)."""
    blocking = [
        f for f in checked.findings if f.code.startswith(_BLOCKING_PREFIX) and f.code not in repairs
    ]
    if checked.milestone is None or blocking:
        shown = blocking or list(checked.findings)
        raise Invalid(
            f"{checked.file} has {'a problem' if len(shown) == 1 else 'problems'} that a "
            f"write would carry on or guess at, so nothing was changed; correct the file "
            f"first (`git milestone validate {checked.file}` lists the problems, and "
            f"`git milestone validate --fix` repairs what can be derived):\n"
            f"{_lines(shown[:5])}",
            details=[f.to_dict() for f in shown],
        )
    return checked.milestone


def check_new(file: str, data: bytes, stem: str, before: Checked | None) -> None:
    """Refuse (exit 1) to write `data` when `validate` would not pass it: a problem with the
    file itself (M001-M004, size included), or one of M101-M105 the file did not have."""
    checked = check_bytes(file, data, stem)
    had = set() if before is None else {(f.code, f.path) for f in before.findings}
    new = [
        f
        for f in checked.findings
        if f.code.startswith(_BLOCKING_PREFIX) or (f.code, f.path) not in had
    ]
    if new:
        raise Invalid(
            f"this change would write a {file} that breaks the file rules, so nothing was "
            f"written:\n{_lines(new[:5])}",
            details=[f.to_dict() for f in new],
        )


def require_clean(
    state: FileState, entry: journal.Entry | None, milestone_id: str, file: str
) -> None:
    """Refuse (exit 4) when the file or its index entry differs from HEAD's version: the
    write would commit a change it did not make. The message says how to get out."""
    if state.clean:
        return
    if entry is not None and entry.staged and matches(state, entry, file):
        raise Stale(
            f"{file} holds a change `git milestone {entry.action} --no-commit` staged and "
            "did not commit, so nothing was changed; commit it with `git milestone recover "
            f"{milestone_id}` (its trailers record it), or drop it with `git restore --staged "
            f"--worktree {file}`, then run this command again"
        )
    if state.head is None and state.index is None:
        raise Stale(
            f"{file} is not in git yet, and a command commits only the change it makes, so "
            f"nothing was changed; commit the file as it is first (`git add {file}` and "
            f"`git commit`), or run `git milestone recover {milestone_id}` to take it away "
            "(it is kept in a backup file), then run this command again"
        )
    raise Stale(
        f"{file} is {state.describe()}: it differs from HEAD's version, and this command "
        "would commit that change under its own trailers, so nothing was changed. Commit "
        f"it yourself, or run `git milestone recover {milestone_id}` to put HEAD's version "
        "back (what is there now is kept in a backup file), then run this command again"
    )


def matches(state: FileState, entry: journal.Entry, file: str) -> bool:
    """Whether the file is exactly what the journal says a command wrote, on top of the
    HEAD version it started from (staged, or not yet)."""
    return (
        entry.path == file
        and state.head == entry.base
        and state.work == entry.written
        and (state.index in (state.head, entry.written) or state.intent_to_add)
    )
