"""`log` shows every commit that changed a milestone file, each for what it is: the tool's
commits, hand edits, reverts, cherry-picks, rebased and forged commits, merges; and the
record replays to the file at every commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests import histories
from tests.conftest import Repo
from tests.histories import FILE, ID, doc, gm, start, write

Record = dict[str, Any]


def records(repo: Repo, *args: str) -> list[Record]:
    ran = repo.gm("log", "--json", *args)
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    out: list[Record] = json.loads(ran.stdout)["data"]["records"]
    return out


def codes(rec: Record) -> set[str]:
    return {p.split()[0] for p in rec["problems"]}


@pytest.mark.parametrize(
    ("build", "kind", "expected"),
    [
        (histories.reverted, "revert", {"M201", "M202", "M203"}),
        (histories.cherry_picked, "cherry-pick", {"M202"}),
        (histories.rebased, "tool", {"M202"}),
        (histories.unverified, "hand-edit", {"M101", "M202"}),
        (histories.forged, "tool", {"M401"}),
    ],
    ids=["revert", "cherry-pick", "rebase", "no-verify", "forged-trailers"],
)
def test_changes_that_went_around_the_hooks_are_marked(
    repo: Repo, build: Callable[[Repo], str], kind: str, expected: set[str]
) -> None:
    bad = build(repo)
    recs = records(repo)
    marked = [r for r in recs if r["problems"]]
    assert [r["commit"] for r in marked] == [bad]
    rec = marked[0]
    assert (rec["kind"], rec["verified"], rec["file"]) == (kind, True, FILE)
    assert expected <= codes(rec), rec["problems"]
    assert (rec["status"], rec["revision"]) == (
        doc(repo, bad)["status"],
        doc(repo, bad)["revision"],
    )
    # The table says it too: the change's line, then its problems under it.
    lines = repo.gm("log").stdout.splitlines()
    assert lines[2].startswith("    !! M")
    assert any(f"!! {code} " in line for line in lines for code in expected)


def test_a_revert_names_what_it_reverted_and_what_it_changed(repo: Repo) -> None:
    bad = histories.reverted(repo)
    reverted = repo.git("rev-parse", f"{bad}^").strip()
    rec = records(repo, "-n", "1")[0]
    assert (rec["action"], rec["reverts"], rec["actor"]) == ("revert", reverted, "Test Author")
    assert rec["changes"]["revision"] == [3, 2]
    assert rec["changes"]["steps[1].status"] == ["completed", "in_progress"]
    row = repo.gm("log", "-n", "1").stdout.splitlines()[1]
    assert f"reverts {reverted[:9]}" in row and "step 1 completed→in_progress" in row


def test_a_hand_edit_shows_what_changed(repo: Repo) -> None:
    start(repo)
    d = doc(repo)
    d.update(revision=d["revision"] + 1, updated_at="2025-11-15T01:05:00Z", status="blocked")
    d["blockers"] = ["waiting for the database"]
    write(repo, d)
    repo.git("commit", "-q", "-am", "blocked by hand\n\nThe database is down.")
    rec = records(repo, ID)[0]
    assert (rec["kind"], rec["action"], rec["problems"]) == ("hand-edit", "hand-edit", [])
    assert rec["changes"] == {"status": ["in_progress", "blocked"], "revision": [2, 3]}
    assert rec["other_fields"] == ["blockers"]
    assert rec["note"] == "The database is down."
    row = repo.gm("log", ID).stdout.splitlines()[1]
    assert row.split()[2:6] == ["Test", "Author", ID, "hand-edit"]
    assert row.endswith("blocked by hand (status in_progress→blocked, revision 2→3, blockers)")


def test_one_commit_changing_two_milestones_and_a_deleted_file(repo: Repo) -> None:
    start(repo)
    gm(repo, "new", "Other", "--id", "other", "--step", "x")
    for mid in (ID, "other"):
        d = doc(repo) if mid == ID else json.loads(repo.read("MILESTONES/other.json"))
        d.update(revision=d["revision"] + 1, updated_at="2025-11-15T01:05:00Z", title="Renamed")
        repo.write(f"MILESTONES/{mid}.json", json.dumps(d, indent=2) + "\n")
    repo.git("commit", "-q", "-am", "rename both")
    repo.git("rm", "-q", "MILESTONES/other.json")
    repo.git("commit", "-q", "-m", "drop other")
    recs = records(repo)
    assert [(r["milestone"], r["kind"], r["change"]) for r in recs[:3]] == [
        ("other", "hand-edit", "deleted"),
        ("m", "hand-edit", "modified"),
        ("other", "hand-edit", "modified"),
    ]
    assert recs[0]["status"] is None and codes(recs[0]) == {"M206"}
    assert recs[1]["other_fields"] == ["title"]


def test_a_merge_says_which_side_each_part_came_from(repo: Repo) -> None:
    assert repo.gm("init").exit_code == 0
    start(repo)
    repo.git("checkout", "-q", "-b", "side")
    gm(repo, "advance", ID, "3", "--note", "c on side", minutes=5)
    side = repo.head()
    repo.git("checkout", "-q", "main")
    gm(repo, "handoff", ID, "--next", "finish b", minutes=6)
    main = repo.head()
    repo.git("merge", "-q", "--no-edit", "side")
    rec = records(repo, ID, "-n", "1")[0]
    assert (rec["kind"], rec["parents"], rec["problems"]) == ("merge", [main, side], [])
    assert rec["merge"]["sides"] == {"steps": side, "handoff": main}
    assert rec["step_statuses"] == ["in_progress", "pending", "completed"]
    row = repo.gm("log", ID, "-n", "1").stdout.splitlines()[1]
    assert f"steps from {side[:9]}, handoff from {main[:9]}" in row
    # A merge that takes one side's file as it is, is no change of that file.
    repo.git("checkout", "-q", "-b", "later", "HEAD~1")
    repo.git("commit", "-q", "--allow-empty", "-m", "nothing")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-edit", "later")
    assert records(repo, ID, "-n", "1")[0]["commit"] == rec["commit"]


def test_notes_are_shown_with_notes_and_always_in_json(repo: Repo) -> None:
    start(repo)
    note = "all good\n---\n# not a comment\nMilestone-Status: completed"
    gm(repo, "advance", ID, "--note", note, minutes=2)
    assert records(repo, "-n", "1")[0]["note"] == note
    plain = repo.gm("log", "-n", "1").stdout.splitlines()
    assert len(plain) == 2
    lines = repo.gm("log", "-n", "1", "--notes").stdout.splitlines()
    assert lines[2:] == [f"    {line}" for line in note.split("\n")]
    assert records(repo)[-1]["note"] == ""


def replay(recs: list[Record]) -> dict[str, list[str]]:
    """Each record's step statuses, replayed from the first commit: the version in its
    (first) parent, with the steps the record lists set, inserted or removed as its action
    says, to the record's step count."""
    after: dict[str, list[str]] = {}
    for rec in reversed(recs):
        parents = rec["parents"]
        steps = [] if rec["action"] == "create" else list(after[parents[0]]) if parents else []
        for s in rec["steps"]:
            at = s["step"] - 1
            if rec["action"] == "step-add":
                steps.insert(at, s["status"])
            elif s["status"] == "removed":
                del steps[at]
            else:
                steps += ["pending"] * (at + 1 - len(steps))
                steps[at] = s["status"]
        count = rec["step_count"]
        steps = (steps + ["pending"] * count)[:count]
        after[rec["commit"]] = steps
    return after


