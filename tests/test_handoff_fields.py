"""Instructions that cannot go stale silently: `handoff` records who wrote them, when and at
which step; `show` and `resume` say so and warn when later work may have overtaken them.
And completion notes after completion."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitmilestone.merge import merge
from gitmilestone.rules import check_bytes
from tests.conftest import Repo
from tests.histories import FILE, ID, doc, gm


def brief(repo: Repo, actor: str, *args: str) -> str:
    ran = repo.gm(*args, env={"GIT_MILESTONE_ACTOR": actor})
    assert ran.exit_code == 0, ran.stderr
    return ran.stdout


def test_handoff_records_who_when_and_at_which_step(repo: Repo) -> None:
    gm(repo, "new", "Deploy", "--id", ID, *("--step", "a", "--step", "b", "--step", "c"))
    gm(repo, "advance", ID, minutes=1, actor="s3")
    gm(repo, "advance", ID, minutes=2, actor="s3")
    gm(repo, "handoff", ID, "--next", "finish b", "--notes", "b half done", minutes=3, actor="s3")
    d = doc(repo)
    keys = list(d)
    assert keys[keys.index("handoff_notes") + 1 : keys.index("handoff_notes") + 4] == [
        "handoff_by",
        "handoff_at",
        "handoff_step",
    ]
    assert (d["handoff_by"], d["handoff_at"], d["handoff_step"]) == (
        "s3",
        "2025-11-15T01:03:00Z",
        2,
    )
    gm(repo, "release", ID, minutes=4, actor="s3")
    gm(repo, "handoff", ID, "--release", minutes=5, actor="s3")  # no new instructions
    assert doc(repo)["handoff_at"] == "2025-11-15T01:03:00Z"
    shown = brief(repo, "reviewer", "show", ID)
    assert "written by s3 at step 2, the current step (2025-11-15T01:03:00Z)" in shown
    assert "  ! " not in shown

    # Session 4 takes over and finishes two steps: the instructions are two steps old.
    gm(repo, "claim", ID, minutes=6, actor="s4")
    gm(repo, "advance", ID, minutes=7, actor="s4")
    gm(repo, "advance", ID, minutes=8, actor="s4")
    resumed = brief(repo, "s4", "resume", ID)
    assert "written by s3 at step 2, 2 steps ago (2025-11-15T01:03:00Z)" in resumed
    assert "! steps 2, 3 were done after this handoff was written" in resumed
    assert "wrote to the milestone after" not in resumed  # s4 knows what s4 did
    shown = brief(repo, "reviewer", "show", ID)
    assert "! s4 wrote to the milestone after this handoff" in shown
    data = json.loads(brief(repo, "s4", "resume", ID, "--json"))["data"]["handoff"]
    assert (data["by"], data["step"], data["steps_done_since"]) == ("s3", 2, [2, 3])
    shown_json = json.loads(brief(repo, "reviewer", "show", ID, "--json"))["data"]
    assert shown_json["handoff"]["written_later_by"] == "s4"


def side(doc: dict[str, Any], when: str, **changes: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(doc))
    out.update(changes, updated_at=when, revision=out["revision"] + 1)
    return out


@pytest.mark.parametrize("swap", [False, True], ids=["ours-wrote", "theirs-wrote"])
def test_the_merge_keeps_the_handoff_whole_from_the_side_that_wrote_it(
    repo: Repo, swap: bool
) -> None:
    gm(repo, "new", "Deploy", "--id", ID, "--step", "a")
    base = doc(repo)
    wrote = side(
        base,
        "2025-11-15T01:10:00Z",
        next_session_should=["go on"],
        handoff_notes="from A",
        handoff_by="a",
        handoff_at="2025-11-15T01:10:00Z",
        handoff_step=1,
    )
    later = side(base, "2025-11-15T01:20:00Z", title="Renamed later")
    ours, theirs = (later, wrote) if swap else (wrote, later)
    merged = merge(base, ours, theirs)
    assert merged.conflicts == []
    for key in ("next_session_should", "handoff_notes", "handoff_by", "handoff_at"):
        assert merged.document[key] == wrote[key]
    assert merged.document["title"] == "Renamed later"
    both = side(wrote, "2025-11-15T01:30:00Z", handoff_notes="from B", handoff_by="b")
    both.pop("handoff_step")
    doc_ = merge(base, wrote, both).document
    assert (doc_["handoff_by"], doc_["handoff_notes"], "handoff_step" in doc_) == (
        "b",
        "from B",
        False,
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"handoff_step": 0}, "M002"),
        ({"handoff_at": "yesterday"}, "M002"),
        ({"handoff_by": "a\nb"}, "M002"),
        ({"handoff_at": "2030-01-01T00:00:00Z"}, "M104"),
        ({"handoff_by": None, "handoff_at": None, "handoff_step": None}, None),
    ],
    ids=["step-0", "bad-time", "two-lines", "after-updated", "nulls"],
)
def test_the_handoff_fields_are_checked(repo: Repo, changes: dict[str, Any], code: str) -> None:
    gm(repo, "new", "Deploy", "--id", ID, "--step", "a")
    d = {**doc(repo), **changes}
    checked = check_bytes(FILE, json.dumps(d).encode(), ID)
    assert {f.code for f in checked.findings} == ({code} if code else set())
    if code is None:
        assert checked.milestone is not None
        assert "handoff_by" not in checked.milestone.to_dict()


def test_completion_notes_after_completion_are_their_own_commit(repo: Repo) -> None:
    gm(repo, "new", "Deploy", "--id", ID, "--step", "a")
    gm(repo, "advance", ID, minutes=1)
    gm(repo, "advance", ID, "--note", "done", minutes=2)
    assert doc(repo)["status"] == "completed"
    head = repo.head()
    ran = repo.gm("complete", ID)
    assert (ran.exit_code, repo.head()) == (1, head)
    assert "already completed" in ran.stderr and "--notes" in ran.stderr
    gm(repo, "complete", ID, "--notes", "Deployed on the 15th.", minutes=3, actor="bob")
    gm(repo, "complete", ID, "--notes", "Monitoring is green.", minutes=4)
    d = doc(repo)
    assert d["completion_notes"] == "Deployed on the 15th.\n\nMonitoring is green."
    assert (d["status"], d["progress"], d["updated_by"]) == ("completed", 100, "alice")
    t = repo.trailers()
    assert (t["Milestone-Action"], t["Milestone-Status"]) == (["complete-notes"], ["completed"])
    assert repo.gm("validate", "--range", f"{head}..HEAD").exit_code == 0
    again = repo.gm("complete", ID, "--notes", "Monitoring is green.")
    assert again.exit_code == 0 and "nothing to change" in again.stdout
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "2"
