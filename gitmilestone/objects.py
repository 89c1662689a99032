"""Git objects and refs read and written without starting git: each registry change is a
blob, a tree and a commit, and three `git` processes would cost ten times what writing
them here costs; reading one milestone's claim (every write does) costs no process.

This is git's loose object format, which every git reads: the zlib-compressed
`<type> <size>\\0<content>`, stored at `objects/<first 2 hex digits>/<the rest>` of its
hash (SHA-1, or SHA-256 in repositories made with `--object-format=sha256`). A file is
written under a temporary name and renamed into place, so a reader never sees part of one;
as git does by default, loose objects are not fsynced. Reading goes only as far as loose
objects and refs kept in files (loose or in `packed-refs`); for anything else (a packed
object, the reftable ref storage, a symbolic ref) the caller asks git.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import stat
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# The interpreter's own SHA code, by algorithm (module, function; the module's name changed
# in Python 3.12). hashlib imports OpenSSL first, some 2 ms of every command's start, and
# the objects hashed here are small.
_BUILT_IN = {
    "sha1": (("_sha1", "sha1"),),
    "sha256": (("_sha2", "sha256"), ("_sha256", "sha256")),
}
_hashers: dict[str, Callable[[bytes], Any]] = {}


def object_id(data: bytes, algorithm: str = "sha1") -> str:
    """The id git gives an object stored as `data` (its header and body)."""
    hasher = _hashers.get(algorithm)
    if hasher is None:
        hasher = _hashers[algorithm] = _hasher(algorithm)
    return str(hasher(data).hexdigest())


def _hasher(algorithm: str) -> Callable[[bytes], Any]:
    for module, name in _BUILT_IN.get(algorithm, ()):
        try:
            found: Callable[[bytes], Any] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        return found
    import hashlib

    return lambda data: hashlib.new(algorithm, data)


def objects_dir(common_dir: Path) -> Path:
    """Where git writes objects: `GIT_OBJECT_DIRECTORY`, else `objects` in the common dir."""
    override = os.environ.get("GIT_OBJECT_DIRECTORY")
    return Path(override) if override else common_dir / "objects"


def write(
    directory: Path, kind: str, body: bytes, algorithm: str = "sha1", shared: int | None = None
) -> str:
    """Store one object (`blob`, `tree` or `commit`) and return its id. `shared`: the
    repository's core.sharedRepository as `shared_perm` reads it (None: guessed from the
    objects directory's mode)."""
    data = f"{kind} {len(body)}\0".encode("ascii") + body
    oid = object_id(data, algorithm)
    fan_out = directory / oid[:2]
    path = fan_out / oid[2:]
    if path.exists():
        # Freshen it, as git does, so that a prune of old unreachable objects spares it.
        with contextlib.suppress(OSError):
            os.utime(path)
        return oid
    guessed = _shared_mode(directory) if shared is None else None
    if not fan_out.is_dir():
        with contextlib.suppress(FileExistsError):
            fan_out.mkdir()
            if guessed is not None:
                os.chmod(fan_out, guessed)
            elif shared:
                _adjust(fan_out, shared)
    tmp = fan_out / f"tmp_obj_{os.getpid()}_{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(zlib.compress(data))
        if guessed is not None:
            os.chmod(tmp, 0o444)
        elif shared:
            _adjust(tmp, shared)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return oid


_PERM_GROUP, _PERM_EVERYBODY = 0o660, 0o664


def shared_perm(value: str | None) -> int:
    """core.sharedRepository as git reads it: 0 (the umask alone), bits to add (`group`,
    `all`), or minus an exact mode (`0640`). `value` None: the key without a value (true)."""
    if value is None:
        return _PERM_GROUP
    word = value.strip().lower()
    named = {"umask": 0, "group": _PERM_GROUP, "all": _PERM_EVERYBODY}
    named.update(world=_PERM_EVERYBODY, everybody=_PERM_EVERYBODY)
    if word in named:
        return named[word]
    try:
        number = int(word, 8)
    except ValueError:
        return _PERM_GROUP if word in ("true", "yes", "on") else 0
    if number in (0, 1, 2):
        return (0, _PERM_GROUP, _PERM_EVERYBODY)[number]
    return -(number & 0o666) if number & 0o600 == 0o600 else 0


