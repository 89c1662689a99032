"""`git milestone merge-driver BASE OURS THEIRS PATH`: git's merge driver for milestones."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from gitmilestone import git, store
from gitmilestone.errors import Invalid
from gitmilestone.merge import merge
from gitmilestone.model import dumps
from gitmilestone.output import Result
from gitmilestone.rules import check_document, decode

DRIVER = "milestone"
# Found on PATH when git merges, so it survives reinstalls and moved or deleted virtual
# environments (an interpreter's absolute path does not).
COMMAND = "git-milestone merge-driver %O %A %B %P"
_PROGRAM = "git-milestone"


def driver_command() -> str:
    """The command git runs for the driver."""
    return COMMAND


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
    if checked.findings:
        # Each side was a sound milestone but together they are not (one completed the
        # work, the other added a step): a person decides.
        found = sorted({f"{f.code} at {f.path}" for f in checked.findings})
        return _textual(base, ours, theirs, path, found)
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


def configure(repo: git.Repo, directory: str) -> tuple[list[str], str]:
    """Add the driver to `.gitattributes` (returned for committing) and register it in this
    clone's config; also says whether the registration was new, updated or already there."""
    registration = register(repo)
    attributes = repo.root / ".gitattributes"
    line = attributes_line(directory)
    try:
        current = attributes.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    except UnicodeDecodeError:
        raise Invalid(".gitattributes is not UTF-8; fix it, then run init again") from None
    if line in current.splitlines():
        return [], registration
    sep = "" if not current or current.endswith("\n") else "\n"
    store.write_atomic(attributes, f"{current}{sep}{line}\n")
    return [".gitattributes"], registration


def register(repo: git.Repo) -> str:
    """Register the driver in this clone's git config: "registered", "updated" (an older or
    different command was there) or "already registered"."""
    current = git.merge_driver_command(repo, DRIVER)
    if current == COMMAND:
        return "already registered"
    git.set_merge_driver(repo, DRIVER, "gitmilestone field-by-field merge", COMMAND)
    return "registered" if current is None else "updated"


def has_attributes(repo: git.Repo, directory: str) -> bool:
    attributes = repo.root / ".gitattributes"
    try:
        text = attributes.read_text("utf-8", "replace")
    except (FileNotFoundError, IsADirectoryError):
        return False
    return attributes_line(directory) in text.splitlines()


def not_on_path() -> str | None:
    """Why git could not run the driver from here, or None when `git-milestone` is on PATH."""
    if shutil.which(_PROGRAM) is not None:
        return None
    return (
        f"{_PROGRAM} is not on PATH here, so git cannot run the merge driver; activate the "
        "environment it is installed in, or install it with pipx"
    )


def check_runs(repo: git.Repo, command: str) -> str | None:
    """Run the registered driver on a tiny three-way merge, as git would; None when it
    merges cleanly, else what went wrong."""
    import tempfile

    from gitmilestone.model import Milestone

    when = datetime(2000, 1, 1, tzinfo=timezone.utc)
    sample = Milestone("doctor-check", "doctor check", "LOW", None, "pending", 0, when, when)
    with tempfile.TemporaryDirectory(prefix="gitmilestone-doctor-") as tmp:
        files = {}
        for key, name in (("O", "base"), ("A", "ours"), ("B", "theirs")):
            path = Path(tmp) / f"{name}.json"
            path.write_text(sample.dumps(), encoding="utf-8")
            files[key] = str(path)
        files.update(P="MILESTONES/doctor-check.json", L="7", S="base", X="ours", Y="theirs")
        proc = git.run_merge_driver(repo, command, files)
        merged = Path(files["A"]).read_text(encoding="utf-8", errors="replace")
    if proc.returncode == 0 and merged == sample.dumps():
        return None
    said = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()
    reason = said[-1] if said else f"exit {proc.returncode}"
    return f"it fails on a trivial merge ({reason})"
