"""The commands that change a milestone: each one write, one commit."""

from __future__ import annotations

import click

from gitmilestone.cli.common import (
    CONTEXT,
    Subcommands,
    id_argument,
    json_option,
    run,
    workspace,
    writes,
)
from gitmilestone.model import PRIORITIES, STEP_STATUSES


@click.command("new")
@click.argument("title")
@click.option("--id", "milestone_id", metavar="ID", help="The id (default: a slug of TITLE).")
@click.option(
    "--priority",
    "-p",
    type=click.Choice(PRIORITIES, case_sensitive=False),
    default="MEDIUM",
    show_default=True,
)
@click.option("--step", "steps", multiple=True, metavar="TEXT", help="A step (repeat, in order).")
@click.option("--why", metavar="TEXT", help="Why this work matters.")
@click.option("--success", metavar="TEXT", help="How to tell it is done.")
@click.option("--file", "files", multiple=True, metavar="PATH", help="A related file (repeat).")
@click.option("--needs", multiple=True, metavar="TEXT", help="Something it needs (repeat).")
@click.option(
    "--depends-on",
    multiple=True,
    metavar="ID",
    help="A milestone that must be completed first (repeat).",
)
@click.option("--claim", is_flag=True, help="Claim it for yourself at once.")
@writes
def new_command(
    title: str,
    milestone_id: str | None,
    priority: str,
    steps: tuple[str, ...],
    why: str | None,
    success: str | None,
    files: tuple[str, ...],
    needs: tuple[str, ...],
    depends_on: tuple[str, ...],
    claim: bool,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Create a milestone. An existing id, abandoned ones included, is refused."""
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.new(
            workspace(as_actor),
            title,
            milestone_id=milestone_id,
            priority=priority.upper(),  # type: ignore[arg-type]
            steps=steps,
            why=why,
            success=success,
            files=files,
            needs=needs,
            depends_on=depends_on,
            claim=claim,
            commit=not no_commit,
        ),
    )


@click.command("claim")
@id_argument
@click.option(
    "--force", is_flag=True, help="Take it even though someone else's lease is active (recorded)."
)
@writes
def claim_command(
    milestone_id: str, force: bool, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Take a milestone. Claiming your own again does nothing and succeeds."""
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.claim(workspace(as_actor), milestone_id, force=force, commit=not no_commit),
    )


@click.command("release")
@id_argument
@writes
def release_command(
    milestone_id: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Give a milestone up; its status stays, so in_progress work waits to be resumed."""
    from gitmilestone.commands import write

    run(as_json, lambda: write.release(workspace(as_actor), milestone_id, commit=not no_commit))


@click.command("advance")
@id_argument
@click.argument("step", type=click.IntRange(min=1), required=False)
@click.option(
    "--to",
    type=click.Choice(STEP_STATUSES),
    help="With STEP: the status to give it (default completed).",
)
@click.option("--note", metavar="TEXT", help="A note for the step and the commit body.")
@writes
def advance_command(
    milestone_id: str,
    step: int | None,
    to: str | None,
    note: str | None,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Move the work forward.

    With no STEP: complete the step in progress and start the next pending one (or start
    the first pending one). With STEP: set that step (to --to, default completed).
    Completing the last step completes the milestone and releases it. An unowned
    milestone is claimed in the same commit.
    """
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.advance(
            workspace(as_actor),
            milestone_id,
            step,
            to=to,  # type: ignore[arg-type]
            note=note,
            commit=not no_commit,
        ),
    )


