"""The one place output is written: text for people, one JSON document for scripts."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from gitmilestone import SCHEMA_VERSION


@dataclass(frozen=True)
class Result:
    """What a command produced: data for `--json`, text for people, and its exit code."""

    data: Any
    text: str = ""
    exit_code: int = 0
    error: tuple[str, str] | None = None


def emit(result: Result, as_json: bool) -> int:
    if as_json:
        envelope: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "ok": result.error is None,
            "data": result.data,
        }
        if result.error is not None:
            envelope["error"] = {"code": result.error[0], "message": result.error[1]}
        sys.stdout.write(json.dumps(envelope, ensure_ascii=False, indent=2) + "\n")
    else:
        if result.text:
            sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
        if result.error is not None:
            sys.stderr.write(result.error[1] + "\n")
    return result.exit_code


def fail(code: str, message: str, exit_code: int, as_json: bool, details: Any = None) -> int:
    if as_json:
        error: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        envelope = {"schema_version": SCHEMA_VERSION, "ok": False, "data": None, "error": error}
        sys.stdout.write(json.dumps(envelope, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stderr.write(f"error: {message}\n")
    return exit_code


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
