"""The commit guards: `validate --staged` (pre-commit) and `validate --commit-msg` (commit-msg).

Both only read. The staged version of a file is `:path` and the base is `HEAD:path`, read
together with one `git cat-file --batch`; `:path` is the index git is about to commit (git
points GIT_INDEX_FILE at a temporary index for `git commit --only` and `git commit PATH`),
and nothing here takes git's index lock.

The base is HEAD for every commit, amends included: git does not tell a pre-commit hook
that it is amending, so an amend is checked as a change on top of the commit it replaces.
Amending with no further milestone change passes (nothing differs from HEAD); a further
edit must be a proper write on top of HEAD's version (its revision + 1), which asks one
revision more than strictly needed and never lets a stale copy through. In the first
commit of a repository there is no base: only the file rules apply.

In a merge (MERGE_HEAD exists) a file taken unchanged from one parent passes the change
rules, as that parent's commit was checked when it was made. A combined file must keep
what any parent finished (M203, M205), carry the latest `updated_at` and revision
max + 1 (as the merge driver writes), and the other change rules count only when they hold
against every parent: what one side wrote is that side's change, not the merger's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from gitmilestone import git, messages, timestamps
from gitmilestone.claims import Holder
from gitmilestone.commands.validate import report
from gitmilestone.errors import EXIT_CONFLICT, UsageError
from gitmilestone.model import Milestone
from gitmilestone.output import Result
from gitmilestone.records import field, frozen, replace
from gitmilestone.rules import Checked, Finding, change_findings, check_bytes
from gitmilestone.store import ID_PATTERN
from gitmilestone.workspace import FORCED_ENV, Workspace, current_time

# A line that might start a Milestone trailer; a message without one passes at once.
_MAYBE_TRAILER = re.compile(rb"^\s*milestone", re.IGNORECASE | re.MULTILINE)
# In a merge these count against any parent; M201/M202 have merge forms of their own.
_ANY_PARENT = frozenset({"M203", "M205", "M206"})
_MERGE_FORMS = frozenset({"M201", "M202"})
_GITHEAD = re.compile(r"GITHEAD_([0-9a-f]{40}|[0-9a-f]{64})")
_REFUSED_HINT = (
    "the commit was refused: fix the file(s) and stage them again; the `git milestone` "
    "commands write changes that pass"
)
_CONFLICT_HINT = (
    "the commit was refused: someone else holds the milestone, so claim it first "
    "(`git milestone claim ID`, `--force` to take an active lease) or leave it to them"
)


@frozen
class ChangeContext:
    """Who makes a change, when, under which lease, and which milestones it takes by force;
    and who holds them in the claims registry (by id; a milestone it has no entry for is
    held as its file says)."""

    actor: str | None
    now: datetime
    lease: timedelta
    forced: frozenset[str]
    holders: Mapping[str, Holder] = field(default_factory=dict)


def staged(ws: Workspace, *, changes_only: bool = False) -> Result:
    """The pre-commit guard: each staged milestone file, alone and against HEAD (M0xx-M3xx).

    With `changes_only`, only the rules about the change against HEAD (M2xx, M3xx): for the
    pre-commit framework, whose `milestone-validate` hook already reports the file rules.
    Exit 3 when every problem is an owner conflict (M3xx), as for the commands; 1 otherwise.
    """
    directory = PurePosixPath(ws.settings.dir)
    changes = {
        path: status
        for status, path in git.staged_changes(ws.repo, ws.settings.dir)
        if PurePosixPath(path).parent == directory and path.endswith(".json")
    }
    if not changes:
        return Result({"files": 0, "findings": []}, "no milestone file staged")
    now = current_time()
    readable = [p for p in changes if ID_PATTERN.fullmatch(PurePosixPath(p).stem)]
    ctx = ChangeContext(
        _actor(ws), now, ws.settings.lease, _forced_ids(), _registry_holders(ws, readable, now)
    )
    revs = ["", "HEAD", *_merge_heads(ws.repo)]
    data = git.blobs(ws.repo, [f"{rev}:{p}" for p in readable for rev in revs])
    checked = (
        []
        if changes_only
        else [misnamed(p) for p, s in changes.items() if p not in readable and s != "D"]
    )
    for i, path in enumerate(readable):
        versions = data[i * len(revs) : (i + 1) * len(revs)]
        one = check_change(path, versions[0], versions[1:], ctx)
        if changes_only:
            one = replace(one, findings=tuple(f for f in one.findings if f.code[1] in "23"))
        checked.append(one)
    result = report(checked)
    if result.error is None:
        return result
    codes = {f.code for c in checked for f in c.findings}
    if all(code.startswith("M3") for code in codes):
        return replace(
            result,
            exit_code=EXIT_CONFLICT,
            error=("owner-conflict", f"{result.error[1]}, owner conflicts; {_CONFLICT_HINT}"),
        )
    return replace(result, error=(result.error[0], f"{result.error[1]}; {_REFUSED_HINT}"))


def _registry_holders(ws: Workspace, paths: list[str], now: datetime) -> dict[str, Holder]:
    """Who holds each staged milestone in the claims registry (one `git for-each-ref`;
    reading only: the guard never writes a ref)."""
    if not paths:
        return {}
    from gitmilestone.registry import Registry

    known = Registry(ws.repo, ws.settings.claims_remote).all()
    out = {}
    for path in paths:
        claim = known.get(PurePosixPath(path).stem)
        entry = None if claim is None else claim.entry
        if entry is not None:
            out[entry.milestone_id] = entry.holding(now)
    return out


def _actor(ws: Workspace) -> str | None:
    try:
        return ws.actor_name
    except UsageError:
        return None


def _forced_ids() -> frozenset[str]:
    """Milestones `claim --force` is taking in this commit (it sets GIT_MILESTONE_FORCED)."""
    return frozenset(re.split(r"[\s,]+", os.environ.get(FORCED_ENV, "").strip())) - {""}


def _merge_heads(repo: git.Repo) -> list[str]:
    try:
        text = (repo.git_dir / "MERGE_HEAD").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        # `git merge` committing by itself runs pre-merge-commit before it writes
        # MERGE_HEAD; it names the commits it merges in GITHEAD_<id> variables instead.
        return sorted(m.group(1) for key in os.environ if (m := _GITHEAD.fullmatch(key)))
    return [line.strip() for line in text.splitlines() if line.strip()]


def misnamed(path: str) -> Checked:
    """M003 for a file in the milestone directory whose name is no milestone id."""
    finding = Finding(
        path,
        "M003",
        "$",
        "this file name is not a milestone id; name the file <milestone_id>.json "
        "(lowercase letters, digits and single dashes)",
    )
    return Checked(path, None, (finding,))


def _load(path: str, data: bytes, stem: str) -> Milestone | None:
    return check_bytes(path, data, stem).milestone


def check_change(
    path: str, new_data: bytes | None, bases: list[bytes | None], ctx: ChangeContext
) -> Checked:
    """One file of a change: the new version alone (M0xx, M1xx; None: deleted) and against
    each parent's version in `bases` (M2xx, M3xx; several for a merge, None: absent)."""
    stem = PurePosixPath(path).stem
    new = None if new_data is None else check_bytes(path, new_data, stem)
    findings = [] if new is None else list(new.findings)
    milestone = None if new is None else new.milestone
    known = [b for b in bases if b is not None]
    if not known or (len(bases) > 1 and new_data in known):
        return Checked(path, milestone, tuple(findings))
    if new is not None and milestone is None:
        return Checked(path, None, tuple(findings))
    olds = [_load(path, b, stem) for b in known]
    per_base = [
        list(
            change_findings(
                path,
                old,
                milestone,
                actor=ctx.actor,
                now=ctx.now,
                lease=ctx.lease,
                forced=stem in ctx.forced,
                holder=ctx.holders.get(stem),
            )
        )
        for old in olds
    ]
    if milestone is None and not any(per_base):
        per_base = [[_deleted(path)]]
    if len(bases) == 1 or milestone is None:
        findings += [f for base in per_base for f in base]
    else:
        findings += _merge_findings(path, milestone, [o for o in olds if o is not None], per_base)
    return Checked(path, milestone, tuple(sorted(set(findings))))