def _adjust(path: Path, shared: int) -> None:
    """Give a new file or directory the mode git gives it in a shared repository (git's
    adjust_shared_perm)."""
    old = stat.S_IMODE(os.stat(path).st_mode)
    tweak = -shared if shared < 0 else shared
    if not old & stat.S_IWUSR:
        tweak &= ~0o222
    if old & stat.S_IXUSR:
        tweak |= (tweak & 0o444) >> 2
    new = (old & ~0o777) | tweak if shared < 0 else old | tweak
    if path.is_dir():
        new |= (new & 0o444) >> 2 | stat.S_ISGID
    if new != old:
        os.chmod(path, new)


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


class NotHere(Exception):
    """What git keeps could not be read here (a packed object, another ref storage, a
    symbolic ref): ask git."""


def read(directory: Path, oid: str) -> tuple[str, bytes]:
    """A loose object's type and body; NotHere when it is not a loose object here."""
    try:
        data = zlib.decompress((directory / oid[:2] / oid[2:]).read_bytes())
    except (OSError, zlib.error):
        raise NotHere(oid) from None
    header, _, body = data.partition(b"\0")
    kind, _, size = header.decode("ascii", "replace").partition(" ")
    if not size.isdigit() or int(size) != len(body):
        raise NotHere(oid)
    return kind, body


def read_refs(
    common_dir: Path, names: Iterable[str], packed_too: Callable[[str], bool]
) -> dict[str, str]:
    """The ids of the refs `names`, and of the packed refs `packed_too` accepts, read from
    git's files as git reads them (a loose ref wins over a packed one). NotHere when refs
    are not kept in files (reftable) or one is symbolic."""
    if (common_dir / "reftable").is_dir():
        raise NotHere("reftable")
    names = list(names)
    found: dict[str, str] = {}
    try:
        packed = (common_dir / "packed-refs").read_text("utf-8", "replace")
    except FileNotFoundError:
        packed = ""
    for line in packed.splitlines():
        oid, _, name = line.partition(" ")
        if name and not line.startswith(("#", "^")) and (name in names or packed_too(name)):
            found[name] = oid
    for name in names:
        try:
            text = (common_dir / name).read_text("ascii").strip()
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            raise NotHere(name) from None
        if text.startswith("ref:") or not all(c in "0123456789abcdef" for c in text):
            raise NotHere(name)
        found[name] = text
    return found


def commit_parts(body: bytes) -> tuple[int, str]:
    """A commit's committer time (seconds since the epoch) and message."""
    head, _, message = body.partition(b"\n\n")
    when = 0
    for line in head.split(b"\n"):
        if line.startswith(b"committer "):
            fields = line.split(b" ")
            when = int(fields[-2]) if len(fields) >= 3 and fields[-2].isdigit() else 0
    return when, message.decode("utf-8", "replace")


class Locked(Exception):
    """Someone holds the ref's lock file (a git updating it, or one that died doing so)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def swap_ref(common_dir: Path, ref: str, new: str, old: str | None) -> bool:
    """Compare-and-swap a ref kept in files, by git's own protocol: take `<ref>.lock`
    (created exclusively, so git and this exclude each other), check the current value
    (loose, else packed) is `old` (None: no such ref), write `new` and rename the lock over
    the ref. False when it was not `old`; Locked when the lock is taken; NotHere when refs
    are not kept in files. Like git by default, no fsync; no reflog (git keeps none for
    refs outside refs/heads and refs/remotes unless core.logAllRefUpdates=always)."""
    if (common_dir / "reftable").is_dir():
        raise NotHere("reftable")
    path = common_dir / ref
    lock = path.with_name(path.name + ".lock")
    shared = _shared_mode(common_dir / "refs")
    missing = [p for p in reversed(path.parents) if common_dir in p.parents and not p.is_dir()]
    for directory in missing:
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
            if shared is not None:
                os.chmod(directory, shared)
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise Locked(lock) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            current = read_refs(common_dir, [ref], lambda name: False).get(ref)
            if current != old:
                handle.close()
                os.unlink(lock)
                return False
            handle.write(f"{new}\n".encode("ascii"))
        if shared is not None:
            os.chmod(lock, 0o664)
        os.replace(lock, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        raise
    return True
