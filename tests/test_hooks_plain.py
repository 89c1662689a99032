"""The plain git hooks stay out of the way: they look only at the milestone directory, print
nothing on success, say how to get git-milestone back when it is gone, and have one source."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT, Repo
from tests.test_guard import hand_edit, new_milestone

MARKER = "python-started"


@pytest.fixture
def hooked(repo: Repo) -> Repo:
    ran = repo.gm("install-hooks")
    assert ran.exit_code == 0, ran.stderr
    return repo


def spy_path(tmp_path: Path) -> tuple[str, Path]:
    """A PATH on which `git-milestone` and `python3` only leave a mark and fail."""
    spy = tmp_path / "spy-bin"
    spy.mkdir(exist_ok=True)
    mark = tmp_path / MARKER
    for name in ("git-milestone", "python3"):
        (spy / name).write_text(f'#!/bin/sh\necho "$0 $*" >> "{mark}"\nexit 1\n')
        (spy / name).chmod(0o755)
    return f"{spy}{os.pathsep}/usr/bin:/bin", mark


def git_commit(repo: Repo, *args: str, path: str | None = None) -> tuple[int, str]:
    env = {**os.environ, **({"PATH": path} if path else {})}
    proc = subprocess.run(
        ["git", "commit", *args], cwd=repo.path, capture_output=True, text=True, env=env
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("settings", "outside", "inside"),
    [
        pytest.param(None, "package.json", "MILESTONES/x.json", id="default-dir"),
        pytest.param(
            'dir = "SESSIONS/MILESTONES"  # moved\n',
            "MILESTONES/x.json",
            "SESSIONS/MILESTONES/x.json",
            id="dir-setting",
        ),
        pytest.param("dir='work/m'\n", "config/app.json", "work/m/x.json", id="single-quotes"),
    ],
)
def test_json_outside_the_milestone_directory_never_starts_python(
    hooked: Repo, tmp_path: Path, settings: str | None, outside: str, inside: str
) -> None:
    if settings is not None:
        hooked.write(".gitmilestone.toml", settings)
        hooked.git("add", ".gitmilestone.toml")
        hooked.git("commit", "-q", "-m", "settings")
    path, mark = spy_path(tmp_path)
    hooked.write(outside, '{"name": "app"}\n')
    hooked.git("add", outside)
    rc, out = git_commit(hooked, "-m", "app config", path=path)
    assert rc == 0, out
    assert hooked.files_in() == [outside]
    assert not mark.exists()
    # a file in the milestone directory does reach git-milestone
    hooked.write(inside, "{}\n")
    hooked.git("add", inside)
    rc, _ = git_commit(hooked, "-m", "milestone", path=path)
    assert rc == 1
    assert "validate --staged --quiet" in mark.read_text()


def test_a_setting_the_hook_cannot_read_for_sure_checks_every_json(
    hooked: Repo, tmp_path: Path
) -> None:
    hooked.write(".gitmilestone.toml", '"dir" = "odd\\u0020name"\n')
    hooked.git("add", ".gitmilestone.toml")
    path, mark = spy_path(tmp_path)
    rc, _ = git_commit(hooked, "-m", "settings", path=path)
    assert rc == 0 and not mark.exists()
    hooked.write("package.json", "{}\n")
    hooked.git("add", "package.json")
    assert git_commit(hooked, "-m", "app", path=path)[0] == 1
    assert mark.exists()


def test_missing_cli_message_says_where_it_came_from(hooked: Repo, tmp_path: Path) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, lambda d: d.update(handoff_notes="by hand"))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    path = f"{empty}{os.pathsep}/usr/bin:/bin"
    hooked.git("config", "milestone.installSource", "git+https://example.com/gitmilestone.git")
    rc, out = git_commit(hooked, "-m", "x", path=path)
    assert rc == 1
    assert "git-milestone is not on PATH" in out
    assert "pipx install 'git+https://example.com/gitmilestone.git'" in out
    hooked.git("config", "--unset", "milestone.installSource")
    rc, out = git_commit(hooked, "-m", "x", path=path)
    assert rc == 1
    assert "the way you installed git-milestone" in out
    assert "pip install gitmilestone" not in out


def test_install_hooks_notes_where_this_installation_came_from(hooked: Repo) -> None:
    source = hooked.git("config", "--get", "milestone.installSource", check=False).strip()
    # an editable install of this checkout (the test environment) came from the checkout
    assert Path(source).resolve() == PROJECT.resolve()


def test_hooks_print_nothing_when_all_is_well(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, lambda d: d.update(handoff_notes="by hand"))
    rc, out = git_commit(hooked, "-q", "-m", "handoff notes by hand")
    assert (rc, out) == (0, "")
    message = "milestone: x\n\nMilestone: nope\n"
    hand_edit(hooked, lambda d: d.update(handoff_notes="again"), at="2025-11-15T01:40:00Z")
    rc, out = git_commit(hooked, "-q", "-m", message)
    assert rc == 1
    assert "MILESTONES/nope.json is not in this commit" in out  # errors still show


@pytest.mark.parametrize("name", ["pre-commit", "pre-merge-commit", "commit-msg"])
def test_repository_hooks_link_to_the_one_copy_in_the_package(name: str) -> None:
    link = PROJECT / "hooks" / name
    assert link.is_symlink()
    real = {"pre-merge-commit": "pre-commit"}.get(name, name)
    assert link.resolve() == (PROJECT / "gitmilestone" / "hooks" / real).resolve()
    assert not (PROJECT / "gitmilestone" / "hooks" / real).is_symlink()
