"""The hooks through the real pre-commit framework, from this repository's
.pre-commit-hooks.yaml; and the hooks' `files` patterns.

The framework pip-installs this package into an environment of its own, once per test
session (PRE_COMMIT_HOME is shared by the session's workers): those tests are marked slow.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT, Repo
from tests.test_guard import FILE, ID, hand_edit, new_milestone, set_step

MANIFEST = PROJECT / ".pre-commit-hooks.yaml"
SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "gitmilestone", "man")
HOOK_IDS = ("milestone-validate", "milestone-guard", "milestone-commit-msg")
FIXED_DATE = "2025-01-01T00:00:00Z"


def manifest() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text())
    return hooks


# --- the manifest, without running anything ---------------------------------------------------

MATCH = ["MILESTONES/a.json", "SESSIONS/MILESTONES/a.json", "MILESTONES/deploy-dashboard.json"]
NO_MATCH = [
    "MILESTONES/README.md",
    "MILESTONES/sub/a.json",
    "src/MILESTONES.json",
    "notMILESTONES/a.json",
    "MILESTONES/a.json.bak",
    "MILESTONES.json",
]


@pytest.mark.parametrize("hook_id", ["milestone-validate", "milestone-guard"])
@pytest.mark.parametrize("path", MATCH)
def test_files_pattern_matches_milestone_files(hook_id: str, path: str) -> None:
    (hook,) = [h for h in manifest() if h["id"] == hook_id]
    assert re.search(hook["files"], path)


@pytest.mark.parametrize("hook_id", ["milestone-validate", "milestone-guard"])
@pytest.mark.parametrize("path", NO_MATCH)
def test_files_pattern_skips_other_files(hook_id: str, path: str) -> None:
    (hook,) = [h for h in manifest() if h["id"] == hook_id]
    assert not re.search(hook["files"], path)


def test_manifest_offers_the_three_hooks_with_explicit_stages() -> None:
    hooks = {h["id"]: h for h in manifest()}
    assert set(hooks) == set(HOOK_IDS)
    for hook in hooks.values():
        assert hook["stages"], hook["id"]
        assert hook["language"] == "python"
        assert hook["entry"].startswith("git-milestone validate")
        assert "minimum_pre_commit_version" in hook
    assert hooks["milestone-commit-msg"]["stages"] == ["commit-msg"]
    guard = hooks["milestone-guard"]
    assert (guard["pass_filenames"], guard["always_run"]) == (False, True)


def test_own_config_runs_the_same_milestone_hooks() -> None:
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text())
    local = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= set(local)
    for hook in manifest():
        mine = local[hook["id"]]
        assert mine["entry"].replace("python -m gitmilestone", "git-milestone") == hook["entry"]
        assert mine.get("files") == hook.get("files")
        assert mine.get("stages", config["default_stages"]) == hook["stages"]


def test_manifest_and_config_are_valid_for_pre_commit() -> None:
    for command, path in (
        ("validate-manifest", MANIFEST),
        ("validate-config", PROJECT / ".pre-commit-config.yaml"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", command, str(path)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the real framework -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A committed snapshot of this checkout (as pre-commit clones hook repositories), its
    commit, and the PRE_COMMIT_HOME every worker of this session shares."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = root / "pre-commit-shared"
    with open(root / "pre-commit-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "rev").exists():
            _snapshot(shared / "repo")
            rev = _git(shared / "repo", "rev-parse", "HEAD").strip()
            (shared / "rev").write_text(rev)
    yield str(shared / "repo"), (shared / "rev").read_text(), shared / "home"


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": FIXED_DATE,
        "GIT_COMMITTER_DATE": FIXED_DATE,
        "GIT_AUTHOR_NAME": "snapshot",
        "GIT_AUTHOR_EMAIL": "snapshot@example.com",
        "GIT_COMMITTER_NAME": "snapshot",
        "GIT_COMMITTER_EMAIL": "snapshot@example.com",
    }
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _snapshot(target: Path) -> None:
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SNAPSHOT:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    _git(target, "-c", "init.defaultBranch=main", "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "snapshot")


@pytest.fixture
def framework(
    repo: Repo, hook_repo: tuple[str, str, Path], monkeypatch: pytest.MonkeyPatch
) -> Repo:
    """`repo` using this repository's hooks through pre-commit, installed as git hooks."""
    url, rev, home = hook_repo
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
    config = {"repos": [{"repo": url, "rev": rev, "hooks": [{"id": hook} for hook in HOOK_IDS]}]}
    repo.write(".pre-commit-config.yaml", json.dumps(config, indent=2) + "\n")
    repo.git("add", ".pre-commit-config.yaml")
    repo.git("commit", "-q", "-m", "use the milestone hooks")
    pre_commit(repo, *readme_install_line())
    assert (repo.path / ".git" / "hooks" / "pre-merge-commit").is_file()
    pre_commit(repo, "install-hooks")
    return repo


