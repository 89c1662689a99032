"""`git milestone mcp`: the milestone commands as Model Context Protocol tools, over stdio.

Each tool calls the very function its command calls and returns the same data object as
the command's `--json` `data`; a failure is a tool error whose text is `code: message` and
whose structured content is the `error` object of `--json`. Every call opens the
repository afresh (settings, files and HEAD change between calls: nothing is cached), so
writes go through the one write path: the lock, one commit per change, the hooks.

This is the only module that imports the `mcp` SDK, an optional extra.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_type_hints

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import AliasChoices, Field

from gitmilestone import __version__, git, protocol
from gitmilestone.errors import MilestoneError
from gitmilestone.output import Result
from gitmilestone.workspace import Workspace

MilestoneId = Annotated[
    str,
    Field(
        validation_alias=AliasChoices("milestone_id", "id"),
        description="The milestone's id: lowercase letters, digits and single dashes, like "
        "deploy-dashboard (the `list` and `next` tools show them).",
    ),
]
AsActor = Annotated[
    str | None,
    Field(
        validation_alias=AliasChoices("as_actor", "actor"),
        description="Who acts: your session's name, the same for every call of a session. "
        "Default: the server's --as, else GIT_MILESTONE_ACTOR, git config milestone.actor, "
        "user.name. (Also accepted as `actor`.)",
    ),
]
Note = Annotated[str | None, Field(description="Free text; it also goes in the commit body.")]
StepNumber = Annotated[int | None, Field(ge=1, description="A step number, 1 for the first.")]
StepStatus = Literal["pending", "in_progress", "completed", "blocked", "skipped"]
Status = Literal["pending", "in_progress", "blocked", "completed", "abandoned"]

F = TypeVar("F", bound=Callable[..., Any])
READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


def success(data: Any) -> CallToolResult:
    structured = data if isinstance(data, dict) else {"result": data}
    text = json.dumps(data, ensure_ascii=False)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=structured
    )


def failure(
    code: str, message: str, *, details: Any = None, data: Any = None, text: str = ""
) -> CallToolResult:
    """A tool error: `code: message` for the model to read, `--json`'s error object (with the
    data, when the command returned some) for programs."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if data is not None:
        error["data"] = data
    body = f"{code}: {message}" + (f"\n{text}" if text else "")
    return CallToolResult(
        content=[TextContent(type="text", text=body)], structured_content=error, is_error=True
    )


def call(produce: Callable[[], Result]) -> CallToolResult:
    """Run a command function and turn its Result, or its error, into a tool result."""
    try:
        result = produce()
        data = result.json_data()
    except MilestoneError as exc:
        return failure(exc.code, exc.message, details=exc.details)
    if result.error is not None:
        code, message = result.error
        return failure(code, message, data=data, text=result.text_out())
    return success(data)


@contextlib.asynccontextmanager
async def _stray_output_to_stderr(_server: Any) -> AsyncIterator[None]:
    # stdout is the protocol: anything printed by mistake goes to stderr instead.
    with contextlib.redirect_stdout(sys.stderr):
        yield


def not_text(arguments: Any, where: str = "") -> str | None:
    """Why a tool's arguments cannot be taken (a string that is not valid Unicode text: a
    lone surrogate, which JSON can carry but no file or commit can hold), or None."""
    from gitmilestone.text import utf8_problem

    if isinstance(arguments, str):
        problem = utf8_problem(arguments)
        return None if problem is None else f"{where or 'an argument'}: {problem}"
    items: Any = ()
    if isinstance(arguments, dict):
        items = arguments.items()
    elif isinstance(arguments, list | tuple):
        items = enumerate(arguments)
    for key, value in items:
        found = not_text(value, f"{where}[{key}]" if where else str(key))
        if found is not None:
            return found
    return None


