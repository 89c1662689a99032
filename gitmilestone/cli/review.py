"""Reading the milestones and their record: list, show, log, resume, next."""

from __future__ import annotations

import click

from gitmilestone.cli.common import (
    as_option,
    id_argument,
    json_option,
    run,
    workspace,
)
from gitmilestone.model import STATUSES


@click.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include completed and abandoned ones.")
@click.option("--status", type=click.Choice(STATUSES), help="Only this status.")
@click.option("--owner", metavar="NAME", help="Only milestones NAME holds.")
@click.option("--mine", is_flag=True, help="Only milestones you hold.")
@as_option
@json_option
def list_command(
    show_all: bool = False,
    status: str | None = None,
    owner: str | None = None,
    mine: bool = False,
    as_actor: str | None = None,
    as_json: bool = False,
) -> None:
    """One line per milestone: priority, status, progress, owner, current step, last update.

    An owner whose lease has expired is marked: anyone may claim that milestone.
    """
    from gitmilestone.commands import read

    run(
        as_json,
        lambda: read.list_milestones(
            workspace(as_actor), show_all=show_all, status=status, owner=owner, mine=mine
        ),
    )


@click.command("show")
@id_argument
@json_option
def show_command(milestone_id: str, as_json: bool) -> None:
    """Everything about one milestone."""
    from gitmilestone.commands import read

    run(as_json, lambda: read.show(workspace(), milestone_id))


@click.command("log")
@click.argument("milestone_id", metavar="[ID]", required=False)
@click.option(
    "-n",
    "--max-count",
    "limit",
    type=click.IntRange(min=0),
    metavar="N",
    help="Show at most N changes.",
)
@click.option("--actor", metavar="NAME", help="Only changes made by NAME.")
@click.option("--notes", is_flag=True, help="Show the note each change carried, under it.")
@json_option
def log_command(
    milestone_id: str | None, limit: int | None, actor: str | None, notes: bool, as_json: bool
) -> None:
    """The handoff record, newest first: every commit that changed a milestone file, with
    when, actor, milestone, action, step, progress and subject.

    Commits the tool made are read from their Milestone-* trailers. Any other change shows
    for what it is, with what it changed: a hand edit, a revert (naming what it reverts),
    a cherry-pick, a merge (which side each part came from). Problems (stale or illegal
    changes, trailers that do not match the file) are listed under the change, with `!!`.
    The actor of a commit without trailers is its author.
    """
    from gitmilestone import git
    from gitmilestone.commands import review

    run(
        as_json,
        lambda: review.log(git.discover(), milestone_id, limit=limit, actor=actor, notes=notes),
    )


@click.command("resume")
@id_argument
@click.option("--claim", is_flag=True, help="Claim it first (exit 3 if someone else holds it).")
@as_option
@json_option
def resume_command(milestone_id: str, claim: bool, as_actor: str | None, as_json: bool) -> None:
    """The briefing a new session needs to carry on: what and why, success criteria, owner
    and lease, steps done with their notes, the current step, what remains, instructions,
    blockers, handoff notes, related files and the last commits.
    """
    from gitmilestone.commands import review

    run(as_json, lambda: review.resume(workspace(as_actor), milestone_id, claim=claim))


@click.command("next")
@click.option("--claim", is_flag=True, help="Claim the first one (exit 1 if none is ready).")
@as_option
@json_option
def next_command(claim: bool, as_actor: str | None, as_json: bool) -> None:
    """Milestones ready to work: not held by an active lease, not blocked, not done, every
    depends_on completed; highest priority first, then the oldest.
    """
    from gitmilestone.commands import review

    run(as_json, lambda: review.next_ready(workspace(as_actor), claim=claim))
