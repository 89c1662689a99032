"""The field-by-field three-way merge: pure cases, a symmetry property, and real `git merge`."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmilestone.merge import merge
from gitmilestone.rules import check_document
from tests.conftest import Repo


def base_doc() -> dict[str, Any]:
    return {
        "milestone_id": "m",
        "title": "Merge me",
        "priority": "HIGH",
        "owner": "alice",
        "status": "in_progress",
        "progress": 33,
        "revision": 5,
        "created_at": "2025-11-15T00:00:00Z",
        "updated_at": "2025-11-15T01:00:00Z",
        "steps": [
            {
                "step": 1,
                "description": "one",
                "status": "completed",
                "completed_by": "alice",
                "completed_at": "2025-11-15T00:30:00Z",
                "notes": "done",
            },
            {
                "step": 2,
                "description": "two",
                "status": "in_progress",
                "started_by": "alice",
                "started_at": "2025-11-15T01:00:00Z",
                "notes": "",
            },
            {"step": 3, "description": "three", "status": "pending", "notes": ""},
        ],
        "next_session_should": ["start"],
        "blockers": ["a", "b"],
        "handoff_notes": "base notes",
    }


def edit(doc: dict[str, Any], when: str, **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["updated_at"] = when
    out["revision"] = doc["revision"] + 1
    out.update(changes)
    return out


def complete_step(doc: dict[str, Any], n: int, when: str, note: str = "") -> dict[str, Any]:
    out = edit(doc, when)
    step = out["steps"][n - 1]
    step.update(status="completed", completed_by="alice", completed_at=when)
    if note:
        step["notes"] = (step["notes"] + "\n" + note) if step["notes"] else note
    return out


T1, T2 = "2025-11-15T02:00:00Z", "2025-11-15T03:00:00Z"


def test_different_steps_completed_on_each_side_merge_and_progress_is_recomputed() -> None:
    base = base_doc()
    ours = complete_step(base, 2, T1, "ours")
    theirs = complete_step(base, 3, T2, "theirs")
    merged = merge(base, ours, theirs)
    assert merged.conflicts == []
    doc = merged.document
    assert [s["status"] for s in doc["steps"]] == ["completed", "completed", "completed"]
    assert doc["progress"] == 100
    assert doc["revision"] == 7
    assert doc["updated_at"] == T2
    assert check_document("m.json", doc, "m").findings == ()


def test_a_step_status_merges_by_how_far_it_got() -> None:
    base = base_doc()
    ours = complete_step(base, 2, T1)
    theirs = edit(base, T2)
    theirs["steps"][1]["status"] = "blocked"
    doc = merge(base, ours, theirs).document
    assert doc["steps"][1]["status"] == "completed"
    assert doc["steps"][1]["completed_by"] == "alice"


def test_a_reopened_step_wins_over_the_other_side() -> None:
    base = base_doc()
    ours = edit(base, T1)
    ours["steps"][0].update(status="pending", reopened_by="bob", reopened_at=T1)
    del ours["steps"][0]["completed_by"], ours["steps"][0]["completed_at"]
    theirs = edit(base, T2)
    theirs["steps"][0]["notes"] = "done\nverified"
    doc = merge(base, ours, theirs).document
    assert doc["steps"][0]["status"] == "pending"
    assert doc["steps"][0]["reopened_by"] == "bob"
    assert doc["steps"][0]["notes"] == "done\nverified"


def test_handoff_fields_come_from_the_side_written_last() -> None:
    base = base_doc()
    ours = edit(base, T2, next_session_should=["ours"], handoff_notes="ours")
    theirs = edit(base, T1, next_session_should=["theirs"], handoff_notes="theirs")
    doc = merge(base, ours, theirs).document
    assert doc["next_session_should"] == ["ours"]
    assert doc["handoff_notes"] == "ours"


def test_blockers_merge_as_union_minus_removals() -> None:
    base = base_doc()
    ours = edit(base, T1, blockers=["b", "c"])
    theirs = edit(base, T2, blockers=["a", "b", "d"])
    assert merge(base, ours, theirs).document["blockers"] == ["b", "c", "d"]


def test_appended_notes_keep_both_additions() -> None:
    base = base_doc()
    ours = edit(base, T1)
    ours["steps"][0]["notes"] = "done\nfrom ours"
    theirs = edit(base, T2)
    theirs["steps"][0]["notes"] = "done\nfrom theirs"
    doc = merge(base, ours, theirs).document
    assert doc["steps"][0]["notes"] == "done\nfrom ours\nfrom theirs"


@pytest.mark.parametrize(
    ("ours_change", "theirs_change", "path"),
    [
        ({"owner": "bob"}, {"owner": "carol"}, "$.owner"),
        ({"title": "Ours"}, {"title": "Theirs"}, "$.title"),
        ({"priority": "LOW"}, {"priority": "MEDIUM"}, "$.priority"),
    ],
    ids=["two-new-owners", "two-titles", "two-priorities"],
)
def test_two_different_edits_of_one_field_conflict(
    ours_change: dict[str, Any], theirs_change: dict[str, Any], path: str
) -> None:
    base = base_doc()
    merged = merge(base, edit(base, T1, **ours_change), edit(base, T2, **theirs_change))
    assert path in merged.conflicts


def test_two_different_new_steps_at_one_number_conflict() -> None:
    base = base_doc()
    ours, theirs = edit(base, T1), edit(base, T2)
    ours["steps"].append({"step": 4, "description": "ours", "status": "pending", "notes": ""})
    theirs["steps"].append({"step": 4, "description": "theirs", "status": "pending"})
    assert any("steps[3]" in c for c in merge(base, ours, theirs).conflicts)


def test_an_unchanged_side_takes_the_other_whole() -> None:
    base = base_doc()
    theirs = complete_step(base, 2, T1)
    assert merge(base, base, theirs).document == theirs
    assert merge(base, theirs, base).document == theirs


_edits = st.lists(
    st.sampled_from(["step1", "step2", "step3", "handoff", "blocker", "unblock-a"]),
    min_size=1,
    max_size=3,
    unique=True,
)


def _apply(doc: dict[str, Any], ops: list[str], when: str) -> dict[str, Any]:
    out = edit(doc, when)
    for op in ops:
        if op.startswith("step"):
            step = out["steps"][int(op[-1]) - 1]
            if step["status"] != "completed":
                step.update(status="completed", completed_by="alice", completed_at=when)
        elif op == "handoff":
            out["handoff_notes"] = f"handoff at {when}"
        elif op == "blocker":
            out["blockers"] = [*out["blockers"], f"new at {when}"]
        elif op == "unblock-a":
            out["blockers"] = [b for b in out["blockers"] if b != "a"]
    return out


@settings(max_examples=60, deadline=None)
@given(_edits, _edits)
def test_merge_is_symmetric_where_it_should_be(ours_ops: list[str], theirs_ops: list[str]) -> None:
    base = base_doc()
    ours, theirs = _apply(base, ours_ops, T1), _apply(base, theirs_ops, T2)
    a, b = merge(base, ours, theirs), merge(base, theirs, ours)
    assert a.conflicts == b.conflicts == []
    for key in ("steps", "revision", "updated_at", "progress", "handoff_notes", "owner"):
        assert a.document[key] == b.document[key], key
    assert sorted(a.document["blockers"]) == sorted(b.document["blockers"])
    assert check_document("m.json", a.document, "m").findings == ()


def _branches(repo: Repo, *init: str) -> None:
    """A milestone `m` with step 1 started on main, and a branch `other` from there."""
    assert repo.gm("init", *init).exit_code == 0
    assert (
        repo.gm(
            "new", "Merge", "--id", "m", "--step", "a", "--step", "b", "--step", "c", "--claim"
        ).exit_code
        == 0
    )
    assert repo.gm("advance", "m").exit_code == 0
    repo.git("checkout", "-q", "-b", "other")


def test_git_merge_of_two_branches_uses_the_driver(repo: Repo) -> None:
    _branches(repo)
    assert (
        repo.gm(
            "advance",
            "m",
            "2",
            "--note",
            "b on other",
            env={"GIT_MILESTONE_NOW": "2025-11-15T01:05:00Z"},
        ).exit_code
        == 0
    )
    repo.git("checkout", "-q", "main")
    assert (
        repo.gm(
            "advance",
            "m",
            "3",
            "--note",
            "c on main",
            env={"GIT_MILESTONE_NOW": "2025-11-15T01:06:00Z"},
        ).exit_code
        == 0
    )
    repo.git("merge", "-q", "--no-edit", "other")
    doc = json.loads(repo.read("MILESTONES/m.json"))
    assert [s["status"] for s in doc["steps"]] == ["in_progress", "completed", "completed"]
    assert doc["progress"] == 66
    assert repo.gm("validate").exit_code == 0


def test_git_merge_with_two_new_owners_stops_with_conflict_markers(repo: Repo) -> None:
    _branches(repo)
    assert repo.gm("release", "m").exit_code == 0
    repo.git("checkout", "-q", "main")
    assert repo.gm("release", "m").exit_code == 0
    assert repo.gm("claim", "m", "--as", "carol").exit_code == 0
    repo.git("checkout", "-q", "other")
    # Two claims on two branches happen only where the claims registry is not shared (two
    # clones without a claims remote): drop carol's entry, as bob's clone would not have it.
    repo.git("update-ref", "-d", "refs/milestones/claims/m")
    assert repo.gm("claim", "m", "--as", "bob").exit_code == 0
    repo.git("checkout", "-q", "main")
    proc = repo.git("merge", "--no-edit", "other", check=False)
    text = repo.read("MILESTONES/m.json")
    assert "<<<<<<<" in text and ">>>>>>>" in text
    assert "CONFLICT" in proc or "conflict" in repo.git("status")


def test_a_merge_of_two_branches_passes_the_installed_guard(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    _branches(repo, "--hooks")
    later = {"GIT_MILESTONE_NOW": "2025-11-15T01:10:00Z"}
    assert repo.gm_proc("advance", "m", "2", env=later).exit_code == 0
    repo.git("checkout", "-q", "main")
    latest = {"GIT_MILESTONE_NOW": "2025-11-15T01:20:00Z"}
    assert repo.gm_proc("advance", "m", "3", env=latest).exit_code == 0
    repo.git("merge", "-q", "--no-commit", "other")
    repo.git("commit", "-q", "--no-edit")  # runs the pre-commit guard and commit-msg hook
    doc = json.loads(repo.read("MILESTONES/m.json"))
    assert [s["status"] for s in doc["steps"]] == ["in_progress", "completed", "completed"]
    assert len(repo.git("log", "-1", "--format=%P").split()) == 2
