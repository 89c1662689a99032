"""`git milestone merge-driver BASE OURS THEIRS PATH`: git's merge driver for milestones."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from gitmilestone import git, store
from gitmilestone.errors import Invalid
from gitmilestone.merge import merge
from gitmilestone.model import dumps
from gitmilestone.output import Result
from gitmilestone.rules import check_document, decode

DRIVER = "milestone"


def driver_command() -> str:
    """The command git runs, with this interpreter so it works from any virtualenv."""
    return f"{shlex.quote(sys.executable)} -m gitmilestone merge-driver %O %A %B %P"


def attributes_line(directory: str) -> str:
    return f"/{directory}/*.json merge={DRIVER}"


def merge_driver(base: Path, ours: Path, theirs: Path, path: str) -> Result:
    """Merge into OURS (git's %A); exit 1 with conflict markers when the sides disagree."""
    docs = []
    for side in (base, ours, theirs):
        doc, findings = decode(path, side.read_bytes() if side.exists() else b"{}")
        if findings or not isinstance(doc, dict):
            return _textual(base, ours, theirs, path, ["a side is not a readable milestone"])
        docs.append(doc)
    merged = merge(docs[0], docs[1], docs[2])
    if merged.conflicts:
        return _textual(base, ours, theirs, path, merged.conflicts)
    checked = check_document(path, merged.document)
    text = checked.milestone.dumps() if checked.milestone is not None else dumps(merged.document)
    store.write_atomic(ours, text)
    data = {"path": path, "clean": True, "conflicts": []}
    return Result(data, f"{path}: merged field by field")


def _textual(base: Path, ours: Path, theirs: Path, path: str, conflicts: list[str]) -> Result:
    text, clean = git.merge_file(ours, base, theirs)
    if clean:
        # The lines merge, but the meaning does not: show both sides whole.
        text = (
            b"<<<<<<< ours\n"
            + ours.read_bytes()
            + b"=======\n"
            + theirs.read_bytes()
            + b">>>>>>> theirs\n"
        )
    ours.write_bytes(text)
    message = (
        f"{path}: conflict in {', '.join(conflicts)}; edit the file to resolve it, "
        "check it with `git milestone validate`, then `git add` it"
    )
    return Result(
        {"path": path, "clean": False, "conflicts": conflicts}, "", 1, ("merge-conflict", message)
    )


def configure(repo: git.Repo, directory: str) -> list[str]:
    """Add the driver to `.gitattributes` (returned for committing) and the local config."""
    git.set_merge_driver(repo, DRIVER, "gitmilestone field-by-field merge", driver_command())
    attributes = repo.root / ".gitattributes"
    line = attributes_line(directory)
    try:
        current = attributes.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    except UnicodeDecodeError:
        raise Invalid(".gitattributes is not UTF-8; fix it, then run init again") from None
    if line in current.splitlines():
        return []
    sep = "" if not current or current.endswith("\n") else "\n"
    store.write_atomic(attributes, f"{current}{sep}{line}\n")
    return [".gitattributes"]