def as_committed(finding: Finding) -> Finding:
    """The guard's words for a commit being made (against HEAD), for one already made."""
    if finding.code == "M206":  # nothing staged to restore: the deletion is history
        mid = PurePosixPath(finding.file).stem
        return replace(
            finding,
            message="a milestone file was deleted; bring it back with a new commit "
            f"(`git milestone undo {mid}`) and abandon it instead (`git milestone abandon "
            f"{mid} --reason ...`) so its history stays readable",
        )
    message = finding.message
    for said, meant in (("HEAD's", "the parent's"), ("HEAD has", "the parent has")):
        message = message.replace(said, meant)
    return replace(finding, message=message.replace("in HEAD", "in the parent"))


def _deleted(path: str) -> Finding:
    return Finding(
        path,
        "M206",
        "$",
        f"a milestone file was deleted; restore it (`git restore --staged --worktree {path}`) "
        "so its history stays readable",
    )


def _merge_findings(
    path: str, new: Milestone, parents: list[Milestone], per_parent: list[list[Finding]]
) -> list[Finding]:
    keyed = [{(f.code, f.path): f for f in fs if f.code not in _MERGE_FORMS} for fs in per_parent]
    kept: dict[tuple[str, str], Finding] = {}
    for found in keyed:
        for key, finding in found.items():
            if finding.code in _ANY_PARENT or all(key in other for other in keyed):
                kept.setdefault(key, finding)
    if ("M302", "$.steps") in kept and _steps_from_parents(new, parents):
        del kept[("M302", "$.steps")]
    out = list(kept.values())
    if not parents:
        return out
    latest = max(p.updated_at for p in parents)
    if new.updated_at < latest:
        out.append(
            Finding(
                path,
                "M201",
                "$.updated_at",
                f"a merged milestone keeps the latest updated_at of its parents "
                f"({timestamps.format(latest)}) or a later one",
            )
        )
    top = max(p.revision for p in parents)
    if new.revision != top + 1:
        out.append(
            Finding(
                path,
                "M202",
                "$.revision",
                f"revision is {new.revision} but a merged milestone has the highest revision "
                f"of its parents + 1: set it to {top + 1}",
            )
        )
    return out


