"""Who may write: the owner's lease is measured from the owner's own last write
(`renewed_at`), writes by anyone else never renew it, and every command, the guard, the
merge and the read commands apply the same rule. Leases are bounded; times at the end of
the calendar are refused with a clear error, never a traceback."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gitmilestone import merge, timestamps
from tests.conftest import T0, Repo

PATH = "MILESTONES/t.json"
START = timestamps.parse(T0)
L0 = "2025-11-15T01:01:00Z"  # s1's claim: the lease runs to 03:01


def at(minutes: float) -> dict[str, str]:
    return {"GIT_MILESTONE_NOW": timestamps.format(START + timedelta(minutes=minutes))}


def doc(repo: Repo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.read(PATH))
    return data


def ok(ran: Any) -> Any:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def claimed_by_s1(repo: Repo) -> None:
    ok(repo.gm("new", "T", "--id", "t", "--step", "a", "--step", "b", "--as", "s1"))
    ok(repo.gm("advance", "t", "--as", "s1", env=at(1)))  # claims it and starts step 1
    assert doc(repo)["owner"] == "s1"
    assert doc(repo)["renewed_at"] == L0


def test_a_reviewers_handoff_does_not_renew_a_dead_lease(repo: Repo) -> None:
    # The report: after s1's lease ran out, a reviewer's note made `claim` exit 3.
    claimed_by_s1(repo)
    ok(repo.gm("handoff", "t", "--as", "reviewer", "--notes", "FYI", env=at(180)))
    data = doc(repo)
    assert (data["owner"], data["renewed_at"], data["updated_by"]) == ("s1", L0, "reviewer")
    ran = ok(repo.gm("claim", "t", "--as", "s2", env=at(181)))
    assert "lease of s1 expired" in ran.stdout
    assert repo.trailers()["Milestone-Previous-Owner"] == ["s1"]
    assert doc(repo)["owner"] == "s2"


def test_the_owners_writes_renew_the_lease_and_a_release_clears_it(repo: Repo) -> None:
    claimed_by_s1(repo)
    ok(repo.gm("handoff", "t", "--as", "s1", "--notes", "later", env=at(100)))
    assert doc(repo)["renewed_at"] == at(100)["GIT_MILESTONE_NOW"]
    # 100 + 119 minutes: still within s1's renewed lease.
    assert repo.gm("claim", "t", "--as", "s2", env=at(219)).exit_code == 3
    ok(repo.gm("release", "t", "--as", "s1", env=at(220)))
    assert "renewed_at" not in doc(repo) and doc(repo)["owner"] is None


def test_a_file_from_before_renewed_at_is_measured_from_updated_at_and_pinned(
    repo: Repo,
) -> None:
    claimed_by_s1(repo)
    data = doc(repo)
    del data["renewed_at"]
    repo.write(PATH, json.dumps(data, indent=2) + "\n")
    repo.git("commit", "-qam", "an older file")
    assert repo.gm("handoff", "t", "--as", "r", "--notes", "n", env=at(60)).exit_code == 3
    ok(repo.gm("handoff", "t", "--as", "r", "--notes", "n", env=at(150)))
    # Pinned where s1's lease started, so the reviewer's write does not move it.
    assert doc(repo)["renewed_at"] == L0
    ok(repo.gm("claim", "t", "--as", "s2", env=at(151)))


# Every write by someone else while the owner's lease is active is an owner conflict.
WRITES = {
    "advance": ("advance", "t"),
    "advance-step": ("advance", "t", "2", "--to", "skipped"),
    "block": ("block", "t", "--reason", "r"),
    "block-step": ("block", "t", "--reason", "r", "--step", "2"),
    "handoff": ("handoff", "t", "--notes", "n"),
    "handoff-release": ("handoff", "t", "--release"),
    "release": ("release", "t"),
    "complete": ("complete", "t", "--force"),
    "abandon": ("abandon", "t", "--reason", "r"),
    "reopen-step": ("reopen", "t", "1"),
    "step-add": ("step", "add", "t", "c"),
    "claim": ("claim", "t"),
}


@pytest.mark.parametrize("command", WRITES.values(), ids=WRITES.keys())
def test_every_write_by_someone_else_is_refused_while_the_lease_is_active(
    repo: Repo, command: tuple[str, ...]
) -> None:
    claimed_by_s1(repo)
    if command[0] == "reopen":
        ok(repo.gm("advance", "t", "--as", "s1"))
    head, before = repo.head(), repo.read(PATH)
    ran = repo.gm(*command, "--as", "mallory", env=at(30))
    assert ran.exit_code == 3, ran.stderr
    assert "s1 holds t" in ran.stderr and "claim t --force" in ran.stderr
    assert repo.head() == head and repo.read(PATH) == before


STEP_WRITES = {
    "advance": (("advance", "t"), True),
    "block-step": (("block", "t", "--reason", "r", "--step", "2"), True),
    "step-add": (("step", "add", "t", "c"), True),
    "block": (("block", "t", "--reason", "r"), False),
    "handoff": (("handoff", "t", "--next", "x"), False),
}


@pytest.mark.parametrize(("command", "takes"), STEP_WRITES.values(), ids=STEP_WRITES.keys())
def test_after_the_lease_a_step_write_takes_the_milestone_and_others_leave_it(
    repo: Repo, command: tuple[str, ...], takes: bool
) -> None:
    claimed_by_s1(repo)
    ok(repo.gm(*command, "--as", "s2", env=at(200)))
    data, trailers = doc(repo), repo.trailers()
    if takes:
        assert (data["owner"], data["renewed_at"]) == ("s2", at(200)["GIT_MILESTONE_NOW"])
        assert trailers["Milestone-Previous-Owner"] == ["s1"]
    else:
        assert (data["owner"], data["renewed_at"]) == ("s1", L0)
        assert "Milestone-Previous-Owner" not in trailers


def test_a_step_write_on_an_unowned_milestone_takes_it(repo: Repo) -> None:
    ok(repo.gm("new", "T", "--id", "t", "--step", "a", "--step", "b"))
    ok(repo.gm("block", "t", "--reason", "r", "--step", "1", "--as", "bob"))
    assert doc(repo)["owner"] == "bob"


def test_list_show_resume_and_next_measure_the_lease_from_renewed_at(repo: Repo) -> None:
    claimed_by_s1(repo)
    ok(repo.gm("handoff", "t", "--as", "reviewer", "--notes", "FYI", env=at(180)))
    env = at(181)
    assert "s1 (lease expired)" in ok(repo.gm("list", env=env)).stdout
    shown = json.loads(ok(repo.gm("show", "t", "--json", env=env)).stdout)["data"]
    assert shown["lease_active"] is False
    assert shown["holder"]["expires_at"] == at(121)["GIT_MILESTONE_NOW"]
    brief = json.loads(ok(repo.gm("resume", "t", "--json", env=env)).stdout)["data"]
    assert (brief["lease_active"], brief["lease_expires_at"]) == (
        False,
        at(121)["GIT_MILESTONE_NOW"],
    )
    ready = json.loads(ok(repo.gm("next", "--json", env=env)).stdout)["data"]["ready"]
    assert [r["milestone_id"] for r in ready] == ["t"]


def hand_edit(repo: Repo, **changes: Any) -> None:
    data = doc(repo)
    data.update(changes)
    data["revision"] += 1
    repo.write(PATH, json.dumps(data, indent=2) + "\n")
    repo.git("add", PATH)


def guard_codes(repo: Repo, actor: str, minutes: float) -> set[str]:
    ran = repo.gm("validate", "--staged", "--json", "--as", actor, env=at(minutes))
    return {f["code"] for f in json.loads(ran.stdout)["data"]["findings"]}


def test_the_guard_refuses_a_hand_edit_by_someone_else_while_held(repo: Repo) -> None:
    claimed_by_s1(repo)
    hand_edit(repo, handoff_notes="sneaky", updated_at=at(30)["GIT_MILESTONE_NOW"])
    assert guard_codes(repo, "mallory", 30) == {"M301"}
    assert guard_codes(repo, "s1", 30) == set()


def test_the_guard_refuses_a_hand_edit_that_renews_someone_elses_lease(repo: Repo) -> None:
    claimed_by_s1(repo)
    later = at(200)["GIT_MILESTONE_NOW"]
    hand_edit(repo, handoff_notes="note", updated_at=later, renewed_at=later)
    assert guard_codes(repo, "reviewer", 200) == {"M301"}
    hand_edit(repo, handoff_notes="note", renewed_at=L0, revision=doc(repo)["revision"] - 1)
    assert guard_codes(repo, "reviewer", 200) == set()


def test_renewed_at_merges_as_the_later_time_and_goes_with_a_release() -> None:
    base = {"owner": "s1", "renewed_at": "2025-11-15T01:00:00Z", "updated_at": T0}
    ours = {**base, "renewed_at": "2025-11-15T02:00:00Z"}
    theirs = {**base, "renewed_at": "2025-11-15T03:00:00Z"}
    assert merge.merge(base, ours, theirs).document["renewed_at"] == "2025-11-15T03:00:00Z"
    released = {k: v for k, v in base.items() if k != "renewed_at"} | {"owner": None}
    merged = merge.merge(base, released, ours).document
    assert merged["owner"] is None and "renewed_at" not in merged


# bounds ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lease", "says"),
    [
        ("99999999999999999999d", "at most 365d"),
        ("366d", "at most 365d"),
        ("1" + "0" * 5000 + "s", "at most 365d"),
        ("0s", "at least 1s"),
    ],
    ids=["huge", "366d", "thousands-of-digits", "zero"],
)
@pytest.mark.parametrize("command", [("list",), ("show", "t"), ("claim", "t")], ids=str)
def test_an_unbounded_lease_is_a_clear_error(
    repo: Repo, lease: str, says: str, command: tuple[str, ...]
) -> None:
    ok(repo.gm("new", "T", "--id", "t", "--step", "a"))
    repo.write(".gitmilestone.toml", f'lease = "{lease}"\n')
    head = repo.head()
    ran = repo.gm(*command)
    assert ran.exit_code == 1
    assert ".gitmilestone.toml: lease:" in ran.stderr and says in ran.stderr
    assert len(ran.stderr) < 300
    assert repo.head() == head


END = "9999-12-31T23:59:59.999Z"


def test_a_claim_at_the_end_of_the_calendar_then_a_write_is_a_clear_error(repo: Repo) -> None:
    ok(repo.gm("new", "T", "--id", "t", "--step", "a"))
    ok(repo.gm("claim", "t", env={"GIT_MILESTONE_NOW": END}))
    head = repo.head()
    for command in (("advance", "t"), ("release", "t"), ("handoff", "t", "--notes", "x")):
        ran = repo.gm(*command)
        assert ran.exit_code == 1, ran.stderr
        assert "end of the calendar" in ran.stderr and "updated_at" in ran.stderr
    assert repo.head() == head
    for command in (("list",), ("show", "t"), ("resume", "t"), ("next",), ("log",)):
        ok(repo.gm(*command, env={"GIT_MILESTONE_NOW": END}))
        ok(repo.gm(*command))
    brief = ok(repo.gm("resume", "t", env={"GIT_MILESTONE_NOW": END})).stdout
    assert "until the end of the calendar" in brief


@pytest.mark.parametrize(
    "now",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "10000-01-01T00:00:00Z"],
    ids=["past-the-end", "before-the-start", "five-digit-year"],
)
def test_a_clock_outside_the_calendar_is_a_usage_error(repo: Repo, now: str) -> None:
    ok(repo.gm("new", "T", "--id", "t", "--step", "a"))
    ran = repo.gm("claim", "t", env={"GIT_MILESTONE_NOW": now})
    assert ran.exit_code == 2 and "GIT_MILESTONE_NOW" in ran.stderr