class _Server(MCPServer[None]):
    """The SDK's server, refusing what it would let through: arguments a tool does not
    have (which it would ignore, so a misspelt `note` would be lost without a word) and
    text that is not valid Unicode."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each tool's argument names, each with the other names it is accepted under.
        self.arguments: dict[str, dict[str, tuple[str, ...]]] = {}

    def register(self, name: str, annotations: ToolAnnotations) -> Callable[[F], F]:
        """`@app.tool(name=..., annotations=...)`, remembering the tool's argument names."""

        def decorate(fn: F) -> F:
            self.arguments[name] = argument_names(fn)
            self.tool(name=name, annotations=annotations)(fn)
            return fn

        return decorate

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        known = self.arguments.get(name)
        if known is not None:
            problem = unknown_arguments(name, arguments, known)
            if problem is not None:
                return failure("usage", problem)
        problem = not_text(arguments)
        if problem is not None:
            return failure("usage", f"{problem}; give text without lone surrogates")
        from mcp.server.mcpserver.exceptions import ToolError
        from pydantic import ValidationError

        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            # The SDK words an argument of the wrong type as its own text, without a code.
            cause = error.__cause__
            if not isinstance(cause, ValidationError):
                raise
            return failure("usage", wrong_types(name, cause))


def wrong_types(tool: str, error: Any) -> str:
    """What a pydantic `ValidationError` says of a tool's arguments, as one usage message."""
    problems = [
        ".".join(str(part) for part in problem["loc"]) + ": " + str(problem["msg"])
        for problem in error.errors(include_url=False)
    ]
    return f"{tool}: {'; '.join(problems)}; nothing was done"


def argument_names(fn: Callable[..., Any]) -> dict[str, tuple[str, ...]]:
    """A tool function's parameters, each with its other accepted names (`AliasChoices`)."""
    hints = get_type_hints(fn, include_extras=True)
    out: dict[str, tuple[str, ...]] = {}
    for parameter in inspect.signature(fn).parameters:
        others: list[str] = []
        for meta in getattr(hints.get(parameter), "__metadata__", ()):
            alias = getattr(meta, "validation_alias", None)
            if isinstance(alias, AliasChoices):
                others += [c for c in alias.choices if isinstance(c, str) and c != parameter]
        out[parameter] = tuple(others)
    return out


def unknown_arguments(
    tool: str, arguments: dict[str, Any], known: dict[str, tuple[str, ...]]
) -> str | None:
    """Why `arguments` cannot be taken by `tool` (names it does not have), or None."""
    accepted = {n for name, others in known.items() for n in (name, *others)}
    unknown = [key for key in arguments if key not in accepted]
    if not unknown:
        return None
    guesses = [
        f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key)
        for key in unknown
        for close in [difflib.get_close_matches(key, sorted(accepted), n=1)]
    ]
    valid = ", ".join(
        name + (f" (or {', '.join(others)})" if others else "") for name, others in known.items()
    )
    plural = "s" if len(unknown) > 1 else ""
    return (
        f"{tool} has no argument{plural} {', '.join(guesses)}; nothing was done. "
        f"Its arguments: {valid or 'none'}"
    )


