"""Editing a milestone after it was created: `edit`, `dep add|remove`, and the `step`
subcommands `edit`, `remove` and `move` (the `step` group itself is in `work`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gitmilestone.cli.common import CONTEXT, Subcommands, id_argument, run, workspace, writes
from gitmilestone.model import PRIORITIES

if TYPE_CHECKING:
    from gitmilestone.output import Result


@click.command("edit", context_settings=CONTEXT)
@id_argument
@click.option("--title", metavar="TEXT", help="A new title.")
@click.option(
    "--priority", "-p", type=click.Choice(PRIORITIES, case_sensitive=False), help="A new priority."
)
@click.option("--why", metavar="TEXT", help="Why this work matters ('' removes it).")
@click.option("--success", metavar="TEXT", help="How to tell it is done ('' removes it).")
@click.option("--file", "files", multiple=True, metavar="PATH", help="Add a related file (repeat).")
@click.option(
    "--no-file", "no_files", multiple=True, metavar="PATH", help="Remove a related file (repeat)."
)
@click.option("--needs", multiple=True, metavar="TEXT", help="Add something it needs (repeat).")
@click.option(
    "--no-needs", "no_needs", multiple=True, metavar="TEXT", help="Remove a need (repeat)."
)
@click.option(
    "--depends-on",
    multiple=True,
    metavar="ID",
    help="Add a milestone that must be completed first (repeat; unknown ids and cycles are "
    "refused).",
)
@click.option(
    "--no-depends-on",
    "no_depends_on",
    multiple=True,
    metavar="ID",
    help="Remove a dependency (repeat).",
)
@click.option(
    "--set",
    "set_pairs",
    multiple=True,
    metavar="x-KEY=JSON",
    help="Set an extension key to a JSON value, like x-ticket='\"OPS-12\"' (repeat).",
)
@click.option("--unset", multiple=True, metavar="x-KEY", help="Remove an extension key (repeat).")
@writes
def edit_command(
    milestone_id: str,
    title: str | None,
    priority: str | None,
    why: str | None,
    success: str | None,
    files: tuple[str, ...],
    no_files: tuple[str, ...],
    needs: tuple[str, ...],
    no_needs: tuple[str, ...],
    depends_on: tuple[str, ...],
    no_depends_on: tuple[str, ...],
    set_pairs: tuple[str, ...],
    unset: tuple[str, ...],
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Change a milestone's fields, in one commit whose Milestone-Fields trailer names
    what changed. Nothing to change (values as they are) commits nothing and exits 0.

    The holder may edit, or anyone when nobody holds the milestone (no owner, or the
    owner's lease expired); editing a milestone someone else holds is an owner conflict
    (exit 3). An edit of fields leaves the owner as it is.
    """
    from gitmilestone.commands import edit
    from gitmilestone.editing import Edits

    def produce() -> Result:
        edits = Edits(
            title=title,
            priority=None if priority is None else priority.upper(),  # type: ignore[arg-type]
            why=why,
            success=success,
            add_files=files,
            remove_files=no_files,
            add_needs=needs,
            remove_needs=no_needs,
            add_deps=depends_on,
            remove_deps=no_depends_on,
            set_keys=tuple(edit.parse_set(pair) for pair in set_pairs),
            unset_keys=tuple(edit.check_key(key, "--unset") for key in unset),
        )
        return edit.edit(workspace(as_actor), milestone_id, edits, commit=not no_commit)

    run(as_json, produce)


@click.command("edit")
@id_argument
@click.argument("step", type=click.IntRange(min=1))
@click.option("--description", metavar="TEXT", help="A new description.")
@click.option(
    "--notes",
    metavar="TEXT",
    help="New notes for the step: they replace the notes it has ('' clears them; "
    "`advance --note` adds to them instead).",
)
@writes
def step_edit_command(
    milestone_id: str,
    step: int,
    description: str | None,
    notes: str | None,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Change a step's description or notes, whatever its status.

    Like every change of steps it takes the milestone: the holder, or anyone when nobody
    holds it (someone else's active lease is an owner conflict, exit 3).
    """
    from gitmilestone.commands import edit

    run(
        as_json,
        lambda: edit.step_edit(
            workspace(as_actor),
            milestone_id,
            step,
            description=description,
            notes=notes,
            commit=not no_commit,
        ),
    )


@click.command("remove")
@id_argument
@click.argument("step", type=click.IntRange(min=1))
@click.option("--force", is_flag=True, help="Remove it even if it was started or done (recorded).")
@writes
def step_remove_command(
    milestone_id: str,
    step: int,
    force: bool,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Remove a step; the steps after it are renumbered.

    A step that was started or done is removed only with --force (the commit records
    Milestone-Forced: true). Removing the last unfinished step of work in progress
    completes the milestone and releases it, as completing that step would. Takes the
    milestone: the holder, or anyone when nobody holds it (else exit 3).
    """
    from gitmilestone.commands import edit

    run(
        as_json,
        lambda: edit.step_remove(
            workspace(as_actor), milestone_id, step, force=force, commit=not no_commit
        ),
    )


@click.command("move")
@id_argument
@click.argument("step", type=click.IntRange(min=1))
@click.option(
    "--to", "to", type=click.IntRange(min=1), required=True, metavar="N", help="Its new place."
)
@click.option("--force", is_flag=True, help="Move it even if it was started or done (recorded).")
@writes
def step_move_command(
    milestone_id: str,
    step: int,
    to: int,
    force: bool,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Move a step to place N; the steps in between shift by one.

    A step that was started or done moves only with --force (recorded). Moving a step to
    where it is changes nothing. Takes the milestone: the holder, or anyone when nobody
    holds it (else exit 3).
    """
    from gitmilestone.commands import edit

    run(
        as_json,
        lambda: edit.step_move(
            workspace(as_actor), milestone_id, step, to=to, force=force, commit=not no_commit
        ),
    )


@click.group(
    "dep",
    cls=Subcommands,
    context_settings=CONTEXT,
    table={"add": "edit:dep_add_command", "remove": "edit:dep_remove_command"},
)
def dep_group() -> None:
    """Change what a milestone depends on (`depends_on`: milestones that must be completed
    first). The holder may change it, or anyone when nobody holds it (else exit 3)."""


@click.command("add")
@id_argument
@click.argument("other", metavar="OTHER")
@writes
def dep_add_command(
    milestone_id: str, other: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """ID depends on OTHER from now on. An unknown OTHER, or one that depends on ID
    (directly or through others: a cycle, which is named), is refused."""
    from gitmilestone.commands import edit

    run(
        as_json,
        lambda: edit.dep_add(workspace(as_actor), milestone_id, other, commit=not no_commit),
    )


@click.command("remove")
@id_argument
@click.argument("other", metavar="OTHER")
@writes
def dep_remove_command(
    milestone_id: str, other: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """ID no longer depends on OTHER."""
    from gitmilestone.commands import edit

    run(
        as_json,
        lambda: edit.dep_remove(workspace(as_actor), milestone_id, other, commit=not no_commit),
    )
