"""The server's guard: `install-hooks --server` in a bare repository, and real `git push`es
into it, refused with the findings in the push's output or accepted."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import histories
from tests.conftest import Repo, make_repo
from tests.histories import ID, gm, start

BIN = str(Path(sys.executable).parent)


@dataclass
class Server:
    bare: Path
    clone: Repo

    def push(self, *args: str) -> tuple[int, str]:
        proc = subprocess.run(
            ["git", "push", "origin", *args],
            cwd=self.clone.path,
            capture_output=True,
            text=True,
        )
        return proc.returncode, proc.stdout + proc.stderr

    def refs(self) -> str:
        out = subprocess.run(
            ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
            cwd=self.bare,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    """A bare repository with the server hook, and a clone of it (acting as alice)."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GIT_MILESTONE_ACTOR", "alice")
    bare = tmp_path / "server.git"
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "init", "-q", "--bare", str(bare)], check=True
    )
    installed = Repo(bare, monkeypatch).gm("install-hooks", "--server")
    assert installed.exit_code == 0, installed.stderr
    assert "pre-receive: installed" in installed.stdout
    clone = make_repo(tmp_path / "clone", monkeypatch)
    clone.git("remote", "add", "origin", str(bare))
    return Server(bare, clone)


def test_a_good_push_is_accepted_and_a_stale_one_refused_with_its_findings(
    server: Server,
) -> None:
    repo = server.clone
    start(repo)
    code, out = server.push("main")
    assert code == 0, out
    assert "remote: milestone check: 3 commit(s) checked, 2 milestone change(s)" in out
    gm(repo, "advance", ID, "--note", "a is done", minutes=2)
    before = server.refs()
    repo.git("revert", "--no-edit", "HEAD")
    code, out = server.push("main")
    assert code != 0
    bad = repo.head()[:9]
    assert f"remote: {bad}: MILESTONES/m.json: M202 $.revision: revision is 2" in out
    assert "remote: push refused: " in out and "problem(s) in 1 of 2 commit(s)" in out
    assert "pre-receive hook declined" in out
    assert server.refs() == before


def test_a_forged_push_is_refused_and_a_branch_deletion_accepted(server: Server) -> None:
    repo = server.clone
    start(repo)
    assert server.push("main")[0] == 0
    repo.git("checkout", "-q", "-b", "topic")
    forged = histories.forge(repo)
    code, out = server.push("topic")
    assert code != 0
    assert f"remote: {forged[:9]}: MILESTONES/m.json: M401 $.status: Milestone-Status" in out
    repo.git("reset", "-q", "--hard", "main")
    gm(repo, "handoff", ID, "--next", "b", minutes=4)
    assert server.push("topic")[0] == 0  # a new branch: only what main lacks is checked
    code, out = server.push("--delete", "topic")
    assert code == 0, out
    assert "refs/heads/topic" not in server.refs()


def test_a_force_push_is_checked(server: Server) -> None:
    repo = server.clone
    start(repo)
    repo.git("checkout", "-q", "-b", "work")
    gm(repo, "advance", ID, "--note", "a", minutes=2)
    assert server.push("work", "main")[0] == 0
    repo.git("reset", "-q", "--hard", "main")
    d = histories.doc(repo)
    d["progress"] = 90
    histories.write(repo, d)
    repo.git("commit", "-q", "--no-verify", "-am", "rewrite history by hand")
    code, out = server.push("--force", "work")
    assert code != 0
    assert "M101 $.progress" in out
    repo.git("reset", "-q", "--hard", "main")
    gm(repo, "advance", ID, "--note", "a, again", minutes=3)
    code, out = server.push("--force", "work")
    assert code == 0, out


def test_an_existing_hook_is_kept_run_first_and_put_back(tmp_path: Path, server: Server) -> None:
    hooks = server.bare / "hooks"
    (hooks / "pre-receive").unlink()
    seen = tmp_path / "seen"
    own = f'#!/bin/sh\ncat > "{seen}"\ngrep -q refs/heads/frozen "{seen}" && exit 1\nexit 0\n'
    (hooks / "pre-receive").write_text(own)
    (hooks / "pre-receive").chmod(0o755)
    bare = Repo(server.bare, server.clone.monkeypatch)
    ran = bare.gm("install-hooks", "--server")
    assert "runs first (kept as pre-receive.local)" in ran.stdout
    assert (hooks / "pre-receive.local").read_text() == own
    repo = server.clone
    start(repo)
    repo.git("branch", "frozen")
    assert server.push("frozen")[0] != 0
    code, out = server.push("main")
    assert code == 0, out
    assert seen.read_text().split()[2] == "refs/heads/main"
    ran = bare.gm("install-hooks", "--server", "--uninstall")
    assert "is back" in ran.stdout
    assert (hooks / "pre-receive").read_text() == own
    assert not (hooks / "pre-receive.local").exists()
