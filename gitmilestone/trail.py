"""The record of every change to a milestone file, from git history: what `log` shows.

The commits come newest first from one `git log` limited to the milestone directory (or
one file). A commit the tool made (its trailers name the milestone) is read from its
trailers alone; any other (a hand edit, a revert, a merge, a commit whose trailers name
another milestone) from the files: which ones it changed (one long-lived `git diff-tree
--stdin`) and their versions (one long-lived `git cat-file --batch`).

Then each change is replayed oldest first, so that every entry carries the state after it
(status, owner, progress, revision, each step's status) and the state before it. A tool
commit's trailers are checked against that replay where it costs nothing: the revision
follows the one before, the steps the trailers list account for the step count, progress
is what the steps give, the status change is allowed. When any of that fails, or for a
cherry-pick, the file is read and the trailers compared with it (`verified`), and what
does not match is listed in `problems`. `validate --range` checks every commit in full.

Pure: git is reached through a `Source`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

from gitmilestone import changes, history
from gitmilestone.changes import Entry, State
from gitmilestone.commits import FileChange, is_null
from gitmilestone.history import Commit, Trailers
from gitmilestone.model import DONE_STEP, TRANSITIONS

_UNSEEN: Any = object()
_new = tuple.__new__


class Source(Protocol):
    """What the record needs from git."""

    def changes(self, commit: str) -> list[FileChange]:
        """The files under the record's path that `commit` changed (for a merge: those
        that differ from every parent)."""
        ...

    def blob(self, spec: str) -> bytes | None:
        """An object's contents (`rev:path` or a blob id); None when there is none."""
        ...

    def body(self, commit: str) -> str:
        """A commit's message after its subject (when the log did not ask for bodies)."""
        ...

    def messages(self, commits: list[str]) -> dict[str, tuple[str, str, str]]:
        """Subject, trailers (`%(trailers:unfold)`) and body of each commit, as git reads
        them (for commits whose message the log left `history.UNREAD`)."""
        ...


class _Item(NamedTuple):
    commit: Commit
    path: str
    trailers: Trailers | None
    change: FileChange | None


_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _valid_id(text: str) -> bool:
    return len(text) <= 64 and _ID.fullmatch(text) is not None


