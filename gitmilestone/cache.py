"""The summary cache: the overviews (`list`, `next`, ...) read the summary of every unchanged
milestone file from here and check only the files that changed.

It is `<git dir>/milestone-cache`, one per worktree (half of it is about this worktree's
files), never committed, and only ever a copy of what checking the files gives:

- An entry is tied to the exact bytes that were checked, by their git blob id (the sha1 of
  `blob <size>\\0<bytes>`), and to the file's name (the milestone id must match it); the
  whole cache to a fingerprint of everything else the check depends on (this format, the
  package version, the source of the checking modules and the schema, the settings, the
  Python version). Another fingerprint: the cache is ignored and rebuilt.
- A file counts as unchanged without being read only when its lstat signature (inode,
  size, mtime, ctime, mode, device) is the one recorded when its bytes were hashed, and
  that signature was settled: the file had last changed well before it was read (20 ms,
  more than the kernel's coarse file clock lags; 2 s on a filesystem that keeps whole
  seconds), and before the cache was written (git's racy-git rule). So a write in the same
  clock tick as our read, which may leave size and times as they were, is never missed;
  and ctime counts as well as mtime, so content written behind our back with its mtime put
  back is seen too. Anything else is read and hashed; only a blob never seen before is
  checked. git's index is not consulted: its stat check can be switched off
  per file (`update-index --assume-unchanged`, `--skip-worktree`), and its blob ids are of
  the cleaned content, which filters and end-of-line conversion make differ from the bytes
  on disk.
- A file that is not a plain file inside the repository (a link, a directory, too big, or
  the milestone directory itself a link out of the repository) is checked the long way
  every time and never cached.
- The cache is written to a temporary file and renamed over the old one, so a reader sees
  a whole old or a whole new cache, and concurrent writers leave one of their (correct)
  caches. Its payload carries a sha256 digest checked before it is read: a truncated,
  corrupted or foreign file is ignored and rebuilt. Failing to write it only costs time.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import struct
import sys
import threading
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

from gitmilestone import __version__, rules, store
from gitmilestone.config import Settings
from gitmilestone.summary import Row, Summary, from_document, from_row, to_row

CACHE_FILE = "milestone-cache"
MAGIC = b"gitmilestone-summary-cache"
FORMAT = 1
# The modules whose code decides what a check gives, and the schema.
_SOURCES = (
    "cache.py",
    "summary.py",
    "rules.py",
    "model.py",
    "fastschema.py",
    "timestamps.py",
    "store.py",
    "schema/__init__.py",
    "schema/_check.py",
    "schema/milestone-v1.schema.json",
)
_DATA_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError)

Signature = bytes  # inode, size, mtime, ctime, mode, device, packed: one object, not seven
_SIGNATURE = struct.Struct("<QQqqQQ")
_UNSETTLED: Signature = b""  # recorded for a file read too soon after it changed
_TICK_NS = 20_000_000
_WHOLE_SECONDS_TICK_NS = 2_000_000_000
Key = tuple[str, str]  # (file name, blob id)


class Listing(NamedTuple):
    """The readable milestones of a directory, by file name, and the files that are not."""

    summaries: list[Summary]
    unreadable: list[str]


class _Stored(NamedTuple):
    files: dict[str, tuple[Signature, str]]
    rows: dict[Key, Row | None]
    written_ns: int  # the cache file's mtime: a file changed at or after it is racy


_EMPTY = _Stored({}, {}, 0)


@cache
def _code_digest() -> bytes:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SOURCES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # not installed as files: the version stands for the code
            digest.update(name.encode())
    return digest.digest()


def fingerprint(settings: Settings) -> bytes:
    """What every entry also depends on, besides its bytes and its name."""
    digest = hashlib.sha256(_code_digest())
    context = (FORMAT, __version__, sys.version_info[:2], marshal.version, repr(settings))
    digest.update(repr(context).encode())
    return digest.hexdigest().encode()


def blob_id(data: bytes) -> str:
    """git's id of a blob holding `data` (sha1 object format)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _signature(st: os.stat_result) -> Signature:
    return _SIGNATURE.pack(
        st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode, st.st_dev
    )