def _steps_from_parents(new: Milestone, parents: list[Milestone]) -> bool:
    """Whether every step of a merged milestone is, as it is, some parent's step (perhaps
    renumbered, when a side added, removed or moved steps)."""
    from gitmilestone.matching import content

    theirs = {content(s.to_dict()) for p in parents for s in p.steps}
    return all(content(step.to_dict()) in theirs for step in new.steps)


def commit_msg(message_file: Path, as_actor: str | None) -> Result:
    """The commit-msg check: Milestone trailers must describe the staged milestone file."""
    try:
        message = message_file.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read the commit message {message_file}: {exc.strerror or exc}; "
            "git passes the message file to the commit-msg hook"
        ) from None
    if not _MAYBE_TRAILER.search(message):
        return _no_trailer()
    ws = Workspace.open(as_actor)
    pairs = messages.parse_trailer_lines(git.interpret_trailers(ws.repo, message))
    ids = [value for key, value in pairs if key.lower() == "milestone"]
    if not ids:
        return _no_trailer()
    milestone_id = ids[0]
    rel = f"{ws.settings.dir}/{milestone_id}.json"
    problems = _message_problems(ws, rel, ids, pairs)
    data = {"milestone": milestone_id, "file": rel, "problems": problems}
    if not problems:
        return Result(data, f"the Milestone trailers match {rel}")
    return Result(
        data,
        "\n".join(f"{rel}: {p}" for p in problems),
        1,
        (
            "commit-msg",
            "the commit message's Milestone trailers do not say what this commit does, so the "
            "commit was refused; fix the message or the file (the `git milestone` commands "
            "write both)",
        ),
    )


def _no_trailer() -> Result:
    return Result({"milestone": None, "file": None, "problems": []}, "no Milestone trailer")


