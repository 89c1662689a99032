"""The one place output is written: text for people, one JSON document for scripts."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from gitmilestone import SCHEMA_VERSION
from gitmilestone.errors import MilestoneError
from gitmilestone.records import frozen


@frozen
class Result:
    """What a command produced: data for `--json`, text for people, and its exit code.

    `data` and `text` may be given as functions, so that a command with a large answer
    (`log`) builds only the form that is printed. `warnings` are for people: lines on
    stderr, so that stdout stays the answer (with `--json`, `data` carries them).
    """

    data: Any
    text: str | Callable[[], str] = ""
    exit_code: int = 0
    error: tuple[str, str] | None = None
    warnings: tuple[str, ...] = ()

    def json_data(self) -> Any:
        return self.data() if callable(self.data) else self.data

    def text_out(self) -> str:
        return self.text() if callable(self.text) else self.text


def run(as_json: bool, produce: Callable[[], Result]) -> None:
    """Run a command, print its result (text or `--json`) and exit with its code."""
    try:
        try:
            code = emit(produce(), as_json)
        except MilestoneError as exc:
            code = fail(exc.code, exc.message, exc.exit_code, as_json, exc.details)
        except KeyboardInterrupt:
            code = fail("interrupted", "interrupted", 130, as_json)
        _flush()
    except _Unwritable as exc:
        code = _unwritable(exc.error)
    sys.exit(code)


def emit(result: Result, as_json: bool) -> int:
    if as_json:
        envelope: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "ok": result.error is None,
            "data": result.json_data(),
        }
        if result.error is not None:
            envelope["error"] = {"code": result.error[0], "message": result.error[1]}
        _write_json(envelope)
    else:
        text = result.text_out()
        if text:
            _write(text if text.endswith("\n") else text + "\n")
        for warning in result.warnings:
            _write(f"warning: {warning}\n", error=True)
        if result.error is not None:
            _write(result.error[1] + "\n", error=True)
    return result.exit_code


def fail(code: str, message: str, exit_code: int, as_json: bool, details: Any = None) -> int:
    if as_json:
        error: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        _write_json({"schema_version": SCHEMA_VERSION, "ok": False, "data": None, "error": error})
    else:
        _write(f"error: {message}\n", error=True)
    return exit_code


def _write_json(envelope: dict[str, Any]) -> None:
    # Indented for a person at a terminal; compact for programs, where indenting a long
    # `log` costs more than producing it. Escaped to ASCII where stdout cannot take all of
    # Unicode (PYTHONIOENCODING, a Latin-1 locale): still the same JSON.
    out = sys.stdout
    indent = 2 if out is not None and out.isatty() else None
    ascii_only = out is not None and not _unicode(out.encoding)
    _write(json.dumps(envelope, ensure_ascii=ascii_only, indent=indent) + "\n")


class _Unwritable(Exception):
    """The output could not be written (a full disk, an I/O error)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _unicode(encoding: str | None) -> bool:
    import codecs

    try:
        return codecs.lookup(encoding or "ascii").name.startswith("utf")
    except LookupError:
        return False


def _write(text: str, *, error: bool = False) -> None:
    """Write to stdout (or stderr). A stream closed by whoever started the command takes
    nothing; characters its encoding lacks are escaped (`\\xeb`) rather than fatal."""
    stream = sys.stderr if error else sys.stdout
    if stream is None:
        return
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:
            encoding = stream.encoding or "ascii"
            stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
    except BrokenPipeError:
        raise  # `| head`: the entry points end quietly, as click does
    except OSError as exc:
        raise _Unwritable(exc) from None


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise _Unwritable(exc) from None


def refuse(code: str, message: str, exit_code: int, as_json: bool) -> NoReturn:
    """Say why the command line was refused before any command ran (text or `--json`) and
    exit with `exit_code`; output that cannot be written is said on stderr, same code."""
    try:
        fail(code, message, exit_code, as_json)
        _flush()
    except _Unwritable as exc:
        _say_lost(f"error: {message} (and the output could not be written: {_reason(exc.error)})")
    sys.exit(exit_code)


def _unwritable(error: OSError) -> int:
    """Say (on stderr) that the output was lost; the command's effect stands. Exit 1."""
    _say_lost(
        f"error: the command ran, but its output could not be written ({_reason(error)}); "
        "see what it did with `git log -1` or `git milestone show ID`"
    )
    return 1


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _say_lost(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        # What is still buffered goes nowhere, rather than failing again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def use_color() -> bool:
    return (
        sys.stdout is not None
        and sys.stdout.isatty()
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM") != "dumb"
    )