def _settled(st: os.stat_result, started_ns: int) -> Signature:
    """The signature to record for a file read after `started_ns`: the real one only if the
    file had stopped changing before then, else one that never matches."""
    tick = _WHOLE_SECONDS_TICK_NS if st.st_mtime_ns % 1_000_000_000 == 0 else _TICK_NS
    if max(st.st_mtime_ns, st.st_ctime_ns) >= started_ns - tick:
        return _UNSETTLED
    return _signature(st)


def load(path: Path, expected: bytes) -> _Stored:
    """The cache at `path`, or an empty one when it is missing, unreadable or not ours."""
    try:
        with open(path, "rb") as handle:
            written = os.fstat(handle.fileno()).st_mtime_ns
            data = handle.read()
    except OSError:
        return _EMPTY
    header, _, payload = data.partition(b"\n")
    parts = header.split(b" ")
    if parts[:3] != [MAGIC, b"%d" % FORMAT, expected] or len(parts) != 4:
        return _EMPTY
    if hashlib.sha256(payload).hexdigest().encode() != parts[3]:
        return _EMPTY
    try:
        files, rows = marshal.loads(payload)
    except (EOFError, *_DATA_ERRORS):
        return _EMPTY
    if not isinstance(files, dict) or not isinstance(rows, dict):
        return _EMPTY
    return _Stored(files, rows, written)