def build(
    commits: Iterable[Commit],
    source: Source,
    *,
    directory: str,
    milestone_id: str | None = None,
    actor: str | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """The entries for `commits` (newest first, as `git log` gives them), newest first,
    only `milestone_id`'s and `actor`'s when given, at most `limit` of them."""
    if limit is not None and limit <= 0:
        return []
    items: list[_Item] = []
    parents: dict[str, tuple[str, ...]] = {}
    paths: dict[str, str | None] = {}
    wanted, complete = 0, True
    read_trailers = history.trailers
    unread: list[tuple[int, Commit]] = []
    for commit in commits:
        if limit is not None and wanted >= limit:
            complete = False
            break
        parents[commit.sha] = commit.parents
        if commit.trailers is history.UNREAD:
            # Read after the walk, all at once (git's reading of the message is needed);
            # only a log without a limit leaves messages unread.
            unread.append((len(items), commit))
            continue
        t = read_trailers(commit.trailers)
        if t is not None and len(commit.parents) <= 1:
            # The tool's commit: its milestone's file, worked out once per milestone (None:
            # not a milestone id, or not the one asked for).
            path = paths.get(t.milestone, "")
            if path == "":
                ok = _valid_id(t.milestone) and milestone_id in (None, t.milestone)
                path = paths[t.milestone] = f"{directory}/{t.milestone}.json" if ok else None
            if path is not None:
                items.append(_new(_Item, (commit, path, t, None)))
                wanted += actor is None or t.actor == actor
                continue
        found = _read_items(commit, t, source, directory, milestone_id)
        items += found
        wanted += sum(1 for it in found if actor is None or _actor(it) == actor)
    if unread:
        items = _with_unread(items, unread, source, directory, milestone_id)
    entries = _Replay(source, parents, complete).run(items)
    if actor is not None:
        entries = [e for e in entries if e.actor == actor]
    return entries[:limit] if limit is not None else entries


def _with_unread(
    items: list[_Item],
    unread: list[tuple[int, Commit]],
    source: Source,
    directory: str,
    only: str | None,
) -> list[_Item]:
    """`items` with those of the commits whose messages git has now read, each in its
    place in the walk."""
    told = source.messages([c.sha for _, c in unread])
    out: list[_Item] = []
    done = 0
    for at, commit in unread:
        out += items[done:at]
        done = at
        subject, trailers, body = told.get(commit.sha, ("", "", ""))
        commit = commit._replace(subject=subject, trailers=trailers, body=body)
        t = history.trailers(trailers)
        if (
            t is not None
            and len(commit.parents) <= 1
            and _valid_id(t.milestone)
            and only in (None, t.milestone)
        ):
            out.append(_Item(commit, f"{directory}/{t.milestone}.json", t, None))
        else:
            out += _read_items(commit, t, source, directory, only)
    return out + items[done:]


def _actor(item: _Item) -> str:
    return item.trailers.actor if item.trailers is not None else item.commit.author


def _read_items(
    commit: Commit, t: Trailers | None, source: Source, directory: str, only: str | None
) -> list[_Item]:
    """The milestone files a commit changed, as git's diff says (for commits read from the
    files)."""
    out = []
    prefix = f"{directory}/"
    for fc in source.changes(commit.sha):
        name = fc.path[len(prefix) :] if fc.path.startswith(prefix) else ""
        stem = name[: -len(".json")] if name.endswith(".json") else ""
        if "/" in name or not _valid_id(stem) or only not in (None, stem):
            continue
        out.append(_Item(commit, fc.path, t, fc))
    return out


class _Replay:
    """Oldest first: the state after each item, from the trailers or from the file."""

    def __init__(self, source: Source, parents: dict[str, tuple[str, ...]], complete: bool) -> None:
        self.source = source
        self.parents = parents
        self.complete = complete
        self.linear = all(len(p) <= 1 for p in parents.values())
        # (commit, path) -> the state after it (None: no such file, or unreadable)
        self.states: dict[tuple[str, str], State | None] = {}
        self.last: dict[str, State | None] = {}
        self.applied: dict[tuple[object, ...], tuple[tuple[str, ...] | None, int]] = {}

    def run(self, items: list[_Item]) -> list[Entry]:
        ordered = list(reversed(items)) if self.linear else self._topological(items)
        out: list[Entry] = []
        append = out.append
        linear, last, states = self.linear, self.last, self.states
        tool, read = self._tool, self._read
        for it in ordered:
            entry = tool(it) if it.change is None else read(it)
            if not linear:
                states[(it.commit.sha, it.path)] = entry.after
            last[it.path] = entry.after
            append(entry)
        out.reverse()
        return out if self.linear else self._newest_first(out, items)

    def _topological(self, items: list[_Item]) -> list[_Item]:
        """Parents before children (git's date order may put a child first on skewed
        clocks); otherwise the stream's order, reversed."""
        position = {sha: i for i, sha in enumerate(reversed(list(self.parents)))}
        done: set[str] = set()
        order: list[str] = []
        for sha in sorted(self.parents, key=position.__getitem__):
            stack = [sha]
            while stack:
                top = stack[-1]
                if top in done:
                    stack.pop()
                    continue
                waiting = [
                    p for p in self.parents.get(top, ()) if p in self.parents and p not in done
                ]
                if waiting:
                    stack += waiting
                    continue
                done.add(top)
                order.append(top)
                stack.pop()
        rank = {sha: i for i, sha in enumerate(order)}
        return sorted(reversed(items), key=lambda it: rank[it.commit.sha])

    @staticmethod
    def _newest_first(entries: list[Entry], items: list[_Item]) -> list[Entry]:
        rank = {(it.commit.sha, it.path): i for i, it in enumerate(items)}
        return sorted(entries, key=lambda e: rank[(e.commit, e.file)])

    def _before(self, it: _Item) -> tuple[bool, State | None]:
        """(known, state) of the file before a tool commit, from the replay so far."""
        if self.linear:
            if it.path in self.last:
                return True, self.last[it.path]
            return self.complete, None
        sha = it.commit.sha
        while True:
            up = self.parents.get(sha, ())
            if not up:
                return self.complete, None
            sha = up[0]
            if (sha, it.path) in self.states:
                return True, self.states[(sha, it.path)]
            if sha not in self.parents or len(self.parents[sha]) > 1:
                return False, None

    def _tool(self, it: _Item) -> Entry:
        t, c, path = it.trailers, it.commit, it.path
        assert t is not None
        if self.linear:
            before = self.last.get(path, _UNSEEN)
            known = before is not _UNSEEN or self.complete
            if before is _UNSEEN:
                before = None
        else:
            known, before = self._before(it)
        if not known:
            before = _state(self._parent_blob(c, path))
        steps, done = self._apply(None if before is None else before.steps, t)
        if steps is None or not _plausible(before, t, steps, done) or "(cherry picked" in t.text:
            return self._verify(it, t)
        # The common case, built with tuple.__new__ (a NamedTuple's constructor costs several
        # times as much): thousands of these make a long record.
        after = _new(State, (t.status, t.owner, t.progress, t.revision, steps))
        return _new(
            Entry,
            (
                c.sha,
                c.when,
                t.milestone,
                t.action,
                t.actor,
                t.owner,
                t.status,
                t.progress,
                t.revision,
                t.steps,
                t.forced,
                t.previous_owner,
                c.subject,
                path,
                "tool",
                "added" if before is None else "modified",
                c.parents,
                c.author,
                after,
                before,
                (),
                None,
                (),
                False,
                c,
                None,
                None,
            ),
        )

    def _apply(
        self, before: tuple[str, ...] | None, t: Trailers
    ) -> tuple[tuple[str, ...] | None, int]:
        """`history.apply` and how many steps it leaves done; remembered, as the same few
        changes of the same few step lists make most of a long record."""
        key = (before, t.steps, t.action, t.step_count, t.step_from)
        found = self.applied.get(key)
        if found is None:
            steps = history.apply(before, t)
            found = (steps, 0 if steps is None else sum(map(DONE_STEP.__contains__, steps)))
            if len(self.applied) < 65536:
                self.applied[key] = found
        return found

    def _parent_blob(self, c: Commit, path: str) -> bytes | None:
        return self.source.blob(f"{c.sha}^1:{path}") if c.parents else None

    def _verify(self, it: _Item, t: Trailers) -> Entry:
        """Read the file to see whether the trailers say what the commit did."""
        c = it.commit
        new = self.source.blob(f"{c.sha}:{it.path}")
        old = self._parent_blob(c, it.path)
        found = _findings(it.path, new, [old], c, t)
        if new == old:
            found.append(
                f"M402 $: the trailers describe {t.milestone} but this commit does not "
                f"change {it.path}"
            )
        before, after = _state(old), _state(new)
        change = "deleted" if new is None else "added" if old is None else "modified"
        return self._entry(it, t, before, after, change=change, problems=found, verified=True)

    def _read(self, it: _Item) -> Entry:
        """A commit read from the files: a hand edit, a revert, a merge..."""
        c, fc = it.commit, it.change
        assert fc is not None
        new = None if fc.deleted else self.source.blob(fc.new)
        olds = [None if is_null(o) else self.source.blob(o) for o in fc.old] or [None]
        t = it.trailers
        names_it = t is not None and it.path.endswith(f"/{t.milestone}.json")
        found = _findings(it.path, new, olds, c, t if names_it else None)
        if t is not None and not names_it:
            found.append(
                f"M402 $: the trailers describe {t.milestone}, not this file; the change of "
                f"{it.path} is in no trailer"
            )
        before, after = _state(olds[0]), _state(new)
        docs = [_document(o) for o in olds]
        new_doc = _document(new)
        sides = None
        if len(c.parents) > 1 and new_doc is not None:
            sides = changes.merge_sides(new_doc, list(zip(c.parents, docs, strict=False)))
        change = "deleted" if fc.deleted else "added" if fc.added else "modified"
        body = c.body if c.body is not None else self.source.body(c.sha)
        reverted = history.reverts(body)
        cherry = c.cherry_picked_from or history.cherry_picked_from(body)
        kind = "merge" if len(c.parents) > 1 else _kind(reverted, cherry, names_it)
        return Entry(
            commit=c.sha,
            when=c.when,
            milestone=it.path.rsplit("/", 1)[-1][: -len(".json")],
            action=t.action if names_it and t is not None and kind == "tool" else kind,
            actor=t.actor if names_it and t is not None else c.author,
            owner=None if after is None else after.owner,
            status=None if after is None else after.status,
            progress=None if after is None else after.progress,
            revision=None if after is None else after.revision,
            steps=changes.step_changes(None if before is None else before.steps, after.steps)
            if after is not None
            else (),
            forced=bool(names_it and t is not None and t.forced),
            previous_owner=t.previous_owner if names_it and t is not None else None,
            subject=c.subject,
            file=it.path,
            kind=kind,
            change=change,
            parents=c.parents,
            author=c.author,
            after=after,
            before=before,
            others=tuple(changes.other_fields(docs[0], new_doc)),
            sides=sides,
            problems=tuple(found),
            verified=True,
            source=c,
            reverts=reverted,
            cherry_picked_from=cherry,
        )

    def _entry(
        self,
        it: _Item,
        t: Trailers,
        before: State | None,
        after: State | None,
        *,
        change: str,
        problems: list[str] | None = None,
        verified: bool = False,
    ) -> Entry:
        c = it.commit
        cherry = c.cherry_picked_from
        if after is None:
            owner = status = progress = revision = None
        else:
            owner, status, progress, revision = (
                after.owner,
                after.status,
                after.progress,
                after.revision,
            )
        return Entry(
            c.sha,
            c.when,
            t.milestone,
            t.action,
            t.actor,
            owner,
            status,
            progress,
            revision,
            t.steps,
            t.forced,
            t.previous_owner,
            c.subject,
            it.path,
            "cherry-pick" if cherry else "tool",
            change,
            c.parents,
            c.author,
            after,
            before,
            (),
            None,
            tuple(problems or ()),
            verified,
            c,
            None,
            cherry,
        )


def _kind(reverted: str | None, cherry: str | None, tool: bool) -> str:
    if reverted:
        return "revert"
    if cherry:
        return "cherry-pick"
    return "tool" if tool else "hand-edit"


def _plausible(before: State | None, t: Trailers, steps: tuple[str, ...], done: int) -> bool:
    """Whether the trailers fit the version before and the steps they leave (`done` of
    them completed or skipped)."""
    if (t.action == "create") != (before is None) or t.revision is None or t.progress is None:
        return False
    if before is not None:
        if before.revision is None or t.revision != before.revision + 1:
            return False
        if t.status == before.status and steps is before.steps:
            return t.progress == before.progress  # as consistent as the version before
        if t.status != before.status and t.status not in TRANSITIONS.get(before.status, ()):
            return False
    derived = 100 * done // len(steps) if steps else 100 if t.status == "completed" else 0
    return t.progress == derived and (t.status != "completed" or done == len(steps))


def _document(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    from gitmilestone.rules import decode

    doc, problems = decode("", data)
    return doc if not problems and isinstance(doc, dict) else None


def _state(data: bytes | None) -> State | None:
    if data is None:
        return None
    from gitmilestone.rules import check_bytes

    m = check_bytes("", data).milestone
    return None if m is None else changes.state_of(m)


def _findings(
    path: str, new: bytes | None, olds: list[bytes | None], c: Commit, t: Trailers | None
) -> list[str]:
    """The guard's findings for this change (but the owner rules, which need the lease in
    force then: `validate --range` has them), and where the trailers say otherwise."""
    from datetime import timedelta

    from gitmilestone import messages, timestamps
    from gitmilestone.commands.guard import (
        ChangeContext,
        as_committed,
        check_change,
        trailer_problems,
    )

    try:
        now = timestamps.parse(c.when)
    except ValueError:
        return []
    ctx = ChangeContext(None, now, timedelta(0), frozenset())
    checked = check_change(path, new, olds, ctx)
    out = [
        f"{f.code} {f.path}: {as_committed(f).message}"
        for f in checked.findings
        if not f.code.startswith("M3")
    ]
    if t is not None and checked.milestone is not None:
        given = history.pairs(t.text)
        record = messages.record("", "", "", given)
        if record is not None:
            out += [
                f"M401 {where}: {problem}"
                for where, problem in trailer_problems(checked.milestone, record, given, "the file")
            ]
    return out
