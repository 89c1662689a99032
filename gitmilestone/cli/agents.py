"""Working with agents: the session-start briefing, the instructions in AGENTS.md, and the
board."""

from __future__ import annotations

from pathlib import Path

import click

from gitmilestone.cli.common import (
    as_option,
    json_option,
    no_commit_option,
    run,
    workspace,
)


@click.command("prime")
@as_option
@json_option
def prime_command(as_actor: str | None, as_json: bool) -> None:
    """The briefing for an agent at session start, in at most 800 tokens: how to work with
    milestones here, then what you hold, what is ready and what is blocked.

    Run it from the agent's session-start hook (see the README), or by hand.
    """
    from gitmilestone.commands import prime

    run(as_json, lambda: prime.prime(workspace(as_actor)))


@click.command("agents")
@as_option
@json_option
@no_commit_option
def agents_command(as_actor: str | None, as_json: bool, no_commit: bool) -> None:
    """Write the working protocol for agents into AGENTS.md (created when absent), and into
    CLAUDE.md when it exists, between <!-- gitmilestone:start --> and
    <!-- gitmilestone:end --> markers; text outside them is never touched. Commits the
    files that changed, as one commit. Running it again changes nothing.
    """
    from gitmilestone.commands import agents

    run(as_json, lambda: agents.agents(workspace(as_actor), commit=not no_commit))


@click.command("board")
@click.option("--all", "show_all", is_flag=True, help="Include completed and abandoned ones.")
@click.option(
    "--update",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Rewrite the block between <!-- milestones:start --> and <!-- milestones:end --> in "
    "FILE (appended when absent) and commit FILE.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the board as one static HTML page (no script, nothing fetched).",
)
@as_option
@json_option
@no_commit_option
def board_command(
    show_all: bool,
    update: Path | None,
    html_file: Path | None,
    as_actor: str | None,
    as_json: bool,
    no_commit: bool,
) -> None:
    """The board: each open milestone with its owner, progress bar, current step, what the
    next session should do and its blockers, and a Mermaid graph of depends_on, as
    Markdown (GitHub renders the graph). Prints the block, or keeps it up to date in a file
    such as CURRENT_STATE.md (one commit when it changed; none when not).
    """
    from gitmilestone.commands import board

    run(
        as_json,
        lambda: board.board(
            workspace(as_actor),
            show_all=show_all,
            update=update,
            html_file=html_file,
            commit=not no_commit,
        ),
    )
