"""Milestone files on disk: find, read safely, write atomically, and the repository lock."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path

from gitmilestone.errors import Invalid, NotFound, Stale, UsageError
from gitmilestone.rules import MAX_BYTES, Checked, Finding, check_bytes

ID_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_ID = 64
LOCK_NAME = "milestone.lock"
LOCK_TIMEOUT = 120.0


def check_id(milestone_id: str) -> str:
    """Refuse ids that are not lowercase slugs (and so never a path)."""
    if len(milestone_id) > MAX_ID or not ID_PATTERN.fullmatch(milestone_id):
        raise UsageError(
            f"{milestone_id!r} is not a milestone id: use lowercase letters, digits and "
            f"single dashes, at most {MAX_ID} characters (like deploy-dashboard)"
        )
    return milestone_id


def read_file(root: Path, path: Path) -> bytes:
    """The bytes of a milestone file, refusing links out of the repository and huge files."""
    display = display_path(root, path)
    try:
        real = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise NotFound(f"{display}: no such file; check the path") from None
    if _inside(path.absolute(), root.absolute()) and not _inside(real, root.resolve()):
        raise Invalid(
            f"{display}: is a link that points outside the repository ({real}); "
            "put the file itself in the repository"
        )
    if not real.is_file():
        raise Invalid(f"{display}: not a regular file; give the path of a milestone .json file")
    if real.stat().st_size > MAX_BYTES:
        raise Invalid(f"{display}: over the 1 MiB limit for a milestone file; split the milestone")
    return real.read_bytes()


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def display_path(root: Path, path: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return str(path)


def check_path(root: Path, path: Path) -> Checked:
    """Read and check one milestone file; unreadable files become M001 findings."""
    display = display_path(root, path)
    try:
        data = read_file(root, path)
    except (Invalid, NotFound) as exc:
        reason = exc.message.removeprefix(f"{display}: ")
        return Checked(display, None, (Finding(display, "M001", "$", reason),))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Checked(
            display,
            None,
            (Finding(display, "M001", "$", f"cannot read: {reason}; check that you may read it"),),
        )
    return check_bytes(display, data, path.stem)


def inside_repository(root: Path, directory: Path) -> bool:
    """Whether a directory really is in the repository (no link out of it on the way)."""
    try:
        return _inside(directory.resolve(strict=True), root.resolve())
    except (OSError, RuntimeError):
        return False


def read_regular(path: Path) -> tuple[bytes, os.stat_result] | None:
    """The bytes of a regular file no larger than a milestone may be, and its stat taken
    before reading; None for anything else (a link, a directory, too big, unreadable), which
    `check_path` then reports."""
    try:
        # O_NONBLOCK: a FIFO put there must not hang the command (fstat then refuses it).
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        data = os.read(fd, info.st_size + 1)
        if len(data) == info.st_size:
            return data, info
        chunks = [data]  # a short read, or the file grew: read to the end
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks), info
    except OSError:
        return None
    finally:
        os.close(fd)


def check_files(root: Path, directory: Path) -> list[Checked]:
    """Check every milestone file in the directory; the directory is resolved once, and
    only what is not a plain file in it takes the long way through `check_path`."""
    entries = milestone_entries(directory)
    if not entries:
        return []
    inside = inside_repository(root, directory)
    prefix = display_path(root, directory)
    out = []
    for entry in entries:
        path = directory / entry.name
        plain = inside and entry.is_file(follow_symlinks=False)
        read = read_regular(path) if plain else None
        if read is None:
            out.append(check_path(root, path))
        else:
            out.append(check_bytes(f"{prefix}/{path.name}", read[0], path.stem))
    return out


def milestone_entries(directory: Path) -> list[os.DirEntry[str]]:
    """Every `*.json` directly in the milestone directory, sorted by name."""
    try:
        with os.scandir(directory) as entries:
            found = [e for e in entries if e.name.endswith(".json")]
    except FileNotFoundError:
        return []
    found.sort(key=attrgetter("name"))
    return found


def milestone_files(directory: Path) -> list[Path]:
    """Every `*.json` directly in the milestone directory, sorted."""
    return [directory / e.name for e in milestone_entries(directory)]


def write_atomic(path: Path, text: str) -> None:
    """Temporary file, fsync, rename, fsync the directory: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def restore(path: Path, original: bytes | None) -> None:
    """Put a file back as it was (`None`: it did not exist)."""
    if original is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        write_atomic(path, original.decode("utf-8"))


_HELD: set[tuple[Path, int]] = set()


@contextlib.contextmanager
def repository_lock(git_common_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Serialize every milestone write in a repository (all its worktrees share it).

    Re-entrant within one thread, so a command that must choose under the lock (`next
    --claim`) can run the ordinary write path inside it: a second flock on a new file
    descriptor would wait for the first forever.
    """
    import fcntl
    import threading

    path = git_common_dir / LOCK_NAME
    key = (path, threading.get_ident())
    if key in _HELD:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise Stale(
                        f"another milestone command has held the repository lock for "
                        f"{timeout:.0f}s; wait for it, or remove {git_common_dir / LOCK_NAME} "
                        "if no such command is running"
                    ) from None
                time.sleep(0.01)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
    finally:
        os.close(fd)
