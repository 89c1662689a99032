"""Finishing a write that was interrupted: when the milestone file is exactly what the
journal says a command wrote (on top of HEAD's version), it is committed with the message
that command would have written; when the commit landed but git was stopped before it
updated the index, the index entry is brought back to HEAD's.

The next write does this by itself for a write that was killed; `git milestone recover`
does it for a change `--no-commit` staged on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitmilestone import git, journal, preflight, worktree
from gitmilestone.records import frozen


@frozen
class Finished:
    """What was done: `committed` (with `commit`), or `index` (the commit had landed)."""

    how: str
    entry: journal.Entry
    commit: str | None = None

    def describe(self) -> str:
        if self.commit is not None:
            return (
                f"committed the change `git milestone {self.entry.action}` wrote and had not "
                f"committed, with the trailers it should have [{self.commit[:9]}]"
            )
        return "the change was committed already (HEAD has it); its index entry is HEAD's again"

    def to_dict(self) -> dict[str, object]:
        return {"how": self.how, "action": self.entry.action, "commit": self.commit}


def finish(
    repo: git.Repo,
    path: str,
    state: worktree.FileState,
    entry: journal.Entry,
    env: Mapping[str, str],
) -> Finished | None:
    """Finish the journal's write if the file is what it left; None otherwise (the file
    holds something else: not the tool's to commit)."""
    if preflight.matches(state, entry, path):
        added = False
        try:
            if state.head is None and state.index is None:
                git.add(repo, [path], intent=True)
                added = True
            sha = git.commit_only(repo, [path], entry.message, env)
        except BaseException:
            if added:
                git.unstage_new(repo, [path])
            raise
        journal.remove(repo.git_dir, entry.milestone_id)
        return Finished("committed", entry, sha)
    if entry.path == path and state.work == state.head == entry.written:
        git.reset_index_entry(repo, path)
        journal.remove(repo.git_dir, entry.milestone_id)
        return Finished("index", entry)
    return None
