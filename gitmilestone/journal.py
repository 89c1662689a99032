"""The write-ahead journal: what a write is about to change, kept until its commit lands.

Before a command writes a milestone file it records, under this worktree's git directory
(`<git-dir>/milestone-journal/<id>.json`), the file's path, the blob id of HEAD's version
it started from, the blob id of what it is about to write, and the whole commit message
(with who acts). The entry is removed once the commit lands (or the file is put back after
a refused commit); `--no-commit` leaves it on purpose.

So a command that dies between writing and committing (killed, a power cut, a crashed
hook) leaves a change the next command can recognise as a whole change of the tool's own:
`git milestone recover ID` commits it with the trailers it should have had. Anything else
found in the file is not the tool's to commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

from gitmilestone import store
from gitmilestone.records import asdict, field, frozen

DIRECTORY = "milestone-journal"
BACKUPS = "milestone-recovered"
# `store.write_atomic`'s temporary files: `.NAME.PID.tmp`.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.tmp")


@frozen
class Entry:
    """One write in flight."""

    milestone_id: str
    path: str
    base: str | None
    written: str
    message: str
    actor: str
    action: str
    env: dict[str, str] = field(default_factory=dict)
    # Written by `--no-commit`: left for the user to commit, never committed by itself.
    staged: bool = False


def _path(git_dir: Path, milestone_id: str) -> Path:
    return git_dir / DIRECTORY / f"{milestone_id}.json"


def record(git_dir: Path, entry: Entry) -> None:
    """Write the entry durably (temporary file, fsync, rename) before the file changes."""
    store.write_atomic(_path(git_dir, entry.milestone_id), json.dumps(asdict(entry)) + "\n")


def read(git_dir: Path, milestone_id: str) -> Entry | None:
    """The entry for a milestone; None when there is none (or it cannot be read: an entry
    is written whole or not at all, so an unreadable one was not written by this tool)."""
    try:
        data = json.loads(_path(git_dir, milestone_id).read_text(encoding="utf-8"))
        entry = Entry(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not all(isinstance(v, str) for v in (entry.path, entry.written, entry.message)):
        return None
    return entry


def remove(git_dir: Path, milestone_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        _path(git_dir, milestone_id).unlink()


def remove_temporaries(directory: Path) -> list[Path]:
    """Delete the temporary files of atomic writes whose process is gone (a write killed
    before its rename); call it under the repository lock. Returns what it deleted."""
    removed = []
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if e.name.endswith(".tmp")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in names:
        found = _TEMPORARY.fullmatch(name)
        if found is None or _alive(int(found.group("pid"))):
            continue
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
            removed.append(directory / name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def backup(git_dir: Path, milestone_id: str, stamp: str, data: bytes) -> Path:
    """Keep content a recovery takes out of the way: `<git-dir>/milestone-recovered/`."""
    target = git_dir / BACKUPS / f"{milestone_id}.{stamp}.json"
    n = 1
    while target.exists():
        n += 1
        target = git_dir / BACKUPS / f"{milestone_id}.{stamp}.{n}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
