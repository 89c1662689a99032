"""Merging step lists that a side restructured: which step is which (`matching`), the
three-way merge of removed, moved and added steps against advanced ones, in both orders,
and real `git merge`s through the registered driver with the hooks installed."""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitmilestone import matching
from gitmilestone.merge import merge
from gitmilestone.rules import check_document
from tests.conftest import Repo

Doc = dict[str, Any]
T1, T2 = "2025-11-15T02:00:00Z", "2025-11-15T03:00:00Z"


def step(n: int, description: str, status: str = "pending", **more: str) -> Doc:
    return {"step": n, "description": description, "status": status, **more, "notes": ""}


def base_doc(descriptions: str = "abcd") -> Doc:
    steps = [step(i, d) for i, d in enumerate(descriptions, 1)]
    steps[0].update(
        status="completed",
        started_by="alice",
        started_at="2025-11-15T00:10:00Z",
        completed_by="alice",
        completed_at="2025-11-15T00:20:00Z",
    )
    steps[1].update(status="in_progress", started_by="alice", started_at="2025-11-15T00:20:00Z")
    progress = 100 // len(steps)
    return {
        "milestone_id": "m",
        "title": "Merge me",
        "priority": "HIGH",
        "owner": "alice",
        "status": "in_progress",
        "progress": progress,
        "revision": 5,
        "created_at": "2025-11-15T00:00:00Z",
        "updated_at": "2025-11-15T01:00:00Z",
        "steps": steps,
        "next_session_should": [],
        "blockers": [],
        "handoff_notes": "",
    }


def written(doc: Doc, when: str, steps: list[Doc]) -> Doc:
    out = copy.deepcopy(doc)
    out["steps"] = [{**s, "step": i} for i, s in enumerate(steps, 1)]
    out["updated_at"], out["revision"] = when, doc["revision"] + 1
    return out


def remove(n: int) -> Callable[[Doc, str], Doc]:
    return lambda d, when: written(d, when, [s for s in d["steps"] if s["step"] != n])


def move(n: int, to: int) -> Callable[[Doc, str], Doc]:
    def change(d: Doc, when: str) -> Doc:
        steps = [s for s in d["steps"] if s["step"] != n]
        steps.insert(to - 1, d["steps"][n - 1])
        return written(d, when, steps)

    return change


def complete(n: int) -> Callable[[Doc, str], Doc]:
    def change(d: Doc, when: str) -> Doc:
        out = written(d, when, copy.deepcopy(d["steps"]))
        out["steps"][n - 1].update(status="completed", completed_by="alice", completed_at=when)
        return out

    return change


def rename(n: int, text: str) -> Callable[[Doc, str], Doc]:
    def change(d: Doc, when: str) -> Doc:
        out = written(d, when, copy.deepcopy(d["steps"]))
        out["steps"][n - 1]["description"] = text
        return out

    return change


def add(after: int, text: str) -> Callable[[Doc, str], Doc]:
    def change(d: Doc, when: str) -> Doc:
        steps = copy.deepcopy(d["steps"])
        steps.insert(after, step(0, text))
        return written(d, when, steps)

    return change


def shape(doc: Doc) -> list[str]:
    """`a:completed` for each step, checking the numbers run 1..n."""
    assert [s["step"] for s in doc["steps"]] == list(range(1, len(doc["steps"]) + 1))
    return [f"{s['description']}:{s['status']}" for s in doc["steps"]]


# matching ----------------------------------------------------------------------------------------


def steps_of(descriptions: str) -> list[Doc]:
    return [step(i, d) for i, d in enumerate(descriptions, 1)]


