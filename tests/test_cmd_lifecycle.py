"""Every command end to end in a real repository: the file it writes, the one commit it
makes (its files and trailers) and its exit code."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from gitmilestone import timestamps
from tests.conftest import Ran, Repo

T0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)


def path(mid: str = "work") -> str:
    return f"MILESTONES/{mid}.json"


def doc(repo: Repo, mid: str = "work") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.read(path(mid)))
    return data


def ok(ran: Ran) -> Ran:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def at(minutes: float) -> dict[str, str]:
    return {"GIT_MILESTONE_NOW": timestamps.format(T0 + timedelta(minutes=minutes))}


def make(repo: Repo, mid: str = "work", steps: int = 3, *options: str) -> None:
    step_args = [a for i in range(1, steps + 1) for a in ("--step", f"step {i}")]
    ok(repo.gm("new", f"Work on {mid}", "--id", mid, *step_args, *options))


def committed(repo: Repo, before: int, action: str, mid: str = "work") -> dict[str, list[str]]:
    """Exactly one new commit, holding only the milestone file, with these trailers."""
    assert repo.commit_count() == before + 1
    assert repo.files_in() == [path(mid)]
    trailers = repo.trailers()
    assert trailers["Milestone"] == [mid]
    assert trailers["Milestone-Action"] == [action]
    assert trailers["Milestone-Revision"] == [str(doc(repo, mid)["revision"])]
    return trailers


def untouched(repo: Repo, before: int, content: str, mid: str = "work") -> None:
    assert repo.commit_count() == before
    assert repo.read(path(mid)) == content
    assert repo.git("status", "--porcelain") == ""


def statuses(repo: Repo, mid: str = "work") -> list[str]:
    return [s["status"] for s in doc(repo, mid)["steps"]]


# init --------------------------------------------------------------------------------------------


def test_init_creates_the_directory_with_a_readme_in_one_commit(repo: Repo) -> None:
    before = repo.commit_count()
    ran = ok(repo.gm("init"))
    assert "initialized MILESTONES/" in ran.stdout
    assert "git milestone" in repo.read("MILESTONES/README.md")
    assert repo.commit_count() == before + 1
    assert repo.files_in() == [
        ".gitattributes",
        "MILESTONES/README.md",
        "MILESTONES/schema/milestone-v1.schema.json",
    ]
    assert "MILESTONES/*.json merge=" in repo.read(".gitattributes")
    assert repo.trailers() == {"Milestone-Action": ["init"], "Milestone-Actor": ["alice"]}

    again = ok(repo.gm("init"))
    assert "already set up" in again.stdout
    assert repo.commit_count() == before + 1


def test_init_and_new_honour_the_directory_in_gitmilestone_toml(repo: Repo) -> None:
    repo.write(".gitmilestone.toml", 'dir = "SESSIONS/MILESTONES"\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    ok(repo.gm("init"))
    assert repo.files_in() == [
        ".gitattributes",
        "SESSIONS/MILESTONES/README.md",
        "SESSIONS/MILESTONES/schema/milestone-v1.schema.json",
    ]
    ok(repo.gm("new", "Elsewhere", "--step", "one"))
    assert repo.files_in() == ["SESSIONS/MILESTONES/elsewhere.json"]
    assert not repo.file("MILESTONES").exists()


# new ---------------------------------------------------------------------------------------------


def test_new_writes_the_file_and_commits_it_alone(repo: Repo) -> None:
    before = repo.commit_count()
    ran = ok(
        repo.gm(
            "new",
            "Deploy Dashboard to Server",
            "--priority",
            "high",
            "--step",
            "Review the script",
            "--step",
            "Deploy",
            "--why",
            "needed live",
            "--success",
            "dashboard answers",
            "--file",
            "dashboard/",
            "--needs",
            "Registry live on port 8000",
            "--depends-on",
            "registry",
        )
    )
    mid = "deploy-dashboard-to-server"
    data = doc(repo, mid)
    assert data["milestone_id"] == mid
    assert (data["title"], data["priority"], data["status"], data["owner"]) == (
        "Deploy Dashboard to Server",
        "HIGH",
        "pending",
        None,
    )
    assert (data["progress"], data["revision"], data["updated_by"]) == (0, 1, "alice")
    assert data["created_at"] == data["updated_at"] == "2025-11-15T01:00:00Z"
    assert data["context"] == {
        "why": "needed live",
        "related_files": ["dashboard/"],
        "dependencies": ["Registry live on port 8000"],
        "success_criteria": "dashboard answers",
    }
    assert data["depends_on"] == ["registry"]
    assert [(s["step"], s["description"], s["status"]) for s in data["steps"]] == [
        (1, "Review the script", "pending"),
        (2, "Deploy", "pending"),
    ]
    assert list(data)[:9] == [
        "milestone_id",
        "title",
        "priority",
        "owner",
        "status",
        "progress",
        "revision",
        "created_at",
        "updated_at",
    ]
    assert repo.read(path(mid)) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    trailers = committed(repo, before, "create", mid)
    assert trailers["Milestone-Status"] == ["pending"]
    assert trailers["Milestone-Owner"] == ["none"]
    assert trailers["Milestone-Steps"] == ["2"]
    # Too long in full: the title gives way, the facts stay.
    subject = repo.git("log", "-1", "--format=%s").strip()
    assert len(subject) == 72
    assert subject == f'milestone({mid}): create "Deploy Dashbo…" (2 steps)'

    assert f"[{repo.head()[:9]}]" in ran.stdout


def test_new_with_claim_is_owned_from_the_first_commit(repo: Repo) -> None:
    make(repo, "work", 2, "--claim")
    assert (doc(repo)["owner"], doc(repo)["claimed_at"]) == ("alice", "2025-11-15T01:00:00Z")
    assert repo.trailers()["Milestone-Owner"] == ["alice"]


@pytest.mark.parametrize("status", ["pending", "abandoned"])
def test_new_refuses_an_existing_id_even_abandoned(repo: Repo, status: str) -> None:
    make(repo)
    if status == "abandoned":
        ok(repo.gm("abandon", "work", "--reason", "not needed"))
    before, content = repo.commit_count(), repo.read(path())
    ran = repo.gm("new", "Something else", "--id", "work")
    assert ran.exit_code == 1
    assert "already exists" in ran.stderr and "--id" in ran.stderr
    untouched(repo, before, content)


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("two\nlines", id="newline"),
        pytest.param("carriage\rreturn", id="carriage-return"),
        pytest.param("   ", id="blank"),
        pytest.param("x" * 201, id="too-long"),
    ],
)
def test_new_refuses_a_title_that_is_not_one_short_line(repo: Repo, title: str) -> None:
    before = repo.commit_count()
    ran = repo.gm("new", title, "--id", "work")
    assert ran.exit_code == 2
    assert "title" in ran.stderr
    assert repo.commit_count() == before
    assert not repo.file("MILESTONES").exists()


# show --------------------------------------------------------------------------------------------


def test_show_tells_everything_about_one_milestone(repo: Repo) -> None:
    make(repo, "work", 3, "--why", "because", "--claim")
    ok(repo.gm("advance", "work", "--note", "looked at it"))
    ok(repo.gm("handoff", "work", "--next", "carry on"))
    ran = ok(repo.gm("show", "work"))
    for text in (
        "work: Work on work",
        "status in_progress",
        "[>] 1. step 1 (in_progress, alice)",
        "looked at it",
        "[ ] 2. step 2 (pending)",
        "owner    alice",
        "why      because",
        "  - carry on",
    ):
        assert text in ran.stdout


def test_show_of_a_missing_milestone_says_where_to_look(repo: Repo) -> None:
    ran = repo.gm("show", "nothing-here")
    assert ran.exit_code == 1
    assert "no milestone 'nothing-here'" in ran.stderr and "list --all" in ran.stderr


# claim -------------------------------------------------------------------------------------------


def test_claim_takes_an_unowned_milestone(repo: Repo) -> None:
    make(repo)
    before = repo.commit_count()
    ok(repo.gm("claim", "work", "--as", "bob"))
    assert (doc(repo)["owner"], doc(repo)["updated_by"]) == ("bob", "bob")
    trailers = committed(repo, before, "claim")
    assert trailers["Milestone-Owner"] == trailers["Milestone-Actor"] == ["bob"]
    assert "Milestone-Previous-Owner" not in trailers
    assert "Milestone-Forced" not in trailers


def test_claim_held_by_someone_else_is_exit_3_naming_them_and_commits_nothing(
    repo: Repo,
) -> None:
    make(repo, "work", 3, "--claim")
    before, content = repo.commit_count(), repo.read(path())
    ran = repo.gm("claim", "work", "--as", "bob", env=at(30))
    assert ran.exit_code == 3
    assert "alice holds work" in ran.stderr
    assert "claim work --force" in ran.stderr
    untouched(repo, before, content)


def test_claim_force_takes_over_and_says_so_in_the_commit(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    ran = ok(repo.gm("claim", "work", "--force", "--as", "bob", env=at(30)))
    assert "bob takes over from alice (forced)" in ran.stdout
    assert doc(repo)["owner"] == "bob"
    trailers = committed(repo, before, "claim")
    assert trailers["Milestone-Forced"] == ["true"]
    assert trailers["Milestone-Previous-Owner"] == ["alice"]
    assert trailers["Milestone-Owner"] == ["bob"]


def test_claim_after_the_lease_expired_needs_no_force(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    ok(repo.gm("claim", "work", "--as", "bob", env=at(121)))
    assert doc(repo)["owner"] == "bob"
    trailers = committed(repo, before, "claim")
    assert trailers["Milestone-Previous-Owner"] == ["alice"]
    assert "Milestone-Forced" not in trailers


@pytest.mark.parametrize(
    ("minutes", "code", "owner"),
    [pytest.param(29, 3, "alice", id="within-30m"), pytest.param(31, 0, "bob", id="after-30m")],
)
def test_a_lease_set_in_gitmilestone_toml_decides(
    repo: Repo, minutes: int, code: int, owner: str
) -> None:
    repo.write(".gitmilestone.toml", 'lease = "30m"\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    make(repo, "work", 3, "--claim")
    ran = repo.gm("claim", "work", "--as", "bob", env=at(minutes))
    assert ran.exit_code == code, ran.stderr
    assert doc(repo)["owner"] == owner
    if code:
        assert "lease 30m" in ran.stderr


def test_claiming_your_own_milestone_again_succeeds_without_a_commit(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before, content = repo.commit_count(), repo.read(path())
    ran = ok(repo.gm("claim", "work"))
    assert "nothing to change" in ran.stdout
    untouched(repo, before, content)


def test_claim_of_a_missing_milestone_is_exit_1(repo: Repo) -> None:
    ran = repo.gm("claim", "ghost")
    assert ran.exit_code == 1
    assert "no milestone 'ghost'" in ran.stderr


# release -----------------------------------------------------------------------------------------


def test_release_clears_the_owner_and_keeps_the_status(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    ok(repo.gm("advance", "work"))
    before = repo.commit_count()
    ok(repo.gm("release", "work"))
    assert (doc(repo)["owner"], doc(repo)["status"]) == (None, "in_progress")
    assert "claimed_at" not in doc(repo)
    trailers = committed(repo, before, "release")
    assert trailers["Milestone-Owner"] == ["none"]
    assert trailers["Milestone-Previous-Owner"] == ["alice"]


def test_release_of_someone_elses_milestone_is_an_owner_conflict(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before, content = repo.commit_count(), repo.read(path())
    ran = repo.gm("release", "work", "--as", "bob")
    assert ran.exit_code == 3 and "alice holds work" in ran.stderr
    untouched(repo, before, content)


def test_release_of_an_unowned_milestone_is_a_no_op(repo: Repo) -> None:
    make(repo)
    before, content = repo.commit_count(), repo.read(path())
    assert "nothing to change" in ok(repo.gm("release", "work")).stdout
    untouched(repo, before, content)


# advance -----------------------------------------------------------------------------------------


def test_advance_starts_then_completes_and_starts_the_next(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    ok(repo.gm("advance", "work"))
    assert statuses(repo) == ["in_progress", "pending", "pending"]
    assert committed(repo, before, "advance")["Milestone-Step"] == ["1"]

    ok(repo.gm("advance", "work", "--note", "script ran clean", env=at(5)))
    data = doc(repo)
    assert statuses(repo) == ["completed", "in_progress", "pending"]
    assert (data["progress"], data["steps"][0]["notes"]) == (33, "script ran clean")
    assert data["steps"][0]["completed_by"] == "alice"
    assert data["steps"][0]["completed_at"] == "2025-11-15T01:05:00Z"
    assert data["steps"][1]["started_at"] == "2025-11-15T01:05:00Z"
    trailers = committed(repo, before + 1, "advance")
    assert trailers["Milestone-Step"] == ["1", "2"]
    assert trailers["Milestone-Step-Status"] == ["completed", "in_progress"]
    assert trailers["Milestone-Progress"] == ["33"]
    body = repo.git("log", "-1", "--format=%b")
    assert body.startswith("  script ran clean\n\nMilestone: work\n")


def test_advance_one_step_to_a_status(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    ok(repo.gm("advance", "work", "2", "--to", "skipped"))
    assert statuses(repo) == ["pending", "skipped", "pending"]
    trailers = committed(repo, before, "advance")
    assert (trailers["Milestone-Step"], trailers["Milestone-Step-Status"]) == (["2"], ["skipped"])
    assert trailers["Milestone-Status"] == ["in_progress"]


def test_advance_of_an_unowned_milestone_claims_it_in_the_same_commit(repo: Repo) -> None:
    make(repo)
    before = repo.commit_count()
    ok(repo.gm("advance", "work", "--as", "bob"))
    assert doc(repo)["owner"] == "bob"
    assert committed(repo, before, "advance")["Milestone-Owner"] == ["bob"]


def test_advance_by_someone_else_is_refused_without_a_commit(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before, content = repo.commit_count(), repo.read(path())
    ran = repo.gm("advance", "work", "--as", "bob")
    assert ran.exit_code == 3 and "alice holds work" in ran.stderr
    untouched(repo, before, content)


def test_advance_to_a_step_that_does_not_exist_is_exit_1(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    ran = repo.gm("advance", "work", "7")
    assert ran.exit_code == 1 and "no step 7 (it has 3)" in ran.stderr


# block / unblock ---------------------------------------------------------------------------------


def test_block_and_unblock(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    ok(repo.gm("advance", "work"))
    before = repo.commit_count()
    ok(repo.gm("block", "work", "--reason", "waiting for credentials", "--step", "1"))
    data = doc(repo)
    assert (data["status"], data["blockers"]) == ("blocked", ["waiting for credentials"])
    assert statuses(repo)[0] == "blocked"
    trailers = committed(repo, before, "block")
    assert (trailers["Milestone-Step"], trailers["Milestone-Step-Status"]) == (["1"], ["blocked"])
    assert repo.git("log", "-1", "--format=%s").strip() == (
        "milestone(work): blocked at step 1: waiting for credentials"
    )

    ok(repo.gm("unblock", "work"))
    data = doc(repo)
    assert (data["status"], data["blockers"], statuses(repo)[0]) == (
        "in_progress",
        [],
        "in_progress",
    )
    trailers = committed(repo, before + 1, "unblock")
    assert trailers["Milestone-Status"] == ["in_progress"]


def test_unblock_of_an_unblocked_milestone_is_a_no_op(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    assert "nothing to change" in ok(repo.gm("unblock", "work")).stdout
    assert repo.commit_count() == before


# handoff -----------------------------------------------------------------------------------------


def test_handoff_leaves_instructions_and_releases(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    ok(repo.gm("advance", "work"))
    before = repo.commit_count()
    ok(
        repo.gm(
            "handoff",
            "work",
            "--next",
            "check the deploy log",
            "--next",
            "then do step 2",
            "--notes",
            "server is slow today",
            "--release",
        )
    )
    data = doc(repo)
    assert data["next_session_should"] == ["check the deploy log", "then do step 2"]
    assert (data["handoff_notes"], data["owner"], data["status"]) == (
        "server is slow today",
        None,
        "in_progress",
    )
    trailers = committed(repo, before, "handoff")
    assert trailers["Milestone-Previous-Owner"] == ["alice"]
    assert trailers["Milestone-Owner"] == ["none"]
    assert "server is slow today" in repo.git("log", "-1", "--format=%b")


def test_handoff_with_nothing_to_say_is_a_usage_error(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    ran = repo.gm("handoff", "work")
    assert ran.exit_code == 2 and "--next" in ran.stderr
    assert repo.commit_count() == before


# complete / abandon / reopen ---------------------------------------------------------------------


def test_complete_records_notes_and_releases(repo: Repo) -> None:
    make(repo, "work", 1, "--claim")
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work", "1"))
    assert (doc(repo)["status"], doc(repo)["owner"]) == ("completed", None)
    repo.gm("reopen", "work")
    before = repo.commit_count()
    ok(repo.gm("complete", "work", "--notes", "all live"))
    data = doc(repo)
    assert (data["status"], data["owner"], data["progress"], data["completion_notes"]) == (
        "completed",
        None,
        100,
        "all live",
    )
    trailers = committed(repo, before, "complete")
    assert trailers["Milestone-Status"] == ["completed"]
    assert trailers["Milestone-Owner"] == ["none"]


def test_abandon_keeps_the_file_and_the_reason(repo: Repo) -> None:
    make(repo, "work", 3, "--claim")
    before = repo.commit_count()
    ok(repo.gm("abandon", "work", "--reason", "replaced by a managed service"))
    data = doc(repo)
    assert (data["status"], data["owner"], data["completion_notes"]) == (
        "abandoned",
        None,
        "replaced by a managed service",
    )
    assert committed(repo, before, "abandon")["Milestone-Status"] == ["abandoned"]


@pytest.mark.parametrize(
    ("close", "status", "owner"),
    [
        pytest.param(("complete", "work", "--force"), "in_progress", "alice", id="completed"),
        pytest.param(("abandon", "work", "--reason", "stop"), "pending", None, id="abandoned"),
    ],
)
def test_reopen_brings_closed_work_back(
    repo: Repo, close: tuple[str, ...], status: str, owner: str | None
) -> None:
    make(repo, "work", 3, "--claim")
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work"))
    ok(repo.gm(*close))
    before = repo.commit_count()
    ok(repo.gm("reopen", "work"))
    data = doc(repo)
    assert (data["status"], data["owner"]) == (status, owner)
    assert data["steps"][0]["status"] == "completed"
    assert committed(repo, before, "reopen")["Milestone-Status"] == [status]


def test_reopen_one_done_step(repo: Repo) -> None:
    make(repo, "work", 2, "--claim")
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work"))
    before = repo.commit_count()
    ok(repo.gm("reopen", "work", "1", env=at(1)))
    data = doc(repo)
    assert statuses(repo) == ["pending", "in_progress"]
    assert (data["steps"][0]["reopened_by"], data["steps"][0]["reopened_at"]) == (
        "alice",
        "2025-11-15T01:01:00Z",
    )
    trailers = committed(repo, before, "reopen")
    assert (trailers["Milestone-Step"], trailers["Milestone-Step-Status"]) == (["1"], ["pending"])


# step add ----------------------------------------------------------------------------------------


def test_step_add_inserts_and_renumbers(repo: Repo) -> None:
    make(repo, "work", 2, "--claim")
    ok(repo.gm("advance", "work"))
    ok(repo.gm("advance", "work"))
    before = repo.commit_count()
    ok(repo.gm("step", "add", "work", "Write the migration", "--after", "1"))
    data = doc(repo)
    assert [(s["step"], s["description"], s["status"]) for s in data["steps"]] == [
        (1, "step 1", "completed"),
        (2, "Write the migration", "pending"),
        (3, "step 2", "in_progress"),
    ]
    assert data["progress"] == 33
    trailers = committed(repo, before, "step-add")
    assert (trailers["Milestone-Step"], trailers["Milestone-Steps"]) == (["2"], ["3"])
    assert repo.git("log", "-1", "--format=%s").strip() == (
        'milestone(work): add step 2/3 "Write the migration" (33%)'
    )


def test_step_add_past_the_end_is_refused(repo: Repo) -> None:
    make(repo, "work", 2, "--claim")
    ran = repo.gm("step", "add", "work", "x", "--after", "5")
    assert ran.exit_code == 1 and "steps 1..2" in ran.stderr
