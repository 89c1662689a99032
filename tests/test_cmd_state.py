"""The state machine (SPEC §6) through the command line, and the commit message shape of
SPEC §8 on a real commit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Ran, Repo

PATH = "MILESTONES/work.json"


def doc(repo: Repo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.read(PATH))
    return data


def ok(ran: Ran) -> Ran:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def make(repo: Repo, steps: int = 3) -> None:
    step_args = [a for i in range(1, steps + 1) for a in ("--step", f"step {i}")]
    ok(repo.gm("new", "Work", "--id", "work", "--claim", *step_args))


SETUPS: dict[str, list[tuple[str, ...]]] = {
    "pending": [],
    "in_progress": [("advance", "work")],
    "blocked": [("advance", "work"), ("block", "work", "--reason", "waiting")],
    "completed": [("advance", "work"), ("complete", "work", "--force")],
    "abandoned": [("abandon", "work", "--reason", "not needed")],
}


REFUSALS = [
    ("pending", "complete work", "git milestone advance work"),
    ("blocked", "complete work", "git milestone unblock work"),
    ("blocked", "advance work", "git milestone unblock work"),
    ("completed", "advance work", "git milestone reopen work"),
    ("completed", "claim work --as bob", "git milestone reopen work"),
    ("completed", "block work --reason x", "git milestone reopen work"),
    ("completed", "abandon work --reason x", "git milestone reopen work"),
    ("completed", "step add work more", "git milestone reopen work"),
    ("abandoned", "advance work", "git milestone reopen work"),
    ("abandoned", "complete work --force", "git milestone reopen work"),
    ("in_progress", "complete work", "complete --force"),
    ("in_progress", "reopen work", "STEP"),
]


@pytest.mark.parametrize(
    ("state", "command", "hint"),
    REFUSALS,
    ids=[
        f"{state}-{command.split(' work')[0].replace(' ', '-')}" for state, command, _ in REFUSALS
    ],
)
def test_illegal_transitions_are_refused_with_what_to_run(
    repo: Repo, state: str, command: str, hint: str
) -> None:
    make(repo)
    for setup in SETUPS[state]:
        ok(repo.gm(*setup))
    before, content = repo.commit_count(), repo.read(PATH)
    ran = repo.gm(*command.split())
    assert ran.exit_code == 1, ran.stdout + ran.stderr
    assert ran.stderr.startswith("error: ")
    assert hint in ran.stderr
    assert "Traceback" not in ran.stderr
    assert (repo.commit_count(), repo.read(PATH)) == (before, content)
    assert doc(repo)["status"] == state


def test_completing_the_last_step_completes_and_releases(repo: Repo) -> None:
    make(repo, steps=2)
    for _ in range(3):
        ok(repo.gm("advance", "work"))
    data = doc(repo)
    assert (data["status"], data["owner"], data["progress"]) == ("completed", None, 100)
    assert "claimed_at" not in data
    trailers = repo.trailers()
    assert trailers["Milestone-Status"] == ["completed"]
    assert trailers["Milestone-Owner"] == ["none"]
    assert trailers["Milestone-Step"] == ["2"]
    assert (
        repo.git("log", "-1", "--format=%s")
        .strip()
        .endswith('2/2 "step 2" (100%), milestone completed')
    )


def test_complete_force_skips_the_unfinished_steps(repo: Repo) -> None:
    make(repo)
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work"))
    ok(repo.gm("complete", "work", "--force"))
    data = doc(repo)
    assert [s["status"] for s in data["steps"]] == ["completed", "skipped", "skipped"]
    assert (data["status"], data["progress"], data["owner"]) == ("completed", 100, None)
    trailers = repo.trailers()
    assert trailers["Milestone-Step"] == ["2", "3"]
    assert trailers["Milestone-Step-Status"] == ["skipped", "skipped"]


@pytest.mark.parametrize(
    ("state", "expected", "then"),
    [
        pytest.param(
            "completed", "in_progress", ("step", "add", "work", "one more"), id="completed"
        ),
        pytest.param("abandoned", "pending", ("advance", "work"), id="abandoned"),
    ],
)
def test_reopen_follows_the_state_machine(
    repo: Repo, state: str, expected: str, then: tuple[str, ...]
) -> None:
    make(repo)
    for setup in SETUPS[state]:
        ok(repo.gm(*setup))
    ok(repo.gm("reopen", "work"))
    assert doc(repo)["status"] == expected
    assert repo.trailers()["Milestone-Status"] == [expected]
    ok(repo.gm(*then))
    assert doc(repo)["status"] == "in_progress"


def test_advance_of_reopened_work_with_every_step_done_finishes_it_again(repo: Repo) -> None:
    make(repo, steps=1)
    for setup in SETUPS["completed"]:
        ok(repo.gm(*setup))
    ok(repo.gm("reopen", "work"))
    ok(repo.gm("advance", "work"))
    assert (doc(repo)["status"], doc(repo)["owner"]) == ("completed", None)


def test_reopen_of_abandoned_work_keeps_its_done_steps(repo: Repo) -> None:
    make(repo)
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work"))
    ok(repo.gm("abandon", "work", "--reason", "paused"))
    ok(repo.gm("reopen", "work"))
    data = doc(repo)
    assert (data["status"], data["progress"]) == ("pending", 33)
    assert [s["status"] for s in data["steps"]] == ["completed", "pending", "pending"]
    assert ok(repo.gm("validate", PATH)).exit_code == 0


def test_step_add_renumbers_and_the_next_advance_follows_the_new_order(repo: Repo) -> None:
    make(repo)
    ok(repo.gm("advance", "work"))
    ok(repo.gm("step", "add", "work", "first of all", "--after", "0"))
    assert [(s["step"], s["description"]) for s in doc(repo)["steps"]] == [
        (1, "first of all"),
        (2, "step 1"),
        (3, "step 2"),
        (4, "step 3"),
    ]
    ok(repo.gm("advance", "work"))
    assert [s["status"] for s in doc(repo)["steps"]] == [
        "in_progress",
        "completed",
        "pending",
        "pending",
    ]


SPEC_EXAMPLE = """\
milestone(deploy-dashboard): complete step 3/6 "Deploy dashboard to server" (50%)

