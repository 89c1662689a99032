"""`install-hooks`: put the plain git hooks into this repository, or take them out.

The scripts ship inside the package (gitmilestone/hooks/, the one real copy; the
repository's hooks/ holds links to them), so this works from a pip install. A hook that
was already there is kept next to ours as HOOK.local, which our script runs first;
uninstalling puts it back. Where this installation came from is noted in the clone's git
config (`milestone.installSource`), so a hook that cannot find git-milestone later can say
how to install it again.
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
# In the repository people push to (bare, as a rule): the range check on every push.
SERVER_HOOKS = ("pre-receive",)
# git runs pre-merge-commit for merges it commits itself; it gets the pre-commit checks.
_SCRIPT = {"pre-merge-commit": "pre-commit"}
MARKER = b"# git-milestone hook:"
LOCAL = ".local"
SOURCE_KEY = "milestone.installSource"


def install_source() -> str | None:
    """Where this installation came from, as pip and pipx take it (a `git+` URL, an
    archive URL or a local path), from the record pip keeps (PEP 610); None when unknown."""
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlsplit

    # A checkout's own gitmilestone.egg-info may come first on sys.path: take the first
    # record that has the installation's origin.
    found = (d.read_text("direct_url.json") for d in metadata.distributions(name="gitmilestone"))
    text = next((t for t in found if t), None)
    try:
        info = json.loads(text or "null")
        url = str(info["url"])
    except (ValueError, TypeError, KeyError):
        return None
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        revision = vcs.get("requested_revision")
        return f"{vcs['vcs']}+{url}" + (f"@{revision}" if revision else "")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return unquote(parts.path)
    return url


def script(name: str) -> bytes:
    """The hook script `name` as it is installed."""
    return (resources.files("gitmilestone") / "hooks" / _SCRIPT.get(name, name)).read_bytes()


def install_hooks(ws: Workspace, *, uninstall: bool) -> Result:
    """Install (or with `uninstall`, remove) the pre-commit, pre-merge-commit and
    commit-msg hooks."""
    directory = git.hooks_dir(ws.repo)
    done = {name: (_remove if uninstall else _install)(directory, name) for name in HOOKS}
    source = None if uninstall else install_source()
    if source is not None:
        ws.repo.run("config", SOURCE_KEY, source)
    elif uninstall:
        ws.repo.run("config", "--unset", SOURCE_KEY, check=False)
    shown = ws.rel(directory)
    lines = [f"{name}: {what} ({shown}/{name})" for name, what in done.items()]
    data = {"hooks_dir": str(directory), "hooks": done, "installed": not uninstall}
    return Result(data, "\n".join(lines))


def install_server_hooks(repo: git.Repo, *, uninstall: bool) -> Result:
    """Install (or with `uninstall`, remove) the pre-receive hook of a repository that
    receives pushes; no working tree is needed."""
    directory = git.hooks_dir(repo)
    done = {name: (_remove if uninstall else _install)(directory, name) for name in SERVER_HOOKS}
    lines = [f"{name}: {what} ({directory / name})" for name, what in done.items()]
    if not uninstall and not git.is_bare(repo):
        lines.append(
            "note: this repository has a working tree; the hook guards pushes into it, but "
            "it is meant for the bare repository people push to"
        )
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
