"""Shell integration: completion scripts that plug into git's own completion."""

from __future__ import annotations

import click

from gitmilestone.completion import SHELLS


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> None:
    """Print the completion script for SHELL, which plugs into git's own completion.

    \b
    bash:  eval "$(git milestone completion bash)"     (in ~/.bashrc)
    zsh:   eval "$(git milestone completion zsh)"      (in ~/.zshrc, after compinit)
    fish:  git milestone completion fish | source      (in ~/.config/fish/config.fish)

    It completes commands, options, milestone ids (from the milestone directory) and actor
    names (from the milestone files and git config) for `git milestone <TAB>`, without
    starting Python on each TAB.
    """
    from gitmilestone.completion import script

    click.echo(script(shell), nl=False)
