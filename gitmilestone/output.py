"""The one place output is written: text for people, one JSON document for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitmilestone import SCHEMA_VERSION
from gitmilestone.errors import MilestoneError


@dataclass(frozen=True)
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
        code = emit(produce(), as_json)
    except MilestoneError as exc:
        code = fail(exc.code, exc.message, exc.exit_code, as_json, exc.details)
    except KeyboardInterrupt:
        code = fail("interrupted", "interrupted", 130, as_json)
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
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        for warning in result.warnings:
            sys.stderr.write(f"warning: {warning}\n")
        if result.error is not None:
            sys.stderr.write(result.error[1] + "\n")
    return result.exit_code


def fail(code: str, message: str, exit_code: int, as_json: bool, details: Any = None) -> int:
    if as_json:
        error: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        _write_json({"schema_version": SCHEMA_VERSION, "ok": False, "data": None, "error": error})
    else:
        sys.stderr.write(f"error: {message}\n")
    return exit_code


def _write_json(envelope: dict[str, Any]) -> None:
    # Indented for a person at a terminal; compact for programs, where indenting a long
    # `log` costs more than producing it.
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(envelope, ensure_ascii=False, indent=indent) + "\n")


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
