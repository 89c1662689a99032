"""Git objects written without starting git: each registry change is a blob, a tree and a
commit, and three `git` processes would cost ten times what writing them here costs.

This is git's loose object format, which every git reads: the zlib-compressed
`<type> <size>\\0<content>`, stored at `objects/<first 2 hex digits>/<the rest>` of its
hash (SHA-1, or SHA-256 in repositories made with `--object-format=sha256`). A file is
written under a temporary name and renamed into place, so a reader never sees part of one;
as git does by default, loose objects are not fsynced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import zlib
from pathlib import Path


def objects_dir(common_dir: Path) -> Path:
    """Where git writes objects: `GIT_OBJECT_DIRECTORY`, else `objects` in the common dir."""
    override = os.environ.get("GIT_OBJECT_DIRECTORY")
    return Path(override) if override else common_dir / "objects"


def write(directory: Path, kind: str, body: bytes, algorithm: str = "sha1") -> str:
    """Store one object (`blob`, `tree` or `commit`) and return its id."""
    data = f"{kind} {len(body)}\0".encode("ascii") + body
    oid = hashlib.new(algorithm, data).hexdigest()
    fan_out = directory / oid[:2]
    path = fan_out / oid[2:]
    if path.exists():
        # Freshen it, as git does, so that a prune of old unreachable objects spares it.
        with contextlib.suppress(OSError):
            os.utime(path)
        return oid
    shared = _shared_mode(directory)
    if not fan_out.is_dir():
        with contextlib.suppress(FileExistsError):
            fan_out.mkdir()
            if shared is not None:
                os.chmod(fan_out, shared)
    tmp = fan_out / f"tmp_obj_{os.getpid()}_{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(zlib.compress(data))
        if shared is not None:
            os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return oid


def _shared_mode(directory: Path) -> int | None:
    """The objects directory's mode when it is shared with a group (core.sharedRepository),
    so new directories and files stay usable by the group, as git makes them."""
    try:
        mode = stat.S_IMODE(directory.stat().st_mode)
    except OSError:
        return None
    return mode | stat.S_ISGID if mode & stat.S_IWGRP else None


def tree(entries: list[tuple[str, str]], algorithm: str = "sha1") -> bytes:
    """The body of a tree of regular files: (name, blob id) pairs."""
    return b"".join(
        b"100644 " + name.encode("utf-8") + b"\0" + bytes.fromhex(oid)
        for name, oid in sorted(entries)
    )


def commit(tree_id: str, parents: list[str], ident: str, when: int, message: str) -> bytes:
    """The body of a commit; `ident` is `Name <email>`, `when` seconds since the epoch."""
    lines = [f"tree {tree_id}", *(f"parent {p}" for p in parents)]
    lines += [f"author {ident} {when} +0000", f"committer {ident} {when} +0000"]
    return ("\n".join(lines) + "\n\n" + message).encode("utf-8")


def ident(name: str) -> str:
    """A git identity for `name` (no email: the registry records names, not addresses)."""
    clean = "".join(" " if c in "<>\n\r\0" else c for c in name).strip() or "unknown"
    return f"{clean} <>"
