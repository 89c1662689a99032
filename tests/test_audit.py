"""The log is a complete audit trail: every commit's trailers say what its file says.

For each commit that touched a milestone file, the trailers (status, owner, progress,
revision, step count, actor, each changed step) must equal the file at that commit;
replaying the step trailers from `create` must give every step's status; every
committed version must pass the file rules (M0xx, M1xx) and the change rules the guard
applies against the version before it (M2xx, M3xx).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmilestone import timestamps
from gitmilestone.model import STEP_STATUSES, Milestone
from gitmilestone.rules import change_findings, check_bytes
from tests.conftest import T0, Repo, make_repo

LEASE = timedelta(hours=2)


def history_of(repo: Repo, rel: str) -> list[tuple[str, dict[str, list[str]]]]:
    """(commit, trailers) for every commit that touched `rel`, oldest first."""
    out = repo.git("log", "--reverse", "-z", "--format=%H%x1f%(trailers:only,unfold)", "--", rel)
    commits = []
    for entry in filter(None, out.split("\0")):
        sha, _, text = entry.strip("\n").partition("\x1f")
        trailers: dict[str, list[str]] = {}
        for line in text.splitlines():
            key, _, value = line.partition(": ")
            trailers.setdefault(key, []).append(value)
        commits.append((sha, trailers))
    return commits


def audit(repo: Repo, mid: str) -> list[str]:
    """Every way the history of `mid` fails to be a complete, valid audit trail."""
    rel = f"MILESTONES/{mid}.json"
    problems: list[str] = []
    previous: Milestone | None = None
    replayed: list[str] = []
    commits = history_of(repo, rel)
    for sha, t in commits:
        data = repo.git("show", f"{sha}:{rel}").encode("utf-8")
        doc = json.loads(data)
        where = f"{sha[:9]} {t.get('Milestone-Action')}"
        expected = {
            "Milestone": [mid],
            "Milestone-Status": [doc["status"]],
            "Milestone-Owner": [doc["owner"] or "none"],
            "Milestone-Progress": [str(doc["progress"])],
            "Milestone-Revision": [str(doc["revision"])],
            "Milestone-Steps": [str(len(doc["steps"]))],
            "Milestone-Actor": [doc["updated_by"]],
        }
        for key, value in expected.items():
            if t.get(key) != value:
                problems.append(f"{where}: {key} is {t.get(key)} but the file says {value}")
        numbers, statuses = t.get("Milestone-Step", []), t.get("Milestone-Step-Status", [])
        if len(numbers) != len(statuses):
            problems.append(f"{where}: Milestone-Step and Milestone-Step-Status do not pair up")
        pairs = [(int(n), s) for n, s in zip(numbers, statuses, strict=False)]
        for n, status in pairs:
            if doc["steps"][n - 1]["status"] != status:
                problems.append(f"{where}: step {n} is {status} in the trailers only")
        action = (t.get("Milestone-Action") or [""])[0]
        if action == "create":
            replayed = ["pending"] * len(doc["steps"])
        for n, status in pairs:
            if action == "step-add":
                replayed.insert(n - 1, status)
            else:
                replayed[n - 1] = status
        if replayed != [s["status"] for s in doc["steps"]]:
            problems.append(f"{where}: replaying the step trailers gives {replayed}")
        checked = check_bytes(rel, data, mid)
        problems += [f"{where}: {f}" for f in checked.findings]
        if checked.milestone is not None:
            forced = t.get("Milestone-Forced") == ["true"]
            new = checked.milestone
            found = change_findings(
                rel,
                previous,
                new,
                actor=doc["updated_by"],
                now=new.updated_at,
                lease=LEASE,
                forced=forced,
            )
            problems += [f"{where}: {f}" for f in found]
            previous = new
    logged = json.loads(repo.gm("log", mid, "--json").stdout)["data"]["records"]
    if [r["commit"] for r in logged] != [sha for sha, _ in reversed(commits)]:
        problems.append("`git milestone log` does not list exactly the commits of the file")
    return problems


def at(hours: float) -> dict[str, str]:
    moment = timestamps.parse(T0) + timedelta(hours=hours)
    return {"GIT_MILESTONE_NOW": timestamps.format(moment)}


def test_a_milestones_whole_life_is_in_its_trailers(repo: Repo) -> None:
    script: list[tuple[float, str, tuple[str, ...]]] = [
        (0.0, "alice", ("new", "Deploy", "--id", "deploy", *("--step", "a", "--step", "b"))),
        (0.0, "alice", ("claim", "deploy")),
        (0.1, "alice", ("step", "add", "deploy", "c")),
        (0.1, "alice", ("step", "add", "deploy", "first", "--after", "0")),
        (0.2, "alice", ("advance", "deploy")),
        (0.3, "alice", ("advance", "deploy", "--note", "a is done\n\nMilestone-Status: completed")),
        (0.5, "bob", ("claim", "deploy", "--force")),
        (0.6, "bob", ("advance", "deploy", "--note", "b works")),
        (0.7, "bob", ("handoff", "deploy", "--next", "finish c", "--notes", "c is tricky")),
        (0.8, "bob", ("block", "deploy", "--reason", "no access", "--step", "3")),
        (0.9, "bob", ("unblock", "deploy")),
        (4.0, "alice", ("claim", "deploy")),
        (4.1, "alice", ("advance", "deploy")),
        (4.2, "alice", ("advance", "deploy", "--note", "all done")),
    ]
    for hours, actor, args in script:
        ran = repo.gm(*args, env={**at(hours), "GIT_MILESTONE_ACTOR": actor})
        assert ran.exit_code == 0, (args, ran.stderr)
    assert audit(repo, "deploy") == []
    commits = history_of(repo, "MILESTONES/deploy.json")
    assert [t["Milestone-Action"][0] for _, t in commits] == [
        *("create", "claim", "step-add", "step-add", "advance", "advance", "claim", "advance"),
        *("handoff", "block", "unblock", "claim", "advance", "advance"),
    ]
    trailers = [t for _, t in commits]
    assert trailers[0]["Milestone-Owner"] == ["none"]
    assert trailers[6]["Milestone-Forced"] == ["true"]
    assert trailers[6]["Milestone-Previous-Owner"] == ["alice"]
    assert trailers[11]["Milestone-Previous-Owner"] == ["bob"]
    assert "Milestone-Forced" not in trailers[11]
    assert trailers[-1]["Milestone-Status"] == ["completed"]
    assert trailers[-1]["Milestone-Owner"] == ["none"]
    assert json.loads(repo.read("MILESTONES/deploy.json"))["status"] == "completed"


# Any sequence of commands keeps the trail complete and every committed version valid.

OPS = (
    "claim",
    "release",
    "advance",
    "block",
    "unblock",
    "handoff",
    "complete",
    "abandon",
    "reopen",
    "step-add",
)

command = st.tuples(
    st.sampled_from(OPS),
    st.sampled_from(("alice", "bob")),
    st.sampled_from((0.01, 0.5, 2.5)),
    st.integers(min_value=1, max_value=5),
    st.booleans(),
    st.sampled_from(STEP_STATUSES),
)


def args_for(op: str, step: int, flag: bool, to: str) -> list[str]:
    forged = "note\n\nMilestone-Status: completed\nMilestone-Owner: mallory"
    return {
        "claim": ["claim", "m", *(["--force"] if flag else [])],
        "release": ["release", "m"],
        "advance": ["advance", "m", str(step), "--to", to]
        if flag
        else ["advance", "m", "--note", forged],
        "block": ["block", "m", "--reason", "stuck", *(["--step", str(step)] if flag else [])],
        "unblock": ["unblock", "m"],
        "handoff": [
            "handoff",
            "m",
            "--next",
            "go on",
            "--notes",
            forged,
            *(["--release"] if flag else []),
        ],
        "complete": ["complete", "m", *(["--force"] if flag else [])],
        "abandon": ["abandon", "m", "--reason", "no longer needed"],
        "reopen": ["reopen", "m", *([str(step)] if flag else [])],
        "step-add": [
            "step",
            "add",
            "m",
            "more work",
            *(["--after", str(step - 1)] if flag else []),
        ],
    }[op]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.integers(min_value=0, max_value=4), commands=st.lists(command, max_size=12))
def test_any_command_sequence_keeps_a_complete_and_valid_trail(
    tmp_path_factory: pytest.TempPathFactory,
    steps: int,
    commands: list[tuple[str, str, float, int, bool, str]],
) -> None:
    with pytest.MonkeyPatch.context() as mp:
        repo = make_repo(Path(tmp_path_factory.mktemp("prop")) / "repo", mp)
        hours = 0.0
        env: dict[str, Any] = {**at(hours), "GIT_MILESTONE_ACTOR": "alice"}
        step_args = [a for n in range(steps) for a in ("--step", f"step {n + 1}")]
        assert repo.gm("new", "Property", "--id", "m", *step_args, env=env).exit_code == 0
        for op, actor, delta, step, flag, to in commands:
            hours += delta
            ran = repo.gm(
                *args_for(op, step, flag, to), env={**at(hours), "GIT_MILESTONE_ACTOR": actor}
            )
            assert ran.exit_code in (0, 1, 3), (op, ran.stdout, ran.stderr)
            if ran.exit_code:
                assert ran.stderr.startswith("error: ") and "Traceback" not in ran.stderr
        assert audit(repo, "m") == []
        assert repo.git("status", "--porcelain") == ""
