"""Many real processes changing one milestone at once: no update is lost, each is its own
commit, and of several claimants exactly one wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.conftest import Ran, Repo

PATH = "MILESTONES/busy.json"


def ok(ran: Ran) -> Ran:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def start_all(repo: Repo, commands: list[tuple[str, ...]]) -> list[Ran]:
    """Start every command as its own `python -m gitmilestone` process, then wait for all."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gitmilestone", *command],
            cwd=repo.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for command in commands
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Ran(proc.returncode, out, err))
    return results


def at(repo: Repo, rev: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.git("show", f"{rev}:{PATH}"))
    return data


def test_eight_processes_changing_one_milestone_lose_no_update(repo: Repo) -> None:
    steps = [a for i in range(1, 6) for a in ("--step", f"step {i}")]
    ok(repo.gm("new", "Busy", "--id", "busy", "--claim", *steps))
    initial = json.loads(repo.read(PATH))["revision"]
    base = repo.head()
    changes: list[tuple[str, ...]] = [
        ("advance", "busy", "1", "--to", "completed", "--note", "note one"),
        ("advance", "busy", "2", "--to", "completed", "--note", "note two"),
        ("advance", "busy", "3", "--to", "completed", "--note", "note three"),
        ("advance", "busy", "4", "--to", "in_progress", "--note", "note four"),
        ("handoff", "busy", "--next", "check the deploy log"),
        ("handoff", "busy", "--notes", "server is slow today"),
        ("step", "add", "busy", "extra step A"),
        ("step", "add", "busy", "extra step B"),
    ]
    results = start_all(repo, changes)
    for ran in results:
        assert ran.exit_code == 0, ran.stderr

    final = json.loads(repo.read(PATH))
    assert final["revision"] == initial + 8
    assert repo.git("status", "--porcelain") == ""
    by_description = {s["description"]: s for s in final["steps"]}
    for number, note in ((1, "note one"), (2, "note two"), (3, "note three")):
        step = by_description[f"step {number}"]
        assert (step["status"], step["notes"]) == ("completed", note)
    assert (by_description["step 4"]["status"], by_description["step 4"]["notes"]) == (
        "in_progress",
        "note four",
    )
    assert by_description["step 5"]["status"] == "pending"
    assert {"extra step A", "extra step B"} <= set(by_description)
    assert [s["step"] for s in final["steps"]] == list(range(1, 8))
    assert final["progress"] == 3 * 100 // 7
    assert final["next_session_should"] == ["check the deploy log"]
    assert final["handoff_notes"] == "server is slow today"
    assert (final["status"], final["owner"]) == ("in_progress", "alice")

    commits = repo.git("rev-list", "--reverse", f"{base}..HEAD").split()
    assert len(commits) == 8
    actions = []
    for number, commit in enumerate(commits, start=1):
        assert repo.files_in(commit) == [PATH]
        trailers = repo.trailers(commit)
        assert trailers["Milestone-Revision"] == [str(initial + number)]
        assert at(repo, commit)["revision"] == initial + number
        actions.append(trailers["Milestone-Action"][0])
    assert sorted(actions) == ["advance"] * 4 + ["handoff"] * 2 + ["step-add"] * 2
    assert repo.commit_count() == len(commits) + len(repo.git("rev-list", base).split())


def test_of_eight_claimants_exactly_one_wins(repo: Repo) -> None:
    ok(repo.gm("new", "Prize", "--id", "busy", "--step", "one"))
    before = repo.commit_count()
    names = [f"session-{i}" for i in range(8)]
    results = start_all(repo, [("claim", "busy", "--as", name) for name in names])
    winners = [name for name, ran in zip(names, results, strict=True) if ran.exit_code == 0]
    assert len(winners) == 1, [(r.exit_code, r.stderr) for r in results]
    owner = json.loads(repo.read(PATH))["owner"]
    assert owner == winners[0]
    for name, ran in zip(names, results, strict=True):
        if name != owner:
            assert ran.exit_code == 3, ran.stderr
            assert f"{owner} holds busy" in ran.stderr
    assert repo.commit_count() == before + 1
    assert repo.trailers()["Milestone-Owner"] == [owner]