def test_replaying_the_log_gives_the_file_at_every_commit(repo: Repo) -> None:
    """Tool commits, a hand edit, a revert (and the stale write after it), a merge of two
    branches, steps added and removed: every record says what the file says."""
    assert repo.gm("init").exit_code == 0
    start(repo)
    d = doc(repo)
    d["steps"][0].update(
        status="completed", completed_by="alice", completed_at="2025-11-15T01:02:00Z"
    )
    d.update(revision=d["revision"] + 1, updated_at="2025-11-15T01:02:00Z", progress=33)
    write(repo, d)
    repo.git("commit", "-q", "-am", "finish a by hand")
    gm(repo, "advance", ID, "--note", "b started", minutes=3)
    repo.git("revert", "--no-edit", "HEAD")
    gm(repo, "advance", ID, minutes=4)
    repo.git("checkout", "-q", "-b", "side")
    gm(repo, "advance", ID, "3", "--note", "c on side", minutes=5)
    repo.git("checkout", "-q", "main")
    gm(repo, "handoff", ID, "--next", "finish b", minutes=6)
    repo.git("merge", "-q", "--no-edit", "side")
    gm(repo, "step", "add", ID, "d", "--after", "1", minutes=7)
    gm(repo, "step", "remove", ID, "2", minutes=8)
    gm(repo, "advance", ID, minutes=9)

    recs = records(repo, ID)
    kinds = [r["kind"] for r in reversed(recs)]
    assert kinds == [
        *("tool", "tool", "hand-edit", "tool", "revert", "tool", "tool", "tool"),
        *("merge", "tool", "tool", "tool"),
    ]
    replayed = replay(recs)
    for rec in recs:
        d = doc(repo, rec["commit"])
        statuses = [s["status"] for s in d["steps"]]
        assert (rec["status"], rec["owner"], rec["progress"], rec["revision"]) == (
            d["status"],
            d["owner"],
            d["progress"],
            d["revision"],
        ), rec["subject"]
        assert rec["step_statuses"] == statuses, rec["subject"]
        assert replayed[rec["commit"]] == statuses, rec["subject"]
    # The revert took the revision back, so the next write repeats one: the record says
    # where it went wrong.
    assert [r["revision"] for r in recs].count(4) == 2
    assert "M202" in codes(next(r for r in recs if r["kind"] == "revert"))


@pytest.mark.parametrize(
    "build",
    [histories.reverted, histories.cherry_picked, histories.unverified, histories.forged],
    ids=["revert", "cherry-pick", "no-verify", "forged-trailers"],
)
def test_the_whole_record_reads_as_the_limited_one(
    repo: Repo, build: Callable[[Repo], str]
) -> None:
    """Without a limit, `log` reads the tool's messages itself and asks git about the
    others after the walk; with one, git reads every message: the records agree."""
    assert repo.gm("init").exit_code == 0
    build(repo)
    repo.git("commit", "-q", "--allow-empty", "-m", "unrelated")
    whole = records(repo)
    assert len(whole) >= 3 and any(r["problems"] for r in whole)
    assert whole == records(repo, "-n", "1000")
    assert records(repo, "--actor", "alice") == records(repo, "--actor", "alice", "-n", "1000")
