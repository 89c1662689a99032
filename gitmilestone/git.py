"""The only module that runs git.

The hot path (every state-changing command, every hook) runs git directly: one short
process per question, and `git commit --only` for the write, which costs what a commit
costs whatever the size of the repository. GitPython, which takes a fifth of a second just
to import, is used where its object model earns that: repository setup and remotes.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from gitmilestone.errors import CommitRefused, GitFailed, IndexLocked, Invalid, NotFound
from gitmilestone.records import frozen

EMPTY_TREE_SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_CHUNK = 1 << 16


@frozen
class Repo:
    root: Path
    git_dir: Path
    common_dir: Path
    object_format: str = "sha1"
    # Where git looks for hooks (`git rev-parse --git-path hooks`, core.hooksPath honoured),
    # asked with the same process that found the repository; None: not asked.
    hooks: Path | None = None

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        return run(args, cwd=self.root, input=input, env=env, check=check)

    def text(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8", "replace")


# git refuses to start when another git process holds the index: it says so on stderr.
# ... its index, or a ref a commit moves (HEAD.lock, refs/heads/main.lock). Locks of the
# claims registry's refs are the registry's to handle (see `clear_stale_lock`).
_LOCK_HELD = re.compile(
    rb"Unable to create '([^'\n]*(?:/index|/HEAD|/refs/heads/[^'\n]*)\.lock)': File exists"
)
INDEX_LOCK_WAIT = 2.5
INDEX_LOCK_WAIT_ENV = "GIT_MILESTONE_INDEX_LOCK_WAIT"


def index_lock_wait() -> float:
    """How long to wait for another git process's index lock: `GIT_MILESTONE_INDEX_LOCK_WAIT`
    seconds (0 to 60), else 2.5."""
    try:
        wait = float(os.environ.get(INDEX_LOCK_WAIT_ENV, INDEX_LOCK_WAIT))
    except ValueError:
        return INDEX_LOCK_WAIT
    return min(max(wait, 0.0), 60.0) if wait == wait else INDEX_LOCK_WAIT  # NaN: the default


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run git. When it fails because another git process holds the index (or a ref it must
    move), try again for a moment (backing off), then refuse with exit 4 (`IndexLocked`)."""
    full_env = None if env is None else {**os.environ, **env}
    deadline, delay = 0.0, 0.05
    while True:
        try:
            proc = subprocess.run(
                ["git", *args], cwd=cwd, input=input, capture_output=True, env=full_env
            )
        except FileNotFoundError:
            raise GitFailed("git is not installed or not on PATH; install git first") from None
        locked = _LOCK_HELD.search(proc.stderr) if proc.returncode != 0 else None
        if locked is None:
            break
        now = time.monotonic()
        deadline = deadline or now + index_lock_wait()
        if now >= deadline:
            raise index_locked(locked.group(1).decode("utf-8", "replace"))
        time.sleep(min(delay, deadline - now))
        delay *= 2
    if check and proc.returncode != 0:
        name = next((a for a in args if not a.startswith("-") and "=" not in a), args[0])
        raise GitFailed(f"git {name} failed: {_output(proc).strip() or proc.returncode}")
    return proc


def index_locked(lock: str) -> IndexLocked:
    what = "index" if lock.endswith("index.lock") else "refs"
    return IndexLocked(
        f"another git process is using this repository's {what} ({lock} exists), so nothing "
        "was changed; run the command again when it has finished. Only if no git process "
        "is running (one may have been killed) is the lock left over: then remove "
        f"{lock} and run again"
    )


def _output(proc: subprocess.CompletedProcess[bytes]) -> str:
    return (proc.stdout + proc.stderr).decode("utf-8", "replace")


# What `discover` asks git.
DISCOVER = (
    "rev-parse",
    "--show-toplevel",
    "--absolute-git-dir",
    "--git-common-dir",
    "--show-object-format",
    "--git-path",
    "hooks",
)
# The object reader `objects` and `blobs` ask (the objects named on its input).
BATCH = ("cat-file", "--batch")
# Git processes started before they are asked for, by their arguments (see `start_early`).
_EARLY: dict[tuple[str, ...], subprocess.Popen[bytes]] = {}


