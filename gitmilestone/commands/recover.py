"""`git milestone recover ID`: a clean state after an interrupted write (or a change left
uncommitted), saying which of two things it did.

- The file (staged or not) is exactly what the journal says a command wrote on top of
  HEAD's version: it is committed with the message that command would have written, so
  its trailers record the change (the hooks run).
- Anything else that differs from HEAD's version: HEAD's version is put back, after what
  was there is saved under the git directory (`milestone-recovered/`), whose path it says.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from gitmilestone import git, journal, store, worktree
from gitmilestone.finish import finish
from gitmilestone.output import Result
from gitmilestone.store import check_id
from gitmilestone.workspace import ACTOR_ENV, Workspace, current_time


def recover(ws: Workspace, milestone_id: str) -> Result:
    check_id(milestone_id)
    path = ws.path_for(milestone_id)
    rel = ws.rel(path)
    repo, git_dir = ws.repo, ws.repo.git_dir
    with store.repository_lock(repo.common_dir):
        worktree.refuse_if_busy(repo)
        ws.remove_temporaries(path)
        data = store.read_file(repo.root, path) if path.exists() or path.is_symlink() else None
        state = worktree.file_state(repo, rel, data)
        entry = journal.read(git_dir, milestone_id)
        if state.clean:
            journal.remove(git_dir, milestone_id)
            return _result(rel, "clean", f"{rel} is as HEAD has it: nothing to recover")
        if entry is not None:
            done = finish(repo, rel, state, entry, {ACTOR_ENV: entry.actor, **entry.env})
            if done is not None:
                return _result(
                    rel,
                    done.how,
                    f"{rel}: {done.describe()}",
                    commit=done.commit,
                    message=entry.message if done.commit else None,
                )
        saved = _save(ws, milestone_id, rel, state, data)
        git.restore_from_head(repo, rel, in_head=state.head is not None)
        journal.remove(git_dir, milestone_id)
    put = "put HEAD's version back" if state.head else "took the file away (HEAD has none)"
    kept = "; what was there is saved in " + " and ".join(str(p) for p in saved) if saved else ""
    return _result(rel, "restored", f"{rel}: {put}{kept}", backups=[str(p) for p in saved])


def _save(
    ws: Workspace, milestone_id: str, rel: str, state: worktree.FileState, data: bytes | None
) -> list[Any]:
    """Back up the working file and a staged version that differ from HEAD's."""
    stamp = current_time().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    saved = []
    if data is not None and state.work != state.head:
        saved.append(journal.backup(ws.repo.git_dir, milestone_id, stamp, data))
    if state.index not in (None, state.head, state.work) and not state.intent_to_add:
        (staged,) = git.blobs(ws.repo, [f":{rel}"])
        if staged is not None:
            saved.append(journal.backup(ws.repo.git_dir, milestone_id, f"{stamp}.staged", staged))
    return saved


def _result(
    rel: str,
    outcome: str,
    text: str,
    *,
    commit: str | None = None,
    message: str | None = None,
    backups: list[str] | None = None,
) -> Result:
    data = {
        "path": rel,
        "outcome": outcome,
        "commit": commit,
        "message": message,
        "backups": backups or [],
    }
    return Result(data, text)
