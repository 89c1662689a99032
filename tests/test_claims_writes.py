"""The write commands and the claims registry: the registry is taken or renewed before the
branch commit and put back when that commit fails, released after it; renewals are
skipped while recent; takeovers are recorded in both; the guard reads it."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from gitmilestone import claims, git
from gitmilestone.registry import Registry
from tests.conftest import Repo

REF = "refs/milestones/claims/work"


def at(minute: int) -> dict[str, str]:
    moment = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc) + timedelta(minutes=minute)
    return {"GIT_MILESTONE_NOW": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


@pytest.fixture
def work(repo: Repo) -> Repo:
    assert repo.gm("init").exit_code == 0
    ran = repo.gm("new", "Work", "--id", "work", "--step", "a", "--step", "b")
    assert ran.exit_code == 0, ran.stderr
    return repo


def entry(repo: Repo) -> dict[str, object] | None:
    text = repo.git("show", f"{REF}:claim.json", check=False)
    return json.loads(text) if text else None


def history(repo: Repo) -> list[str]:
    return repo.git("log", "--format=%s", REF, check=False).splitlines()


def doc(repo: Repo) -> dict[str, object]:
    data: dict[str, object] = json.loads(repo.read("MILESTONES/work.json"))
    return data


def refuse_commits(repo: Repo) -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'not today' >&2\nexit 1\n")
    hook.chmod(0o755)


def test_a_claim_goes_to_the_registry_and_the_branch(work: Repo) -> None:
    ran = work.gm("claim", "work", "--json")
    assert ran.exit_code == 0, ran.stderr
    report = json.loads(ran.stdout)["data"]["claim"]
    assert (report["registry"], report["change"], report["push_attempts"]) == ("local", "take", 0)
    assert report["holder"]["holder"] == "alice" and report["holder"]["branch"] == "main"
    assert entry(work)["holder"] == "alice"  # type: ignore[index]
    assert doc(work)["owner"] == "alice"
    assert work.trailers()["Milestone-Action"] == ["claim"]
    assert history(work) == ["claim(work): alice claims it on branch main (claim)"]


def test_a_refused_branch_commit_puts_the_registry_back(work: Repo) -> None:
    refuse_commits(work)
    head = work.head()
    ran = work.gm("claim", "work")
    assert ran.exit_code == 1 and "not today" in ran.stderr
    assert work.head() == head and doc(work)["owner"] is None
    assert work.git("for-each-ref", "refs/milestones/") == ""  # as before: no entry


def test_a_refused_release_leaves_the_registry_naming_the_holder(work: Repo) -> None:
    assert work.gm("claim", "work").exit_code == 0
    refuse_commits(work)
    ran = work.gm("release", "work", env=at(5))
    assert ran.exit_code == 1
    assert entry(work)["holder"] == "alice"  # type: ignore[index]
    assert len(history(work)) == 1


def test_advance_renews_only_once_a_quarter_of_the_lease_passed(work: Repo) -> None:
    assert work.gm("claim", "work").exit_code == 0
    ran = work.gm("advance", "work", "--json", env=at(10))
    assert json.loads(ran.stdout)["data"]["claim"]["change"] is None
    assert len(history(work)) == 1  # no registry write
    ran = work.gm("advance", "work", "--json", env=at(31))
    assert json.loads(ran.stdout)["data"]["claim"]["change"] == "renew"
    assert history(work)[0] == "claim(work): alice renews on branch main (advance)"
    assert entry(work)["renewed_at"] == "2025-11-15T01:31:00Z"  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "action"),
    [
        (("complete", "work", "--force"), "complete"),
        (("handoff", "work", "--notes", "over to you", "--release"), "handoff"),
        (("abandon", "work", "--reason", "not needed"), "abandon"),
        (("release", "work"), "release"),
    ],
    ids=["complete", "handoff-release", "abandon", "release"],
)
def test_giving_a_milestone_up_releases_it_in_the_registry(
    work: Repo, args: tuple[str, ...], action: str
) -> None:
    assert work.gm("advance", "work").exit_code == 0  # takes it
    ran = work.gm(*args, env=at(5))
    assert ran.exit_code == 0, ran.stderr
    assert doc(work)["owner"] is None
    assert entry(work)["holder"] is None  # type: ignore[index]
    assert history(work)[0] == f"claim(work): released by alice ({action})"


def test_finishing_the_last_step_releases_it(work: Repo) -> None:
    for minute in (1, 2, 3):
        assert work.gm("advance", "work", env=at(minute)).exit_code == 0
    assert doc(work)["status"] == "completed"
    assert entry(work)["holder"] is None  # type: ignore[index]


def test_a_forced_takeover_is_recorded_in_the_registry_and_the_branch(work: Repo) -> None:
    assert work.gm("claim", "work").exit_code == 0
    refused = work.gm("claim", "work", "--as", "bob", env=at(5))
    assert refused.exit_code == 3 and "alice holds work on branch main" in refused.stderr
    ran = work.gm("claim", "work", "--as", "bob", "--force", env=at(6))
    assert ran.exit_code == 0, ran.stderr
    trailers = work.trailers()
    assert trailers["Milestone-Forced"] == ["true"]
    assert trailers["Milestone-Previous-Owner"] == ["alice"]
    registry = entry(work)
    assert registry is not None
    assert (registry["holder"], registry["previous_holder"], registry["forced"]) == (
        "bob",
        "alice",
        True,
    )
    assert history(work)[0] == "claim(work): bob takes it over from alice on branch main (forced)"


def register_bob(repo: Repo) -> None:
    """bob claims `work` in another worktree, on branch feat-b."""
    reg = Registry(git.discover(repo.path))
    t0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)
    found = reg.get("work")
    who = claims.Claimant("bob", "feat-b", t0, timedelta(hours=2))
    taken = claims.take(found.entry, "work", who, action="claim")
    assert taken is not None and reg.swap(found, taken) is not None


def test_a_registry_claim_from_another_branch_binds_this_one(work: Repo) -> None:
    """Held in the registry (another worktree, say), free in this branch's file."""
    register_bob(work)
    for args in (("claim", "work"), ("advance", "work"), ("handoff", "work", "--notes", "x")):
        ran = work.gm(*args, env=at(5))
        assert ran.exit_code == 3, args
        assert "bob holds work on branch feat-b" in ran.stderr
    assert doc(work)["owner"] is None


