"""The program's entry point: the commands run most often (advance, claim, release, and the
hooks' `validate --staged --quiet` and `validate --commit-msg FILE --quiet`), and `log` of
the whole record (read on long histories), are read here
without click when their command line is plain, which saves importing click (some 15 ms of
a command that costs a few tens). Anything else (help, a usage error, an option given
twice, a value that looks like an option, completion) goes to the click command line in
`gitmilestone.cli`, which then says and does exactly what it always does: this reader
accepts only command lines click would accept with the same meaning, and never reports an
error itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from gitmilestone.records import frozen

_COMMON_FLAGS = {"--json": "as_json", "--no-commit": "no_commit", "--push": "push"}


@frozen
class _Shape:
    """A hot command's parameters, named as its click declaration names them: positionals
    (the first is required), flags, and options that take a value."""

    positionals: tuple[str, ...]
    flags: dict[str, str]
    values: dict[str, str]


_SHAPES = {
    "advance": _Shape(
        ("milestone_id", "step"),
        _COMMON_FLAGS,
        {"--as": "as_actor", "--to": "to", "--note": "note"},
    ),
    "claim": _Shape(("milestone_id",), {**_COMMON_FLAGS, "--force": "force"}, {"--as": "as_actor"}),
    "release": _Shape(("milestone_id",), _COMMON_FLAGS, {"--as": "as_actor"}),
}


@frozen
class Parsed:
    """A plain command line of a hot command: the command and its parameters, with the
    values click would give them (`push`: what `--push` leaves in click's context)."""

    command: str
    params: dict[str, Any]


def parse(argv: Sequence[str]) -> Parsed | None:
    """The command line read as click would read it, or None when it is not plain (then
    click reads it)."""
    if not argv or argv[0] not in _SHAPES or not all(map(_utf8, argv)):
        return None
    shape = _SHAPES[argv[0]]
    params: dict[str, Any] = dict.fromkeys(shape.positionals)
    params.update(dict.fromkeys(shape.flags.values(), False))
    params.update(dict.fromkeys(shape.values.values()))
    seen: set[str] = set()
    positionals: list[str] = []
    words = list(argv[1:])
    while words:
        word = words.pop(0)
        if not word.startswith("-"):
            positionals.append(word)
            continue
        name, eq, value = word.partition("=")
        if name in seen:  # given twice: click's to read
            return None
        seen.add(name)
        if name in shape.flags and not eq:
            params[shape.flags[name]] = True
        elif name in shape.values:
            if not eq:
                if not words:
                    return None
                value = words.pop(0)
            if value.startswith("-"):
                return None
            params[shape.values[name]] = value
        else:  # `-`, `--`, -h, --help, an unknown option: click's to say
            return None
    if not 1 <= len(positionals) <= len(shape.positionals):
        return None
    params.update(zip(shape.positionals, positionals, strict=False))
    if len(positionals) > 1:  # advance's STEP: click.IntRange(min=1)
        if not _positive(positionals[1]):
            return None
        params["step"] = int(positionals[1])
    from gitmilestone.model import STEP_STATUSES  # what click.Choice matches --to against

    if params.get("to") is not None and params["to"] not in STEP_STATUSES:
        return None
    return Parsed(argv[0], params)


def _utf8(word: str) -> bool:
    """Whether `word` is text (bytes that are not UTF-8 are kept as lone surrogates, which
    the command line refuses)."""
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _positive(word: str) -> bool:
    """A number click's IntRange(min=1) reads the same way (no sign, spaces or zeros)."""
    return word.isascii() and word.isdigit() and word[0] != "0"


def _hook(argv: Sequence[str]) -> Callable[[], None] | None:
    """The two command lines git's hooks run, as the hooks write them."""
    if list(argv) == ["validate", "--staged", "--quiet"]:
        return lambda: _guard(None)
    if (
        len(argv) == 4
        and argv[:2] == ["validate", "--commit-msg"]
        and argv[3] == "--quiet"
        and not argv[2].startswith("-")
        and os.path.isfile(argv[2])  # click.Path(dir_okay=False) has nothing to say then
        and os.access(argv[2], os.R_OK)
    ):
        return lambda: _guard(argv[2])
    return None


def _log(argv: Sequence[str]) -> Callable[[], None] | None:
    """`log` of the whole record, with `--json` or `--notes` (each at most once): long
    histories make it a command people wait for."""
    flags = list(argv[1:])
    if (
        argv[:1] != ["log"]
        or len(set(flags)) != len(flags)
        or not {*flags} <= {"--json", "--notes"}
    ):
        return None

    def record() -> None:
        from gitmilestone import git
        from gitmilestone.commands import review
        from gitmilestone.output import run

        notes = "--notes" in flags
        run(
            "--json" in flags,
            lambda: review.log(git.discover(), None, limit=None, actor=None, notes=notes),
        )

    return record


def _guard(commit_msg: str | None) -> None:
    from gitmilestone import git

    git.start_early(git.DISCOVER)

    from pathlib import Path

    from gitmilestone.commands import guard
    from gitmilestone.output import Result, run
    from gitmilestone.records import replace
    from gitmilestone.workspace import Workspace

    def produce() -> Result:
        if commit_msg is not None:
            result = guard.commit_msg(Path(commit_msg), None)
        else:
            result = guard.staged(Workspace.open(None), changes_only=False)
        return result if result.exit_code else replace(result, text="")  # --quiet

    run(False, produce)


def _write(parsed: Parsed) -> None:
    from gitmilestone import git, plumbing

    # Finding the repository, the config the commit reads and the object reader that
    # checks the file: git starts and answers meanwhile.
    git.start_early(git.DISCOVER, plumbing.CONFIG, git.BATCH)

    from gitmilestone.commands import write
    from gitmilestone.output import Result, run
    from gitmilestone.workspace import Workspace

    p = parsed.params
    commit = not p["no_commit"]

    def produce() -> Result:
        ws = Workspace.open(p["as_actor"], push=p["push"])
        if parsed.command == "claim":
            return write.claim(ws, p["milestone_id"], force=p["force"], commit=commit)
        if parsed.command == "release":
            return write.release(ws, p["milestone_id"], commit=commit)
        return write.advance(
            ws, p["milestone_id"], p["step"], to=p["to"], note=p["note"], commit=commit
        )

    run(p["as_json"], produce)


def main() -> None:
    """`git milestone ...`: a plain hot command runs here, everything else through click."""
    argv = sys.argv[1:]
    parsed = parse(argv)
    action = (_hook(argv) or _log(argv)) if parsed is None else (lambda: _write(parsed))
    # Arguments that are not UTF-8 (a hook's message file too) are click's to refuse.
    completing = any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)
    if action is None or not all(map(_utf8, argv)) or completing:
        from gitmilestone.cli import main as full

        full()
        return
    # What click's main does around a command: Ctrl-C is "Aborted!" (exit 1), a closed
    # stdout (`| head`) ends quietly with exit 1.
    try:
        action()
    except SystemExit as done:
        _leave(done.code)
        raise
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


def _leave(code: object) -> None:
    """End the process at once with `code`, as the interpreter would after tearing itself
    down: freeing the hundred-odd modules a command loads costs some 5 ms, a tenth of an
    `advance`. Only with the output flushed, and nothing waiting for the end: an exit
    function (a coverage tool, a temporary directory's cleanup) or another thread; else
    returns and the interpreter exits as usual."""
    import atexit

    pending = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere exit as usual
    threading = sys.modules.get("threading")
    if (
        not (code is None or type(code) is int)
        or pending is None
        or pending() != 0
        or (threading is not None and threading.active_count() != 1)
    ):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # the interpreter's exit says what it says about it
        return
    os._exit(code or 0)
