"""The index of each milestone's last commits, so that `resume` does not walk history.

`git log -- FILE` from HEAD passes over every commit newer than the file's last change:
on a long history where a milestone has not changed for a while, that is most of them.
This index remembers, per milestone file, the commits that changed it as that walk gives
them (newest first, each with its parents rewritten to the commits shown) and the HEAD it
was read at (the tip). On the next read:

- HEAD is the tip: the commits are the index's, no walk at all;
- HEAD descends from the tip by a line of commits without merges: only those new commits
  are read (`git log TIP..HEAD`, with the files each changed); the ones that changed the
  file go in front, the newest of the index's becoming the parent of the oldest new one
  (that is what git's parent rewriting gives);
- anything else (no index, a reset, a rebase, another branch, merges since the tip, a
  damaged index file): the walk from HEAD, as without an index, and the index is written
  again from it.

Where history is not what the commits themselves say (replace refs, grafts, a shallow
clone), it can change while HEAD stays: the index is neither read nor written there, and
`resume` walks from HEAD every time.

Only commit ids and parents are kept: each commit's text (author, subject, trailers, body)
is asked of git every time (`git log --no-walk`), so mailmap and encoding settings apply as
they would to a walk. The files live in `<git dir>/milestone-commits/` (one per milestone
file, never committed), are written to a temporary file and renamed, carry a digest and a
format number, and are ignored (and rewritten) when they do not read back; deleting them is
always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from gitmilestone import git, history
from gitmilestone.errors import GitFailed
from gitmilestone.history import Commit

INDEX_DIR = "milestone-commits"
MAGIC = b"gitmilestone-commit-index"
FORMAT = 1
KEEP = 16  # commits kept per file: `resume` reads 6
MAX_NEW = 2000  # more new commits than this since the tip: walk from HEAD instead
_OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_GLOB = re.compile(r"[*?\[\\:!]")


class Entry(NamedTuple):
    tip: str
    commits: list[tuple[str, tuple[str, ...]]]  # (id, rewritten parents), newest first
    whole: bool  # every commit that changed the file is here


def _file(repo: git.Repo, path: str) -> Path:
    return repo.git_dir / INDEX_DIR / hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()


def load(repo: git.Repo, path: str) -> Entry | None:
    """The index's entry for `path`, or None when there is none or it does not read back."""
    try:
        data = _file(repo, path).read_bytes()
    except OSError:
        return None
    header, _, payload = data.partition(b"\n")
    parts = header.split(b" ")
    if parts[:2] != [MAGIC, b"%d" % FORMAT] or len(parts) != 3:
        return None
    if hashlib.sha256(payload).hexdigest().encode() != parts[2]:
        return None
    try:
        stored_path, tip, commits, whole = marshal.loads(payload)
        entry = Entry(tip, [(c, tuple(p)) for c, p in commits], bool(whole))
    except (EOFError, TypeError, ValueError):
        return None
    if stored_path != path or not _ids(tip, *(i for c, p in entry.commits for i in (c, *p))):
        return None  # ids only: anything else would reach git's command line
    return entry


def _ids(*found: object) -> bool:
    return all(isinstance(i, str) and _OID.fullmatch(i) for i in found)