def test_the_guard_reads_the_registry_and_never_writes_it(work: Repo) -> None:
    """A hand edit that takes a milestone held in the registry (on another branch) is
    refused by the pre-commit guard, though this branch's file says nobody holds it."""
    register_bob(work)
    assert work.gm("install-hooks").exit_code == 0
    before = work.git("for-each-ref", "refs/milestones/")
    edited = doc(work)
    edited.update(
        owner="carol",
        claimed_at="2025-11-15T01:05:00Z",
        renewed_at="2025-11-15T01:05:00Z",
        updated_at="2025-11-15T01:05:00Z",
        updated_by="carol",
        revision=int(str(edited["revision"])) + 1,
    )
    work.write("MILESTONES/work.json", json.dumps(edited, indent=2) + "\n")
    work.git("add", "MILESTONES/work.json")
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "carol takes it by hand"],
        cwd=work.path,
        capture_output=True,
        text=True,
        env={**os.environ, **at(5), "GIT_MILESTONE_ACTOR": "carol"},
    )
    assert proc.returncode != 0
    assert "M301" in proc.stderr and "bob on branch feat-b (claims registry)" in proc.stderr
    assert work.git("for-each-ref", "refs/milestones/") == before


def test_the_holder_s_next_command_finishes_a_claim_the_branch_missed(work: Repo) -> None:
    """A crash after the registry took the claim and before the branch commit."""
    reg = Registry(git.discover(work.path))
    who = claims.Claimant(
        "alice", "main", datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc), timedelta(hours=2)
    )
    found = reg.get("work")
    taken = claims.take(found.entry, "work", who, action="claim")
    assert taken is not None and reg.swap(found, taken) is not None
    checks = {
        c["check"]: c for c in json.loads(work.gm("doctor", "--json").stdout)["data"]["checks"]
    }
    assert not checks["claim work"]["ok"]
    ran = work.gm("claim", "work", env=at(1))
    assert ran.exit_code == 0, ran.stderr
    assert doc(work)["owner"] == "alice" and work.trailers()["Milestone-Action"] == ["claim"]
    assert len(history(work)) == 1  # the registry already agreed
    checks = {
        c["check"]: c for c in json.loads(work.gm("doctor", "--json").stdout)["data"]["checks"]
    }
    assert "claim work" not in checks