@pytest.mark.parametrize(
    ("old", "new", "aligned"),
    [
        pytest.param("abcd", "abcd", [0, 1, 2, 3], id="same"),
        pytest.param("abcd", "abd", [0, 1, 3], id="removed"),
        pytest.param("abcd", "axbcd", [0, None, 1, 2, 3], id="added"),
        pytest.param("abcd", "dabc", [3, 0, 1, 2], id="moved-up"),
        pytest.param("abcd", "acdb", [0, 2, 3, 1], id="moved-down"),
        pytest.param("abcd", "abXd", [0, 1, 2, 3], id="renamed-in-place"),
        pytest.param("abcd", "bXd", [1, 2, 3], id="removed-and-renamed"),
        pytest.param("abcd", "", [], id="all-removed"),
        pytest.param("aab", "ab", None, id="repeated-and-removed"),
    ],
)
def test_align(old: str, new: str, aligned: list[int | None] | None) -> None:
    assert matching.align(steps_of(old), steps_of(new)) == aligned


def test_repeated_steps_are_told_apart_by_content_when_they_differ() -> None:
    old = steps_of("aab")
    old[0]["status"] = "skipped"
    assert matching.align(old, [old[1], old[2]]) == [1, 2]


def test_loosely_identical_steps_are_taken_in_order() -> None:
    old = steps_of("aab")
    assert matching.align_loosely(old, [old[1], old[2]]) in ([0, 2], [1, 2])


# the merge, pure ---------------------------------------------------------------------------------

Change = Callable[[Doc, str], Doc]


def both_orders(x: Change, y: Change, descriptions: str = "abcd") -> tuple[Any, Any]:
    base = base_doc(descriptions)
    one, other = x(base, T1), y(base, T2)
    return merge(base, one, other), merge(base, other, one)


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        pytest.param(
            remove(3),
            complete(4),
            ["a:completed", "b:in_progress", "d:completed"],
            id="remove-vs-advance",
        ),
        pytest.param(
            remove(1),
            complete(2),
            ["b:completed", "c:pending", "d:pending"],
            id="remove-done-vs-advance",
        ),
        pytest.param(
            move(4, 1),
            complete(3),
            ["d:pending", "a:completed", "b:in_progress", "c:completed"],
            id="move-up-vs-advance",
        ),
        pytest.param(
            move(2, 4),
            complete(3),
            ["a:completed", "c:completed", "d:pending", "b:in_progress"],
            id="move-down-vs-advance",
        ),
        pytest.param(
            rename(4, "D"),
            remove(3),
            ["a:completed", "b:in_progress", "D:pending"],
            id="rename-vs-remove",
        ),
        pytest.param(
            add(1, "new"),
            complete(2),
            ["a:completed", "new:pending", "b:completed", "c:pending", "d:pending"],
            id="add-vs-advance",
        ),
        pytest.param(
            add(4, "e"),
            add(4, "e"),
            ["a:completed", "b:in_progress", "c:pending", "d:pending", "e:pending"],
            id="same-step-added-on-both",
        ),
        pytest.param(
            remove(3),
            remove(3),
            ["a:completed", "b:in_progress", "d:pending"],
            id="same-step-removed-on-both",
        ),
    ],
)
def test_a_change_follows_its_step_to_the_new_place_in_both_orders(
    x: Change, y: Change, expected: list[str]
) -> None:
    for merged in both_orders(x, y):
        assert merged.conflicts == []
        assert shape(merged.document) == expected
        assert check_document("m.json", merged.document, "m").findings == ()


def test_the_advanced_step_keeps_who_and_when_and_the_progress_is_recomputed() -> None:
    merged, _ = both_orders(remove(3), complete(4))
    last = merged.document["steps"][2]
    assert (last["completed_by"], last["completed_at"]) == ("alice", T2)
    assert merged.document["progress"] == 66
    assert merged.document["revision"] == 7


