"""`git milestone validate` and `git milestone schema`."""

from __future__ import annotations

from pathlib import Path

from gitmilestone.output import Result
from gitmilestone.rules import Checked, Finding
from gitmilestone.text import printable
from gitmilestone.workspace import Workspace


def schema() -> Result:
    from gitmilestone.schema import schema as load
    from gitmilestone.schema import schema_text

    return Result(load(), schema_text().rstrip("\n"))


def validate(ws: Workspace, paths: tuple[Path, ...]) -> Result:
    """Check the given files, or every milestone in the milestone directory."""
    checked = [ws.check(_file(ws, p)) for p in paths] if paths else ws.all()
    return report(checked)


def _file(ws: Workspace, path: Path) -> Path:
    """PATH itself, or the milestone file of that id when PATH is a bare name that is not a
    file here (`validate deploy-dashboard`, as `validate --fix` takes ids)."""
    if path.exists() or len(path.parts) != 1 or path.suffix == ".json":
        return path
    candidate = ws.directory / f"{path.name}.json"
    return candidate if candidate.is_file() else path


def report(checked: list[Checked], extra: list[Finding] | None = None) -> Result:
    findings = sorted(
        [f for c in checked for f in c.findings] + list(extra or []),
        key=lambda f: (f.file, f.code, f.path),
    )
    data = {
        "files": len(checked),
        "findings": [f.to_dict() for f in findings],
    }
    if not findings:
        return Result(data, f"{len(checked)} milestone file(s) checked, no problems")
    bad_files = len({f.file for f in findings})
    summary = f"{len(findings)} problem(s) in {bad_files} of {len(checked)} file(s)"
    text = "\n".join(printable(str(f)) for f in findings)
    return Result(data, text, 1, ("findings", summary))