def test_a_release_the_registry_missed_is_finished_by_the_next_release(work: Repo) -> None:
    """A crash after the branch commit of a release, before the registry's."""
    assert work.gm("claim", "work").exit_code == 0
    assert work.gm("release", "work", "--no-commit", env=at(1)).exit_code == 0
    sha = work.git("rev-parse", REF).strip()
    work.git("commit", "-q", "-m", "release by hand", "--no-verify")
    work.git("update-ref", REF, work.git("rev-parse", f"{REF}~1").strip(), sha)  # as if crashed
    assert entry(work)["holder"] == "alice"  # type: ignore[index]
    ran = work.gm("release", "work", "--json", env=at(2))
    assert ran.exit_code == 0 and json.loads(ran.stdout)["data"]["changed"] is False
    assert entry(work)["holder"] is None  # type: ignore[index]


def test_new_with_claim_registers_the_claim(repo: Repo) -> None:
    assert repo.gm("init").exit_code == 0
    assert repo.gm("new", "Work", "--id", "work", "--claim").exit_code == 0
    assert entry(repo)["holder"] == "alice"  # type: ignore[index]


def test_push_without_any_remote_is_refused_before_anything(work: Repo) -> None:
    head = work.head()
    ran = work.gm("claim", "work", "--push")
    assert ran.exit_code == 1 and "--push needs a remote" in ran.stderr
    assert work.head() == head and entry(work) is None


@pytest.mark.parametrize("damage", ["blob", "empty commit"])
def test_a_registry_entry_damaged_by_hand_is_no_free_claim(work: Repo, damage: str) -> None:
    work.git("checkout", "-q", "-b", "feat-b")
    assert work.gm("claim", "work", "--as", "bob").exit_code == 0
    work.git("checkout", "-q", "main")  # where the file names nobody: only the registry knows
    if damage == "blob":
        made = subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            cwd=work.path,
            input="garbage\n",
            capture_output=True,
            text=True,
            check=True,
        )
    else:
        empty = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree
        work.git("hash-object", "-w", "-t", "tree", "/dev/null")
        made = subprocess.run(
            ["git", "commit-tree", "-m", "x", empty],
            cwd=work.path,
            capture_output=True,
            text=True,
            check=True,
        )
    bad = made.stdout.strip()
    work.git("update-ref", REF, bad)
    head = work.git("rev-parse", "HEAD")
    ran = work.gm("claim", "work", "--as", "carol")
    assert ran.exit_code == 3
    assert REF in ran.stderr and "damaged" in ran.stderr and "update-ref -d" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert work.git("rev-parse", "HEAD") == head
    assert work.git("rev-parse", REF).strip() == bad
    doctor = json.loads(work.gm("doctor", "--json").stdout)["data"]["checks"]
    checks = {c["check"]: c for c in doctor}
    assert checks["claim work"]["ok"] is False and "damaged" in checks["claim work"]["detail"]
    # What the reading commands show: not free, not offered, said to be damaged.
    listed = json.loads(work.gm("list", "--json").stdout)["data"]["milestones"]
    row = next(m for m in listed if m["milestone_id"] == "work")
    assert row["holder"]["damaged"] is True and row["lease_active"] is True
    assert "claim damaged" in work.gm("list").stdout
    offered = json.loads(work.gm("next", "--json", "--as", "carol").stdout)["data"]
    assert "work" not in json.dumps(offered.get("ready", offered))
    shown = work.gm("resume", "work", "--as", "carol")
    assert "changed by hand" in shown.stdout and "doctor" in shown.stdout, shown.stdout
