"""`log`, `resume` and `next`: reviewing the handoff record and picking work up."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from gitmilestone import git, history, logtable, trail
from gitmilestone.changes import Entry
from gitmilestone.commits import FileChange, parse_raw
from gitmilestone.errors import GitFailed, NotFound, UsageError
from gitmilestone.model import CLOSED, PRIORITIES
from gitmilestone.output import Result
from gitmilestone.text import printable

if TYPE_CHECKING:
    from gitmilestone.claims import Holder
    from gitmilestone.summary import Summary
    from gitmilestone.workspace import Workspace

# `log` runs on big histories and imports only what it needs; the rest is imported by the
# commands that use it.

RECENT = 5


def records(
    repo: git.Repo,
    milestone_id: str | None = None,
    *,
    actor: str | None = None,
    limit: int | None = None,
    bodies: bool = True,
) -> list[Entry]:
    """Every change of a milestone file reachable from HEAD (of one milestone's, with
    `milestone_id`), newest first: one `git log`, and git's files read only where the
    trailers do not tell (see `trail`). Without `bodies`, the notes are not read."""
    from gitmilestone.config import load_settings

    if milestone_id is not None:
        from gitmilestone.store import check_id

        check_id(milestone_id)
    directory = load_settings(repo.root).dir
    args = history.log_args(directory, milestone_id)
    if limit is None:
        # The whole history: raw messages, the few not in the tool's shape read by git
        # after the walk (`_GitSource.messages`).
        stream = git.log_text_stream(repo, history.MESSAGE_FORMAT, *args, whole=True)
        commits = history.parse_messages(stream)
    else:
        fmt = history.FULL_FORMAT if bodies else history.LOG_FORMAT
        stream = git.log_text_stream(repo, fmt, *args)
        commits = history.parse(stream, bodies=bodies)
    try:
        with closing(stream), _GitSource(repo, args[-1]) as source:
            return trail.build(
                commits,
                source,
                directory=directory,
                milestone_id=milestone_id,
                actor=actor,
                limit=limit,
            )
    except GitFailed:
        if not git.head_exists(repo):
            return []
        raise


class _GitSource:
    """What the record reads from git, each through one long-lived process."""

    def __init__(self, repo: git.Repo, path: str) -> None:
        self.repo = repo
        self.blobs = git.BlobReader(repo)
        self.diffs = git.ChangeReader(repo, path)

    def __enter__(self) -> _GitSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.blobs.close()
        self.diffs.close()

    def changes(self, commit: str) -> list[FileChange]:
        tokens = self.diffs.read(commit).split(b"\0")
        return [parse_raw(tokens[i], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2)]

    def blob(self, spec: str) -> bytes | None:
        return self.blobs.read(spec)

    def messages(self, commits: list[str]) -> dict[str, tuple[str, str, str]]:
        out: dict[str, tuple[str, str, str]] = {}
        # A few hundred ids a process, well within any limit on a command line's length.
        for start in range(0, len(commits), 500):
            ids = commits[start : start + 500]
            stream = git.log_text_stream(
                self.repo, history.FULL_FORMAT, "--no-walk=unsorted", *ids, "--"
            )
            with closing(stream):
                for c in history.parse(stream, bodies=True):
                    out[c.sha] = (c.subject, c.trailers, c.body or "")
        return out

    def body(self, commit: str) -> str:
        data = self.blobs.read_object(commit) or b""
        # A commit object: headers, a blank line, the subject, a blank line, the body.
        parts = data.split(b"\n\n", 2)
        return parts[2].decode("utf-8", "replace") if len(parts) == 3 else ""


@contextmanager
def _no_collection() -> Iterator[None]:
    """The record is thousands of small tuples and strings with no cycle among them: the
    cyclic garbage collector would only walk them, again and again, as they pile up."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def recent(repo: git.Repo, milestone_id: str, path: str, limit: int = RECENT) -> list[Entry]:
    """A milestone's last `limit` changes, newest first: a walk limited to its file (`path`,
    as `records` walks it for one milestone).

    The commits come from the commit index (`commitindex`): once a milestone's commits
    have been read, later reads ask git only about commits made since, so the cost does
    not grow with the length of history. Without an index (or when HEAD moved other than
    forward) it is the walk, which git's commit-graph with changed-path Bloom filters makes
    cheap per commit; the walk stops as soon as `limit` records are read.
    """
    from gitmilestone import commitindex
    from gitmilestone.config import load_settings
    from gitmilestone.store import check_id

    check_id(milestone_id)
    directory = load_settings(repo.root).dir
    path = history.log_args(directory, milestone_id)[-1]
    commits = commitindex.last_commits(repo, path)
    try:
        with _GitSource(repo, path) as source:
            return trail.build(
                commits, source, directory=directory, milestone_id=milestone_id, limit=limit
            )
    finally:
        close = getattr(commits, "close", None)
        if close is not None:
            close()


def log(
    repo: git.Repo,
    milestone_id: str | None,
    *,
    limit: int | None,
    actor: str | None,
    notes: bool = False,
) -> Result:
    """The record, read for the form that is printed (the JSON records carry each note; the
    table only with `notes`)."""
    if limit is not None and limit < 0:
        raise UsageError("-n takes a count of commits, 0 or more")
    if milestone_id is not None:
        from gitmilestone.store import check_id

        check_id(milestone_id)

    def data() -> dict[str, object]:
        with _no_collection():
            found = records(repo, milestone_id, actor=actor, limit=limit)
            return {"records": [e.to_dict() for e in found]}

    def text() -> str:
        with _no_collection():
            found = records(repo, milestone_id, actor=actor, limit=limit, bodies=notes)
            return logtable.table(found, notes=notes)

    return Result(data, text)