def build(root: Path, as_actor: str | None, directory: str) -> MCPServer[None]:
    """The server for the repository at `root`; `as_actor` is the default actor."""
    app = _Server(
        "gitmilestone",
        version=__version__,
        instructions=protocol.instructions(directory),
        log_level="WARNING",
        lifespan=_stray_output_to_stderr,
    )

    def ws(actor: str | None = None) -> Workspace:
        return Workspace.open(actor if actor is not None else as_actor, cwd=root)

    from gitmilestone.commands import read, review, validate, write

    @app.register("list", READS)
    def list_(
        show_all: Annotated[
            bool,
            Field(
                validation_alias=AliasChoices("show_all", "all"),
                description="Include completed and abandoned milestones (the command's --all).",
            ),
        ] = False,
        status: Annotated[Status | None, Field(description="Only this status.")] = None,
        owner: Annotated[str | None, Field(description="Only milestones this name holds.")] = None,
        mine: Annotated[bool, Field(description="Only milestones you hold.")] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """List the milestones (multi-step work items) of this repository, highest priority
        first: id, title, priority, status, progress, owner and whether their lease is
        active, current step. Completed and abandoned ones are left out unless show_all.
        For an overview; `next` finds work to pick up, `resume` briefs you on one."""
        return call(
            lambda: read.list_milestones(
                ws(as_actor), show_all=show_all, status=status, owner=owner, mine=mine
            )
        )

    @app.register("show", READS)
    def show(milestone_id: MilestoneId) -> CallToolResult:
        """Everything in one milestone's file (steps with their notes, context, depends_on,
        next_session_should, blockers, handoff notes) plus lease_active. To pick work up,
        `resume` is the better read."""
        return call(lambda: read.show(ws(), milestone_id))

    @app.register("resume", WRITES)
    def resume(
        milestone_id: MilestoneId,
        claim: Annotated[
            bool,
            Field(description="Claim it first (an owner-conflict error if someone else holds it)."),
        ] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """The briefing for carrying on a milestone with no memory of it: why, success
        criteria, owner and lease, steps done with their notes, the current step, what
        remains, next_session_should, blockers, handoff notes, related files, the last
        commits, and `todo`: what to run next. Call it before working on a milestone."""
        return call(lambda: review.resume(ws(as_actor), milestone_id, claim=claim))

    @app.register("next", WRITES)
    def next_(
        claim: Annotated[
            bool,
            Field(description="Claim the first ready milestone (returned in `claimed`)."),
        ] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """Milestones ready to work: not held by anyone's active lease, not blocked, not
        done, every depends_on completed; highest priority first, then oldest. Use it when
        you hold nothing. claim=true takes the first atomically (a not-found error when
        nothing is ready); then call `resume` on it."""
        return call(lambda: review.next_ready(ws(as_actor), claim=claim))

    @app.register("new", WRITES)
    def new(
        title: Annotated[str, Field(description="One line: what the work achieves.")],
        steps: Annotated[
            tuple[str, ...], Field(description="The steps, in order, one line each.")
        ] = (),
        milestone_id: Annotated[
            str | None,
            Field(
                validation_alias=AliasChoices("milestone_id", "id"),
                description="The id (default: a slug of the title).",
            ),
        ] = None,
        priority: Annotated[Literal["HIGH", "MEDIUM", "LOW"], Field(description="Priority.")] = (
            "MEDIUM"
        ),
        why: Annotated[str | None, Field(description="Why the work matters.")] = None,
        success: Annotated[str | None, Field(description="How to tell it is done.")] = None,
        files: Annotated[tuple[str, ...], Field(description="Related files or directories.")] = (),
        needs: Annotated[tuple[str, ...], Field(description="Things it needs, in free text.")] = (),
        depends_on: Annotated[
            tuple[str, ...], Field(description="Ids of milestones that must be completed first.")
        ] = (),
        claim: Annotated[bool, Field(description="Claim it for yourself at once.")] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """Create a milestone: multi-step work that later sessions can resume (one commit).
        An existing id, abandoned ones included, is refused: ids are never reused."""
        return call(
            lambda: write.new(
                ws(as_actor),
                title,
                milestone_id=milestone_id,
                priority=priority,
                steps=steps,
                why=why,
                success=success,
                files=files,
                needs=needs,
                depends_on=depends_on,
                claim=claim,
                commit=True,
            )
        )

    @app.register("claim", WRITES)
    def claim(
        milestone_id: MilestoneId,
        force: Annotated[
            bool,
            Field(
                description="Take it although someone else's lease is active (recorded in the "
                "commit). Only when you know the holder has stopped."
            ),
        ] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """Take a milestone so that nobody else changes it while you work (one commit).
        Claiming your own again changes nothing. If someone else holds it, the error
        (owner-conflict) names them: pick other work rather than force."""
        return call(lambda: write.claim(ws(as_actor), milestone_id, force=force, commit=True))

    @app.register("release", WRITES)
    def release(milestone_id: MilestoneId, as_actor: AsActor = None) -> CallToolResult:
        """Give a milestone up (one commit). Its status stays, so in_progress work waits for
        the next session to resume it. At the end of a session prefer handoff(release=true),
        which also leaves instructions."""
        return call(lambda: write.release(ws(as_actor), milestone_id, commit=True))

    @app.register("advance", WRITES)
    def advance(
        milestone_id: MilestoneId,
        step: StepNumber = None,
        to: Annotated[
            StepStatus | None,
            Field(description="With step: the status to give it (default completed)."),
        ] = None,
        note: Note = None,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """Record progress, one commit per call. With no step: complete the step in progress
        (with your note: what you did, what you found) and start the next pending one, or
        start the first pending one. With step: set that step (to `to`). Completing the last
        step completes the milestone and releases it. An unowned milestone is claimed in the
        same commit. Call it after each step, not at the end."""
        return call(
            lambda: write.advance(ws(as_actor), milestone_id, step, to=to, note=note, commit=True)
        )

    @app.register("block", WRITES)
    def block(
        milestone_id: MilestoneId,
        reason: Annotated[str, Field(description="What blocks the work, in one line.")],
        step: StepNumber = None,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """Record a blocker (one commit): the milestone becomes blocked, and with step, that
        step too. Use it when you cannot go on; `unblock` when it is resolved."""
        return call(
            lambda: write.block(ws(as_actor), milestone_id, reason=reason, step=step, commit=True)
        )

    @app.register("unblock", WRITES)
    def unblock(milestone_id: MilestoneId, as_actor: AsActor = None) -> CallToolResult:
        """Clear every blocker (one commit): blocked steps and the milestone go back to work."""
        return call(lambda: write.unblock(ws(as_actor), milestone_id, commit=True))

    @app.register("handoff", WRITES)
    def handoff(
        milestone_id: MilestoneId,
        next_steps: Annotated[
            tuple[str, ...],
            Field(
                validation_alias=AliasChoices("next_steps", "next"),
                description="What the next session should do, one instruction each; replaces "
                "next_session_should (the command's --next; also accepted as `next`).",
            ),
        ] = (),
        notes: Annotated[
            str | None,
            Field(description="Where things stand, caveats; replaces the handoff notes."),
        ] = None,
        release: Annotated[
            bool, Field(description="Also give the milestone up, so anyone can take it.")
        ] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """The end-of-session ritual (one commit): leave instructions for whoever resumes.
        Call it before you stop, even in the middle of a step."""
        return call(
            lambda: write.handoff(
                ws(as_actor),
                milestone_id,
                next_steps=next_steps,
                notes=notes,
                release=release,
                commit=True,
            )
        )

    @app.register("complete", WRITES)
    def complete(
        milestone_id: MilestoneId,
        notes: Annotated[str | None, Field(description="Completion notes.")] = None,
        force: Annotated[bool, Field(description="Skip the steps that are not done.")] = False,
        as_actor: AsActor = None,
    ) -> CallToolResult:
        """Finish a milestone (one commit); refused while steps are unfinished unless force.
        Completing the last step with `advance` already completes it."""
        return call(
            lambda: write.complete(
                ws(as_actor), milestone_id, notes=notes, force=force, commit=True
            )
        )

    @app.register("log", READS)
    def log(
        milestone_id: Annotated[
            str | None,
            Field(
                validation_alias=AliasChoices("milestone_id", "id"),
                description="Only this milestone (default: all).",
            ),
        ] = None,
        limit: Annotated[
            int | None, Field(ge=0, description="At most this many commits (default: all).")
        ] = None,
        actor: Annotated[str | None, Field(description="Only commits made by this name.")] = None,
    ) -> CallToolResult:
        """The handoff record from git history, newest first: when, actor, milestone,
        action, step, progress and subject of each milestone commit. Who did what, when."""
        return call(lambda: review.log(ws().repo, milestone_id, limit=limit, actor=actor))

    @app.register("validate", READS)
    def validate_(
        paths: Annotated[
            tuple[str, ...],
            Field(description="Files to check, relative to the repository root (default: all)."),
        ] = (),
    ) -> CallToolResult:
        """Check milestone files against the schema and the consistency rules: each problem
        with its code (M001...), file, JSON path and how to fix it. Problems are a tool
        error with code `findings` and the report in `data`."""
        return call(lambda: validate.validate(ws(), tuple(root / p for p in paths)))

    return app


def serve(cwd: Path | None, as_actor: str | None) -> Result:
    """Serve the repository around `cwd` until the client closes the connection."""
    repo = git.discover(cwd)
    directory = Workspace(repo).settings.dir
    build(repo.root, as_actor, directory).run("stdio")
    return Result(None)
