"""Committing one milestone file with git's plumbing, where nothing `git commit` does
beyond it could happen: no commit hook is installed, commits are not signed.

`git commit --only FILE` reads and refreshes the whole index (an `lstat` of every file)
and writes it twice; in a repository of 100,000 files that is most of the cost of a
write. The same commit is made here without touching the rest of the index: the blob and
the trees of the file's directories are written here (`objects`), from HEAD's trees
(read by the caller's `git cat-file --batch`, or here when HEAD moved since); `git
commit-tree` makes the commit (the identity, dates and encoding are git's own, from the
same environment and config), `git update-ref` moves HEAD from the commit it was built
on (compare-and-swap: a HEAD that moved is stale) with the reflog message `git commit`
writes, then `git update-index` updates the file's index entry, which was HEAD's version
before (the write path refuses otherwise), so nothing else staged is touched.

When a hook could run (`pre-commit`, `prepare-commit-msg`, `commit-msg`, `post-commit` in
the hooks directory git uses, or hooks set in config), when commits are signed, when
`core.safecrlf` could refuse the file, or for
anything this does not cover (the first commit, a file whose attributes change what git
stores, an executable file), the caller commits with `git commit --only`, which runs the
hooks as git runs them.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitmilestone import git, objects
from gitmilestone.errors import CommitRefused, GitFailed, Stale
from gitmilestone.records import frozen
from gitmilestone.worktree import Trees

# The hooks `git commit` runs. Others it may start (post-index-change,
# reference-transaction, pre-auto-gc) run here too: `git update-ref`, `git update-index`
# and `git maintenance` start them as `git commit` does.
COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")
# Config that changes what `git commit` does or writes: hooks set in config, signing,
# objects written with fsync (written here without, as git does by default), a sparse
# checkout, end-of-line conversions git refuses (core.safecrlf), housekeeping; and the
# modes of new objects (core.sharedRepository).
_CONFIG = (
    r"^(hook\..*|commit\.gpgsign|core\.fsync.*|core\.attributesfile|core\.sparsecheckout"
    r"|core\.safecrlf|core\.sharedrepository|gc\.auto|maintenance\..*)$"
)
# How it is read (`git.start_early` may have started it).
CONFIG = ("config", "-z", "--get-regexp", _CONFIG)
_FALSE = ("false", "no", "off", "0")
_GC_AUTO = 6700  # git's default gc.auto
_FILE_MODE = b"100644"
_TREE_MODE = b"40000"


@frozen
class Committed:
    """A commit made here: its id, and whether the file's index entry was updated (False:
    git could not take the index lock; the next command brings the entry to HEAD's)."""

    sha: str
    indexed: bool