def save(repo: git.Repo, path: str, entry: Entry) -> None:
    """Replace the entry for `path` in one rename; failing only costs the next read time."""
    payload = marshal.dumps((path, entry.tip, entry.commits[:KEEP], entry.whole))
    digest = hashlib.sha256(payload).hexdigest().encode()
    target = _file(repo, path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        target.parent.mkdir(exist_ok=True)
        with open(tmp, "xb") as handle:
            handle.write(b" ".join([MAGIC, b"%d" % FORMAT, digest]) + b"\n" + payload)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _line_since(repo: git.Repo, tip: str, head: str, path: str) -> list[str] | None:
    """The commits of TIP..HEAD that changed `path`, newest first, when TIP..HEAD is one
    line of commits without merges ending at HEAD; None otherwise (not an ancestor, merges,
    too many)."""
    proc = repo.run(
        "log", "-z", "--no-renames", "--name-only", f"-n{MAX_NEW + 1}",
        "--format=%x01%H %P", f"{tip}..{head}", "--", check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return None
    line: list[tuple[str, str]] = []
    touched: set[str] = set()
    after_header = False
    for token in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if after_header and token.startswith("\n"):  # git's newline before the names
            token = token[1:]
        after_header = token.startswith("\x01")
        if after_header:
            ids = token[1:].split(" ")
            if len(ids) != 2 or not all(_OID.fullmatch(i) for i in ids):
                return None  # a root, a merge, or not what was asked for
            line.append((ids[0], ids[1]))
        elif token.startswith("\x01"):
            return None
        elif token == path and line:
            touched.add(line[-1][0])
    if not line or len(line) > MAX_NEW or line[0][0] != head or line[-1][1] != tip:
        return None
    if any(line[i][1] != line[i + 1][0] for i in range(len(line) - 1)):
        return None
    return [c for c, _ in line if c in touched]


def _walk(repo: git.Repo, path: str) -> Iterator[Commit]:
    """`git log -- path` from HEAD, as `review.records` reads it."""
    stream = git.log_text_stream(repo, history.FULL_FORMAT, "--parents", "--", path)
    with contextlib.closing(stream):
        yield from history.parse(stream, bodies=True)


def _texts(repo: git.Repo, commits: list[tuple[str, tuple[str, ...]]]) -> list[Commit]:
    """The commits' text, fresh from git, with the index's rewritten parents."""
    if not commits:
        return []
    ids = [c for c, _ in commits]
    stream = git.log_text_stream(repo, history.FULL_FORMAT, "--no-walk=unsorted", *ids, "--")
    with contextlib.closing(stream):
        read = list(history.parse(stream, bodies=True))
    if [c.sha for c in read] != ids:
        raise GitFailed("the commit index names commits git does not give back")
    return [c._replace(parents=p) for c, (_, p) in zip(read, commits, strict=True)]


def last_commits(repo: git.Repo, path: str) -> Iterator[Commit]:
    """The commits that changed `path` in HEAD's history, newest first, exactly as
    `git log --parents -- path` gives them; from the index as far as it goes, then (for a
    reader that wants more) from git's walk."""
    try:
        head = git.head_sha(repo)
    except GitFailed:
        return iter(())
    if not _history_is_commits(repo):
        return _walk(repo, path)
    entry = None if _GLOB.search(path) else load(repo, path)
    if entry is not None and not entry.commits and not entry.whole:
        entry = None  # read before anything was asked of it: nothing to go on
    if entry is not None and entry.tip != head:
        new = _line_since(repo, entry.tip, head, path)
        if new is None:
            entry = None
        else:
            # git rewrites the oldest new commit's parent (the tip, or a commit after it
            # that left the file alone) to the newest commit before that changed the file.
            below = entry.commits[:1]
            parent = tuple(c for c, _ in below)
            chain = [(c, (new[i + 1],) if i + 1 < len(new) else parent) for i, c in enumerate(new)]
            entry = Entry(head, chain + entry.commits, entry.whole)
            if len(entry.commits) > KEEP:
                entry = Entry(head, entry.commits[:KEEP], False)
            save(repo, path, entry)
    if entry is None:
        return _walk_and_index(repo, path, head)
    try:
        known = _texts(repo, entry.commits)
    except GitFailed:
        return _walk_and_index(repo, path, head)
    return _then_walk(repo, path, known, entry.whole)


def _history_is_commits(repo: git.Repo) -> bool:
    """Whether HEAD's history is the commits' own parents, so that HEAD's id settles it: no
    replace refs (`git replace`), no grafts, not shallow (`fetch --unshallow` or `--depth`
    change history under the same HEAD); read from the files, no git process."""
    if any(
        os.environ.get(v) for v in ("GIT_REPLACE_REF_BASE", "GIT_GRAFT_FILE", "GIT_SHALLOW_FILE")
    ):
        return False
    common = repo.common_dir
    if any((common / p).exists() for p in ("shallow", "info/grafts", "reftable")):
        return False
    with contextlib.suppress(OSError):
        if any((common / "refs" / "replace").iterdir()):
            return False
    with contextlib.suppress(OSError):
        if b" refs/replace/" in (common / "packed-refs").read_bytes():
            return False
    return True


def _then_walk(repo: git.Repo, path: str, known: list[Commit], whole: bool) -> Iterator[Commit]:
    yield from known
    if whole:
        return
    for n, commit in enumerate(_walk(repo, path)):
        if n >= len(known):
            yield commit


def _walk_and_index(repo: git.Repo, path: str, head: str) -> Iterator[Commit]:
    seen: list[tuple[str, tuple[str, ...]]] = []
    whole = True
    try:
        for commit in _walk(repo, path):
            if len(seen) < KEEP:
                seen.append((commit.sha, commit.parents))
            else:
                whole = False
            yield commit
    except GeneratorExit:
        whole = False
        raise
    finally:
        save(repo, path, Entry(head, seen, whole and len(seen) <= KEEP))
