"""What every command's click declaration shares: running a command, the shared options."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gitmilestone.output import run

if TYPE_CHECKING:
    from gitmilestone.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def workspace(as_actor: str | None = None) -> Workspace:
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


class Subcommands(click.Group):
    """A command group whose subcommands are imported when they are used.

    `table` maps each subcommand to where it is declared, `module:attribute` in this
    package, so a family can span modules and a run imports only what it runs.
    """

    def __init__(self, *args: Any, table: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = table

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.table)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.table.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(
            importlib.import_module(f"gitmilestone.cli.{module}"), attribute
        )
        return command


__all__ = ["CONTEXT", "Subcommands", "run", "workspace", "writes"]