Deployment successful

Milestone: deploy-dashboard
Milestone-Action: advance
Milestone-Step: 3
Milestone-Step-Status: completed
Milestone-Status: in_progress
Milestone-Progress: 50
Milestone-Owner: session-3-coordinator
Milestone-Actor: session-3-coordinator
Milestone-Revision: 8
"""


def test_an_advance_commit_has_the_message_shape_of_spec_section_8(seeded: Repo) -> None:
    ran = seeded.gm(
        "advance",
        "deploy-dashboard",
        "3",
        "--note",
        "Deployment successful",
        "--as",
        "session-3-coordinator",
    )
    assert ran.exit_code == 0, ran.stderr
    message = seeded.git("log", "-1", "--format=%B").rstrip("\n") + "\n"
    # The subject keeps to 72 characters (the description gives way, never the facts) and
    # the note is indented, so that no line of it can pass for a trailer.
    expected = (
        SPEC_EXAMPLE.replace(
            "Milestone-Progress: 50\n", "Milestone-Progress: 50\nMilestone-Steps: 6\n"
        )
        .replace("Milestone-Revision: 8", "Milestone-Revision: 1")
        .replace('"Deploy dashboard to server"', '"Deploy dashboard…"')
        .replace("\nDeployment successful\n", "\n  Deployment successful\n")
    )
    assert message == expected

    keys = [
        line.split(": ", 1)[0]
        for line in seeded.git("log", "-1", "--format=%(trailers:only,unfold)").splitlines()
        if line
    ]
    spec_keys = [line.split(": ", 1)[0] for line in SPEC_EXAMPLE.split("\n\n")[2].splitlines()]
    assert [k for k in keys if k != "Milestone-Steps"] == spec_keys
    assert keys.index("Milestone-Steps") == keys.index("Milestone-Progress") + 1


def test_one_step_pair_per_changed_step_in_order(repo: Repo) -> None:
    make(repo)
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work"))
    block = repo.git("log", "-1", "--format=%(trailers:only,unfold)")
    assert (
        "Milestone-Step: 1\nMilestone-Step-Status: completed\n"
        "Milestone-Step: 2\nMilestone-Step-Status: in_progress\n"
    ) in block
