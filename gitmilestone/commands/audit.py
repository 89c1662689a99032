"""`validate --range` and `validate --pre-receive`: the guard's checks, commit by commit.

Every commit in a range is checked as the pre-commit guard checks a staged change: each
milestone file it changes alone (M0xx, M1xx) and against its version in the commit's
parent (M2xx, M3xx; a merge against every parent, with the guard's merge rules; a root
commit like a first commit), and its Milestone trailers, when it has any, against the
file they name (M401, M402). What the guard takes from the working tree comes from the
commit instead: the settings (`.gitmilestone.toml` as committed there), the actor (the
`Milestone-Actor` trailer, else the author's name), the time for leases (the committer
date) and `--force` (`Milestone-Forced: true`). Nothing needs a working tree, so this runs
in a bare repository and in a server's pre-receive hook, where the pushed objects are
still in quarantine: every git process inherits the environment git set for the hook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import PurePosixPath
from typing import NamedTuple

from gitmilestone import commits, git, messages, timestamps
from gitmilestone.commands.guard import (
    ChangeContext,
    as_committed,
    check_change,
    misnamed,
    trailer_problems,
)
from gitmilestone.config import CONFIG_FILE, Settings, parse_settings
from gitmilestone.errors import Invalid, MilestoneError, UsageError
from gitmilestone.output import Result
from gitmilestone.records import mutable, replace
from gitmilestone.rules import Finding, check_bytes
from gitmilestone.store import ID_PATTERN, MAX_ID

_PLACEHOLDERS = ("%H", "%P", "%cI", "%an", "%(trailers:only,unfold)")
_WALK = (
    "--full-history",
    "--diff-merges=first-parent",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "--reverse",
)
SHORT = 9


class Found(NamedTuple):
    """A finding in one commit."""

    commit: str
    finding: Finding

    def __str__(self) -> str:
        return f"{self.commit[:SHORT]}: {self.finding}"

    def to_dict(self) -> dict[str, str]:
        return {"commit": self.commit, **self.finding.to_dict()}


@mutable
class Checked:
    """What a range check saw: commits walked, milestone files checked, findings."""

    commits: int = 0
    files: int = 0
    findings: tuple[Found, ...] = ()


def validate_range(repo: git.Repo, spec: str) -> Result:
    """Check every commit of `A..B` (or `REV`, meaning `REV^..REV`)."""
    checked = check_commits(repo, range_args(repo, spec))
    return _report(checked, {"range": spec})


def range_args(repo: git.Repo, spec: str) -> list[str]:
    """The `git log` arguments for a range: `A..B` and `A...B` as git reads them; a single
    `REV` is `REV^..REV`, or the commit alone when it is a root commit."""
    spec = spec.strip()
    if not spec or spec.startswith("-"):
        raise UsageError(f"--range {spec!r}: give a range such as origin/main..HEAD, or a commit")
    if ".." in spec:
        ends = [e for e in re.split(r"\.{2,3}", spec) if e]
        for end in ends:
            _commit_of(repo, end, spec)
        return [spec]
    sha = _commit_of(repo, spec, spec)
    parent = repo.run("rev-parse", "-q", "--verify", f"{sha}^1^{{commit}}", check=False)
    return [f"{sha}^1..{sha}"] if parent.returncode == 0 else [sha]


def _commit_of(repo: git.Repo, rev: str, spec: str) -> str:
    proc = repo.run(
        "rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}", check=False
    )
    if proc.returncode != 0:
        raise UsageError(
            f"--range {spec}: {rev!r} is not a commit here; fetch it first "
            "(in CI: check out with the whole history, `fetch-depth: 0`)"
        )
    return proc.stdout.decode().strip()


def check_commits(
    repo: git.Repo, rev_args: Sequence[str], *, skip: set[str] | None = None
) -> Checked:
    """Check every commit `git log REV_ARGS` lists, oldest first; commits in `skip` are
    passed over, and every commit checked is added to it."""
    stream = git.log_stream(repo, commits.log_format(_PLACEHOLDERS), *_WALK, *rev_args)
    checked = Checked()
    found: list[Found] = []
    settings: dict[str, Settings] = {}
    with closing(stream), git.BlobReader(repo) as blobs:
        for commit in commits.parse(stream, len(_PLACEHOLDERS)):
            if skip is not None:
                if commit.fields[0] in skip:
                    continue
                skip.add(commit.fields[0])
            checked.commits += 1
            files, problems = _check_commit(commit, blobs, settings)
            checked.files += files
            found += problems
    checked.findings = tuple(found)
    return checked


def _settings(sha: str, blobs: git.BlobReader, cache: dict[str, Settings]) -> Settings:
    data = blobs.read(f"{sha}:{CONFIG_FILE}")
    key = "" if data is None else data.decode("utf-8", "replace")
    if key not in cache:
        try:
            cache[key] = parse_settings(data)
        except MilestoneError as exc:
            raise Invalid(f"commit {sha[:SHORT]}: {exc.message}") from None
    return cache[key]


def _check_commit(
    commit: commits.Commit, blobs: git.BlobReader, cache: dict[str, Settings]
) -> tuple[int, list[Found]]:
    sha, parents_text, committed, author, trailer_text = commit.fields
    pairs = messages.parse_trailer_lines(trailer_text)
    named = [value for key, value in pairs if key.lower() == "milestone"]
    if not named and not any(c.path.endswith(".json") for c in commit.changes):
        return 0, []  # no milestone file can be among its changes: no settings to read
    settings = _settings(sha, blobs, cache)
    directory = PurePosixPath(settings.dir)
    changed = {
        c.path: c
        for c in commit.changes
        if PurePosixPath(c.path).parent == directory and c.path.endswith(".json")
    }
    if not changed and not named:
        return 0, []
    parents = parents_text.split()
    actor = _first(pairs, "milestone-actor") or author
    forced = frozenset(named) if _first(pairs, "milestone-forced") == "true" else frozenset()
    ctx = ChangeContext(actor, timestamps.parse(committed), settings.lease, forced)
    out: list[Found] = []
    versions: dict[str, bytes | None] = {}
    for path, change in changed.items():
        if not ID_PATTERN.fullmatch(PurePosixPath(path).stem):
            if not change.deleted:
                out += [Found(sha, f) for f in misnamed(path).findings]
            continue
        new = None if change.deleted else blobs.read(change.new)
        versions[path] = new
        bases = _bases(path, change, parents, blobs)
        out += [Found(sha, as_committed(f)) for f in check_change(path, new, bases, ctx).findings]
    if named:
        out += [Found(sha, f) for f in _trailer_findings(settings.dir, named, pairs, versions)]
    return len(changed), out


def _bases(
    path: str, change: commits.FileChange, parents: list[str], blobs: git.BlobReader
) -> list[bytes | None]:
    """The file in each parent (none: a root commit, checked like a first commit)."""
    if not parents:
        return [None]
    first = None if change.added else blobs.read(change.old[0])
    return [first, *(blobs.read(f"{p}:{path}") for p in parents[1:])]


def _first(pairs: list[tuple[str, str]], key: str) -> str | None:
    return next((value for k, value in pairs if k.lower() == key), None)


def _trailer_findings(
    directory: str,
    named: list[str],
    pairs: list[tuple[str, str]],
    versions: dict[str, bytes | None],
) -> list[Finding]:
    """M402 when the trailers name no milestone this commit changes (or several); M401 for
    each trailer that says otherwise than the file."""
    milestone_id = named[0]
    rel = f"{directory}/{milestone_id}.json"
    if len(named) > 1:
        return [_m402(rel, f"the trailers name {len(named)} milestones ({', '.join(named)})")]
    if len(milestone_id) > MAX_ID or not ID_PATTERN.fullmatch(milestone_id):
        return [_m402(rel, f"Milestone says {milestone_id!r}, which is not a milestone id")]
    if rel not in versions:
        return [
            _m402(
                rel, f"the trailers describe {milestone_id} but this commit does not change {rel}"
            )
        ]
    data = versions[rel]
    if data is None:
        return [_m402(rel, f"the trailers describe {milestone_id} but this commit deletes {rel}")]
    milestone = check_bytes(rel, data, milestone_id).milestone
    if milestone is None:
        return []  # the file's own findings say why
    record = messages.record("", "", "", pairs)
    assert record is not None
    return [
        Finding(
            rel,
            "M401",
            path,
            f"{problem}: the trailers do not say what the commit did; undo it "
            f"(`git milestone undo {milestone_id}`) or redo it with a `git milestone` command",
        )
        for path, problem in trailer_problems(milestone, record, pairs, "the file")
    ]


def _m402(rel: str, what: str) -> Finding:
    return Finding(
        rel,
        "M402",
        "$",
        f"{what}; a milestone commit changes exactly the milestone its trailers name",
    )


def _report(checked: Checked, extra: dict[str, object]) -> Result:
    found = checked.findings
    data = {
        **extra,
        "commits": checked.commits,
        "files": checked.files,
        "findings": [f.to_dict() for f in found],
    }
    if not found:
        return Result(
            data,
            f"{checked.commits} commit(s) checked, {checked.files} milestone change(s), "
            "no problems",
        )
    bad = len({f.commit for f in found})
    summary = f"{len(found)} problem(s) in {bad} of {checked.commits} commit(s)"
    return Result(data, "\n".join(map(str, found)), 1, ("findings", summary))


def pre_receive(repo: git.Repo, updates: Iterable[str]) -> Result:
    """The server's guard: every commit a push brings, for each `OLD NEW REF` line git gives
    a pre-receive hook. A deleted ref is allowed; a new ref is checked against the default
    branch (every commit on it not on the branch `HEAD` names; when that branch does not
    exist yet, every commit new to the repository); an update, forced or not, for every
    commit new to the repository."""
    default = _default_branch(repo)
    seen: set[str] = set()
    total = Checked()
    refs: list[str] = []
    found: list[Found] = []
    for line in updates:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        if commits.is_null(new) or not _is_commit(repo, new):
            continue
        refs.append(ref)
        base = [default] if commits.is_null(old) and default is not None else ["--all"]
        checked = check_commits(repo, [new, "--not", *base], skip=seen)
        total.commits += checked.commits
        total.files += checked.files
        found += checked.findings
    total.findings = tuple(found)
    result = _report(total, {"refs": refs})
    if result.error is None:
        return replace(result, text=f"milestone check: {result.text_out()}")
    return Result(
        result.data,
        result.text,
        result.exit_code,
        (
            "push-refused",
            f"push refused: {result.error[1]}; fix them (`git milestone validate --range "
            "ORIGIN..HEAD` finds the same before you push), then push again",
        ),
    )


def _default_branch(repo: git.Repo) -> str | None:
    proc = repo.run("symbolic-ref", "-q", "HEAD", check=False)
    ref = proc.stdout.decode().strip()
    if proc.returncode != 0 or not ref:
        return None
    exists = repo.run("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False)
    return ref if exists.returncode == 0 else None


def _is_commit(repo: git.Repo, oid: str) -> bool:
    proc = repo.run("rev-parse", "-q", "--verify", f"{oid}^{{commit}}", check=False)
    return proc.returncode == 0
