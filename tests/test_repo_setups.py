"""Writes in repositories set up in ways of their own: a sparse checkout that leaves the
milestone directory out, and a pre-commit formatter that rewrites JSON files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo, make_repo

SPARSE_HINT = "`git sparse-checkout add MILESTONES`"


@pytest.fixture
def sparse(repo: Repo, tmp_path: Path) -> Repo:
    """A clone of `repo` (which has a milestone) whose sparse checkout is only src/."""
    assert repo.gm("new", "Work", "--step", "a").exit_code == 0
    repo.write("src/app.py", "print()\n")
    repo.git("add", "src")
    repo.git("commit", "-q", "-m", "src")
    clone = tmp_path / "sparse"
    repo.git("clone", "-q", "--sparse", str(repo.path), str(clone))
    copy = Repo(clone, repo.monkeypatch)
    copy.git("sparse-checkout", "set", "src")
    assert not (clone / "MILESTONES").exists()
    return copy


@pytest.mark.parametrize(
    "args",
    [("list",), ("show", "work"), ("advance", "work"), ("new", "Other"), ("validate",)],
    ids=lambda a: a[0],
)
def test_sparse_checkout_without_the_directory_says_so(sparse: Repo, args: tuple[str]) -> None:
    head = sparse.head()
    ran = sparse.gm(*args)
    assert ran.exit_code == 1
    assert "MILESTONES/ is not part of this sparse checkout" in ran.stderr
    assert SPARSE_HINT in ran.stderr
    assert sparse.head() == head
    assert sparse.git("status", "--porcelain") == ""


def test_sparse_checkout_of_a_repository_with_no_milestone_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_MILESTONE_ACTOR", "alice")
    repo = make_repo(tmp_path / "r", monkeypatch)
    repo.git("sparse-checkout", "set", "src")
    ran = repo.gm("new", "Work")
    assert ran.exit_code == 1
    assert SPARSE_HINT in ran.stderr
    assert "hint:" not in ran.stderr  # git's own advice is not passed on raw


def test_doctor_names_the_sparse_checkout(sparse: Repo) -> None:
    ran = sparse.gm("doctor")
    assert ran.exit_code == 1
    assert SPARSE_HINT in ran.stdout


SORT_KEYS = (
    "import json, sys\n"
    "for name in sys.argv[1:]:\n"
    "    text = open(name).read()\n"
    "    new = json.dumps(json.loads(text), indent=4, sort_keys=True) + '\\n'\n"
    "    if new != text:\n"
    "        open(name, 'w').write(new)\n"
)


def test_a_formatter_hook_that_rewrites_the_file_is_named(repo: Repo) -> None:
    assert repo.gm("new", "Work", "--step", "a", "--claim").exit_code == 0
    repo.write("sort_keys.py", SORT_KEYS)
    hook = {
        "id": "pretty-format-json",
        "name": "pretty format json",
        "entry": f"{sys.executable} sort_keys.py",
        "language": "system",
        "types": ["json"],
    }
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    repo.write(".pre-commit-config.yaml", json.dumps(config, indent=2) + "\n")
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "a formatter")
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "-t", "pre-commit"],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    before, head = repo.read("MILESTONES/work.json"), repo.head()

    ran = repo.gm("advance", "work")
    assert ran.exit_code == 1
    assert "the pre-commit hook `pretty-format-json` rewrote MILESTONES/work.json" in ran.stderr
    assert "`exclude: ^MILESTONES/`" in ran.stderr
    assert (repo.read("MILESTONES/work.json"), repo.head()) == (before, head)

    # what the README says to do about it
    hook["exclude"] = "^MILESTONES/"
    repo.write(".pre-commit-config.yaml", json.dumps(config, indent=2) + "\n")
    repo.git("add", ".pre-commit-config.yaml")
    repo.git("commit", "-q", "-m", "leave milestone files alone")
    ran = repo.gm("advance", "work")
    assert ran.exit_code == 0, ran.stderr
