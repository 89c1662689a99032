"""How an agent works with milestones: one text, shown by `prime`, written into AGENTS.md
and given to MCP clients as the server's instructions. Pure."""

from __future__ import annotations

# (when, what to run): each line says when to do something and the exact command.
STEPS: tuple[tuple[str, str], ...] = (
    (
        "Name yourself",
        "one name per session: `export GIT_MILESTONE_ACTOR=NAME` (or `--as NAME`)",
    ),
    (
        "Pick up work",
        "`git milestone resume ID` for work you hold, else `git milestone next --claim`",
    ),
    ("Claim first", "`git milestone claim ID` (exit 3: someone else holds it)"),
    ("After each step", '`git milestone advance ID --note "what you did, what you found"`'),
    ("Stuck", '`git milestone block ID --reason "why"`'),
    (
        "Before you stop",
        '`git milestone handoff ID --next "what to do next" --notes "state"` '
        "(`--release` to let go)",
    ),
)


def intro(directory: str) -> str:
    return (
        f"Multi-step work here is tracked as milestones in `{directory}/` (one JSON file "
        "each). Change them only with `git milestone`: every change is one commit that "
        "records who did what."
    )


def lines() -> list[str]:
    """The protocol as numbered lines."""
    return [f"{n}. {when}: {what}" for n, (when, what) in enumerate(STEPS, 1)]


def instructions(directory: str) -> str:
    """The protocol for an MCP client: the tools carry the commands' names."""
    return "\n".join(
        [
            intro(directory),
            "The tools have the commands' names and options (claim, advance, handoff, ...). "
            "Pass as_actor, the same name all session, unless the server was started with --as.",
            *lines(),
        ]
    )
