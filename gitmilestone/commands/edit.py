"""The commands that edit a milestone after it was created: `edit`, `step edit|remove|move`
and `dep add|remove`; each is one write, one commit."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from gitmilestone import editing
from gitmilestone.commands.write import _existing, check_values
from gitmilestone.errors import UsageError
from gitmilestone.output import Result
from gitmilestone.rules import decode
from gitmilestone.store import check_id
from gitmilestone.text import check_line
from gitmilestone.workspace import Workspace

# An extension key: `x-` and a name of letters, digits, `-`, `_` and `.`.
_KEY = re.compile(r"x-[A-Za-z0-9]([A-Za-z0-9_.-]{0,62})")


def parse_set(pair: str) -> tuple[str, Any]:
    """`x-KEY=JSON` to the key and its value, parsed strictly (no NaN, no repeated keys)."""
    key, sep, text = pair.partition("=")
    key = check_key(key, "--set")
    if not sep:
        raise UsageError(f"--set {pair!r}: write it as {key}=JSON, like {key}=3 or {key}=true")
    value, findings = decode("--set", text.encode("utf-8"))
    if findings:
        reason = findings[0].message.split("; ")[0]
        raise UsageError(
            f"--set {key}: the value is not JSON ({reason}); quote a text as JSON, "
            f"like {key}='\"text\"'"
        )
    return key, value


def check_key(key: str, option: str) -> str:
    if not _KEY.fullmatch(key):
        raise UsageError(
            f"{option} {key!r}: only extension keys can be set this way; they start with "
            "`x-` followed by letters, digits, `-`, `_` or `.` (at most 64 characters)"
        )
    return key


def _graph(ws: Workspace) -> dict[str, tuple[str, ...]]:
    """Every milestone id and what it depends on (an unreadable file depends on nothing)."""
    graph: dict[str, tuple[str, ...]] = {}
    for checked in ws.all():
        m = checked.milestone
        graph[PurePath(checked.file).stem] = () if m is None else m.depends_on or ()
    return graph


def edit(ws: Workspace, milestone_id: str, edits: editing.Edits, *, commit: bool) -> Result:
    for dep in (*edits.add_deps, *edits.remove_deps):
        check_id(dep)
    if edits.title is not None:
        check_line(edits.title, "--title", "a title")
    check_values("--file", edits.add_files)
    check_values("--needs", edits.add_needs)

    def op(m: Any, actor: Any) -> Any:
        graph = _graph(ws) if edits.add_deps else None
        return editing.edit(m, actor, edits, graph)

    return _existing(ws, milestone_id, op, commit=commit)


def dep_add(ws: Workspace, milestone_id: str, other: str, *, commit: bool) -> Result:
    check_id(other)
    return _existing(
        ws, milestone_id, lambda m, a: editing.dep_add(m, a, other, _graph(ws)), commit=commit
    )


def dep_remove(ws: Workspace, milestone_id: str, other: str, *, commit: bool) -> Result:
    check_id(other)
    return _existing(ws, milestone_id, lambda m, a: editing.dep_remove(m, a, other), commit=commit)


def step_edit(
    ws: Workspace,
    milestone_id: str,
    number: int,
    *,
    description: str | None,
    notes: str | None,
    commit: bool,
) -> Result:
    if description is None and notes is None:
        raise UsageError("say what to change: --description TEXT and/or --notes TEXT")
    if description is not None:
        check_line(description, "--description", "a step description")
    return _existing(
        ws,
        milestone_id,
        lambda m, a: editing.step_edit(m, a, number, description=description, notes=notes),
        commit=commit,
    )


def step_remove(
    ws: Workspace, milestone_id: str, number: int, *, force: bool, commit: bool
) -> Result:
    return _existing(
        ws,
        milestone_id,
        lambda m, a: editing.step_remove(m, a, number, force=force),
        commit=commit,
    )


def step_move(
    ws: Workspace, milestone_id: str, number: int, *, to: int, force: bool, commit: bool
) -> Result:
    return _existing(
        ws,
        milestone_id,
        lambda m, a: editing.step_move(m, a, number, to=to, force=force),
        commit=commit,
    )
