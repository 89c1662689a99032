"""Many clones: `--push` retries over a moving remote, and of N clones racing to claim one
milestone exactly one wins; `doctor` says what a clone has set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Ran, Repo, make_repo

PATH = "MILESTONES/race.json"


def clone(remote: Path, path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    subprocess.run(["git", "clone", "-q", str(remote), str(path)], check=True)
    repo = Repo(path, monkeypatch)
    repo.git("config", "user.name", "Test Author")
    repo.git("config", "user.email", "author@example.com")
    return repo


@pytest.fixture
def remote(repo: Repo, tmp_path: Path) -> Path:
    """A bare remote holding `repo`'s history with one milestone, `race`."""
    assert repo.gm("init").exit_code == 0
    assert repo.gm("new", "Race", "--id", "race", "--step", "a", "--step", "b").exit_code == 0
    assert repo.gm("new", "Other", "--id", "other", "--step", "x").exit_code == 0
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "-u", "origin", "main")
    subprocess.run(
        ["git", "--git-dir", str(bare), "symbolic-ref", "HEAD", "refs/heads/main"], check=True
    )
    return bare


def remote_doc(bare: Path, rel: str = PATH) -> dict[str, object]:
    out = subprocess.run(
        ["git", "--git-dir", str(bare), "show", f"main:{rel}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


def test_n_clones_racing_to_claim_one_milestone_exactly_one_wins(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"clone-{i}" for i in range(4)]
    clones = [clone(remote, tmp_path / n, monkeypatch) for n in names]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gitmilestone", "claim", "race", "--push", "--as", n],
            cwd=c.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for n, c in zip(names, clones, strict=True)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        results.append(Ran(p.returncode, out, err))
    winners = [n for n, r in zip(names, results, strict=True) if r.exit_code == 0]
    assert len(winners) == 1, [(r.exit_code, r.stderr) for r in results]
    losers = [r for r in results if r.exit_code != 0]
    assert all(r.exit_code == 3 for r in losers), [r.stderr for r in losers]
    assert all(winners[0] in r.stderr for r in losers)
    assert remote_doc(remote)["owner"] == winners[0]
    log = subprocess.run(
        [
            "git",
            "--git-dir",
            str(remote),
            "log",
            "--format=%(trailers:key=Milestone-Action,valueonly)",
            "main",
            "--",
            PATH,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert log.count("claim") == 1
    for name, c in zip(names, clones, strict=True):
        if name not in winners:
            # refused by the remote's claims registry: nothing changed here, and this
            # clone now knows who holds it
            assert c.git("status", "--porcelain") == ""
            assert json.loads(c.read(PATH))["owner"] is None
            listed = json.loads(c.gm("list", "--json").stdout)["data"]["milestones"]
            assert {m["milestone_id"]: m["owner"] for m in listed}["race"] == winners[0]


def test_push_rebases_over_unrelated_work_and_lands_both(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = clone(remote, tmp_path / "first", monkeypatch)
    second = clone(remote, tmp_path / "second", monkeypatch)
    assert first.gm("advance", "other", "--push", "--as", "bob").exit_code == 0
    ran = second.gm("advance", "race", "--push", "--as", "carol", "--note", "from second")
    assert ran.exit_code == 0, ran.stderr
    assert remote_doc(remote, "MILESTONES/other.json")["owner"] == "bob"
    race = remote_doc(remote)
    assert race["owner"] == "carol"
    assert second.git("rev-parse", "HEAD") == second.git("rev-parse", "origin/main")
    assert second.trailers()["Milestone-Actor"] == ["carol"]


def test_push_keeps_the_users_staged_work_staged(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = clone(remote, tmp_path / "first", monkeypatch)
    second = clone(remote, tmp_path / "second", monkeypatch)
    assert first.gm("advance", "other", "--push", "--as", "bob").exit_code == 0
    second.write("notes.txt", "work in progress\n")
    second.git("add", "notes.txt")
    assert second.gm("claim", "race", "--push", "--as", "carol").exit_code == 0
    assert second.git("diff", "--cached", "--name-only").split() == ["notes.txt"]
    assert "notes.txt" not in second.files_in("HEAD")


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("claim", "race", "--push", "--no-commit"), 2, "--no-commit"),
    ],
    ids=["push-needs-a-commit"],
)
def test_push_refusals(
    remote: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    code: int,
    needle: str,
) -> None:
    c = clone(remote, tmp_path / "c", monkeypatch)
    ran = c.gm(*args)
    assert ran.exit_code == code
    assert needle in ran.stderr
    assert c.git("status", "--porcelain") == ""


def test_push_without_upstream_says_how_to_set_one(repo: Repo) -> None:
    assert repo.gm("new", "Local", "--id", "local").exit_code == 0
    head = repo.head()
    ran = repo.gm("claim", "local", "--push")
    assert ran.exit_code == 1
    assert "git push -u" in ran.stderr
    assert repo.head() == head  # refused before anything was written or committed


def test_doctor_reports_what_is_missing_then_all_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_MILESTONE_ACTOR", "alice")
    r = make_repo(tmp_path / "d", monkeypatch)
    ran = r.gm("doctor")
    assert ran.exit_code == 1
    assert "-- " in ran.stdout and "git milestone init" in ran.stdout
    assert r.gm("init", "--hooks").exit_code == 0
    ran = r.gm("doctor", "--json")
    assert ran.exit_code == 0
    checks = json.loads(ran.stdout)["data"]["checks"]
    assert {c["check"] for c in checks} >= {"directory", "hook pre-commit", "merge driver"}
    assert all(c["ok"] for c in checks)
    r.write("MILESTONES/bad.json", "{")
    assert r.gm("doctor").exit_code == 1
