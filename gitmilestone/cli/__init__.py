"""The command line: parse with click, call a command, map the outcome to an exit code.

Commands are declared by family in this package (`work`, `review`, `setup`, `agents`) and loaded
lazily: a run imports only the module of the command it runs, so every command pays for
its own declarations and no more.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from gitmilestone import __version__
from gitmilestone.cli.common import CONTEXT
from gitmilestone.errors import EXIT_USAGE
from gitmilestone.output import refuse

# Each command's name and where it is declared (`module:attribute` in this package).
COMMANDS: dict[str, str] = {
    "init": "setup:init_command",
    "new": "work:new_command",
    "list": "review:list_command",
    "status": "review:list_command",
    "show": "review:show_command",
    "claim": "work:claim_command",
    "release": "work:release_command",
    "advance": "work:advance_command",
    "block": "work:block_command",
    "unblock": "work:unblock_command",
    "handoff": "work:handoff_command",
    "complete": "work:complete_command",
    "abandon": "work:abandon_command",
    "reopen": "work:reopen_command",
    "undo": "work:undo_command",
    "recover": "work:recover_command",
    "step": "work:step_group",
    "edit": "edit:edit_command",
    "dep": "edit:dep_group",
    "resume": "review:resume_command",
    "next": "review:next_command",
    "log": "review:log_command",
    "validate": "setup:validate_command",
    "schema": "setup:schema_command",
    "install-hooks": "setup:install_hooks_command",
    "merge-driver": "setup:merge_driver_command",
    "doctor": "setup:doctor_command",
    "completion": "shell:completion_command",
    "prime": "agents:prime_command",
    "agents": "agents:agents_command",
    "board": "agents:board_command",
    "mcp": "agents:mcp_command",
}


def load_command(name: str) -> click.Command | None:
    target = COMMANDS.get(name)
    if target is None:
        return None
    module, _, attribute = target.partition(":")
    command: click.Command = getattr(
        importlib.import_module(f"gitmilestone.cli.{module}"), attribute
    )
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported when they are used, and whose usage errors are
    the `--json` envelope when `--json` is anywhere on the command line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = _json_to_command(list(sys.argv[1:] if args is None else args))
        problem = _not_text(argv)
        if problem is not None and standalone_mode:
            refuse("usage", problem, EXIT_USAGE, "--json" in argv)
        if not standalone_mode or "--json" not in argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            return super().main(argv, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            _json_failure(exc)
        except click.Abort:
            refuse("interrupted", "interrupted", 130, True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)


@click.group(cls=LazyGroup, context_settings=CONTEXT, invoke_without_command=True)
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
        listing = load_command("list")
        assert listing is not None
        ctx.invoke(listing)


def main() -> None:
    cli(prog_name="git milestone")


def _json_failure(exc: click.ClickException) -> NoReturn:
    """A click error (a usage error: missing argument, bad choice, unknown option or command)
    as the `--json` envelope; the exit code stays click's."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message = f"{ctx.command_path}: {message} See `{ctx.command_path} --help`."
    code = "usage" if exc.exit_code == EXIT_USAGE else "error"
    refuse(code, message, exc.exit_code, True)


def _not_text(argv: list[str]) -> str | None:
    """Why an argument cannot be taken (bytes that are not UTF-8), or None: every argument
    ends up in a file, a commit message or a git command, all UTF-8."""
    from gitmilestone.text import utf8_problem

    for i, word in enumerate(argv):
        problem = utf8_problem(word)
        if problem is not None:
            after = f", after {argv[i - 1]}" if i and utf8_problem(argv[i - 1]) is None else ""
            return f"argument {i + 1}{after}: {problem}; give UTF-8 text"
    return None


def _json_to_command(argv: list[str]) -> list[str]:
    """`git milestone --json CMD ...` means `CMD ... --json` (and with no CMD, `list --json`):
    the group itself takes only --help and --version, so the first word that is not an
    option is the command."""
    for i, word in enumerate(argv):
        if word == "--" or not word.startswith("-"):
            return argv
        if word == "--json":
            rest = argv[:i] + argv[i + 1 :]
            if all(w.startswith("-") for w in rest):
                return [*rest, "list", "--json"]
            end = rest.index("--") if "--" in rest else len(rest)
            return [*rest[:end], "--json", *rest[end:]]
    return argv
