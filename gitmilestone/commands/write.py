"""The commands that change a milestone: each is one write, one commit."""

from __future__ import annotations

import re
from typing import Any

from gitmilestone import git, workflow
from gitmilestone.errors import Invalid, NotFound, Stale, UsageError
from gitmilestone.model import Milestone, Priority, StepStatus
from gitmilestone.output import Result
from gitmilestone.records import replace
from gitmilestone.store import MAX_ID, check_id
from gitmilestone.text import check_line, printable
from gitmilestone.workflow import Actor, Outcome
from gitmilestone.workspace import FORCED_ENV, Workspace, WriteResult


def slugify(title: str) -> str:
    """`Deploy Dashboard to Server` -> `deploy-dashboard-to-server` (at most 64 chars)."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > MAX_ID:
        slug = slug[:MAX_ID].rsplit("-", 1)[0] if "-" in slug[:MAX_ID] else slug[:MAX_ID]
    return slug


def _result(ws: Workspace, written: WriteResult) -> Result:
    mid = written.milestone.milestone_id
    if written.change is None:
        text = f"{mid}: nothing to change"
    elif written.commit is None:
        text = (
            f"{mid}: {printable(written.change.summary)} (staged, not committed)\n"
            f"commit it with `git milestone recover {mid}`, or with `git commit` and this "
            f"message (its trailers record the change):\n\n{written.message}"
        )
    else:
        text = f"{mid}: {printable(written.change.summary)} [{written.commit[:9]}]"
    if written.finished is not None:
        text = f"{written.path}: first {written.finished.describe()}\n{text}"
    return Result(written.to_dict(), text)


def _existing(
    ws: Workspace, milestone_id: str, op: Any, *, commit: bool, env: dict[str, str] | None = None
) -> Result:
    """Apply `op(milestone, actor)` to an existing milestone and commit it."""

    def run(current: Milestone | None, actor: Actor) -> Outcome | None:
        if current is None:
            raise NotFound(
                f"no milestone {milestone_id!r} in {ws.settings.dir}/; "
                "see `git milestone list --all`"
            )
        result: Outcome | None = op(current, actor)
        return result

    check_id(milestone_id)
    return _result(ws, ws.write(milestone_id, run, commit=commit, env=env))


def check_values(option: str, values: tuple[str, ...]) -> None:
    """Each value of a repeated one-line option: one line, and not blank (an empty related
    file or need says nothing and cannot be removed by name later)."""
    for value in values:
        check_line(value, option)
        if not value.strip():
            raise UsageError(f"{option}: give a value; an empty one says nothing")


def new(
    ws: Workspace,
    title: str,
    *,
    milestone_id: str | None,
    priority: Priority,
    steps: tuple[str, ...],
    why: str | None,
    success: str | None,
    files: tuple[str, ...],
    needs: tuple[str, ...],
    depends_on: tuple[str, ...],
    claim: bool,
    commit: bool,
) -> Result:
    title = check_line(title, "TITLE", "a title").strip()
    if not title or len(title) > 200:
        raise UsageError("TITLE: a title is one non-empty line of at most 200 characters")
    if milestone_id is None:
        milestone_id = slugify(title)
        if not milestone_id:
            raise UsageError(f"cannot make an id from {title!r}; give one with --id")
    check_id(milestone_id)
    for dep in depends_on:
        check_id(dep)
    if any(not s.strip() for s in steps):
        raise UsageError("--step: a step needs a description")
    check_values("--file", files)
    check_values("--needs", needs)

    from gitmilestone.schema import REPO_COPY, REPO_REF

    # Point editors at the repository's copy of the schema, when `init` wrote one.
    schema_ref = REPO_REF if (ws.directory / REPO_COPY).is_file() else None

    def create(current: Milestone | None, actor: Actor) -> Outcome:
        if current is not None or ws.path_for(milestone_id).exists():
            raise Invalid(
                f"milestone {milestone_id!r} already exists ({current.status if current else ''}"
                f"); ids are never reused: pick another with --id"
            )
        return workflow.create(
            milestone_id,
            title,
            actor,
            priority=priority,
            steps=steps,
            why=why,
            success=success,
            files=files,
            needs=needs,
            depends_on=depends_on,
            claim=claim,
            schema_ref=schema_ref,
        )

    result = _result(ws, ws.write(milestone_id, create, commit=commit))
    note = _merge_driver_note(ws)
    return replace(result, warnings=(note,)) if note else result


def _merge_driver_note(ws: Workspace) -> str | None:
    """Do for the merge driver what `init` does in a clone (its git config), or say that the
    repository lacks it (its .gitattributes line is `init`'s to commit)."""
    from gitmilestone.commands import merge_driver

    if not merge_driver.has_attributes(ws.repo, ws.settings.dir):
        return (
            "milestone files have no merge driver here (.gitattributes lacks it), so git "
            "would merge them line by line; run `git milestone init` once to set it up"
        )
    if git.merge_driver_command(ws.repo, merge_driver.DRIVER) is not None:
        return None
    merge_driver.register(ws.repo)
    return f"registered the merge driver in this clone's git config ({merge_driver.COMMAND})"


def claim(ws: Workspace, milestone_id: str, *, force: bool, commit: bool) -> Result:
    env = {FORCED_ENV: milestone_id} if force else None
    return _existing(
        ws, milestone_id, lambda m, a: workflow.claim(m, a, force=force), commit=commit, env=env
    )


def release(ws: Workspace, milestone_id: str, *, commit: bool) -> Result:
    return _existing(ws, milestone_id, workflow.release, commit=commit)


def advance(
    ws: Workspace,
    milestone_id: str,
    step: int | None,
    *,
    to: StepStatus | None,
    note: str | None,
    commit: bool,
) -> Result:
    return _existing(
        ws,
        milestone_id,
        lambda m, a: workflow.advance(m, a, step=step, to=to, note=note),
        commit=commit,
    )


def block(
    ws: Workspace, milestone_id: str, *, reason: str, step: int | None, commit: bool
) -> Result:
    return _existing(
        ws, milestone_id, lambda m, a: workflow.block(m, a, reason=reason, step=step), commit=commit
    )


def unblock(ws: Workspace, milestone_id: str, *, commit: bool) -> Result:
    return _existing(ws, milestone_id, workflow.unblock, commit=commit)


def handoff(
    ws: Workspace,
    milestone_id: str,
    *,
    next_steps: tuple[str, ...],
    notes: str | None,
    release: bool,
    commit: bool,
) -> Result:
    return _existing(
        ws,
        milestone_id,
        lambda m, a: workflow.handoff(m, a, next_steps=next_steps, notes=notes, release=release),
        commit=commit,
    )


def complete(
    ws: Workspace, milestone_id: str, *, notes: str | None, force: bool, commit: bool
) -> Result:
    return _existing(
        ws,
        milestone_id,
        lambda m, a: workflow.complete(m, a, notes=notes, force=force),
        commit=commit,
    )


def abandon(ws: Workspace, milestone_id: str, *, reason: str, commit: bool) -> Result:
    return _existing(
        ws, milestone_id, lambda m, a: workflow.abandon(m, a, reason=reason), commit=commit
    )


def reopen(ws: Workspace, milestone_id: str, step: int | None, *, commit: bool) -> Result:
    return _existing(ws, milestone_id, lambda m, a: workflow.reopen(m, a, step=step), commit=commit)


def step_add(
    ws: Workspace, milestone_id: str, text: str, *, after: int | None, commit: bool
) -> Result:
    return _existing(
        ws, milestone_id, lambda m, a: workflow.add_step(m, a, text, after=after), commit=commit
    )


def undo(ws: Workspace, milestone_id: str, *, commit: bool) -> Result:
    """Undo the last change of a milestone (its last commit, the tool's or not) with a new
    commit that brings the content back to the version before it."""
    from gitmilestone import git, history, undoing
    from gitmilestone.rules import check_bytes

    check_id(milestone_id)
    rel = ws.rel(ws.path_for(milestone_id))
    last = git.last_change(ws.repo, rel)
    if last is None:
        raise NotFound(f"{rel} is in no commit; there is nothing to undo")
    sha, parents, subject = last
    specs = [f"HEAD:{rel}", *([f"{sha}^1:{rel}"] if parents else [])]
    head_data, before_data = [*git.blobs(ws.repo, specs), None][:2]
    if before_data is None:
        raise Invalid(
            f"nothing to undo: the last change of {milestone_id} ({sha[:9]}) created it; to "
            f"stop the work, `git milestone abandon {milestone_id} --reason TEXT`"
        )
    before = check_bytes(rel, before_data, milestone_id).milestone
    if before is None:
        raise Invalid(
            f"the version of {rel} before {sha[:9]} is not a valid milestone, so undoing "
            f"{sha[:9]} would commit an invalid file; make the change you need with the "
            "`git milestone` commands instead"
        )
    head = None if head_data is None else check_bytes(rel, head_data, milestone_id).milestone

    def run(current: Milestone | None, actor: Actor) -> Outcome:
        deleted = current is None and head_data is None and not ws.path_for(milestone_id).exists()
        if deleted:
            current = before  # the last change deleted the file: undoing it brings it back
        if current is None:
            raise NotFound(
                f"no milestone {milestone_id!r} in {ws.settings.dir}/; "
                "see `git milestone list --all`"
            )
        if not deleted and (head is None or current.to_dict() != head.to_dict()):
            raise Stale(
                f"{rel} differs from its last commit, so its last change is not what is in "
                f"the file; commit or discard that change first (`git diff -- {rel}`)"
            )
        return undoing.undo(
            current,
            before,
            actor,
            commit=sha,
            subject=history.short_subject(milestone_id, subject),
            file=rel,
        )

    return _result(ws, ws.write(milestone_id, run, commit=commit))