def resume(ws: Workspace, milestone_id: str, *, claim: bool) -> Result:
    from gitmilestone import briefing, holding
    from gitmilestone.workspace import current_time

    claimed = None
    if claim:
        from gitmilestone.commands import write

        claimed = write.claim(ws, milestone_id, force=False, commit=True).json_data()
    # git walks history for the last commits while this process reads the files.
    rel = ws.rel(ws.path_for(milestone_id))
    last_commits = _in_background(lambda: recent(ws.repo, milestone_id, rel))
    m = ws.load(milestone_id)
    dependencies: dict[str, str | None] = {}
    for dep in m.depends_on or ():
        path = ws.path_for(dep)
        checked = ws.check(path) if path.exists() else None
        found = None if checked is None else checked.milestone
        dependencies[dep] = None if found is None else found.status
    now = current_time()
    data = briefing.briefing(
        m,
        now=now,
        holder=holding.holder(ws, m, now),
        lease=ws.settings.lease,
        actor=_actor_or_none(ws),
        dependencies=dependencies,
        recent=last_commits(),
    )
    text = briefing.text(data)
    if claimed is not None:
        how = "claimed" if claimed["changed"] else "already yours"
        text = (
            f"{how}: {milestone_id}"
            + (f" [{claimed['commit'][:9]}]" if claimed["commit"] else "")
            + f"\n{text}"
        )
    return Result({**data, "claimed": claimed}, text)


T = TypeVar("T")


def _in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` in a thread; the function returned waits for it and gives its result
    (or raises what it raised)."""
    import threading

    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]

    return result


def _actor_or_none(ws: Workspace) -> str | None:
    try:
        return ws.actor_name
    except UsageError:
        return None


def ready(
    milestones: Sequence[Summary],
    now: datetime,
    lease: timedelta,
    holders: Mapping[str, Holder] | None = None,
) -> tuple[list[Summary], Counter[str]]:
    """Milestones ready to work, highest priority first, then oldest; and why the others
    are not (`held`, `blocked`, `waiting` for depends_on, `closed`). `holders` says who
    holds each (the claims registry's view); without it, the files say."""
    from gitmilestone.rules import lease_active

    def held(m: Summary) -> bool:
        found = None if holders is None else holders.get(m.milestone_id)
        return lease_active(m, now, lease) if found is None else found.active

    status = {m.milestone_id: m.status for m in milestones}
    out: list[Summary] = []
    why_not: Counter[str] = Counter()
    for m in milestones:
        if m.status in CLOSED:
            why_not["closed"] += 1
        elif m.status == "blocked" or m.blockers:
            why_not["blocked"] += 1
        elif held(m):
            why_not["held"] += 1
        elif any(status.get(dep) != "completed" for dep in m.depends_on):
            why_not["waiting"] += 1
        else:
            out.append(m)
    out.sort(key=lambda m: (PRIORITIES.index(m.priority), m.created_at, m.milestone_id))
    return out, why_not


def _nothing(why_not: Counter[str]) -> str:
    parts = [
        f"{why_not[key]} {label}"
        for key, label in (
            ("held", "held by someone whose lease is active"),
            ("blocked", "blocked"),
            ("waiting", "waiting for depends_on"),
        )
        if why_not[key]
    ]
    reason = f" ({'; '.join(parts)})" if parts else ""
    return (
        f"nothing is ready to work{reason}; see `git milestone list`, "
        "or create one with `git milestone new`"
    )


def next_ready(ws: Workspace, *, claim: bool) -> Result:
    from gitmilestone import holding, store
    from gitmilestone.commands import write
    from gitmilestone.errors import OwnerConflict
    from gitmilestone.output import use_color
    from gitmilestone.render import list_table
    from gitmilestone.summary import to_dict
    from gitmilestone.workspace import current_time

    lease = ws.settings.lease
    if not claim:
        now = current_time()
        milestones = ws.summaries().summaries
        holders = holding.holders(ws, milestones, now)
        rows, why_not = ready(milestones, now, lease, holders)

        def data() -> dict[str, object]:
            return {
                "ready": [to_dict(m, now, lease, holders[m.milestone_id]) for m in rows],
                "claimed": None,
            }

        if not rows:
            return Result(data, _nothing(why_not))

        def text() -> str:
            return list_table(rows, now, lease, use_color(), holders) + (
                "\nclaim the first with `git milestone next --claim`, "
                "or any with `git milestone resume ID --claim`"
            )

        return Result(data, text)
    # Choose and claim under one lock, from files read under it, so that two callers
    # never take the same milestone; the claim re-reads it under the same lock. A claims
    # remote may know of claims this clone has not fetched yet: a milestone found held
    # there is passed over for the next one.
    with store.repository_lock(ws.repo.common_dir):
        now = current_time()
        milestones = ws.summaries().summaries
        holders = holding.holders(ws, milestones, now)
        rows, why_not = ready(milestones, now, lease, holders)
        claimed = None
        while rows and claimed is None:
            first = rows.pop(0)
            try:
                claimed = write.claim(ws, first.milestone_id, force=False, commit=True)
            except OwnerConflict:
                why_not["held"] += 1
        if claimed is None:
            raise NotFound(_nothing(why_not).replace("to work", "to claim", 1))
    mid = first.milestone_id
    rest = [to_dict(m, now, lease, holders[m.milestone_id]) for m in rows]
    briefing = f"for the briefing: `git milestone resume {mid}`"
    return Result(
        {"ready": rest, "claimed": claimed.json_data()},
        f"{claimed.text_out()}\n{mid}: {printable(first.title)}\n{briefing}",
    )