def _message_problems(
    ws: Workspace, rel: str, ids: list[str], pairs: list[tuple[str, str]]
) -> list[str]:
    if len(ids) > 1:
        return [f"the message names {len(ids)} milestones ({', '.join(ids)}); name only one"]
    milestone_id = ids[0]
    if not ID_PATTERN.fullmatch(milestone_id) or len(milestone_id) > 64:
        return [f"Milestone says {milestone_id!r}, which is not a milestone id"]
    record = messages.record("", "", "", pairs)
    assert record is not None
    new_data, head_data = git.blobs(ws.repo, [f":{rel}", f"HEAD:{rel}"])
    if new_data is None:
        return [
            f"the message carries Milestone trailers for {milestone_id} but {rel} is not "
            "in this commit; stage the file, or take the trailers out of the message"
        ]
    restates = new_data == head_data
    if restates and not _head_records(ws.repo, milestone_id, record.revision):
        return [
            f"the message carries Milestone trailers for {milestone_id} but this commit does "
            f"not change {rel}; stage the change they describe, or take them out of the message"
        ]
    milestone = check_bytes(rel, new_data, milestone_id).milestone
    if milestone is None:
        return [f"the staged file is not a valid milestone; run `git milestone validate {rel}`"]
    problems = trailer_mismatches(milestone, record, pairs)
    given_actor = _first(pairs, "milestone-actor")
    actor = _actor(ws)
    if not restates and given_actor is not None and actor is not None and given_actor != actor:
        problems.append(
            f"Milestone-Actor says {given_actor} but this commit is made by {actor} "
            "(from --as, GIT_MILESTONE_ACTOR, git config milestone.actor or user.name)"
        )
    return problems


def _first(pairs: list[tuple[str, str]], key: str) -> str | None:
    return next((value for k, value in pairs if k.lower() == key), None)


def trailer_mismatches(
    m: Milestone, record: messages.Record, pairs: list[tuple[str, str]]
) -> list[str]:
    """Where the Milestone trailers (`pairs`, read as `record`) say otherwise than the file."""
    return [problem for _, problem in trailer_problems(m, record, pairs)]


def trailer_problems(
    m: Milestone,
    record: messages.Record,
    pairs: list[tuple[str, str]],
    where: str = "the staged file",
) -> list[tuple[str, str]]:
    """(JSON path, problem) for each trailer that says otherwise than the file `m`."""
    expected = [
        ("Milestone-Status", "$.status", m.status),
        ("Milestone-Progress", "$.progress", str(m.progress)),
        ("Milestone-Owner", "$.owner", m.owner or messages.NONE),
        ("Milestone-Revision", "$.revision", str(m.revision)),
    ]
    problems = []
    for key, path, want in expected:
        given = _first(pairs, key.lower())
        if given is None:
            problems.append((path, f"{key} is missing; the file says {want}"))
        elif given != want:
            problems.append((path, f"{key} says {given} but {where} has {want}"))
    count = _first(pairs, "milestone-steps")
    if count is not None and count != str(len(m.steps)):
        problems.append(("$.steps", f"Milestone-Steps says {count} but {where} has {len(m.steps)}"))
    for number, status in record.steps:
        if status == messages.REMOVED:  # the step is gone; Milestone-Steps says how many are left
            continue
        step = m.step(number)
        if step is None:
            problems.append(("$.steps", f"Milestone-Step {number}: {where} has no such step"))
        elif step.status != status:
            problems.append(
                (
                    f"$.steps[{number - 1}].status",
                    f"Milestone-Step {number} is {status} in the message but {step.status} "
                    f"in {where}",
                )
            )
    return problems


def _head_records(repo: git.Repo, milestone_id: str, revision: int | None) -> bool:
    """Whether HEAD's own message records this milestone at this revision: the message is
    HEAD's, restated (`git commit --amend` with no further change to the file)."""
    text = git.log_records(repo, "%(trailers:only,unfold)", "-1", "HEAD").decode("utf-8", "replace")
    head = messages.record("", "", "", messages.parse_trailer_lines(text))
    return head is not None and head.milestone == milestone_id and head.revision == revision
