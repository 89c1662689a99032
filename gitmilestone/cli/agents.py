"""Working with agents: the MCP server, the session-start briefing, the instructions in
AGENTS.md, and the board."""

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
from gitmilestone.errors import MilestoneError
from gitmilestone.output import Result

MCP_MISSING = (
    "`git milestone mcp` needs the MCP SDK, an optional extra; install it with: "
    "pip install 'gitmilestone[mcp]'"
)


@click.command("mcp")
@click.option(
    "-C",
    "--repo",
    "repo_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Serve the repository at DIR (default: the one around the current directory).",
)
@as_option
def mcp_command(repo_dir: Path | None, as_actor: str | None) -> None:
    """Serve the milestone commands as Model Context Protocol tools over stdio, for AI
    agents: list, show, resume, next, new, claim, release, advance, block, unblock,
    handoff, complete, log, validate.

    Each tool returns what the command's --json returns as `data`; a failure is a tool
    error carrying the same code and message. Every change is one commit, as with the
    command line. The actor is the tool's as_actor argument, else --as, else the usual
    GIT_MILESTONE_ACTOR and git config. Needs `pip install 'gitmilestone[mcp]'`.
    """

    def serve() -> Result:
        if as_actor is not None:
            from gitmilestone.workspace import actor_name

            # Refused before serving, as every command refuses it, not at each tool call.
            actor_name(as_actor, "--as")
        try:
            from gitmilestone import mcp_server
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] not in ("mcp", "mcp_types", "pydantic"):
                raise
            raise MilestoneError(MCP_MISSING) from None
        return mcp_server.serve(repo_dir, as_actor)

    run(False, serve)


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


def _file_to_write(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """A file the command writes, never a word that looks like an option: `--html --help`
    would write a file named `--help`. (Read as given: a Path drops the `./` of `./-x`.)"""
    if value is not None and value.startswith("-"):
        raise click.BadParameter(
            f"{value} looks like an option, not a file; name a file whose name starts with "
            f"'-' as ./{value}."
        )
    return None if value is None else Path(value)


@click.command("board")
@click.option("--all", "show_all", is_flag=True, help="Include completed and abandoned ones.")
@click.option(
    "--update",
    type=click.Path(dir_okay=False),
    callback=_file_to_write,
    metavar="FILE",
    help="Rewrite the block between <!-- milestones:start --> and <!-- milestones:end --> in "
    "FILE (appended when absent) and commit FILE.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False),
    callback=_file_to_write,
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
