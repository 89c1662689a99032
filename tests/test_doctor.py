"""`doctor` and the merge driver's registration: a command found on PATH that survives
reinstalls, checked by really running it; hooks managed by the pre-commit framework count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo

OLD = "'/gone/venv/bin/python' -m gitmilestone merge-driver %O %A %B %P"
NEW = "git-milestone merge-driver %O %A %B %P"


def checks(repo: Repo) -> dict[str, dict[str, Any]]:
    ran = repo.gm("doctor", "--json")
    return {c["check"]: c for c in json.loads(ran.stdout)["data"]["checks"]}


def test_init_registers_a_command_found_on_path(repo: Repo) -> None:
    ran = repo.gm("init")
    assert ran.exit_code == 0, ran.stderr
    assert repo.git("config", "merge.milestone.driver").strip() == NEW
    assert f"merge driver registered: {NEW}" in ran.stdout
    driver = checks(repo)["merge driver"]
    assert driver["ok"], driver
    assert "runs" in driver["detail"]


def test_a_driver_that_does_not_run_is_reported_and_init_fixes_it(repo: Repo) -> None:
    """A clone set up by an older version, whose virtual environment has since gone."""
    assert repo.gm("init").exit_code == 0
    repo.git("config", "merge.milestone.driver", OLD)
    ran = repo.gm("doctor")
    assert ran.exit_code == 1
    line = next(x for x in ran.stdout.splitlines() if "merge driver" in x)
    assert line.startswith("--")
    assert "fails on a trivial merge" in line
    assert "run `git milestone init` in this clone" in line
    ran = repo.gm("init")
    assert ran.exit_code == 0
    assert f"merge driver updated: {NEW}" in ran.stdout
    assert repo.git("config", "merge.milestone.driver").strip() == NEW
    assert checks(repo)["merge driver"]["ok"]


def test_a_driver_that_runs_but_is_a_path_is_ok_with_advice(repo: Repo) -> None:
    assert repo.gm("init").exit_code == 0
    repo.git("config", "merge.milestone.driver", f"'{sys.executable}' -m gitmilestone {NEW[14:]}")
    driver = checks(repo)["merge driver"]
    assert driver["ok"]
    assert NEW in driver["fix"]


def test_init_warns_when_git_milestone_is_not_on_path(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    ran = repo.gm("init")
    assert ran.exit_code == 0
    assert "git-milestone is not on PATH here" in ran.stderr


def test_a_real_merge_runs_the_driver_from_path(repo: Repo, tmp_path: Path) -> None:
    """git runs `git-milestone` from PATH: a spy first on PATH sees the merge."""
    from tests.test_merge import _branches

    _branches(repo)
    assert (
        repo.gm("advance", "m", "2", env={"GIT_MILESTONE_NOW": "2025-11-15T01:05:00Z"}).exit_code
        == 0
    )
    repo.git("checkout", "-q", "main")
    assert (
        repo.gm("advance", "m", "3", env={"GIT_MILESTONE_NOW": "2025-11-15T01:06:00Z"}).exit_code
        == 0
    )
    spy = tmp_path / "spy"
    spy.mkdir()
    log = tmp_path / "ran"
    real = Path(sys.executable).parent / "git-milestone"
    (spy / "git-milestone").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    (spy / "git-milestone").chmod(0o755)
    env = {**os.environ, "PATH": f"{spy}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["git", "merge", "-q", "--no-edit", "other"], cwd=repo.path, env=env, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().startswith("merge-driver ")
    assert json.loads(repo.read("MILESTONES/m.json"))["progress"] == 66


def test_hooks_managed_by_the_pre_commit_framework_count(repo: Repo) -> None:
    assert repo.gm("init").exit_code == 0
    config = (
        "repos:\n"
        "  - repo: https://example.com/gitmilestone\n"
        "    rev: v0.1.0\n"
        "    hooks:\n"
        "      - id: milestone-validate\n"
        "      - id: milestone-guard\n"
        "      - id: milestone-commit-msg\n"
    )
    repo.write(".pre-commit-config.yaml", config)
    hooks = {name: checks(repo)[f"hook {name}"] for name in ("pre-commit", "commit-msg")}
    assert not any(h["ok"] for h in hooks.values())
    types = ("-t", "pre-commit", "-t", "pre-merge-commit", "-t", "commit-msg")
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", *types],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = checks(repo)
    for name in ("pre-commit", "pre-merge-commit", "commit-msg"):
        assert found[f"hook {name}"]["ok"], found[f"hook {name}"]
        assert "pre-commit: milestone-" in found[f"hook {name}"]["detail"]
    repo.write(".pre-commit-config.yaml", config.replace("milestone-commit-msg", "other-hook"))
    found = checks(repo)
    assert found["hook pre-commit"]["ok"]
    assert not found["hook commit-msg"]["ok"]
    assert "milestone-commit-msg" in found["hook commit-msg"]["detail"]


def test_new_without_init_says_the_merge_driver_is_missing(repo: Repo) -> None:
    ran = repo.gm("new", "Some work", "--step", "a")
    assert ran.exit_code == 0
    assert "run `git milestone init` once" in ran.stderr
    assert repo.git("config", "merge.milestone.driver", check=False) == ""


def test_new_in_a_fresh_clone_registers_the_driver_as_init_does(repo: Repo, tmp_path: Path) -> None:
    assert repo.gm("init").exit_code == 0
    clone = tmp_path / "clone"
    repo.git("clone", "-q", str(repo.path), str(clone))
    copy = Repo(clone, repo.monkeypatch)
    assert copy.git("config", "merge.milestone.driver", check=False) == ""
    ran = copy.gm("new", "Some work", "--step", "a")
    assert ran.exit_code == 0
    assert "registered the merge driver in this clone's git config" in ran.stderr
    assert copy.git("config", "merge.milestone.driver").strip() == NEW
    ran = copy.gm("new", "More work", "--step", "a")
    assert ran.stderr == ""