@pytest.mark.parametrize(
    ("x", "y", "descriptions", "where"),
    [
        pytest.param(remove(3), complete(3), "abcd", "removed on one side", id="remove-advanced"),
        pytest.param(move(4, 1), move(3, 1), "abcd", "moved differently", id="two-moves"),
        pytest.param(add(4, "e"), add(4, "f"), "abcd", "two different new steps", id="two-adds"),
        pytest.param(remove(3), complete(4), "abaa", "cannot be told apart", id="repeated"),
    ],
)
def test_what_cannot_be_matched_safely_is_a_conflict_in_both_orders(
    x: Change, y: Change, descriptions: str, where: str
) -> None:
    for merged in both_orders(x, y, descriptions):
        assert any(where in c for c in merged.conflicts), merged.conflicts


# real git merges through the registered driver ---------------------------------------------------

STEPS = ("--step", "a", "--step", "b", "--step", "c", "--step", "d")


def ok(repo: Repo, *args: str, at: str) -> None:
    ran = repo.gm(*args, env={"GIT_MILESTONE_NOW": at})
    assert ran.exit_code == 0, ran.stdout + ran.stderr


def two_branches(repo: Repo, ours: tuple[str, ...], theirs: tuple[str, ...]) -> None:
    """`m` with steps a-d, step a started; `other` does `theirs`, main does `ours`."""
    ok(repo, "init", at="2025-11-15T01:00:00Z")
    ok(repo, "new", "Merge", "--id", "m", *STEPS, "--claim", at="2025-11-15T01:00:00Z")
    ok(repo, "advance", "m", at="2025-11-15T01:01:00Z")
    repo.git("checkout", "-q", "-b", "other")
    ok(repo, *theirs, at="2025-11-15T01:05:00Z")
    repo.git("checkout", "-q", "main")
    ok(repo, *ours, at="2025-11-15T01:06:00Z")


def merged_both_ways(repo: Repo) -> list[list[str]]:
    """Merge `other` into main, then (from before that) main into `other`, each committed by
    git with the hooks installed; the milestone as each merge left it."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    assert repo.gm("install-hooks").exit_code == 0
    out = []
    for branch, into in (("other", "main"), ("main", "other")):
        repo.git("checkout", "-q", into)
        before = repo.head()
        repo.git("merge", "-q", "--no-edit", branch)  # the pre-merge-commit guard runs
        assert len(repo.git("log", "-1", "--format=%P").split()) == 2
        out.append(shape(json.loads(repo.read("MILESTONES/m.json"))))
        assert repo.gm("validate").exit_code == 0
        repo.git("reset", "-q", "--hard", before)
    return out


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        pytest.param(
            ("advance", "m", "4"),
            ("step", "remove", "m", "3"),
            ["a:in_progress", "b:pending", "d:completed"],
            id="remove-vs-advance",
        ),
        pytest.param(
            ("advance", "m", "3"),
            ("step", "move", "m", "4", "--to", "2"),
            ["a:in_progress", "d:pending", "b:pending", "c:completed"],
            id="move-vs-advance",
        ),
    ],
)
def test_git_merge_of_a_restructured_branch_and_an_advanced_one(
    repo: Repo,
    monkeypatch: pytest.MonkeyPatch,
    ours: tuple[str, ...],
    theirs: tuple[str, ...],
    expected: list[str],
) -> None:
    monkeypatch.setenv("PATH", os.environ["PATH"])  # restored after the test
    two_branches(repo, ours, theirs)
    assert merged_both_ways(repo) == [expected, expected]


def test_git_merge_of_a_removed_step_against_its_advance_stops_loudly(repo: Repo) -> None:
    two_branches(repo, ("advance", "m", "3"), ("step", "remove", "m", "3"))
    for branch, into in (("other", "main"), ("main", "other")):
        repo.git("checkout", "-q", into)
        proc = repo.git("merge", "--no-edit", branch, check=False)
        text = repo.read("MILESTONES/m.json")
        assert "<<<<<<<" in text and ">>>>>>>" in text
        assert "CONFLICT" in proc or "conflict" in repo.git("status")
        repo.git("merge", "--abort")
