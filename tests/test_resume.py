"""`git milestone resume`: a briefing a session with no memory can act on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Repo

LATER = {"GIT_MILESTONE_NOW": "2025-11-15T01:30:00Z"}
EXPIRED = {"GIT_MILESTONE_NOW": "2025-11-15T05:00:00Z"}


def briefing(repo: Repo, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    ran = repo.gm("resume", "--json", *args, env=env)
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    data: dict[str, Any] = json.loads(ran.stdout)["data"]
    return data


@pytest.fixture
def working(repo: Repo) -> Repo:
    """`deploy`: 4 steps, 1 done with notes, 1 in progress, a handoff left by alice."""
    ran = repo.gm(
        "new",
        "Deploy the dashboard",
        "--id",
        "deploy",
        "--priority",
        "HIGH",
        "--why",
        "Ops need to see the queue depth",
        "--success",
        "The dashboard loads in production",
        "--file",
        "deploy/dashboard.yaml",
        "--needs",
        "access to the cluster",
        *("--step", "Build the image", "--step", "Push it", "--step", "Deploy", "--step", "Check"),
    )
    assert ran.exit_code == 0
    assert repo.gm("advance", "deploy").exit_code == 0
    assert repo.gm("advance", "deploy", "--note", "image is web:1.4.2").exit_code == 0
    ran = repo.gm(
        "handoff",
        "deploy",
        "--next",
        "push with the CI token",
        "--notes",
        "registry is slow today",
        env=LATER,
    )
    assert ran.exit_code == 0
    return repo


def test_resume_tells_a_new_session_what_it_needs(working: Repo) -> None:
    ran = working.gm("resume", "deploy", env=LATER)
    assert ran.exit_code == 0
    text = ran.stdout
    for expected in (
        "deploy: Deploy the dashboard",
        "HIGH, in_progress, 25% (1/4 steps done)",
        "owner: alice (lease active, until 2025-11-15T03:30:00Z)",
        "why: Ops need to see the queue depth",
        "success: The dashboard loads in production",
        "needs: access to the cluster",
        "files: deploy/dashboard.yaml",
        "1. Build the image [completed alice",
        "image is web:1.4.2",
        "current step:\n  2. Push it [in_progress alice",
        "remaining:\n  3. Deploy [pending]\n  4. Check [pending]",
        "next session should:\n  - push with the CI token",
        "handoff notes:\n  registry is slow today",
        "handoff by alice",
        'complete step 1/4 "Build the image"',
        "git milestone advance deploy --note TEXT",
    ):
        assert expected in text, expected
    assert text.index("done:") < text.index("current step:") < text.index("remaining:")


def test_resume_json_holds_the_same_content(working: Repo) -> None:
    data = briefing(working, "deploy", env=LATER)
    assert data["title"] == "Deploy the dashboard"
    assert (data["owner"], data["lease_active"], data["progress"]) == ("alice", True, 25)
    assert [s["step"] for s in data["done_steps"]] == [1]
    assert data["done_steps"][0]["notes"] == "image is web:1.4.2"
    assert data["current_step"]["step"] == 2
    assert [s["step"] for s in data["remaining_steps"]] == [3, 4]
    assert data["next_session_should"] == ["push with the CI token"]
    assert data["handoff_notes"] == "registry is slow today"
    assert data["related_files"] == ["deploy/dashboard.yaml"]
    assert [c["action"] for c in data["recent_commits"]] == [
        "handoff",
        "advance",
        "advance",
        "create",
    ]
    assert data["claimed"] is None
    text = working.gm("resume", "deploy", env=LATER).stdout
    for commit in data["recent_commits"]:
        assert commit["commit"][:9] in text


def test_resume_shows_blockers_and_expired_leases(working: Repo) -> None:
    assert working.gm("block", "deploy", "--reason", "registry is down").exit_code == 0
    text = working.gm("resume", "deploy", env=EXPIRED).stdout
    assert "blockers:\n  - registry is down" in text
    assert "owner: alice (lease expired" in text
    assert "git milestone unblock deploy" in text


def test_resume_of_a_ten_step_milestone_with_notes_stays_compact(repo: Repo) -> None:
    steps = [a for n in range(1, 11) for a in ("--step", f"Component {n}: write and test it")]
    assert repo.gm("new", "Build ten components", "--id", "ten", *steps).exit_code == 0
    for n in range(1, 8):
        note = f"Component {n} is in src/c{n}.py; its tests pass, the API follows docs/api.md."
        env = {"GIT_MILESTONE_NOW": f"2025-11-15T02:{n:02d}:00Z"}
        assert repo.gm("advance", "ten", "--note", note, env=env).exit_code == 0
    ran = repo.gm(
        "handoff",
        "ten",
        "--next",
        "finish component 7",
        "--next",
        "then run the full suite",
        "--notes",
        "The CI job flakes on the first run; rerun it once before you worry. " * 3,
        env={"GIT_MILESTONE_NOW": "2025-11-15T02:30:00Z"},
    )
    assert ran.exit_code == 0
    text = repo.gm("resume", "ten").stdout
    assert "Component 6 is in src/c6.py" in text
    assert "7. Component 7: write and test it [in_progress" in text
    assert len(text) / 4 < 2000, len(text)


def test_resume_claim_takes_the_milestone_first(working: Repo) -> None:
    assert working.gm("release", "deploy", env=LATER).exit_code == 0
    before = working.commit_count()
    data = briefing(working, "deploy", "--claim", "--as", "bob", env=LATER)
    assert data["owner"] == "bob"
    assert data["claimed"]["changed"] is True
    assert working.commit_count() == before + 1
    assert working.trailers()["Milestone-Action"] == ["claim"]
    assert working.trailers()["Milestone-Owner"] == ["bob"]
    assert data["recent_commits"][0]["action"] == "claim"


def test_resume_claim_of_your_own_milestone_changes_nothing(working: Repo) -> None:
    before = working.head()
    ran = working.gm("resume", "deploy", "--claim", env=LATER)
    assert ran.exit_code == 0
    assert ran.stdout.startswith("already yours: deploy")
    assert working.head() == before


def test_resume_claim_refuses_an_active_foreign_lease(working: Repo) -> None:
    before = working.head()
    ran = working.gm("resume", "deploy", "--claim", "--as", "bob", env=LATER)
    assert ran.exit_code == 3
    assert "alice holds deploy" in ran.stderr
    assert "--force" in ran.stderr
    assert working.head() == before
    assert json.loads(working.read("MILESTONES/deploy.json"))["owner"] == "alice"


def test_resume_claim_after_the_lease_expired(working: Repo) -> None:
    data = briefing(working, "deploy", "--claim", "--as", "bob", env=EXPIRED)
    assert data["owner"] == "bob"
    assert working.trailers()["Milestone-Previous-Owner"] == ["alice"]


def test_resume_names_the_state_of_what_it_depends_on(working: Repo) -> None:
    ran = working.gm("new", "Announce it", "--id", "announce", "--depends-on", "deploy")
    assert ran.exit_code == 0
    data = briefing(working, "announce")
    assert data["depends_on"] == [{"milestone_id": "deploy", "status": "in_progress"}]
    text = working.gm("resume", "announce").stdout
    assert "depends on: deploy (in_progress)" in text
    assert "it depends on deploy, which must be completed first" in text


def test_resume_of_an_unknown_milestone_says_where_to_look(repo: Repo) -> None:
    ran = repo.gm("resume", "nope")
    assert ran.exit_code == 1
    assert "no milestone 'nope'" in ran.stderr
    assert "git milestone list --all" in ran.stderr
