"""One repository as the commands see it: settings, actor, clock, milestone files, and the
single write path (lock, re-read, check, atomic write, commit one file, restore on failure)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmilestone import git, journal, preflight, store, timestamps, worktree
from gitmilestone.claiming import ATTEMPTS, Claiming, Report, too_many
from gitmilestone.claims import Holder
from gitmilestone.config import Settings, load_settings
from gitmilestone.errors import (
    CommitRefused,
    Invalid,
    NotFound,
    OwnerConflict,
    Stale,
    UsageError,
)
from gitmilestone.messages import Change, format_message
from gitmilestone.model import Milestone
from gitmilestone.records import frozen
from gitmilestone.registry import Tally
from gitmilestone.rules import Checked
from gitmilestone.text import check_name
from gitmilestone.workflow import Actor, Outcome

if TYPE_CHECKING:
    from gitmilestone.cache import Listing
    from gitmilestone.finish import Finished

ACTOR_ENV = "GIT_MILESTONE_ACTOR"
NOW_ENV = "GIT_MILESTONE_NOW"
FORCED_ENV = "GIT_MILESTONE_FORCED"
# Enough for a few dozen clones pushing one branch at once (each retry waits a little
# longer, at random, so that they stop colliding).
PUSH_ATTEMPTS = 32
MAX_NAME = 200


def current_time() -> datetime:
    """`GIT_MILESTONE_NOW` when set (deterministic tests and replays), else the clock."""
    fixed = os.environ.get(NOW_ENV)
    if fixed:
        try:
            return timestamps.parse(fixed)
        except ValueError:
            raise UsageError(
                f"{NOW_ENV}={fixed!r} is not an RFC 3339 time such as 2025-11-15T00:20:00Z"
            ) from None
    return datetime.now(timezone.utc)


@frozen
class WriteResult:
    milestone: Milestone
    change: Change | None
    commit: str | None
    path: str
    # The commit message the change was (or, with --no-commit, is to be) committed with.
    message: str | None = None
    claim: Report | None = None
    # An interrupted write of this milestone that was finished first.
    finished: Finished | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "milestone": self.milestone.to_dict(),
            "changed": self.change is not None,
            "action": None if self.change is None else self.change.action,
            "commit": self.commit,
            "path": self.path,
            "message": self.message,
            "claim": None if self.claim is None else self.claim.to_dict(),
            "finished_first": None if self.finished is None else self.finished.to_dict(),
        }


Operation = Callable[[Milestone | None, Actor], "tuple[Milestone, Change] | None"]


class Workspace:
    def __init__(self, repo: git.Repo, as_actor: str | None = None, push: bool = False) -> None:
        if as_actor is not None:
            # Checked at once, whatever the command: a bad --as is a usage error even where
            # the actor turns out not to be needed.
            actor_name(as_actor, "--as")
        self.repo = repo
        self.as_actor = as_actor
        self.push = push

    @classmethod
    def open(
        cls, as_actor: str | None = None, cwd: Path | None = None, *, push: bool = False
    ) -> Workspace:
        return cls(git.discover(cwd), as_actor, push)

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.repo.root)

    @property
    def directory(self) -> Path:
        return self.repo.root / self.settings.dir

    def rel(self, path: Path) -> str:
        return store.display_path(self.repo.root, path)

    def path_for(self, milestone_id: str) -> Path:
        return self.directory / f"{store.check_id(milestone_id)}.json"

    @cached_property
    def actor_name(self) -> str:
        """Who acts: `--as`, else GIT_MILESTONE_ACTOR, else git config milestone.actor, else
        user.name. A blank `--as` is refused, not passed over: the user meant someone."""
        if self.as_actor is not None:
            return actor_name(self.as_actor, "--as")
        from_env = os.environ.get(ACTOR_ENV)
        if from_env:
            return actor_name(from_env, ACTOR_ENV)
        values = git.config(self.repo, "milestone.actor", "user.name")
        for key in ("milestone.actor", "user.name"):
            if values.get(key, "").strip():
                return actor_name(values[key], f"git config {key}")
        raise UsageError(
            "who is acting? pass --as NAME, set GIT_MILESTONE_ACTOR, or run "
            "`git config milestone.actor NAME`"
        )

    def actor(self, holder: Holder | None = None) -> Actor:
        """Who acts, now; `holder`: who holds the milestone in the claims registry."""
        return Actor(self.actor_name, current_time(), self.settings.lease, holder)

    def claims_remote(self, push: bool) -> str | None:
        """The remote whose claims registry decides: `claims_remote` when set; with
        `--push`, else the branch's upstream remote; else None (this repository's)."""
        if self.settings.claims_remote is not None:
            return self.settings.claims_remote
        if not push:
            return None
        return git.upstream_remote(self.repo) or git.default_remote(self.repo)

    def check(self, path: Path) -> Checked:
        return store.check_path(self.repo.root, path)

    def load(self, milestone_id: str) -> Milestone:
        """A milestone that must exist and be readable (M0xx problems refuse)."""
        path = self.path_for(milestone_id)
        if not path.exists() and not path.is_symlink():
            self.require_checked_out()
            raise NotFound(
                f"no milestone {milestone_id!r} in {self.settings.dir}/; "
                "see `git milestone list --all`"
            )
        return _usable(self.check(path))

    def all(self) -> list[Checked]:
        """Every milestone file, checked (every rule, every file)."""
        checked = store.check_files(self.repo.root, self.directory)
        if not checked:
            self.require_checked_out()
        return checked

    def summaries(self) -> Listing:
        """The summary of every readable milestone file and the names of the unreadable
        ones, as the overviews show them; unchanged files are read from the summary cache
        (see `cache`), so this costs little however many milestones there are."""
        from gitmilestone import cache

        listing = cache.read_summaries(
            self.repo.root, self.directory, self.repo.git_dir, self.settings
        )
        if not listing.summaries and not listing.unreadable:
            self.require_checked_out()
        return listing

    def require_checked_out(self) -> None:
        """Refuse, saying how to fix it, when a sparse checkout leaves the milestone
        directory out (its files are then missing, not absent)."""
        if git.sparse_excluded(self.repo, self.settings.dir):
            raise git.outside_sparse_checkout(self.settings.dir)

    def milestones(self) -> list[Milestone]:
        return [c.milestone for c in self.all() if c.milestone is not None]

    def write(
        self,
        milestone_id: str,
        operation: Operation,
        *,
        commit: bool = True,
        push: bool | None = None,
        env: dict[str, str] | None = None,
        repairs: Collection[str] = (),
    ) -> WriteResult:
        """Run `operation` on the current file under the repository lock and commit it.

        Refused, with nothing changed, while a merge, rebase, cherry-pick, revert or bisect
        is in progress (exit 1), when the file or its index entry differs from HEAD's
        version (exit 4: the commit would carry a change this command did not make), when
        the file has a problem M001-M004 (exit 1; `repairs` names the codes a repair
        operation is allowed to find, as `validate --fix` does), and when the file it would
        write does not pass the file rules (exit 1). A journal entry under the git
        directory records the write until its commit lands (see `journal`).

        With `push`, push the commit; when the remote moved, drop the commit, rebase onto
        the remote and run the operation again, so its preconditions are checked against
        what the others did (a claim someone else won becomes an owner conflict).
        """
        push = self.push if push is None else push
        if push and not commit:
            raise UsageError("--push pushes a commit: drop --no-commit, or drop --push")
        remote = self.claims_remote(push)
        if push and remote is None and not git.has_upstream(self.repo):
            raise Invalid(
                "--push needs a remote to push to: add one (`git remote add origin URL`), or "
                "push this branch once with `git push -u REMOTE BRANCH`"
            )
        if not push:
            return self._write_once(
                milestone_id, operation, commit=commit, env=env, repairs=repairs, remote=remote
            )
        # One lock over commit, push and retry: no other local write can land between our
        # commit and its undoing.
        tally = Tally()
        with store.repository_lock(self.repo.common_dir):
            for attempt in range(PUSH_ATTEMPTS):
                if attempt:
                    import random

                    time.sleep(random.uniform(0, 0.02 * min(attempt, 10)))
                result = self._write_once(
                    milestone_id,
                    operation,
                    commit=commit,
                    env=env,
                    repairs=repairs,
                    remote=remote,
                    tally=tally,
                )
                if result.commit is None or git.push(self.repo, remote):
                    return result
                if git.head_sha(self.repo) != result.commit:
                    raise Stale("HEAD moved while pushing; check `git log`, then push by hand")
                existed = result.change is None or result.change.action != "create"
                git.drop_last_commit(self.repo, result.path, existed)
                git.sync_with_upstream(self.repo)
        raise Stale(
            f"the remote moved {PUSH_ATTEMPTS} times while pushing; your change is not "
            "committed: run the command again"
        )

    def _write_once(
        self,
        milestone_id: str,
        operation: Operation,
        *,
        commit: bool,
        env: dict[str, str] | None,
        repairs: Collection[str],
        remote: str | None = None,
        tally: Tally | None = None,
    ) -> WriteResult:
        path = self.path_for(milestone_id)
        rel = self.rel(path)
        git_dir = self.repo.git_dir
        with store.repository_lock(self.repo.common_dir):
            worktree.refuse_if_busy(self.repo)
            self.remove_temporaries(path)
            original = _read_or_none(self.repo.root, path)
            if original is None:
                self.require_checked_out()
            state = worktree.file_state(self.repo, rel, original, trees=commit)
            entry = journal.read(git_dir, milestone_id)
            finished = None
            if entry is not None and not entry.staged and not state.clean:
                # A write of this tool was killed before its commit: finish it first.
                from gitmilestone import finish

                env_of = {ACTOR_ENV: entry.actor, **entry.env}
                finished = finish.finish(self.repo, rel, state, entry, env_of)
                if finished is not None:
                    state = worktree.FileState(entry.written, entry.written, entry.written)
                    entry = None
            preflight.require_clean(state, entry, milestone_id, rel)
            if entry is not None:  # a write that landed, or was undone: nothing to keep
                journal.remove(git_dir, milestone_id)
            checked = None if original is None else self.check(path)
            current = None if checked is None else preflight.writable(checked, repairs)
            claim = Claiming(self.repo, remote, milestone_id, tally)
            outcome, actor = self._decide(claim, current, operation)
            who = claim.who(actor.name, actor.now, actor.lease)
            if outcome is None:
                assert current is not None
                claim.finish(who)
                return WriteResult(
                    current, None, None, rel, claim=claim.report(actor.now), finished=finished
                )
            new, change = outcome
            try:
                text = new.dumps()
                data = text.encode("utf-8")
                preflight.check_new(rel, data, milestone_id, checked)
                message = format_message(new, change, self.actor_name)
                if _read_or_none(self.repo.root, path) != original:
                    raise Stale(f"{rel} changed while this command ran; run it again")
                hook_env = {ACTOR_ENV: self.actor_name, **(env or {})}
                journal.record(
                    git_dir,
                    journal.Entry(
                        milestone_id,
                        rel,
                        state.head,
                        git.blob_id(self.repo, data),
                        message,
                        self.actor_name,
                        change.action,
                        env or {},
                        staged=not commit,
                    ),
                )
                try:
                    store.write_atomic(path, text)
                    sha, done = self._commit(rel, state, data, message, commit, hook_env)
                except BaseException:
                    store.restore(path, original)
                    journal.remove(git_dir, milestone_id)
                    raise
                if done:
                    journal.remove(git_dir, milestone_id)
            except BaseException:
                claim.undo(who)
                raise
            claim.finish(who)
        return WriteResult(
            new, change, sha, rel, message, claim=claim.report(actor.now), finished=finished
        )

    def _decide(
        self, claim: Claiming, current: Milestone | None, operation: Operation
    ) -> tuple[Outcome | None, Actor]:
        """Run the operation on what the claims registry says, and bring the registry to
        what its outcome needs (a take or a renewal lands there before the branch commit);
        when the registry moved, or was only now fetched from the claims remote, run it
        again on what it says now."""
        for _ in range(ATTEMPTS):
            now = current_time()
            holder = claim.holder(self.actor_name, now)
            actor = Actor(self.actor_name, now, self.settings.lease, holder)
            try:
                outcome = operation(current, actor)
                after = current if outcome is None else outcome[0]
                assert after is not None
                change = None if outcome is None else outcome[1]
                action = change.action if change is not None else "claim"
                if after.owner is None and change is None:
                    action = "release"
                before = None if current is None else current.owner
                who = claim.who(actor.name, actor.now, actor.lease)
                forced = change is not None and change.forced
                if claim.prepare(who, before, after.owner, action=action, forced=forced):
                    return outcome, actor
            except OwnerConflict:
                if claim.fetched:
                    raise
                claim.refresh()  # a claims remote decides: ask it before refusing
        raise too_many()

    def remove_temporaries(self, path: Path) -> None:
        """Take away what killed writes left: temporary files next to the milestone files
        and in the journal (call under the repository lock)."""
        journal.remove_temporaries(path.parent)
        journal.remove_temporaries(self.repo.git_dir / journal.DIRECTORY)

    def _commit(
        self,
        rel: str,
        state: worktree.FileState,
        data: bytes,
        message: str,
        commit: bool,
        env: dict[str, str],
    ) -> tuple[str | None, bool]:
        """Stage (with `commit` False) or commit the file alone: the new commit (None when
        staged), and whether the write is done (False: the commit landed but its index
        entry is left to the next command, which the journal tells to update it). On
        failure the caller puts the file back, and a new file is taken out of the index
        again. Where no commit hook could run and commits are not signed, the commit is
        made with plumbing (`plumbing`), which spares git a refresh of the whole index;
        else with `git commit --only`, which runs the hooks."""
        added = False
        try:
            if not commit:
                git.add(self.repo, [rel])
                return None, False
            from gitmilestone import plumbing

            made = plumbing.commit_file(self.repo, rel, state.head, data, message, env, state.trees)
            if made is not None:
                return made.sha, made.indexed
            if state.head is None and state.index is None:
                git.add(self.repo, [rel], intent=True)
                added = True
            return git.commit_only(self.repo, [rel], message, env), True
        except BaseException:
            if added:
                git.unstage_new(self.repo, [rel])
            raise


def _read_or_none(root: Path, path: Path) -> bytes | None:
    if not path.exists() and not path.is_symlink():
        return None
    return store.read_file(root, path)


def _usable(checked: Checked) -> Milestone:
    if checked.milestone is None:
        lines = "\n".join(str(f) for f in checked.findings[:5])
        raise Invalid(
            f"{checked.file} cannot be read as a milestone; fix it first "
            f"(`git milestone validate {checked.file}`):\n{lines}",
            details=[f.to_dict() for f in checked.findings],
        )
    return checked.milestone


def actor_name(name: str, where: str) -> str:
    """A name as given by `where` (an option, a variable, a setting): one line without
    invisible format characters, not blank, at most 200 characters, surrounding spaces
    dropped."""
    check_name(name, where)
    clean = name.strip()
    if not clean:
        raise UsageError(f"{where}: a name cannot be blank; give who is acting")
    if len(clean) > MAX_NAME:
        raise UsageError(f"{where}: a name is at most {MAX_NAME} characters")
    return clean


__all__ = ["FORCED_ENV", "CommitRefused", "Workspace", "WriteResult", "current_time"]