def readme_install_line() -> list[str]:
    """The README's `pre-commit install ...` line, as its arguments: the tests install the
    hooks exactly the way the README tells people to."""
    found = re.search(r"`pre-commit (install -t [^`]+)`", (PROJECT / "README.md").read_text())
    assert found, "the README gives the pre-commit install line"
    return found.group(1).split()


def pre_commit(repo: Repo, *args: str, check: bool = True) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=repo.path, capture_output=True, text=True
    )
    out = proc.stdout + proc.stderr
    assert not check or proc.returncode == 0, out
    return proc.returncode, out


def git_commit(repo: Repo, *args: str) -> tuple[int, str]:
    proc = subprocess.run(["git", "commit", *args], cwd=repo.path, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_pre_commit_framework_refuses_and_passes(framework: Repo) -> None:
    repo = framework
    ran = repo.gm("new", "Deploy dashboard", "--step", "a", "--step", "b", "--claim")
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert repo.trailers()["Milestone-Action"] == ["create"]

    hand_edit(repo, lambda d: d.update(progress=50), bump=False)
    rc, out = git_commit(repo, "-m", "wrong progress")
    assert rc == 1
    assert "- hook id: milestone-validate" in out
    assert out.count("M101 $.progress") == 1  # not again by milestone-guard

    repo.git("checkout", "-q", "HEAD", "--", FILE)
    hand_edit(repo, set_step(1, "completed"))
    forged = f"done\n\nMilestone: {ID}\nMilestone-Status: completed\n"
    rc, out = git_commit(repo, "-m", forged)
    assert rc == 1
    assert "- hook id: milestone-commit-msg" in out
    assert "Milestone-Status says completed" in out

    count = repo.commit_count()
    rc, out = git_commit(repo, "-m", "step 1 done by hand")
    assert rc == 0, out
    assert repo.commit_count() == count + 1

    repo.git("rm", "-q", FILE)
    rc, out = git_commit(repo, "-m", "remove it")
    assert rc == 1
    assert "- hook id: milestone-guard" in out
    assert "M206" in out


@pytest.mark.slow
def test_pre_commit_run_with_a_moved_milestone_directory(framework: Repo) -> None:
    """`pre-commit run` (what CI runs), in a repository that keeps its milestones in
    SESSIONS/MILESTONES: the hooks' `files` pattern finds them there."""
    repo = framework
    repo.write(".gitmilestone.toml", 'dir = "SESSIONS/MILESTONES"\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    new_milestone(repo)
    rel = f"SESSIONS/MILESTONES/{ID}.json"
    hand_edit(repo, lambda d: d.update(progress=50), bump=False, rel=rel)

    rc, out = pre_commit(repo, "run", "--files", rel, check=False)
    assert rc == 1
    assert "M101" in out
    assert "- hook id: milestone-validate" in out
    repo.git("checkout", "-q", "HEAD", "--", rel)
    rc, out = pre_commit(repo, "run", "--files", rel, check=False)
    assert rc == 0, out
    assert out.count("Passed") == 2, out
