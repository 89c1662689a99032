"""Text files the tool keeps up to date besides the milestones (AGENTS.md, CLAUDE.md, a
board): compute the new text under the repository lock, write what changed, and commit
exactly those files the way a milestone change is committed (hooks run; on refusal every
file is put back and nothing stays staged)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from gitmilestone import git, store
from gitmilestone.errors import Invalid
from gitmilestone.records import frozen
from gitmilestone.workspace import Workspace

# Given the file's text (None: no such file), the text it should have.
Edit = Callable[[str | None], str]


@frozen
class Planned:
    """What writing would do: each file's original bytes, and the new text of those that
    change."""

    originals: dict[Path, bytes | None]
    new: dict[Path, str]


@frozen
class Written:
    changed: list[str]
    commit: str | None


def target(ws: Workspace, path: Path) -> Path:
    """The file to write for `path`: a link is followed (CLAUDE.md is often a link to
    AGENTS.md) and the file must be in this working tree, outside `.git`."""
    real = path.resolve()
    root = ws.repo.root.resolve()
    if real != root and root not in real.parents:
        raise Invalid(f"{path} is outside this repository ({root}); give a file inside it")
    if ".git" in real.relative_to(root).parts:
        raise Invalid(f"{path} is inside .git; give a file of the working tree")
    if real.is_dir():
        raise Invalid(f"{path} is a directory; give a file")
    return real


def read_text(path: Path, name: str) -> tuple[bytes | None, str | None]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{name} is not UTF-8 text; convert it to UTF-8 first") from None


def plan(ws: Workspace, edits: Mapping[Path, Edit]) -> Planned:
    """Read each file and compute its new text; nothing is written yet, so a file whose
    markers are broken stops everything before any file changes."""
    originals: dict[Path, bytes | None] = {}
    new: dict[Path, str] = {}
    for path, edit in edits.items():
        data, text = read_text(path, ws.rel(path))
        originals[path] = data
        result = edit(text)
        if data is None or result.encode("utf-8") != data:
            new[path] = result
    return Planned(originals, new)


def write(planned: Planned) -> None:
    for path, text in planned.new.items():
        store.write_atomic(path, text)


def commit(
    ws: Workspace,
    paths: Sequence[Path],
    originals: Mapping[Path, bytes | None],
    message: str,
    *,
    commit: bool,
) -> str | None:
    """Commit exactly `paths` (or only stage them); on any failure put every file back
    as it was and unstage the files git did not know before."""
    rels = [ws.rel(p) for p in paths]
    untracked = [rel for rel in rels if not git.is_tracked(ws.repo, rel)]
    try:
        if not commit:
            git.add(ws.repo, rels)
            return None
        if untracked:
            git.add(ws.repo, untracked, intent=True)
        return git.commit_only(ws.repo, rels, message)
    except BaseException:
        for path in paths:
            store.restore(path, originals[path])
        git.unstage_new(ws.repo, untracked)
        raise


def update(
    ws: Workspace,
    edits: Mapping[Path, Edit],
    message: Callable[[list[str]], str],
    *,
    commit_it: bool,
) -> Written:
    """Apply `edits` under the repository lock and commit the files that changed as one
    commit, with `message(changed paths)`; nothing changed: no commit."""
    with store.repository_lock(ws.repo.common_dir):
        planned = plan(ws, edits)
        paths = list(planned.new)
        if not paths:
            return Written([], None)
        rels = [ws.rel(p) for p in paths]
        text = message(rels) if commit_it else ""
        write(planned)
        sha = commit(ws, paths, planned.originals, text, commit=commit_it)
    return Written(rels, sha)
