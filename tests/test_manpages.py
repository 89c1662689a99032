"""The manual pages: generated from the click commands, committed current, installed where
man finds them from an environment's bin, and shown by `git milestone --help` and
`git help milestone`."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from gitmilestone.cli import COMMANDS
from tests.conftest import PROJECT, Repo
from tests.installed import Installed, installed

__all__ = ["installed"]


def gen_man() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_man", PROJECT / "scripts" / "gen_man.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_pages_are_current() -> None:
    stale = gen_man().stale()
    assert stale == [], f"run `python scripts/gen_man.py`: {stale} are not current"


def test_one_page_per_command_and_one_for_the_program() -> None:
    names = {p.name for p in (PROJECT / "man" / "man1").glob("*.1")}
    assert names == {"git-milestone.1"} | {f"git-milestone-{c}.1" for c in COMMANDS}


def test_a_stale_page_is_noticed(tmp_path: Path) -> None:
    module = gen_man()
    for name, text in module.pages().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert module.stale(tmp_path) == []
    (tmp_path / "git-milestone-advance.1").write_text("old\n", encoding="utf-8")
    (tmp_path / "git-milestone-gone.1").write_text("old\n", encoding="utf-8")
    assert module.stale(tmp_path) == ["git-milestone-advance.1", "git-milestone-gone.1"]


def need_man() -> None:
    if shutil.which("man") is None:
        pytest.fail(
            "`man` is not installed, so the manual pages cannot be shown: install man-db "
            "(apt-get install man-db) to run this test"
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "title"),
    [
        (["git", "milestone", "--help"], "GIT-MILESTONE(1)"),
        (["git", "help", "milestone"], "GIT-MILESTONE(1)"),
        (["man", "git-milestone-advance"], "GIT-MILESTONE-ADVANCE(1)"),
        (["man", "git-milestone-status"], "GIT-MILESTONE-LIST(1)"),
    ],
    ids=["git-milestone--help", "git-help-milestone", "man-advance", "alias"],
)
def test_the_installed_pages_are_shown(
    installed: Installed, repo: Repo, args: list[str], title: str
) -> None:
    need_man()
    assert (installed.prefix / "share" / "man" / "man1" / "git-milestone.1").is_file()
    proc = subprocess.run(
        args,
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=installed.env(MANPAGER="cat", PAGER="cat", MANWIDTH="80"),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith(title)
    assert "No manual entry" not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_installed_hook_scripts_are_the_one_copy(installed: Installed) -> None:
    """The repository's hooks/ are links; a built and installed package has the files."""
    for name in ("pre-commit", "commit-msg"):
        shipped = installed.site_packages / "gitmilestone" / "hooks" / name
        assert not shipped.is_symlink()
        assert shipped.read_bytes() == (PROJECT / "hooks" / name).read_bytes()


@pytest.mark.slow
def test_the_installed_command_runs(installed: Installed, repo: Repo) -> None:
    proc = subprocess.run(
        ["git", "milestone", "--version"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=installed.env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("git milestone, version")
    assert shutil.which("git-milestone", path=installed.env()["PATH"]) == str(
        installed.bin / "git-milestone"
    )
    assert sys.executable not in (installed.bin / "git-milestone").read_text()
