"""`git milestone next`: ready work, highest priority first; `--claim` hands each out once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import Repo

EXPIRED = {"GIT_MILESTONE_NOW": "2025-11-15T05:00:00Z"}


def at(minute: int) -> dict[str, str]:
    return {"GIT_MILESTONE_NOW": f"2025-11-15T01:{minute:02d}:00Z"}


def new(repo: Repo, mid: str, *args: str, minute: int = 0) -> None:
    ran = repo.gm("new", f"Work on {mid}", "--id", mid, *args, env=at(minute))
    assert ran.exit_code == 0, ran.stderr


def ready(repo: Repo, env: dict[str, str] | None = None) -> list[str]:
    ran = repo.gm("next", "--json", env=env)
    assert ran.exit_code == 0, ran.stderr
    return [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["ready"]]


def test_next_orders_by_priority_then_age(repo: Repo) -> None:
    new(repo, "low-old", "-p", "LOW", minute=1)
    new(repo, "medium-new", "-p", "MEDIUM", minute=4)
    new(repo, "high-new", "-p", "HIGH", minute=5)
    new(repo, "medium-old", "-p", "MEDIUM", minute=2)
    new(repo, "high-old", "-p", "HIGH", minute=3)
    assert ready(repo, at(9)) == ["high-old", "high-new", "medium-old", "medium-new", "low-old"]
    text = repo.gm("next", env=at(9)).stdout.splitlines()
    assert [line.split()[0] for line in text[1:6]] == [
        "high-old",
        "high-new",
        "medium-old",
        "medium-new",
        "low-old",
    ]
    assert "git milestone next --claim" in text[-1]


def test_next_never_offers_held_blocked_done_or_waiting_work(repo: Repo) -> None:
    new(repo, "free", "--step", "a", minute=1)
    new(repo, "held", "--step", "a", "--claim", minute=2)
    new(repo, "blocked", "--step", "a", minute=3)
    assert repo.gm("block", "blocked", "--reason", "no access", env=at(4)).exit_code == 0
    new(repo, "done", minute=5)
    assert repo.gm("advance", "done", env=at(6)).exit_code == 0
    assert repo.gm("complete", "done", env=at(7)).exit_code == 0
    new(repo, "dropped", minute=8)
    assert repo.gm("abandon", "dropped", "--reason", "not needed", env=at(9)).exit_code == 0
    new(repo, "after-done", "--depends-on", "done", minute=10)
    new(repo, "after-free", "--depends-on", "free", minute=11)
    new(repo, "after-missing", "--depends-on", "missing", minute=12)
    new(repo, "released", "--step", "a", "--claim", minute=13)
    assert repo.gm("advance", "released", env=at(14)).exit_code == 0
    assert repo.gm("release", "released", env=at(15)).exit_code == 0
    assert ready(repo, at(20)) == ["free", "after-done", "released"]
    # Once the lease of `held` runs out, it is offered again.
    assert ready(repo, EXPIRED) == ["free", "held", "after-done", "released"]


def test_next_with_nothing_ready_says_so_and_succeeds(repo: Repo) -> None:
    new(repo, "held", "--claim")
    ran = repo.gm("next")
    assert ran.exit_code == 0
    assert "nothing is ready to work (1 held by someone whose lease is active)" in ran.stdout
    assert ready(repo) == []


def test_next_claim_with_nothing_ready_exits_1_without_a_commit(repo: Repo) -> None:
    new(repo, "blocked")
    assert repo.gm("block", "blocked", "--reason", "waiting on legal").exit_code == 0
    before = repo.head()
    ran = repo.gm("next", "--claim", "--as", "bob")
    assert ran.exit_code == 1
    assert "nothing is ready to claim (1 blocked)" in ran.stderr
    assert repo.head() == before
    ran = repo.gm("next", "--claim", "--json")
    assert ran.exit_code == 1
    assert json.loads(ran.stdout)["error"]["code"] == "not-found"


def test_next_claim_takes_the_first_one_in_one_commit(repo: Repo) -> None:
    new(repo, "medium", minute=1)
    new(repo, "high", "-p", "HIGH", minute=2)
    before = repo.commit_count()
    ran = repo.gm("next", "--claim", "--as", "bob", env=at(5))
    assert ran.exit_code == 0
    assert ran.stdout.startswith("high: claim by bob")
    assert "git milestone resume high" in ran.stdout
    assert repo.commit_count() == before + 1
    assert repo.files_in() == ["MILESTONES/high.json"]
    assert repo.trailers()["Milestone-Owner"] == ["bob"]
    assert json.loads(repo.read("MILESTONES/high.json"))["owner"] == "bob"
    # bob now holds `high`: the next caller gets `medium`.
    ran = repo.gm("next", "--claim", "--json", "--as", "carol", env=at(6))
    data = json.loads(ran.stdout)["data"]
    assert data["claimed"]["milestone"]["milestone_id"] == "medium"
    assert data["claimed"]["milestone"]["owner"] == "carol"


def test_next_claim_from_racing_processes_hands_each_milestone_out_once(repo: Repo) -> None:
    for n in range(4):
        new(repo, f"m{n}", "--step", "a", minute=n)
    env = {k: v for k, v in os.environ.items() if k != "GIT_MILESTONE_ACTOR"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gitmilestone", "next", "--claim", "--json"],
            cwd=repo.path,
            env={**env, "GIT_MILESTONE_ACTOR": f"worker-{n}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(5)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 0, 0, 0, 1], results
    outcomes = [(code, json.loads(out)) for code, out, _ in results]
    won = [doc["data"]["claimed"]["milestone"] for code, doc in outcomes if code == 0]
    lost = [doc["error"]["message"] for code, doc in outcomes if code != 0]
    assert sorted(m["milestone_id"] for m in won) == ["m0", "m1", "m2", "m3"]
    assert len({m["owner"] for m in won}) == 4
    assert "nothing is ready to claim" in lost[0]
    owners = {json.loads(repo.read(f"MILESTONES/m{n}.json"))["owner"] for n in range(4)}
    assert owners == {m["owner"] for m in won}
    assert repo.git("status", "--porcelain") == ""


def test_list_marks_owners_whose_lease_expired(repo: Repo) -> None:
    new(repo, "fresh", "--claim", minute=0)
    new(repo, "stale", "--claim")
    assert repo.gm("claim", "fresh", "--as", "bob", "--force", env=at(59)).exit_code == 0
    lines = repo.gm("list", env={"GIT_MILESTONE_NOW": "2025-11-15T03:30:00Z"}).stdout
    rows = {line.split()[0]: line for line in lines.splitlines()[1:]}
    assert "alice (lease expired)" in rows["stale"]
    assert "bob" in rows["fresh"] and "expired" not in rows["fresh"]
    listed = json.loads(
        repo.gm("list", "--json", env={"GIT_MILESTONE_NOW": "2025-11-15T03:30:00Z"}).stdout
    )["data"]["milestones"]
    assert {m["milestone_id"]: m["lease_active"] for m in listed} == {
        "fresh": True,
        "stale": False,
    }