def save(
    path: Path,
    expected: bytes,
    files: dict[str, tuple[Signature, str]],
    rows: dict[Key, Row | None],
) -> None:
    """Replace the cache at `path` in one rename; a failure leaves the old one (or none)."""
    payload = marshal.dumps((files, rows))
    digest = hashlib.sha256(payload).hexdigest().encode()
    header = b" ".join([MAGIC, b"%d" % FORMAT, expected, digest])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(header + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _check(display: str, data: bytes) -> Summary | None:
    doc, findings = rules.decode(display, data)
    if findings or not rules.is_readable(doc):
        return None
    return from_document(doc)


def read_summaries(root: Path, directory: Path, git_dir: Path, settings: Settings) -> Listing:
    """The summaries of the milestone files in `directory`, from the cache where the files
    are unchanged; the cache is brought up to date when anything changed."""
    entries = store.milestone_entries(directory)
    if not entries:
        return Listing([], [])
    path = git_dir / CACHE_FILE
    expected = fingerprint(settings)
    # Tens of thousands of small tuples and no cycles: the collector would only get in
    # the way (it costs a quarter of the time of reading the cache).
    collecting = gc.isenabled()
    gc.disable()
    try:
        stored = load(path, expected)
        try:
            return _scan(root, directory, entries, stored, path, expected)
        except _DATA_ERRORS:
            if stored is _EMPTY:
                raise
            # A cache that passed its digest but does not hold what this code wrote.
            return _scan(root, directory, entries, _EMPTY, path, expected)
    finally:
        if collecting:
            gc.enable()


class _Hit(NamedTuple):
    key: Key
    sig: Signature
    row: Row | None
    summary: Summary | None


def _scan(
    root: Path,
    directory: Path,
    entries: Sequence[os.DirEntry[str]],
    stored: _Stored,
    path: Path,
    expected: bytes,
) -> Listing:
    inside = store.inside_repository(root, directory)
    prefix = store.display_path(root, directory)
    started = time.time_ns()
    # What the cache says of each file it can tell is unchanged; the others are read (and
    # checked when their bytes are new) all together, by two processes when they are many.
    hits: list[_Hit | None] = []
    unknown: list[int] = []
    known_files, known_rows, written = stored
    for i, entry in enumerate(entries):
        hit = None
        if inside and entry.is_file(follow_symlinks=False):
            known = known_files.get(entry.name)
            if known is not None:
                hit = _unchanged(entry, known, known_rows, written)
            if hit is None:
                unknown.append(i)
        hits.append(hit)
    if unknown:
        paths = [(directory / entries[i].name, f"{prefix}/{entries[i].name}") for i in unknown]
        for i, hit in zip(unknown, _fresh_all(paths, stored, started), strict=True):
            hits[i] = hit
    files: dict[str, tuple[Signature, str]] = {}
    rows: dict[Key, Row | None] = {}
    summaries: list[Summary] = []
    unreadable: list[str] = []
    for entry, hit in zip(entries, hits, strict=True):
        name = entry.name
        if hit is None:
            checked = store.check_path(root, directory / name)
            found = None if checked.milestone is None else from_document(checked.document)
        else:
            files[name] = (hit.sig, hit.key[1])
            rows[hit.key] = hit.row
            found = hit.summary
        if found is None:
            unreadable.append(f"{prefix}/{name}")
        else:
            summaries.append(found)
    if unknown or files.keys() != stored.files.keys():
        # Keep entries of files that went away (up to as many as there are files), so that
        # checking out another branch and back finds them again.
        for key, row in stored.rows.items():
            if len(rows) >= 2 * len(files):
                break
            rows.setdefault(key, row)
        save(path, expected, files, rows)
    return Listing(summaries, unreadable)


def _unchanged(
    entry: os.DirEntry[str],
    known: tuple[Signature, str],
    rows: dict[Key, Row | None],
    written: int,
) -> _Hit | None:
    """What the cache holds for a file it can tell is unchanged without reading it."""
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    if info.st_mtime_ns >= written or info.st_ctime_ns >= written:
        return None
    sig = _signature(info)
    if sig != known[0]:
        return None
    key = (entry.name, known[1])
    if key not in rows:
        return None
    row = rows[key]
    return _Hit(key, sig, row, None if row is None else from_row(row))


def _fresh(path: Path, display: str, stored: _Stored, started: int) -> _Hit | None:
    """Read and hash a file; check it unless its blob was checked before under its name."""
    read = store.read_regular(path)
    if read is None:
        return None
    data, info = read
    key, sig = (path.name, blob_id(data)), _settled(info, started)
    if key in stored.rows:
        row = stored.rows[key]
        return _Hit(key, sig, row, None if row is None else from_row(row))
    found = _check(display, data)
    return _Hit(key, sig, None if found is None else to_row(found), found)


# Files to read and check before the work is shared with a second process: below this, the
# fork costs more than it saves.
PARALLEL_MIN = 1000


def _fresh_all(paths: list[tuple[Path, str]], stored: _Stored, started: int) -> list[_Hit | None]:
    """`_fresh` of every (path, display), in order; when there are many and a second core,
    a forked child does the second half while this process does the first. Anything that
    goes wrong with the child (no fork, a crash, a short answer) and its half is done here:
    the answer is the same either way."""
    half = len(paths) // 2
    child = _fork(paths[half:], stored, started) if _share(len(paths)) else None
    mine = [_fresh(p, shown, stored, started) for p, shown in paths[: half if child else None]]
    if child is None:
        return mine
    theirs = _collect(*child, paths[half:])
    if theirs is None:
        theirs = [_fresh(p, shown, stored, started) for p, shown in paths[half:]]
    return mine + theirs


def _share(count: int) -> bool:
    # Forking a process that runs other threads (the MCP server) can leave the child
    # waiting on a lock one of them held.
    return (
        count >= PARALLEL_MIN
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and _spare_cores() > 0
    )


def _spare_cores() -> float:
    """Cores that other work leaves free, by the load average. On two cores a cold `list`
    of 10,000 files took 0.54 s with the child against 0.77 s without at a load of 1.7,
    but no less (at times more) at a load of 4 to 5: the child only pays when it gets a
    core of its own, and costs some 10% more work in all."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return (cores or 1) - busy


def _fork(paths: list[tuple[Path, str]], stored: _Stored, started: int) -> tuple[int, int] | None:
    """Start a child that checks `paths` and writes what it found to a pipe: (pid, fd)."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return pid, read_end
    code = 1
    try:
        os.close(read_end)
        found = [_fresh(p, shown, stored, started) for p, shown in paths]
        answer = [None if h is None else (h.key[1], h.sig, h.row) for h in found]
        with open(write_end, "wb") as out:
            out.write(marshal.dumps(answer))
        code = 0
    finally:
        os._exit(code)  # nothing of the parent's (buffers, atexit) runs twice


def _collect(pid: int, read_end: int, paths: list[tuple[Path, str]]) -> list[_Hit | None] | None:
    """What the child found, or None when it did not finish its work."""
    with open(read_end, "rb") as answer:
        data = answer.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        found = marshal.loads(data)
    except (EOFError, *_DATA_ERRORS):
        return None
    if not isinstance(found, list) or len(found) != len(paths):
        return None
    out: list[_Hit | None] = []
    for (p, _), item in zip(paths, found, strict=True):
        if item is None:
            out.append(None)
            continue
        blob, sig, row = item
        out.append(_Hit((p.name, blob), sig, row, None if row is None else from_row(row)))
    return out