def commit_file(
    repo: git.Repo,
    rel: str,
    base: str | None,
    data: bytes,
    message: str,
    env: Mapping[str, str],
    read: Trees | None = None,
) -> Committed | None:
    """Commit `data` (already in the working file `rel`, whose HEAD and index version was
    `base`) as HEAD's child, as `git commit --only --cleanup=verbatim` would; None when
    this route does not apply and the caller must run `git commit --only`. `read`: HEAD's
    trees along the path as the caller read them (used while HEAD is still that commit)."""
    settings = _settings(repo)
    if settings is None or not _plain_file(repo, rel, settings):
        return None
    old = _head(repo)
    if old is None:
        return None  # the first commit: git commit makes it
    algorithm = "sha256" if repo.object_format == "sha256" else "sha1"
    blob = git.blob_id(repo, data)
    if blob == base:
        return None  # nothing to commit: git commit says so
    *dirs, name = rel.split("/")
    if read is not None and read[0] == old:
        trees = _tree_bodies(read[1])
    else:
        trees = _trees(repo, old, dirs)
    if trees is None:
        return None
    entries = _entries(trees[-1], algorithm) if trees[-1] is not None else {}
    found = entries.get(name.encode("utf-8", "surrogateescape"))
    if (found[1] if found else None) != base:
        raise Stale(f"HEAD moved while this command ran, so {rel} was not committed; run again")
    if found is not None and found[0] != _FILE_MODE:
        return None
    store = objects.objects_dir(repo.common_dir)
    shared = (
        objects.shared_perm(settings["core.sharedrepository"])
        if "core.sharedrepository" in settings
        else 0
    )
    oid = objects.write(store, "blob", data, algorithm, shared)
    mode = _FILE_MODE
    for level in range(len(dirs), -1, -1):
        body = trees[level]
        key = (name if level == len(dirs) else dirs[level]).encode("utf-8", "surrogateescape")
        tree = _with(body, key, mode, oid, algorithm)
        oid = objects.write(store, "tree", tree, algorithm, shared)
        mode = _TREE_MODE
    _wait_for_index(repo)
    proc = repo.run(
        "commit-tree", oid, "-p", old, input=message.encode("utf-8"), env=env, check=False
    )
    if proc.returncode != 0:
        raise CommitRefused("git refused the commit, so nothing was changed:\n" + _out(proc))
    sha = proc.stdout.decode("ascii").strip()
    subject = message.split("\n", 1)[0]
    moved = repo.run("update-ref", "-m", f"commit: {subject}", "HEAD", sha, old, check=False)
    if moved.returncode != 0:
        raise Stale(
            f"HEAD moved while this command ran, so {rel} was not committed; run it again:\n"
            + _out(moved)
        )
    # From here the commit has landed: a failure must not put the file back.
    try:
        add = ["--add"] if base is None else []
        indexed = repo.run("update-index", *add, "--", rel, check=False).returncode == 0
    except GitFailed:  # IndexLocked too: another git held the index all along
        indexed = False
    _maintain(repo, settings)
    return Committed(sha, indexed)


def _wait_for_index(repo: git.Repo) -> None:
    """Refuse before committing, as `git commit` does, while another git process holds
    the index (waiting for it as `git.run` does): the commit must not land when its index
    entry cannot follow. (A lock taken in the moment between is the journal's case: the
    next command brings the entry to HEAD's.)"""
    index = os.environ.get("GIT_INDEX_FILE")
    lock = Path(f"{repo.root / index if index else repo.git_dir / 'index'}.lock")
    deadline, delay = 0.0, 0.05
    while lock.exists():
        now = time.monotonic()
        deadline = deadline or now + git.index_lock_wait()
        if now >= deadline:
            raise git.index_locked(str(lock))
        time.sleep(min(delay, deadline - now))
        delay *= 2


def _out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()


def _settings(repo: git.Repo) -> dict[str, str | None] | None:
    """The config that matters here (a key without a value: None); None when a hook could
    run or commits are signed."""
    hooks = git.hooks_dir(repo)
    for hook in COMMIT_HOOKS:
        path = hooks / hook
        if os.access(path, os.X_OK) and not path.is_dir():
            return None
    proc = git.early(*CONFIG) or repo.run(*CONFIG, check=False)
    found: dict[str, str | None] = {}
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if record:
            key, newline, value = record.partition("\n")
            found[key.lower()] = value if newline else None
    if any(key.startswith(("hook.", "core.fsync")) for key in found):
        return None
    # A sparse checkout: `git add` refuses paths outside it, which `update-index` would not.
    # core.safecrlf=true: git refuses a file whose end-of-line conversion would not give it
    # back as it is, which `commit-tree` would not ("warn" only warns).
    for key in ("commit.gpgsign", "core.sparsecheckout", "core.safecrlf"):
        value = str(found.get(key, "false")).lower()
        if value not in _FALSE and not (key == "core.safecrlf" and value == "warn"):
            return None
    return found


def _plain_file(repo: git.Repo, rel: str, settings: Mapping[str, str | None]) -> bool:
    """Whether git stores the working file as its bytes, mode 100644: not executable, and
    no attribute (a filter, an encoding, end-of-line conversion) turns it into other bytes.
    Where an attributes file could apply, git is asked what it would store."""
    path = repo.root / rel
    try:
        if path.is_symlink() or os.stat(path).st_mode & 0o111:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    if any(p.exists() for p in _attribute_files(repo, rel, settings)):
        return git.stored_blob_id(repo, rel) == git.blob_id(repo, data)
    return True