@click.command("block")
@id_argument
@click.option("--reason", required=True, metavar="TEXT", help="What blocks the work.")
@click.option("--step", type=click.IntRange(min=1), help="Mark this step blocked too.")
@writes
def block_command(
    milestone_id: str,
    reason: str,
    step: int | None,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Add a blocker; the milestone becomes blocked."""
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.block(
            workspace(as_actor), milestone_id, reason=reason, step=step, commit=not no_commit
        ),
    )


@click.command("unblock")
@id_argument
@writes
def unblock_command(
    milestone_id: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Clear the blockers; blocked steps and the milestone go back to work."""
    from gitmilestone.commands import write

    run(as_json, lambda: write.unblock(workspace(as_actor), milestone_id, commit=not no_commit))


@click.command("handoff")
@id_argument
@click.option(
    "--next",
    "next_steps",
    multiple=True,
    metavar="TEXT",
    help="What the next session should do (repeat; replaces the list).",
)
@click.option("--notes", metavar="TEXT", help="Handoff notes (replaces them).")
@click.option("--release", is_flag=True, help="Also give the milestone up.")
@writes
def handoff_command(
    milestone_id: str,
    next_steps: tuple[str, ...],
    notes: str | None,
    release: bool,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """The end-of-session ritual: leave instructions for whoever resumes.

    The file records who wrote them, when and at which step (handoff_by, handoff_at,
    handoff_step), so that `show` and `resume` can say how old they are.
    """
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.handoff(
            workspace(as_actor),
            milestone_id,
            next_steps=next_steps,
            notes=notes,
            release=release,
            commit=not no_commit,
        ),
    )


@click.command("complete")
@id_argument
@click.option("--notes", metavar="TEXT", help="Completion notes.")
@click.option("--force", is_flag=True, help="Skip the steps that are not done.")
@writes
def complete_command(
    milestone_id: str,
    notes: str | None,
    force: bool,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Finish a milestone (refused while steps are unfinished, unless --force).

    On a milestone already completed, --notes adds to its completion notes, as a commit of
    its own (Milestone-Action: complete-notes); the same notes again change nothing.
    """
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.complete(
            workspace(as_actor), milestone_id, notes=notes, force=force, commit=not no_commit
        ),
    )


@click.command("abandon")
@id_argument
@click.option("--reason", required=True, metavar="TEXT", help="Why the work stops.")
@writes
def abandon_command(
    milestone_id: str, reason: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Stop a milestone for good (the file stays, so history stays readable)."""
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.abandon(
            workspace(as_actor), milestone_id, reason=reason, commit=not no_commit
        ),
    )


@click.command("recover")
@id_argument
@json_option
def recover_command(milestone_id: str, as_json: bool) -> None:
    """Bring a milestone file back to a clean state after an interrupted write, or a change
    left uncommitted (`--no-commit`, a crash, a hand edit), and say which it did.

    When the file (staged or not) is exactly the change a `git milestone` command wrote
    and did not commit, it is committed with the message that command would have written.
    Anything else that differs from HEAD is put back to HEAD's version, after what was
    there is saved under the git directory (the path is printed).
    """
    from gitmilestone.commands import recover

    run(as_json, lambda: recover.recover(workspace(), milestone_id))


@click.command("reopen")
@id_argument
@click.argument("step", type=click.IntRange(min=1), required=False)
@writes
def reopen_command(
    milestone_id: str, step: int | None, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Reopen a completed or abandoned milestone, or one done STEP."""
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.reopen(workspace(as_actor), milestone_id, step, commit=not no_commit),
    )


@click.command("undo")
@id_argument
@writes
def undo_command(milestone_id: str, as_json: bool, as_actor: str | None, no_commit: bool) -> None:
    """Undo the last change of a milestone with a new commit (history is never rewritten).

    The last commit that changed the milestone's file, the tool's or not, is undone: the
    content goes back to the version before it, with revision + 1, the time of now, and
    the steps that go back from done recorded as reopened. The commit says which commit it
    undoes (Milestone-Action: undo, Milestone-Undoes). Refused when the milestone has
    only been created, when the state machine forbids the status change (say what to run
    instead), or when someone else holds it (exit 3).
    """
    from gitmilestone.commands import write

    run(as_json, lambda: write.undo(workspace(as_actor), milestone_id, commit=not no_commit))


@click.group(
    "step",
    cls=Subcommands,
    context_settings=CONTEXT,
    table={
        "add": "work:step_add_command",
        "edit": "edit:step_edit_command",
        "remove": "edit:step_remove_command",
        "move": "edit:step_move_command",
    },
)
def step_group() -> None:
    """Change the list of steps: add, edit, remove or move one.

    A change of steps takes the milestone, as `advance` does: the holder may change them,
    or anyone when nobody holds it (someone else's active lease is an owner conflict,
    exit 3).
    """


@click.command("add")
@id_argument
@click.argument("text")
@click.option(
    "--after",
    type=click.IntRange(min=0),
    metavar="N",
    help="Insert after step N (0: first; default: last).",
)
@writes
def step_add_command(
    milestone_id: str,
    text: str,
    after: int | None,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Add a step."""
    from gitmilestone.commands import write

    run(
        as_json,
        lambda: write.step_add(
            workspace(as_actor), milestone_id, text, after=after, commit=not no_commit
        ),
    )
