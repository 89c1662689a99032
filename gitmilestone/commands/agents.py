"""`agents` (and `init --agents`): the working protocol, in a marked block of AGENTS.md, and
of CLAUDE.md when the repository has one, so that agents read it at every session start."""

from __future__ import annotations

from pathlib import Path

from gitmilestone import marked, messages, protocol, textfiles
from gitmilestone.output import Result
from gitmilestone.workspace import Workspace

START = "<!-- gitmilestone:start -->"
END = "<!-- gitmilestone:end -->"
AGENTS_FILE = "AGENTS.md"
# Written only when the repository already has them: AGENTS.md is the shared convention.
OPTIONAL_FILES = ("CLAUDE.md",)


def body(directory: str) -> str:
    """What goes between the markers."""
    return "\n".join(
        [
            "## Milestones: multi-step work that survives a handoff",
            "",
            protocol.intro(directory),
            "",
            "At the start of a session run `git milestone prime`: how to work, what you hold, "
            "what is ready, what is blocked.",
            "",
            *protocol.lines(),
            "",
            "`git milestone COMMAND --help` explains each command; `--json` prints one JSON "
            "document. This block is written by `git milestone agents`; edit outside it.",
        ]
    )


def targets(ws: Workspace) -> list[Path]:
    """The files to keep the block in; a link (CLAUDE.md -> AGENTS.md) counts once."""
    out: list[Path] = []
    for name in (AGENTS_FILE, *OPTIONAL_FILES):
        path = ws.repo.root / name
        if name != AGENTS_FILE and not (path.exists() or path.is_symlink()):
            continue
        real = textfiles.target(ws, path)
        if real not in out:
            out.append(real)
    return out


def edits(ws: Workspace) -> dict[Path, textfiles.Edit]:
    text = body(ws.settings.dir)

    def edit(name: str) -> textfiles.Edit:
        return lambda old: marked.update(old, START, END, text, name=name)

    return {path: edit(ws.rel(path)) for path in targets(ws)}


def message(ws: Workspace, changed: list[str]) -> str:
    return messages.repository_message(
        f"agent instructions in {', '.join(changed)}", "agents", ws.actor_name
    )


def agents(ws: Workspace, *, commit: bool) -> Result:
    """Write or refresh the block; one commit of the files that changed."""
    todo = edits(ws)
    written = textfiles.update(ws, todo, lambda changed: message(ws, changed), commit_it=commit)
    files = [ws.rel(p) for p in todo]
    data = {"files": files, "changed": written.changed, "commit": written.commit}
    if not written.changed:
        return Result(data, f"{', '.join(files)}: the agent instructions are up to date")
    where = f" [{written.commit[:9]}]" if written.commit else " (staged, not committed)"
    return Result(data, f"{', '.join(written.changed)}: agent instructions written{where}")