def _attribute_files(repo: git.Repo, rel: str, settings: Mapping[str, str | None]) -> list[Path]:
    """Every file git could read attributes of `rel` from."""
    parts = rel.split("/")[:-1]
    found = [repo.root.joinpath(*parts[:n], ".gitattributes") for n in range(len(parts) + 1)]
    found.append(repo.common_dir / "info" / "attributes")
    configured = settings.get("core.attributesfile")
    if configured:
        found.append(Path(os.path.expanduser(configured)))
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        found.append(Path(xdg) / "git" / "attributes")
    if not os.environ.get("GIT_ATTR_NOSYSTEM"):
        found += [Path("/etc/gitattributes"), Path("/usr/local/etc/gitattributes")]
    return found


def _head(repo: git.Repo) -> str | None:
    """HEAD's commit id; None on an unborn branch."""
    found = git.read_head(repo)
    if found is not None:
        return found
    proc = repo.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
    return proc.stdout.decode("ascii").strip() if proc.returncode == 0 else None


def _trees(repo: git.Repo, commit: str, dirs: list[str]) -> list[bytes | None] | None:
    """The bodies of `commit`'s root tree and of the tree of each of `dirs` in turn (None
    for a directory it does not have), in one `git cat-file --batch`; None when one of
    them is not a tree (git commit will say what is wrong)."""
    specs = [f"{commit}^{{tree}}"] + [
        f"{commit}:{'/'.join(dirs[: n + 1])}" for n in range(len(dirs))
    ]
    return _tree_bodies(git.objects(repo, specs))


def _tree_bodies(found: Sequence[tuple[str, str, bytes] | None]) -> list[bytes | None] | None:
    """The trees' bodies (None for a directory there is not); None when one of them is not
    a tree, or there is no root tree."""
    out: list[bytes | None] = []
    for obj in found:
        if obj is not None and obj[1] != "tree":
            return None
        out.append(None if obj is None else obj[2])
    return None if not out or out[0] is None else out


def _entries(body: bytes, algorithm: str) -> dict[bytes, tuple[bytes, str]]:
    """A tree's entries: name -> (mode, object id)."""
    size = 32 if algorithm == "sha256" else 20
    out: dict[bytes, tuple[bytes, str]] = {}
    pos = 0
    while pos < len(body):
        space = body.index(b" ", pos)
        nul = body.index(b"\0", space)
        out[body[space + 1 : nul]] = (body[pos:space], body[nul + 1 : nul + 1 + size].hex())
        pos = nul + 1 + size
    return out


def _with(body: bytes | None, name: bytes, mode: bytes, oid: str, algorithm: str) -> bytes:
    """A tree body with the entry `name` set to (mode, oid), in git's order (a tree sorts
    as if its name ended with '/')."""
    entries = _entries(body, algorithm) if body else {}
    entries[name] = (mode, oid)

    def order(item: tuple[bytes, tuple[bytes, str]]) -> bytes:
        return item[0] + (b"/" if item[1][0] == _TREE_MODE else b"")

    return b"".join(
        m + b" " + n + b"\0" + bytes.fromhex(o) for n, (m, o) in sorted(entries.items(), key=order)
    )


def _maintain(repo: git.Repo, settings: Mapping[str, str | None]) -> None:
    """Run git's housekeeping when `git commit` would find it has work: with maintenance
    configured, always; else when there are more loose objects than `gc.auto` allows
    (git's own estimate: the objects in one of the 256 directories)."""
    if not any(key.startswith("maintenance.") for key in settings):
        try:
            limit = int(settings.get("gc.auto") or _GC_AUTO)
        except ValueError:
            limit = _GC_AUTO
        if limit <= 0:
            return
        try:
            loose = len(os.listdir(objects.objects_dir(repo.common_dir) / "17"))
        except OSError:
            return
        if loose <= (limit + 255) // 256:
            return
    repo.run("maintenance", "run", "--auto", "--quiet", check=False)
