"""Fixtures: real git repositories in temporary folders, with no user config leaking in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitmilestone.cli import cli

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "deploy-dashboard.json"
SEED_COPY = Path(__file__).resolve().parent / "data" / "deploy-dashboard.json"
PROJECT = Path(__file__).resolve().parents[1]
T0 = "2025-11-15T01:00:00Z"


def seed_bytes() -> bytes:
    """The seed's example milestone, byte for byte (a copy ships with the tests)."""
    return (SEED if SEED.exists() else SEED_COPY).read_bytes()


@pytest.fixture(autouse=True)
def git_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    # As for a user whose environment is active: hooks and the merge driver run the
    # `git-milestone` of this environment, even when the suite runs as `.venv/bin/python`.
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.com")
    for var in (
        "GIT_MILESTONE_ACTOR",
        "GIT_MILESTONE_NOW",
        "GIT_MILESTONE_FORCED",
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "NO_COLOR",
    ):
        monkeypatch.delenv(var, raising=False)


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Repo:
    """A real git repository in a temporary folder, and ways to run git and the CLI in it."""

    path: Path
    monkeypatch: pytest.MonkeyPatch

    def git_dir(self, worktree: Path | None = None) -> Path:
        """The absolute git directory of the repository (or of its linked `worktree`)."""
        out = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"],
            cwd=worktree or self.path,
            capture_output=True,
            text=True,
            check=True,
        )
        return Path(out.stdout.strip())

    def git(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    def gm(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Ran:
        """Run `git milestone ARGS` in-process through click's CliRunner."""
        self.monkeypatch.chdir(self.path)
        result = CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)

    def gm_proc(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        """Run `git milestone ARGS` as a real process (as git and hooks would)."""
        proc = subprocess.run(
            [sys.executable, "-m", "gitmilestone", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)

    def file(self, rel: str) -> Path:
        return self.path / rel

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        return target

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def commit_count(self) -> int:
        out = self.git("rev-list", "--count", "HEAD", check=False).strip()
        return int(out) if out.isdigit() else 0

    def trailers(self, rev: str = "HEAD") -> dict[str, list[str]]:
        out = self.git("log", "-1", "--format=%(trailers:only,unfold)", rev)
        pairs: dict[str, list[str]] = {}
        for line in out.splitlines():
            if ": " in line:
                key, value = line.split(": ", 1)
                pairs.setdefault(key, []).append(value)
        return pairs

    def files_in(self, rev: str = "HEAD") -> list[str]:
        out = self.git("show", "--name-only", "--format=", rev)
        return [line for line in out.splitlines() if line]


def make_repo(path: Path, monkeypatch: pytest.MonkeyPatch, *, commit: bool = True) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(path)], check=True)
    repo = Repo(path, monkeypatch)
    repo.git("config", "user.name", "Test Author")
    repo.git("config", "user.email", "author@example.com")
    repo.git("config", "commit.gpgsign", "false")
    if commit:
        repo.write("README.md", "test repository\n")
        repo.git("add", "README.md")
        repo.git("commit", "-q", "-m", "initial commit")
    return repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A repository with one commit, acting as `alice` at a fixed time."""
    monkeypatch.setenv("GIT_MILESTONE_ACTOR", "alice")
    monkeypatch.setenv("GIT_MILESTONE_NOW", T0)
    return make_repo(tmp_path / "repo", monkeypatch)


@pytest.fixture
def empty_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A repository with no commit yet."""
    monkeypatch.setenv("GIT_MILESTONE_ACTOR", "alice")
    monkeypatch.setenv("GIT_MILESTONE_NOW", T0)
    return make_repo(tmp_path / "repo", monkeypatch, commit=False)


@pytest.fixture
def seeded(repo: Repo) -> Iterator[Repo]:
    """`repo` with the seed's example committed as MILESTONES/deploy-dashboard.json."""
    repo.write("MILESTONES/deploy-dashboard.json", seed_bytes())
    repo.git("add", "MILESTONES")
    repo.git("commit", "-q", "-m", "add the seed's milestone")
    yield repo


def has_tool(name: str) -> bool:
    return shutil.which(name) is not None