def start_early(*commands: tuple[str, ...]) -> None:
    """Start git commands that read the repository around the current directory, as `run`
    would with the same arguments, for `early` to collect: the program's entry point starts
    the first ones a command asks (finding the repository, the config the commit route
    reads, the object reader, which then waits for its input) so that git starts while the
    rest of the program loads, on another core."""
    for args in commands:
        try:
            _EARLY[args] = subprocess.Popen(
                ["git", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError:  # no git: `run` says so when the command asks
            return


def early(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes] | None:
    """The outcome of `git ARGS` started by `start_early` (once), given `input`; None when
    it was not started."""
    proc = _EARLY.pop(args, None)
    if proc is None:
        return None
    out, err = proc.communicate(input)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def discover(cwd: Path | None = None, *, bare: bool = False) -> Repo:
    """The repository around `cwd` (the working tree root, its git dir and common dir).

    With `bare`, a bare repository (or the git directory a server hook runs in) is found
    too; its `root` is the git directory, as there is no working tree.
    """
    if bare:
        proc = run(["rev-parse", "--is-bare-repository"], cwd=cwd, check=False)
        if proc.returncode == 0 and proc.stdout.strip() == b"true":
            return _bare(cwd)
    proc = (early(*DISCOVER) if cwd is None else None) or run(DISCOVER, cwd=cwd, check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if proc.returncode != 0 or len(lines) != 5:
        where = "a git repository" if bare else "a git working tree"
        raise NotFound(f"not inside {where}; run this in a repository (or `git init` one first)")
    root, git_dir = Path(lines[0]), Path(lines[1])
    hooks = Path(cwd or os.getcwd()) / lines[4]  # relative to where git ran, or absolute
    return Repo(root, git_dir, _common(lines[2], cwd), lines[3].strip(), hooks)


def _bare(cwd: Path | None) -> Repo:
    proc = run(
        ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-object-format"], cwd=cwd
    )
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    git_dir = Path(lines[0])
    return Repo(git_dir, git_dir, _common(lines[1], cwd), lines[2].strip())


def _common(text: str, cwd: Path | None) -> Path:
    common = Path(text)
    if not common.is_absolute():
        common = (Path(cwd or os.getcwd()) / common).resolve()
    return common


def is_bare(repo: Repo) -> bool:
    return repo.root == repo.git_dir


def config(repo: Repo, *keys: str) -> dict[str, str]:
    """The values of some git config keys, read with one git process."""
    pattern = "^(" + "|".join(k.replace(".", r"\.") for k in keys) + ")$"
    proc = repo.run("config", "-z", "--get-regexp", pattern, check=False)
    out: dict[str, str] = {}
    for record in proc.stdout.decode("utf-8", "replace").split("\0"):
        if record:
            key, _, value = record.partition("\n")
            out[key.lower()] = value
    return out


def head_exists(repo: Repo) -> bool:
    return repo.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False).returncode == 0


def head_sha(repo: Repo) -> str:
    """HEAD's commit id: from the ref files when they say it (a commit has just written its
    branch as a loose ref), saving a process; else from git (packed refs, other ref
    storage)."""
    found = read_head(repo)
    return found if found is not None else repo.text("rev-parse", "HEAD").strip()


_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def read_head(repo: Repo) -> str | None:
    """HEAD's commit id as the ref files say it (no process); None when they do not (an
    unborn branch, packed refs, other ref storage)."""
    try:
        head = (repo.git_dir / "HEAD").read_text("ascii").strip()
        if head.startswith("ref: "):
            name = head[5:].strip()
            if not name.startswith("refs/heads/") or ".." in name:
                return None
            head = (repo.common_dir / name).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return head if _OBJECT_ID.fullmatch(head) else None


_KINDS = (b"blob", b"tree", b"commit", b"tag")


def objects(repo: Repo, specs: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
    """Each spec's object (id, type, contents) in one `git cat-file --batch`; None where it
    names nothing."""
    asked = "".join(f"{s}\n" for s in specs).encode()
    # Specs name paths from the top of the working tree: where git runs does not matter.
    proc = early(*BATCH, input=asked)
    if proc is None or proc.returncode != 0:  # git says why (or waits for a lock) as usual
        proc = repo.run(*BATCH, input=asked)
    data, pos = proc.stdout, 0
    out: list[tuple[str, str, bytes] | None] = []
    for _ in specs:
        end = data.index(b"\n", pos)
        header = data[pos:end].split(b" ")
        pos = end + 1
        # A found object: "<id> <type> <size>"; else "<spec> missing" (a spec may hold
        # spaces, never a type between two words and a size after).
        if len(header) == 3 and header[1] in _KINDS and header[2].isdigit():
            size = int(header[2])
            out.append((header[0].decode("ascii"), header[1].decode(), data[pos : pos + size]))
            pos += size + 1
        else:
            out.append(None)
    return out


def blobs(repo: Repo, specs: Sequence[str]) -> list[bytes | None]:
    """Object contents for `rev:path` specs in one `git cat-file --batch`; None if missing."""
    if not specs:
        return []
    proc = repo.run("cat-file", "--batch", input="".join(f"{s}\n" for s in specs).encode())
    data, pos = proc.stdout, 0
    out: list[bytes | None] = []
    for _ in specs:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            out.append(data[pos : pos + size])
            pos += size + 1
        else:
            out.append(None)
    return out


class BlobReader:
    """One long-lived `git cat-file --batch`: object contents by id or `rev:path`, one
    question at a time, started on the first question (so a caller that needs none pays
    nothing). It inherits the environment, so that it sees what git sees: in a
    pre-receive hook, the pushed objects still in quarantine."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, spec: str) -> bytes | None:
        """The blob named by `spec`; None when there is no such blob."""
        return self.read_object(spec, b"blob")

    def read_object(self, spec: str, kind: bytes = b"commit") -> bytes | None:
        """The object of type `kind` named by `spec`; None when there is no such object."""
        if "\n" in spec:
            return None
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) != 3 or not header[2].isdigit():
            if not header:
                raise GitFailed("git cat-file stopped answering; run the command again")
            return None
        size = int(header[2])
        data = proc.stdout.read(size + 1)[:size]
        return data if header[1] == kind else None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.repo.root,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except FileNotFoundError:
                raise GitFailed("git is not installed or not on PATH; install git first") from None
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.close()
            self._proc.stdout.close()
            self._proc.wait()
            self._proc = None


class ChangeReader:
    """One long-lived `git diff-tree --stdin`: the files under `path` that a commit changed
    (a merge: those that differ from every parent), one commit at a time, started on the
    first question. After each commit a line that is no object id is written; git echoes
    it once the commit's answer is out, which marks where the answer ends."""

    _MARK = b"--gitmilestone--"

    def __init__(self, repo: Repo, path: str) -> None:
        self.repo = repo
        self.path = path
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChangeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, commit: str) -> bytes:
        """`git diff-tree -z --raw` output for `commit` (NUL-separated, no commit line)."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(commit.encode("ascii") + b"\n" + self._MARK + b"\n")
        proc.stdin.flush()
        answer = b""
        end = self._MARK + b"\n"
        while not (answer == end or answer.endswith(b"\0" + end)):
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                raise GitFailed("git diff-tree stopped answering; run the command again")
            answer += chunk
        body = answer[: -len(end)]
        # The answer starts with the commit's id (NUL-terminated with -z), then the entries.
        first = body.find(b"\0")
        return body[first + 1 :] if first >= 0 else b""

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            args = ["diff-tree", "--stdin", "-r", "-c", "--root", "--no-abbrev", "--no-renames"]
            try:
                self._proc = subprocess.Popen(
                    ["git", *args, "-z", "--", self.path],
                    cwd=self.repo.root,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except FileNotFoundError:
                raise GitFailed("git is not installed or not on PATH; install git first") from None
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.close()
            self._proc.stdout.close()
            self._proc.wait()
            self._proc = None


def object_ids(repo: Repo, specs: Sequence[str]) -> list[str | None]:
    """The object id each `rev:path` (or `:path`, the index) names, in one
    `git cat-file --batch-check`; None where it names nothing."""
    proc = repo.run("cat-file", "--batch-check", input="".join(f"{s}\n" for s in specs).encode())
    out: list[str | None] = []
    for line in proc.stdout.decode("ascii", "replace").splitlines()[: len(specs)]:
        oid, _, kind = line.partition(" ")
        out.append(oid if kind.startswith("blob") else None)
    return out + [None] * (len(specs) - len(out))


def blob_id(repo: Repo, data: bytes) -> str:
    """The id git gives a blob of `data` (computed here: no process)."""
    from gitmilestone.objects import object_id

    algorithm = "sha256" if repo.object_format == "sha256" else "sha1"
    return object_id(b"blob %d\0" % len(data) + data, algorithm)


def stored_blob_id(repo: Repo, path: str) -> str:
    """The id of the blob git would store for the working file at `path`, after its
    attributes' filters and end-of-line conversion."""
    return repo.text("hash-object", f"--path={path}", "--", path).strip()


def empty_blob(repo: Repo) -> str:
    return blob_id(repo, b"")


def restore_from_head(repo: Repo, path: str, *, in_head: bool) -> None:
    """Put HEAD's version of `path` back in the index and the working tree (when HEAD has
    none: take it out of the index and delete the file)."""
    if in_head:
        repo.run("restore", "--source=HEAD", "--staged", "--worktree", "--", path)
    else:
        repo.run("rm", "--cached", "--quiet", "--force", "--ignore-unmatch", "--", path)
        (repo.root / path).unlink(missing_ok=True)


def reset_index_entry(repo: Repo, path: str) -> None:
    """Make the index entry of `path` HEAD's again, leaving the working tree alone."""
    repo.run("reset", "--quiet", "HEAD", "--", path)


def staged_changes(repo: Repo, pathspec: str) -> list[tuple[str, str]]:
    """(status letter, path) for each file under `pathspec` whose index differs from HEAD."""
    base = "HEAD" if head_exists(repo) else empty_tree(repo)
    proc = repo.run(
        "diff-index", "--cached", "--no-renames", "--name-status", "-z", base, "--", pathspec
    )
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [(fields[i][:1], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]


def empty_tree(repo: Repo) -> str:
    fmt = repo.text("rev-parse", "--show-object-format").strip()
    if fmt == "sha1":
        return EMPTY_TREE_SHA1
    return repo.run("hash-object", "-t", "tree", "--stdin", input=b"").stdout.decode().strip()


def is_tracked(repo: Repo, path: str) -> bool:
    """Whether git knows `path`: in HEAD (cheap, whatever the index size) or in the index."""
    if repo.run("cat-file", "-e", f"HEAD:{path}", check=False).returncode == 0:
        return True
    proc = repo.run("ls-files", "--error-unmatch", "--", path, check=False)
    return proc.returncode == 0


def add(repo: Repo, paths: Sequence[str], *, intent: bool = False) -> None:
    proc = repo.run("add", *(["--intent-to-add"] if intent else []), "--", *paths, check=False)
    if proc.returncode == 0:
        return
    if "outside of your sparse-checkout definition" in _output(proc):
        raise outside_sparse_checkout(str(PurePosixPath(paths[0]).parent))
    raise GitFailed(f"git add failed: {_output(proc).strip() or proc.returncode}")


def outside_sparse_checkout(directory: str) -> Invalid:
    return Invalid(
        f"{directory}/ is not part of this sparse checkout, so the milestone files are not "
        f"here; add it (`git sparse-checkout add {directory}`) and run again"
    )


def sparse_excluded(repo: Repo, directory: str) -> bool:
    """Whether `directory` is left out of this sparse checkout (its files are in the index
    but not in the working tree)."""
    enabled = config(repo, "core.sparsecheckout").get("core.sparsecheckout", "")
    if enabled.lower() not in ("true", "yes", "on", "1"):
        return False
    listed = repo.run("ls-files", "-t", "--", directory, check=False).stdout
    return any(line.startswith(b"S ") for line in listed.splitlines())


def unstage_new(repo: Repo, paths: Sequence[str]) -> None:
    repo.run("rm", "--cached", "-q", "--ignore-unmatch", "--", *paths, check=False)


def commit_only(
    repo: Repo, paths: Sequence[str], message: str, env: Mapping[str, str] | None = None
) -> str:
    """Commit exactly `paths` as they are in the working tree, leaving the rest of the index
    alone, with the repository's hooks running; return the new commit's id."""
    proc = repo.run(
        "commit",
        "--only",
        "--quiet",
        "--cleanup=verbatim",
        "--file=-",
        "--",
        *paths,
        input=message.encode("utf-8"),
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        output = _output(proc).strip()
        rewriters = rewriting_hooks(output)
        if rewriters:
            directory = PurePosixPath(paths[0]).parent.as_posix()
            names = ", ".join(f"`{name}`" for name in rewriters)
            raise CommitRefused(
                f"the pre-commit hook {names} rewrote {', '.join(paths)} during the commit, so "
                "git refused it and nothing was changed; milestone files are written in their "
                "own format, so exclude them from that hook (in .pre-commit-config.yaml: "
                f"`exclude: ^{directory}/`) and run again:\n{output}"
            )
        raise CommitRefused("git refused the commit, so nothing was changed:\n" + output)
    return head_sha(repo)


def rewriting_hooks(output: str) -> list[str]:
    """The pre-commit framework's hooks that changed files, read from what it printed
    (`- hook id: NAME` ... `- files were modified by this hook`)."""
    found: list[str] = []
    current = None
    for line in output.splitlines():
        if line.startswith("- hook id: "):
            current = line.removeprefix("- hook id: ").strip()
        elif not line.startswith("- "):
            current = None
        elif line.strip() == "- files were modified by this hook" and current is not None:
            found += [] if current in found else [current]
    return found


def hooks_dir(repo: Repo) -> Path:
    """Where git looks for hooks (honours core.hooksPath)."""
    if repo.hooks is not None:
        return repo.hooks
    path = Path(repo.text("rev-parse", "--git-path", "hooks").strip())
    return path if path.is_absolute() else repo.root / path


# The tool writes its messages verbatim and reads their trailers back with git's default
# comment character, whatever the reader configured: with `core.commentChar=M` every
# `Milestone` trailer line would otherwise read as a comment, and vanish from `log`.
def trailer_reading_env() -> dict[str, str]:
    """The environment that sets `core.commentChar=#` for one git process (after any
    configuration already passed the same way)."""
    try:
        count = int(os.environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": "core.commentChar",
        f"GIT_CONFIG_VALUE_{count}": "#",
    }


def log_records(repo: Repo, fmt: str, *args: str) -> bytes:
    return repo.run("log", f"--format={fmt}", *args, env=trailer_reading_env()).stdout


def log_stream(repo: Repo, fmt: str, *args: str) -> Generator[bytes, None, None]:
    """`git log -z --format=FMT ARGS`, one commit's record at a time as git writes it, from
    one git process; closing the iterator early stops git (so `-n` never reads all history)."""
    rest = b""
    for chunk in _log_chunks(repo, fmt, args):
        records = (rest + chunk).split(b"\0") if rest else chunk.split(b"\0")
        rest = records.pop()
        yield from records
    if rest:
        yield rest


def log_text_stream(
    repo: Repo, fmt: str, *args: str, whole: bool = False
) -> Generator[list[str], None, None]:
    """As `log_stream`, decoded (UTF-8, undecodable bytes replaced), a list of whole
    NUL-separated fields at a time: for readers of long histories, which would spend more
    on one call per field than on the fields. With `whole` (a reader that reads it all),
    git's output is taken 64 KiB at a time rather than as git writes it (a commit at a
    time), and git writes it as its buffer fills rather than after each commit, which costs a
    tenth of the calls; a reader that stops early should not ask, as git would have to
    write that much first."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    rest = ""
    for chunk in _log_chunks(repo, fmt, args, whole):
        fields = (rest + decoder.decode(chunk)).split("\0")
        rest = fields.pop()
        yield fields
    rest += decoder.decode(b"", final=True)
    if rest:
        yield [rest]


def _log_chunks(
    repo: Repo, fmt: str, args: Sequence[str], whole: bool = False
) -> Generator[bytes, None, None]:
    try:
        proc = subprocess.Popen(
            ["git", "log", "-z", f"--format={fmt}", *args],
            cwd=repo.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Buffered, `read(n)` waits for n bytes; unbuffered, it returns what there is.
            bufsize=_CHUNK if whole else 0,
            # git flushes its output after each commit when it goes to a pipe: a write, and
            # a wakeup of this reader, per commit. A reader that reads it all lets git fill
            # its buffer instead (GIT_FLUSH=0), a tenth of the writes.
            env={**os.environ, **trailer_reading_env(), **({"GIT_FLUSH": "0"} if whole else {})},
        )
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH; install git first") from None
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while chunk := proc.stdout.read(_CHUNK):
            yield chunk
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    error = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    if proc.wait() != 0:
        message = error.decode("utf-8", "replace").strip() or str(proc.returncode)
        raise GitFailed(f"git log failed: {message}")


def last_change(repo: Repo, path: str) -> tuple[str, tuple[str, ...], str] | None:
    """The last commit that changed `path` (as `git log -1 -- PATH` finds it): its id,
    parents and subject; None when no commit did."""
    proc = repo.run("log", "-1", "--format=%H%x00%P%x00%s", "--", path, check=False)
    fields = proc.stdout.decode("utf-8", "replace").rstrip("\n").split("\0")
    if proc.returncode != 0 or len(fields) != 3:
        return None
    return fields[0], tuple(fields[1].split()), fields[2]


def interpret_trailers(repo: Repo, message: bytes) -> str:
    """The trailers of a commit message as git's own parser reads them, one `Key: value` a
    line (comments and the `git commit -v` diff are ignored, as git does)."""
    proc = repo.run("interpret-trailers", "--parse", "--no-divider", input=message)
    return proc.stdout.decode("utf-8", "replace")


def merge_file(ours: Path, base: Path, theirs: Path) -> tuple[bytes, bool]:
    """git's own line merge of three files: (result with conflict markers, clean?)."""
    proc = run(
        [
            "merge-file",
            "-p",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
            str(ours),
            str(base),
            str(theirs),
        ],
        check=False,
    )
    if proc.returncode < 0 or proc.returncode > 127:
        raise GitFailed(f"git merge-file failed: {_output(proc).strip()}")
    return proc.stdout, proc.returncode == 0


def set_merge_driver(repo: Repo, name: str, description: str, command: str) -> None:
    """Register a merge driver in the repository's own config."""
    repo.run("config", "--local", f"merge.{name}.name", description)
    repo.run("config", "--local", f"merge.{name}.driver", command)


def merge_driver_command(repo: Repo, name: str) -> str | None:
    return config(repo, f"merge.{name}.driver").get(f"merge.{name}.driver")


_PLACEHOLDER = re.compile(r"%([OABLPSXY%])")


def run_merge_driver(
    repo: Repo, command: str, files: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run a merge driver's command line the way git does: through the shell, in the working
    tree, with `%O %A %B %L %P %S %X %Y` replaced (quoted) from `files` and `%%` by `%`."""

    import shlex

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        return "%" if key == "%" else shlex.quote(files.get(key, ""))

    line = _PLACEHOLDER.sub(fill, command)
    try:
        return subprocess.run(
            ["sh", "-c", line, line], cwd=repo.root, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            ["sh", "-c", line], 124, b"", f"no answer in {timeout:.0f}s".encode()
        )


def has_upstream(repo: Repo) -> bool:
    proc = repo.run("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}", check=False)
    return proc.returncode == 0


def push(repo: Repo, remote: str | None = None) -> bool:
    """Push the current branch to its upstream (a branch without one: to the same name on
    `remote`, which becomes its upstream): True when it landed, False when the remote moved
    (rejected as non-fast-forward); anything else is an error."""
    if has_upstream(repo):
        proc = repo.run("push", "--quiet", check=False)
    elif remote is not None:
        proc = repo.run("push", "--quiet", "--set-upstream", remote, "HEAD", check=False)
    else:
        raise GitFailed(
            "--push needs an upstream branch; push once with `git push -u REMOTE BRANCH`"
        )
    if proc.returncode == 0:
        return True
    output = _output(proc)
    moved = ("[rejected]", "non-fast-forward", "fetch first", "stale info", "cannot lock ref")
    if any(s in output for s in moved):
        return False
    raise GitFailed(f"git push failed: {output.strip()}")


def sync_with_upstream(repo: Repo) -> None:
    """Fetch and replay local commits onto the upstream (milestone files merge with the
    merge driver); staged and unstaged changes are kept aside and put back."""
    repo.run("fetch", "--quiet")
    proc = repo.run("rebase", "--quiet", "--autostash", "@{u}", check=False)
    if proc.returncode != 0:
        repo.run("rebase", "--abort", check=False)
        raise GitFailed(
            "could not replay your local commits onto the upstream; run `git pull --rebase`, "
            f"resolve, and try again:\n{_output(proc).strip()}"
        )


def drop_last_commit(repo: Repo, path: str, existed: bool) -> None:
    """Undo our own last commit of `path`, leaving the rest of the index alone."""
    repo.run("reset", "--quiet", "--soft", "HEAD~1")
    if existed:
        repo.run("restore", "--source=HEAD", "--staged", "--worktree", "--", path)
    else:
        repo.run("rm", "--cached", "--quiet", "--force", "--", path)
        (repo.root / path).unlink(missing_ok=True)


# The claims registry's refs: reading, compare-and-swap, and moving them to and from a remote.


def zero_id(repo: Repo) -> str:
    return "0" * (64 if repo.object_format == "sha256" else 40)


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch's short name; None on a detached HEAD."""
    try:
        head = (repo.git_dir / "HEAD").read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        head = ""
    if head.startswith("ref: refs/heads/") and not head.endswith("/.invalid"):
        return head.removeprefix("ref: refs/heads/")
    if head and not head.startswith("ref:"):
        return None
    # Another ref storage (reftable) keeps a placeholder in HEAD: ask git.
    proc = repo.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
    return proc.stdout.decode("utf-8", "replace").strip() or None


def refs(repo: Repo, fmt: str, patterns: Sequence[str]) -> bytes:
    """`git for-each-ref --format=FMT PATTERNS`: many refs and their objects, one process."""
    return repo.run("for-each-ref", f"--format={fmt}", *patterns).stdout


_MOVED_REF = ("but expected", "already exists", "unable to resolve", "cannot lock")
_LOCKED = re.compile(r"Unable to create '([^']+\.lock)': File exists")
# git holds a ref's lock for milliseconds; one this old was left by a process that died.
STALE_LOCK = 2.0


def update_ref(repo: Repo, ref: str, new: str | None, old: str | None) -> bool:
    """Compare-and-swap one ref: set `ref` to `new` (None: delete it) only if it is `old`
    (None: only if it does not exist). False when it was not: someone moved it."""
    expected = old or zero_id(repo)
    args = ["-d", ref, expected] if new is None else [ref, new, expected]
    for _ in range(2):
        proc = repo.run("update-ref", *args, check=False)
        if proc.returncode == 0:
            return True
        output = _output(proc)
        if not clear_stale_lock(repo, output):
            break
    if any(s in output for s in _MOVED_REF):
        return False
    raise GitFailed(f"git update-ref failed: {output.strip()}")


def update_refs(repo: Repo, updates: Sequence[tuple[str, str, str | None]]) -> bool:
    """Several compare-and-swaps (ref, new, old) as one transaction, one git process: all
    land or none does (False)."""
    zero = zero_id(repo)
    lines = "".join(f"update {ref} {new} {old or zero}\n" for ref, new, old in updates)
    proc = repo.run("update-ref", "--stdin", input=lines.encode(), check=False)
    return proc.returncode == 0


def clear_stale_lock(repo: Repo, output: str, *, mine: str = "refs/milestones/claims/") -> bool:
    """Remove the lock of a claims registry ref that a killed git process left behind (git
    names it in `output`); True when there was one. The refs under `mine` are changed only
    under the repository lock, which the caller holds, so a lock on one of them is stale
    at once; on other registry refs (a plain `git fetch` writes the remotes' copies), only
    once it is older than any live git would hold it."""
    found = _LOCKED.search(output)
    if found is None:
        return False
    path = Path(found.group(1))
    return clear_stale_lock_file(repo, path if path.is_absolute() else repo.root / path, mine)


def clear_stale_lock_file(repo: Repo, path: Path, mine: str = "refs/milestones/claims/") -> bool:
    """`clear_stale_lock` for the lock file at `path`."""
    refs = repo.common_dir / "refs" / "milestones"
    if refs not in path.parents:
        return False
    try:
        age = time.time() - path.stat().st_mtime
        if str(path).startswith(str(repo.common_dir / mine)) or age > STALE_LOCK:
            path.unlink()
            return True
    except FileNotFoundError:
        return True
    return False


def is_ancestor(repo: Repo, ancestor: str, descendant: str) -> bool:
    proc = repo.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
    return proc.returncode == 0


def config_values(repo: Repo, key: str) -> list[str]:
    """Every value of a multi-valued git config key (such as `remote.origin.fetch`)."""
    proc = repo.run("config", "-z", "--get-all", key, check=False)
    return [v for v in proc.stdout.decode("utf-8", "replace").split("\0") if v]


def config_add(repo: Repo, key: str, value: str) -> None:
    repo.run("config", "--add", key, value)


def remotes(repo: Repo) -> list[str]:
    return repo.text("remote").split()


def default_remote(repo: Repo) -> str | None:
    """`origin`, or the only remote there is; None when that does not say."""
    names = remotes(repo)
    if "origin" in names:
        return "origin"
    return names[0] if len(names) == 1 else None


def upstream_remote(repo: Repo) -> str | None:
    """The remote the current branch pulls from (`branch.<name>.remote`), if any."""
    branch = current_branch(repo)
    if branch is None:
        return None
    value = config(repo, f"branch.{branch}.remote").get(f"branch.{branch}.remote")
    return value if value and value != "." else None


# Keep git's own housekeeping out of a registry exchange: it would only add time.
_QUIET = ("-c", "gc.auto=0", "-c", "maintenance.auto=false")


def fetch_ref(repo: Repo, remote: str, src: str, dst: str) -> bool:
    """Fetch the remote's `src` into `dst` (forced: it is the remote's copy); False when the
    remote has no such ref."""
    for _ in range(2):
        proc = repo.run(
            *_QUIET,
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            remote,
            f"+{src}:{dst}",
            check=False,
        )
        if proc.returncode == 0:
            return True
        output = _output(proc)
        if not clear_stale_lock(repo, output, mine=dst):
            break
    if "couldn't find remote ref" in output:
        return False
    raise GitFailed(
        f"cannot fetch the claims from {remote}: {output.strip()}; check that the remote "
        "is reachable (`git fetch`), or work without it (see claims_remote in .gitmilestone.toml)"
    )


def push_ref(
    repo: Repo, remote: str, new: str | None, dst: str, expect: str | None, *, force: bool = False
) -> bool:
    """Set the remote's `dst` to `new` (None: delete it) only if it is `expect` (None: only
    if it does not exist); False when the remote had moved. Hooks do not run: this is not
    the user's push."""
    spec = f"{'+' if force else ''}{new or ''}:{dst}"
    proc = repo.run(
        *_QUIET,
        "push",
        "--porcelain",
        "--quiet",
        "--no-verify",
        f"--force-with-lease={dst}:{expect or ''}",
        remote,
        spec,
        check=False,
    )
    if proc.returncode == 0:
        return True
    output = _output(proc)
    moved = ("stale info", "fetch first", "non-fast-forward", "failed to lock", "cannot lock")
    if any(s in output for s in moved):
        return False
    raise GitFailed(f"cannot push the claim to {remote}: {output.strip()}")


def commit_count(repo: Repo, at_most: int) -> int:
    """How many commits HEAD reaches, counting no further than `at_most`."""
    proc = repo.run("rev-list", "--count", f"--max-count={at_most}", "HEAD", check=False)
    text = proc.stdout.decode().strip()
    return int(text) if proc.returncode == 0 and text.isdigit() else 0


def write_commit_graph(repo: Repo) -> bool:
    """Write the commit-graph of every reachable commit with changed-path Bloom filters
    (later `git gc` and `git maintenance` runs keep the filters); False when git could not."""
    proc = repo.run(
        "commit-graph", "write", "--reachable", "--changed-paths", "--no-progress", check=False
    )
    return proc.returncode == 0
