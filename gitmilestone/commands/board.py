"""`board`: the milestones as a Markdown block (printed, or kept up to date between markers
in a file such as CURRENT_STATE.md, one commit per change) and as a static HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitmilestone import board as render_board
from gitmilestone import holding, marked, messages, store, textfiles
from gitmilestone.claims import Holder
from gitmilestone.errors import Invalid
from gitmilestone.model import CLOSED, PRIORITIES
from gitmilestone.output import Result
from gitmilestone.summary import Summary, to_dict
from gitmilestone.workspace import Workspace, current_time


def item(m: Summary, ws: Workspace, holder: Holder | None = None) -> dict[str, Any]:
    """What the board shows of one milestone: `list --json`'s summary and the handoff."""
    return {
        **to_dict(m, current_time(), ws.settings.lease, holder),
        "steps_done": m.done,
        "next_session_should": list(m.next_session_should),
        "blockers": list(m.blockers),
        "depends_on": list(m.depends_on),
        "file": ws.rel(ws.path_for(m.milestone_id)),
    }


def board(
    ws: Workspace,
    *,
    show_all: bool,
    update: Path | None,
    html_file: Path | None,
    commit: bool,
) -> Result:
    """Render the board; with `update`, rewrite the block in that file and commit it; with
    `html_file`, write the page there."""
    milestones = ws.summaries().summaries
    shown = sorted(
        (m for m in milestones if show_all or m.status not in CLOSED),
        key=lambda m: (PRIORITIES.index(m.priority), m.milestone_id),
    )
    holders = holding.holders(ws, shown, current_time())
    items = [item(m, ws, holders[m.milestone_id]) for m in shown]
    statuses = {m.milestone_id: m.status for m in milestones}
    content = render_board.markdown(items, statuses, ws.settings.dir)
    block = marked.update(None, render_board.START, render_board.END, content, name="")
    data: dict[str, Any] = {"milestones": items, "markdown": block, "update": None, "html": None}
    lines = []
    if update is not None:
        data["update"] = _update(ws, update, content, commit)
        lines.append(_said(data["update"]))
    if html_file is not None:
        page = render_board.html_page(items, statuses, ws.settings.dir)
        try:
            store.write_atomic(html_file, page)
        except OSError as exc:
            raise Invalid(
                f"{html_file}: cannot write the page ({exc.strerror or exc}); give a file "
                "in a directory you can write to"
            ) from None
        data["html"] = str(html_file)
        lines.append(f"{html_file}: wrote the board for {len(items)} milestone(s)")
    return Result(data, "\n".join(lines) if lines else block.rstrip("\n"))


def _update(ws: Workspace, path: Path, content: str, commit: bool) -> dict[str, Any]:
    real = textfiles.target(ws, path)
    rel = ws.rel(real)

    def edit(old: str | None) -> str:
        return marked.update(old, render_board.START, render_board.END, content, name=rel)

    def message(changed: list[str]) -> str:
        return messages.repository_message(f"board in {rel}", "board", ws.actor_name)

    written = textfiles.update(ws, {real: edit}, message, commit_it=commit)
    return {"file": rel, "changed": bool(written.changed), "commit": written.commit}


def _said(update: dict[str, Any]) -> str:
    if not update["changed"]:
        return f"{update['file']}: the board is up to date"
    if update["commit"] is None:
        return f"{update['file']}: board updated (staged, not committed)"
    return f"{update['file']}: board updated [{update['commit'][:9]}]"
