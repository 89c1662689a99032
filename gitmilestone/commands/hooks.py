"""`install-hooks`: put the plain git hooks into this repository, or take them out.

The scripts ship inside the package (gitmilestone/hooks/, the same files as the
repository's hooks/), so this works from a pip install. A hook that was already there is
kept next to ours as HOOK.local, which our script runs first; uninstalling puts it back.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from gitmilestone import git, store
from gitmilestone.errors import Invalid
from gitmilestone.output import Result
from gitmilestone.workspace import Workspace

HOOKS = ("pre-commit", "pre-merge-commit", "commit-msg")
# git runs pre-merge-commit for merges it commits itself; it gets the pre-commit checks.
_SCRIPT = {"pre-merge-commit": "pre-commit"}
MARKER = b"# git-milestone hook:"
LOCAL = ".local"


def script(name: str) -> bytes:
    """The hook script `name` as it is installed."""
    return (resources.files("gitmilestone") / "hooks" / _SCRIPT.get(name, name)).read_bytes()


def install_hooks(ws: Workspace, *, uninstall: bool) -> Result:
    """Install (or with `uninstall`, remove) the pre-commit, pre-merge-commit and
    commit-msg hooks."""
    directory = git.hooks_dir(ws.repo)
    done = {name: (_remove if uninstall else _install)(directory, name) for name in HOOKS}
    shown = ws.rel(directory)
    lines = [f"{name}: {what} ({shown}/{name})" for name, what in done.items()]
    data = {"hooks_dir": str(directory), "hooks": done, "installed": not uninstall}
    return Result(data, "\n".join(lines))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None if not path.is_symlink() else b""
    except IsADirectoryError:
        raise Invalid(f"{path} is a directory, not a hook; move it away and run again") from None


def _install(directory: Path, name: str) -> str:
    target, local = directory / name, directory / (name + LOCAL)
    wanted = script(name)
    current = _read(target)
    if current == wanted:
        if not os.access(target, os.X_OK):
            target.chmod(0o755)
        return "already installed"
    what = "installed"
    if current is not None and MARKER in current:
        what = "updated"
    elif current is not None:
        if local.exists() or local.is_symlink():
            raise Invalid(
                f"{target} and {local} both exist, so the existing {name} hook has nowhere "
                f"to go; merge them into {local}, delete {target}, and run again"
            )
        os.replace(target, local)
        what = f"installed; the {name} hook that was there runs first (kept as {local.name})"
    store.write_atomic(target, wanted.decode("utf-8"))
    target.chmod(0o755)
    return what


def _remove(directory: Path, name: str) -> str:
    target, local = directory / name, directory / (name + LOCAL)
    current = _read(target)
    if current is not None and MARKER not in current:
        return "not ours, left alone"
    if current is not None:
        target.unlink()
    if local.exists() or local.is_symlink():
        os.replace(local, target)
        return f"removed; the hook kept as {local.name} is back"
    return "removed" if current is not None else "not installed"
