"""The command line: parse with click, call a command, map the outcome to an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gitmilestone import __version__
from gitmilestone.errors import MilestoneError
from gitmilestone.model import PRIORITIES, STATUSES, STEP_STATUSES
from gitmilestone.output import Result, emit, fail

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _run(as_json: bool, produce: Callable[[], Result]) -> None:
    try:
        code = emit(produce(), as_json)
    except MilestoneError as exc:
        code = fail(exc.code, exc.message, exc.exit_code, as_json, exc.details)
    except KeyboardInterrupt:
        code = fail("interrupted", "interrupted", 130, as_json)
    sys.exit(code)


def _workspace(as_actor: str | None = None) -> Any:
    from gitmilestone.workspace import Workspace

    ctx = click.get_current_context(silent=True)
    push = bool(ctx and ctx.meta.get("gitmilestone.push"))
    return Workspace.open(as_actor, push=push)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
as_option = click.option(
    "--as",
    "as_actor",
    metavar="NAME",
    help="Act as NAME (else GIT_MILESTONE_ACTOR, git config milestone.actor, user.name).",
)
no_commit_option = click.option(
    "--no-commit", is_flag=True, help="Write and stage the file, but do not commit."
)
id_argument = click.argument("milestone_id", metavar="ID")


def _remember_push(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta["gitmilestone.push"] = value


push_option = click.option(
    "--push",
    is_flag=True,
    expose_value=False,
    callback=_remember_push,
    help="Push the commit; if the remote moved, rebase and re-check, then push again.",
)


def writes(func: F) -> F:
    """Options every state-changing command takes."""
    return json_option(as_option(no_commit_option(push_option(func))))


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.version_option(__version__, prog_name="git milestone")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Multi-step work that survives a handoff.

    Each milestone is MILESTONES/<id>.json in this repository: its steps, owner, status,
    progress and what the next session should do. Every change is one commit with
    Milestone-* trailers, so `git log` is the record of every handoff.

    With no command, lists the open milestones.

    \b
    Exit codes: 0 done, 1 refused or invalid, 2 usage error, 3 owner conflict,
    4 stale (the file changed underneath; run again).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--staged",
    is_flag=True,
    help="The pre-commit guard: check each staged milestone file, and its change against "
    "HEAD (M2xx, M3xx).",
)
@click.option(
    "--commit-msg",
    "commit_msg",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The commit-msg check: Milestone trailers in the message FILE must match the "
    "staged milestone file.",
)
@as_option
@json_option
def validate_command(
    paths: tuple[Path, ...],
    staged: bool,
    commit_msg: Path | None,
    as_actor: str | None,
    as_json: bool,
) -> None:
    """Check milestone files (every one in the milestone directory when no PATH is given).

    Prints one problem per line, `file: CODE $.json.path: what is wrong; how to fix`.
    Exits 1 when there is any problem. The git hooks run `--staged` (pre-commit) and
    `--commit-msg FILE` (commit-msg); they only read, and cost little when no milestone
    file is staged.
    """
    if sum((bool(paths), staged, commit_msg is not None)) > 1:
        raise click.UsageError("give PATHs, --staged or --commit-msg, one of them")
    if commit_msg is not None or staged:
        from gitmilestone.commands import guard

        if commit_msg is not None:
            message = commit_msg
            _run(as_json, lambda: guard.commit_msg(message, as_actor))
        else:
            _run(as_json, lambda: guard.staged(_workspace(as_actor)))
    else:
        from gitmilestone.commands import validate

        _run(as_json, lambda: validate.validate(_workspace(as_actor), paths))


@cli.command("schema")
@json_option
def schema_command(as_json: bool) -> None:
    """Print the milestone JSON Schema (draft 2020-12)."""
    from gitmilestone.commands import validate

    _run(as_json, validate.schema)


@cli.command("merge-driver")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path")
@json_option
def merge_driver_command(base: Path, ours: Path, theirs: Path, path: str, as_json: bool) -> None:
    """Git's merge driver for milestone files (`init` registers it): merges field by field
    into OURS; on a conflict writes conflict markers and exits 1.
    """
    from gitmilestone.commands import merge_driver

    _run(as_json, lambda: merge_driver.merge_driver(base, ours, theirs, path))


@cli.command("init")
@click.option("--hooks", is_flag=True, help="Also install the git hooks (see install-hooks).")
@writes
def init_command(hooks: bool, as_json: bool, as_actor: str | None, no_commit: bool) -> None:
    """Create the milestone directory with a short README, register the merge driver
    (.gitattributes and this clone's git config), and commit."""
    from gitmilestone.commands import setup

    _run(as_json, lambda: setup.init(_workspace(as_actor), hooks=hooks, commit=not no_commit))


@cli.command("new")
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

    _run(
        as_json,
        lambda: write.new(
            _workspace(as_actor),
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


@cli.command("list")
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

    _run(
        as_json,
        lambda: read.list_milestones(
            _workspace(as_actor), show_all=show_all, status=status, owner=owner, mine=mine
        ),
    )


cli.add_command(list_command, "status")


@cli.command("show")
@id_argument
@json_option
def show_command(milestone_id: str, as_json: bool) -> None:
    """Everything about one milestone."""
    from gitmilestone.commands import read

    _run(as_json, lambda: read.show(_workspace(), milestone_id))


@cli.command("claim")
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

    _run(
        as_json,
        lambda: write.claim(_workspace(as_actor), milestone_id, force=force, commit=not no_commit),
    )


@cli.command("release")
@id_argument
@writes
def release_command(
    milestone_id: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Give a milestone up; its status stays, so in_progress work waits to be resumed."""
    from gitmilestone.commands import write

    _run(as_json, lambda: write.release(_workspace(as_actor), milestone_id, commit=not no_commit))


@cli.command("advance")
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

    _run(
        as_json,
        lambda: write.advance(
            _workspace(as_actor),
            milestone_id,
            step,
            to=to,  # type: ignore[arg-type]
            note=note,
            commit=not no_commit,
        ),
    )


@cli.command("block")
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

    _run(
        as_json,
        lambda: write.block(
            _workspace(as_actor), milestone_id, reason=reason, step=step, commit=not no_commit
        ),
    )


@cli.command("unblock")
@id_argument
@writes
def unblock_command(
    milestone_id: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Clear the blockers; blocked steps and the milestone go back to work."""
    from gitmilestone.commands import write

    _run(as_json, lambda: write.unblock(_workspace(as_actor), milestone_id, commit=not no_commit))


@cli.command("handoff")
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
    """The end-of-session ritual: leave instructions for whoever resumes."""
    from gitmilestone.commands import write

    _run(
        as_json,
        lambda: write.handoff(
            _workspace(as_actor),
            milestone_id,
            next_steps=next_steps,
            notes=notes,
            release=release,
            commit=not no_commit,
        ),
    )


@cli.command("complete")
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
    """Finish a milestone (refused while steps are unfinished, unless --force)."""
    from gitmilestone.commands import write

    _run(
        as_json,
        lambda: write.complete(
            _workspace(as_actor), milestone_id, notes=notes, force=force, commit=not no_commit
        ),
    )


@cli.command("abandon")
@id_argument
@click.option("--reason", required=True, metavar="TEXT", help="Why the work stops.")
@writes
def abandon_command(
    milestone_id: str, reason: str, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Stop a milestone for good (the file stays, so history stays readable)."""
    from gitmilestone.commands import write

    _run(
        as_json,
        lambda: write.abandon(
            _workspace(as_actor), milestone_id, reason=reason, commit=not no_commit
        ),
    )


@cli.command("reopen")
@id_argument
@click.argument("step", type=click.IntRange(min=1), required=False)
@writes
def reopen_command(
    milestone_id: str, step: int | None, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Reopen a completed or abandoned milestone, or one done STEP."""
    from gitmilestone.commands import write

    _run(
        as_json,
        lambda: write.reopen(_workspace(as_actor), milestone_id, step, commit=not no_commit),
    )


@cli.group("step", context_settings=CONTEXT)
def step_group() -> None:
    """Change the list of steps."""


@step_group.command("add")
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

    _run(
        as_json,
        lambda: write.step_add(
            _workspace(as_actor), milestone_id, text, after=after, commit=not no_commit
        ),
    )


@cli.command("install-hooks")
@click.option("--uninstall", is_flag=True, help="Remove them; put back the hooks they replaced.")
@json_option
def install_hooks_command(uninstall: bool, as_json: bool) -> None:
    """Install the git hooks: pre-commit (the guard) and commit-msg (the trailer check).

    They go where git looks for hooks (core.hooksPath is respected). A hook that is already
    there is kept as HOOK.local and runs first; its failure stops the commit. Running it
    again changes nothing.
    """
    from gitmilestone.commands import hooks

    _run(as_json, lambda: hooks.install_hooks(_workspace(), uninstall=uninstall))


@cli.command("log")
@click.argument("milestone_id", metavar="[ID]", required=False)
@click.option(
    "-n",
    "--max-count",
    "limit",
    type=click.IntRange(min=0),
    metavar="N",
    help="Show at most N commits.",
)
@click.option("--actor", metavar="NAME", help="Only commits made by NAME.")
@json_option
def log_command(
    milestone_id: str | None, limit: int | None, actor: str | None, as_json: bool
) -> None:
    """The handoff record, newest first, read from the Milestone-* commit trailers: when,
    actor, milestone, action, step, progress, subject. Commits without them are skipped.
    """
    from gitmilestone import git
    from gitmilestone.commands import review

    _run(as_json, lambda: review.log(git.discover(), milestone_id, limit=limit, actor=actor))


@cli.command("resume")
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

    _run(as_json, lambda: review.resume(_workspace(as_actor), milestone_id, claim=claim))


@cli.command("next")
@click.option("--claim", is_flag=True, help="Claim the first one (exit 1 if none is ready).")
@as_option
@json_option
def next_command(claim: bool, as_actor: str | None, as_json: bool) -> None:
    """Milestones ready to work: not held by an active lease, not blocked, not done, every
    depends_on completed; highest priority first, then the oldest.
    """
    from gitmilestone.commands import review

    _run(as_json, lambda: review.next_ready(_workspace(as_actor), claim=claim))


@cli.command("doctor")
@as_option
@json_option
def doctor_command(as_actor: str | None, as_json: bool) -> None:
    """Say what is set up here and what is not: settings, directory, actor, hooks, merge
    driver, and milestone files with problems. Exits 1 when something is missing."""
    from gitmilestone.commands import doctor

    _run(as_json, lambda: doctor.doctor(_workspace(as_actor)))


def main() -> None:
    cli(prog_name="git milestone")
