"""`git milestone validate --fix`: repair what can be derived, one commit per file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitmilestone import repair, store
from gitmilestone.errors import MilestoneError, NotFound, Stale, UsageError
from gitmilestone.model import Milestone
from gitmilestone.output import Result
from gitmilestone.records import mutable
from gitmilestone.rules import Finding
from gitmilestone.workflow import Actor, Outcome
from gitmilestone.workspace import Workspace


def _targets(ws: Workspace, names: tuple[str, ...]) -> list[Path]:
    """Milestone ids or paths of milestone files; every milestone when none is given."""
    if not names:
        return store.milestone_files(ws.directory)
    out = []
    for name in names:
        if name.endswith(".json") or "/" in name:
            path = Path(name).absolute()
            if path.parent.resolve() != ws.directory.resolve():
                raise UsageError(
                    f"{name}: --fix repairs milestone files in {ws.settings.dir}/ "
                    "(give their ids or paths)"
                )
            out.append(path)
        else:
            path = ws.path_for(name)
            if not path.exists():
                raise NotFound(
                    f"no milestone {name!r} in {ws.settings.dir}/; see `git milestone list --all`"
                )
            out.append(path)
    return out


@mutable
class _Row:
    file: str
    fixed: tuple[str, ...] = ()
    commit: str | None = None
    problems: tuple[Finding, ...] = ()
    error: MilestoneError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return 1 if self.problems else 0

    def to_dict(self) -> dict[str, Any]:
        error = self.error
        return {
            "file": self.file,
            "fixed": list(self.fixed),
            "commit": self.commit,
            "problems": [f.to_dict() for f in self.problems],
            "error": None if error is None else {"code": error.code, "message": error.message},
        }

    def line(self) -> str:
        if self.error is not None:
            return f"{self.file}: not fixed: {self.error.message}"
        if self.problems:
            found = "\n".join(f"  {f.code} {f.path}: {f.message}" for f in self.problems)
            return f"{self.file}: cannot fix it, left as it is:\n{found}"
        if self.fixed:
            where = f" [{self.commit[:9]}]" if self.commit else " (staged, not committed)"
            return f"{self.file}: fixed {', '.join(self.fixed)}{where}"
        return f"{self.file}: nothing to fix"


def fix(ws: Workspace, names: tuple[str, ...], *, commit: bool) -> Result:
    """Repair each file whose problems can all be derived; report the others, untouched."""
    rows = [_fix_one(ws, path, commit) for path in _targets(ws, names)]
    left = [r for r in rows if r.exit_code]
    fixed = sum(1 for r in rows if r.fixed)
    summary = (
        f"{len(rows)} milestone file(s): {fixed} fixed, {len(rows) - fixed - len(left)} "
        f"clean, {len(left)} with problems left"
    )
    data = {"files": [r.to_dict() for r in rows]}
    text = "\n".join([*(r.line() for r in rows), summary])
    if not left:
        return Result(data, text)
    return Result(
        data,
        text,
        max(r.exit_code for r in left),
        (
            "findings",
            f"{len(left)} file(s) still have problems that --fix cannot derive or write; "
            "see above, fix them by hand, then run `git milestone validate`",
        ),
    )


def _fix_one(ws: Workspace, path: Path, commit: bool) -> _Row:
    checked = ws.check(path)
    first = repair.plan(checked)
    if first.problems or not first.fixes:
        return _Row(checked.file, problems=first.problems)
    done: list[tuple[str, ...]] = []

    def op(current: Milestone | None, actor: Actor) -> Outcome | None:
        # Planned again under the lock, from the file as it is now.
        again = repair.plan(ws.check(path))
        if again.problems:
            raise Stale(f"{checked.file} changed while --fix ran; run it again")
        done.append(again.fixes)
        return None if current is None else repair.apply(current, actor, again.fixes)

    try:
        written = ws.write(path.stem, op, commit=commit, repairs=repair.REPAIRS)
    except MilestoneError as exc:
        return _Row(checked.file, error=exc)
    if written.change is None:
        return _Row(checked.file)
    return _Row(checked.file, fixed=done[-1], commit=written.commit)
