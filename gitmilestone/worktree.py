"""One milestone file as git sees it (HEAD, the index, the working tree), and whether the
repository is in the middle of something (a merge, a rebase...). Reads only: a write
checks both before it changes anything.

A write must never commit a change it did not make. So before writing, the working file
and its index entry must be HEAD's version: one `git cat-file` names HEAD's and the
index's blobs (and, for a commit, reads HEAD's trees along the path), and the working file
is hashed here as git would store it.
"""

from __future__ import annotations

from gitmilestone import git
from gitmilestone.errors import Invalid
from gitmilestone.records import field, frozen

# HEAD's commit id, and the objects (id, type, contents; None: missing) of its root tree and
# of each directory's tree down to a file's.
Trees = tuple[str, tuple[tuple[str, str, bytes] | None, ...]]


@frozen
class FileState:
    """The blob id of one path in HEAD, in the index (stage 0) and in the working tree;
    None where there is none."""

    head: str | None
    index: str | None
    work: str | None
    # A new file staged with `git add --intent-to-add` (an empty blob in the index).
    intent_to_add: bool = False
    # Read with the same process, for a commit: HEAD's commit id and the objects its specs
    # named (HEAD's root tree, then the tree of each directory down to the file's).
    trees: Trees | None = field(default=None, compare=False, repr=False)

    @property
    def clean(self) -> bool:
        return self.head == self.index == self.work

    def describe(self) -> str:
        """What differs from HEAD, in words."""
        parts = []
        if self.index != self.head:
            parts.append("staged" if self.index is not None else "removed from the index")
        if self.work != self.index and self.work != self.head:
            parts.append("changed in the working tree" if self.work else "deleted")
        elif self.work is None and self.head is not None:
            parts.append("deleted")
        return " and ".join(parts) or "changed"


def file_state(repo: git.Repo, path: str, data: bytes | None, *, trees: bool = False) -> FileState:
    """`path` in HEAD, the index and the working tree (`data`: its bytes, None if absent).
    With `trees`, HEAD's trees along the path are read in the same `git cat-file` (a
    commit made with plumbing needs them) when the ref files name HEAD's commit."""
    commit = git.read_head(repo) if trees else None
    if commit is None:
        head, index = git.object_ids(repo, [f"HEAD:{path}", f":{path}"])
        read = None
    else:
        dirs = path.split("/")[:-1]
        specs = [f"{commit}:{path}", f":{path}", f"{commit}^{{tree}}"]
        specs += [f"{commit}:{'/'.join(dirs[: n + 1])}" for n in range(len(dirs))]
        found = git.objects(repo, specs)
        head, index = (o[0] if o is not None and o[1] == "blob" else None for o in found[:2])
        read = (commit, tuple(found[2:]))
    work = None if data is None else git.blob_id(repo, data)
    if work is not None and work not in (head, index) and (head or index):
        # Filters or end-of-line conversion store other bytes than the file holds: ask git.
        work = git.stored_blob_id(repo, path)
    intent = head is None and index is not None and index == git.empty_blob(repo)
    return FileState(head, index, work, intent, read)


# What git leaves in the git directory while an operation waits for the user, and how to
# finish or abort it.
_IN_PROGRESS = (
    ("MERGE_HEAD", "a merge", "`git commit` to conclude it, or `git merge --abort`"),
    ("rebase-merge", "a rebase", "`git rebase --continue`, or `git rebase --abort`"),
    (
        "rebase-apply",
        "a rebase (or `git am`)",
        "`git rebase --continue` or `git am --continue`, or abort it with `--abort`",
    ),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "`git cherry-pick --continue`, or `--abort`"),
    ("REVERT_HEAD", "a revert", "`git revert --continue`, or `--abort`"),
    ("BISECT_START", "a bisect", "`git bisect reset` when you are done"),
)


def refuse_if_busy(repo: git.Repo) -> None:
    """Refuse (exit 1) while a merge, rebase, cherry-pick, revert or bisect waits in this
    worktree: a commit now would land in the middle of it, and aborting it would throw the
    change away."""
    for name, what, how in _IN_PROGRESS:
        if (repo.git_dir / name).exists():
            raise Invalid(
                f"{what} is in progress in this repository, so no milestone is changed now "
                f"(the change would be folded into it, or lost when it is aborted); finish "
                f"it ({how}), then run the command again"
            )
