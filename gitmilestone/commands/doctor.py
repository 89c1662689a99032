"""`git milestone doctor`: what is set up in this repository, and what is not."""

from __future__ import annotations

from gitmilestone import git, timestamps
from gitmilestone.commands.hooks import HOOKS, MARKER
from gitmilestone.commands.merge_driver import DRIVER, attributes_line
from gitmilestone.errors import MilestoneError
from gitmilestone.output import Result
from gitmilestone.workspace import Workspace


def doctor(ws: Workspace) -> Result:
    checks: list[dict[str, object]] = []

    def add(name: str, ok: bool, detail: str, fix: str = "") -> None:
        checks.append({"check": name, "ok": ok, "detail": detail, "fix": fix})

    try:
        settings = ws.settings
        add(
            "settings",
            True,
            f"dir {settings.dir}, lease {timestamps.describe_age(settings.lease)}",
        )
    except MilestoneError as exc:
        add("settings", False, exc.message, "fix .gitmilestone.toml")
        return _result(checks)
    directory = ws.directory
    add(
        "directory",
        directory.is_dir(),
        f"{settings.dir}/",
        "" if directory.is_dir() else "run `git milestone init`",
    )
    try:
        add("actor", True, ws.actor_name)
    except MilestoneError as exc:
        add("actor", False, exc.message, "run `git config milestone.actor NAME`")
    hooks_dir = git.hooks_dir(ws.repo)
    for hook in HOOKS:
        path = hooks_dir / hook
        installed = path.is_file() and MARKER in path.read_bytes()
        add(
            f"hook {hook}",
            installed,
            str(path),
            "" if installed else "run `git milestone install-hooks` (or use pre-commit)",
        )
    attributes = ws.repo.root / ".gitattributes"
    text = attributes.read_text("utf-8", "replace") if attributes.is_file() else ""
    has_attr = attributes_line(settings.dir) in text.splitlines()
    driver = git.merge_driver_command(ws.repo, DRIVER)
    add(
        "merge driver",
        has_attr and driver is not None,
        f".gitattributes {'has' if has_attr else 'lacks'} the driver line; git config "
        f"{'has' if driver else 'lacks'} merge.{DRIVER}.driver",
        "" if has_attr and driver else "run `git milestone init` in this clone",
    )
    checked = ws.all()
    bad = [c.file for c in checked if c.findings]
    add(
        "milestone files",
        not bad,
        f"{len(checked)} file(s), {len(bad)} with problems",
        "run `git milestone validate`" if bad else "",
    )
    return _result(checks)


def _result(checks: list[dict[str, object]]) -> Result:
    lines = []
    for c in checks:
        mark = "ok " if c["ok"] else "-- "
        lines.append(
            f"{mark} {c['check']}: {c['detail']}" + (f"  ({c['fix']})" if c["fix"] else "")
        )
    problems = [c for c in checks if not c["ok"]]
    data = {"checks": checks, "ok": not problems}
    if problems:
        return Result(
            data,
            "\n".join(lines),
            1,
            ("not-ready", f"{len(problems)} thing(s) not set up; see the lines above"),
        )
    return Result(data, "\n".join(lines))
