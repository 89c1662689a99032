"""The milestone JSON Schema, shipped as package data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from gitmilestone.fastschema import Check

SCHEMA_FILE = "milestone-v1.schema.json"
# Where `init` puts a copy in the repository, relative to the milestone directory (a
# subdirectory: only *.json directly in the directory are milestones), and what new
# milestone files say in `$schema`, relative to themselves, so editors find it.
REPO_COPY = f"schema/{SCHEMA_FILE}"
REPO_REF = f"./{REPO_COPY}"


@cache
def schema_text() -> str:
    # A plain path: importlib.resources costs more to import than the read itself.
    return (Path(__file__).parent / SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@cache
def fast_check() -> Check:
    """True exactly when the schema accepts the document (see `fastschema`)."""
    # Compiled ahead of time by scripts/gen_schema_check.py: loading it from the bytecode
    # cache costs a fraction of generating and compiling the check in every process.
    from gitmilestone.schema._check import check

    return check
