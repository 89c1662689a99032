"""Editing as pure functions: fields, dependencies and steps, who may do it, and that every
result is a file the validator and the pre-commit guard accept."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmilestone import editing, workflow
from gitmilestone.editing import Edits
from gitmilestone.errors import Invalid, MilestoneError, NotFound, OwnerConflict, UsageError
from gitmilestone.messages import Change, trailers
from gitmilestone.model import Context, Milestone
from gitmilestone.records import replace
from tests.test_workflow import (
    ALICE,
    BOB,
    BOB_LATER,
    OPERATIONS,
    PAUSES,
    apply,
    assert_accepted,
    blocked,
    completed,
    fresh,
    started,
    statuses,
    who,
)


def details(change: Change) -> dict[str, str]:
    return dict(change.details)


def done(steps: int = 4, *, finished: int = 2) -> Milestone:
    """`steps` steps, the first `finished` completed by alice, the next one in progress."""
    m = started(steps)
    for _ in range(finished):
        m = workflow.advance(m, ALICE)[0]
    return m


# edit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edits", "fields"),
    [
        pytest.param(Edits(title="New title"), "title", id="title"),
        pytest.param(Edits(priority="LOW"), "priority", id="priority"),
        pytest.param(Edits(why="because"), "why", id="why"),
        pytest.param(Edits(success="it runs"), "success_criteria", id="success"),
        pytest.param(Edits(add_files=("a.py",)), "related_files", id="file"),
        pytest.param(Edits(add_needs=("a key",)), "dependencies", id="needs"),
        pytest.param(Edits(set_keys=(("x-ticket", "T-1"),)), "x-ticket", id="x-key"),
        pytest.param(
            Edits(set_keys=(("x-b", 1), ("x-a", 2)), priority="HIGH", title="T"),
            "title, priority, x-a, x-b",
            id="fixed-order",
        ),
    ],
)
def test_edit_names_the_fields_it_changed_in_a_fixed_order(edits: Edits, fields: str) -> None:
    old = started()
    new, change = editing.edit(old, ALICE, edits) or pytest.fail("nothing changed")
    assert_accepted(old, new, ALICE)
    assert change.action == "edit"
    assert details(change) == {"Milestone-Fields": fields}
    assert ("Milestone-Fields", fields) in trailers(new, change, "alice")
    assert new.steps == old.steps
    assert new.owner == old.owner


@pytest.mark.parametrize(
    "edits",
    [
        pytest.param(Edits(), id="nothing"),
        pytest.param(Edits(title="Work", priority="MEDIUM"), id="same-values"),
        pytest.param(Edits(add_files=("a.py",)), id="file-already-there"),
        pytest.param(Edits(remove_files=("absent.py",)), id="file-not-there"),
        pytest.param(Edits(remove_deps=("other",)), id="no-such-dependency"),
        pytest.param(Edits(set_keys=(("x-n", 1),)), id="same-json"),
        pytest.param(Edits(unset_keys=("x-absent",)), id="unset-absent"),
        pytest.param(Edits(why=""), id="clear-absent-why"),
    ],
)
def test_edit_with_nothing_to_change_is_none(edits: Edits) -> None:
    m = replace(started(), context=Context(related_files=("a.py",)), extra={"x-n": 1})
    assert editing.edit(m, ALICE, edits) is None


def test_edit_tells_json_values_apart_that_python_finds_equal() -> None:
    m = replace(started(), extra={"x-flag": 1})
    new, _ = editing.edit(m, ALICE, Edits(set_keys=(("x-flag", True),))) or pytest.fail()
    assert new.extra == {"x-flag": True}


def test_edit_adds_and_removes_list_items_and_drops_an_emptied_context() -> None:
    m = replace(started(), context=Context(why="w", related_files=("a.py", "b.py")))
    new, change = (
        editing.edit(m, ALICE, Edits(add_files=("c.py",), remove_files=("a.py",))) or pytest.fail()
    )
    assert new.context is not None and new.context.related_files == ("b.py", "c.py")
    emptied, change = (
        editing.edit(new, ALICE, Edits(why="", remove_files=("b.py", "c.py"))) or pytest.fail()
    )
    assert emptied.context is None
    assert details(change) == {"Milestone-Fields": "why, related_files"}
    assert "context" not in emptied.to_dict()


@pytest.mark.parametrize(
    ("edits", "error"),
    [
        pytest.param(Edits(title=" "), UsageError, id="blank-title"),
        pytest.param(Edits(title="x" * 201), UsageError, id="long-title"),
        pytest.param(Edits(add_files=("a",), remove_files=("a",)), UsageError, id="file-both"),
        pytest.param(Edits(set_keys=(("x-a", 1),), unset_keys=("x-a",)), UsageError, id="key"),
        pytest.param(Edits(add_deps=("nowhere",)), NotFound, id="unknown-dependency"),
    ],
)
def test_edit_refusals(edits: Edits, error: type[MilestoneError]) -> None:
    with pytest.raises(error):
        editing.edit(started(), ALICE, edits, {"work": ()})


def test_edit_by_someone_else_while_held_is_an_owner_conflict() -> None:
    with pytest.raises(OwnerConflict, match="alice holds work"):
        editing.edit(started(), BOB, Edits(title="Mine now"))


@pytest.mark.parametrize("m", [fresh(claim=False), started()], ids=["unowned", "lease-expired"])
def test_anyone_may_edit_fields_when_nobody_holds_it_and_the_owner_stays(m: Milestone) -> None:
    new, change = editing.edit(m, BOB_LATER, Edits(title="Reviewed")) or pytest.fail()
    assert_accepted(m, new, BOB_LATER)
    assert new.owner == m.owner
    assert change.previous_owner is None


# dependencies ------------------------------------------------------------------------------------

GRAPH = {"work": (), "a": ("b",), "b": ("c",), "c": (), "d": ("work",)}


@pytest.mark.parametrize(
    ("start", "adding", "cycle"),
    [
        pytest.param("work", ("work",), ["work", "work"], id="itself"),
        pytest.param("work", ("d",), ["work", "d", "work"], id="direct"),
        pytest.param("c", ("a",), ["c", "a", "b", "c"], id="through-others"),
        pytest.param("work", ("a",), None, id="no-cycle"),
        pytest.param("a", ("c", "work"), None, id="diamond"),
    ],
)
def test_find_cycle(start: str, adding: tuple[str, ...], cycle: list[str] | None) -> None:
    assert editing.find_cycle(start, GRAPH, adding) == cycle


def test_dep_add_names_the_cycle_it_would_make() -> None:
    graph = {**GRAPH, "c": ("work",)}
    with pytest.raises(Invalid, match=r"work -> a -> b -> c -> work"):
        editing.dep_add(started(), ALICE, "a", graph)
    with pytest.raises(Invalid, match=r"work -> d -> work"):
        editing.edit(started(), ALICE, Edits(add_deps=("d",)), GRAPH)


def test_dep_add_and_remove() -> None:
    old = started()
    new, change = editing.dep_add(old, ALICE, "a", GRAPH) or pytest.fail()
    assert_accepted(old, new, ALICE)
    assert new.depends_on == ("a",)
    assert (change.action, details(change)) == ("dep-add", {"Milestone-Dependency": "a"})
    assert editing.dep_add(new, ALICE, "a", GRAPH) is None
    gone, change = editing.dep_remove(new, ALICE, "a") or pytest.fail()
    assert gone.depends_on is None and "depends_on" not in gone.to_dict()
    assert (change.action, details(change)) == ("dep-remove", {"Milestone-Dependency": "a"})
    assert editing.dep_remove(gone, ALICE, "a") is None


def test_dep_add_of_an_unknown_milestone_is_refused() -> None:
    with pytest.raises(NotFound, match="no milestone 'zzz'"):
        editing.dep_add(started(), ALICE, "zzz", GRAPH)


def test_dep_change_by_someone_else_while_held_is_an_owner_conflict() -> None:
    with pytest.raises(OwnerConflict):
        editing.dep_add(started(), BOB, "a", GRAPH)


# step edit ---------------------------------------------------------------------------------------


def test_step_edit_changes_text_and_notes_whatever_the_status() -> None:
    old = done()
    new, change = (
        editing.step_edit(old, ALICE, 1, description="Step one, renamed", notes="redone notes")
        or pytest.fail()
    )
    assert_accepted(old, new, ALICE)
    assert (new.steps[0].description, new.steps[0].notes) == ("Step one, renamed", "redone notes")
    assert statuses(new) == statuses(old)
    assert change.action == "step-edit" and change.steps == (1,)
    assert details(change) == {"Milestone-Fields": "description, notes"}
    assert change.note == "redone notes"


def test_a_pending_steps_notes_are_replaced_and_cleared() -> None:
    old = started()
    new, _ = editing.step_edit(old, ALICE, 3, notes="check the logs first") or pytest.fail()
    assert new.steps[2].notes == "check the logs first" and new.steps[2].status == "pending"
    again, change = editing.step_edit(new, ALICE, 3, notes="") or pytest.fail()
    assert again.steps[2].notes == ""
    assert details(change) == {"Milestone-Fields": "notes"}
    assert editing.step_edit(again, ALICE, 3, notes="", description="step 3") is None


def test_step_edit_takes_an_unheld_milestone_as_every_change_of_steps_does() -> None:
    old = started()
    new, change = editing.step_edit(old, BOB_LATER, 2, description="b") or pytest.fail()
    assert_accepted(old, new, BOB_LATER)
    assert new.owner == "bob" and change.previous_owner == "alice"


@pytest.mark.parametrize(
    ("make", "actor", "number", "error"),
    [
        pytest.param(started, BOB, 1, OwnerConflict, id="held-by-alice"),
        pytest.param(completed, ALICE, 1, Invalid, id="completed"),
        pytest.param(started, ALICE, 9, NotFound, id="no-such-step"),
    ],
)
def test_step_edit_refusals(
    make: object, actor: workflow.Actor, number: int, error: type[MilestoneError]
) -> None:
    with pytest.raises(error):
        editing.step_edit(make(), actor, number, description="x")  # type: ignore[operator]


def test_step_edit_to_an_empty_description_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        editing.step_edit(started(), ALICE, 1, description="  ")


# step remove -------------------------------------------------------------------------------------


def test_removing_a_pending_step_renumbers_the_rest() -> None:
    old = done(5)
    new, change = editing.step_remove(old, ALICE, 4)
    assert_accepted(old, new, ALICE)
    assert [s.description for s in new.steps] == ["step 1", "step 2", "step 3", "step 5"]
    assert [s.step for s in new.steps] == [1, 2, 3, 4]
    assert (change.action, change.removed, change.forced) == ("step-remove", 4, False)
    assert ("Milestone-Step-Status", "removed") in trailers(new, change, "alice")
    assert new.progress == 50


@pytest.mark.parametrize("number", [1, 3], ids=["completed", "in-progress"])
def test_removing_a_started_or_done_step_needs_force_and_is_recorded(number: int) -> None:
    old = done()
    with pytest.raises(Invalid, match="--force"):
        editing.step_remove(old, ALICE, number)
    new, change = editing.step_remove(old, ALICE, number, force=True)
    assert_accepted(old, new, ALICE)
    assert change.forced
    assert ("Milestone-Forced", "true") in trailers(new, change, "alice")


def test_removing_done_work_before_others_credits_nobody_wrongly() -> None:
    # bob takes over after alice's lease expired: the steps alice finished move up a place,
    # and the guard must not see bob rewriting who finished them, nor undoing them.
    old = done(5, finished=3)
    new, change = editing.step_remove(old, BOB_LATER, 1, force=True)
    assert_accepted(old, new, BOB_LATER)
    assert statuses(new) == ["completed", "completed", "in_progress", "pending"]
    assert new.owner == "bob" and change.previous_owner == "alice"


def test_removing_the_last_unfinished_step_completes_the_work_as_advance_would() -> None:
    old = done(3)  # steps 1-2 completed, 3 in progress
    new, change = editing.step_remove(old, ALICE, 3, force=True)
    assert_accepted(old, new, ALICE)
    assert (new.status, new.progress, new.owner) == ("completed", 100, None)
    assert change.summary.endswith("milestone completed")
    via_advance, _ = workflow.advance(old, ALICE)
    assert (via_advance.status, via_advance.owner) == (new.status, new.owner)


def test_removing_the_only_step_leaves_a_milestone_without_steps() -> None:
    pending = fresh(1)
    new, change = editing.step_remove(pending, ALICE, 1)
    assert_accepted(pending, new, ALICE)
    assert (new.steps, new.status, new.progress, change.forced) == ((), "pending", 0, False)
    running = started(1)
    new, change = editing.step_remove(running, ALICE, 1, force=True)
    assert_accepted(running, new, ALICE)
    assert (new.steps, new.status, new.progress, change.forced) == ((), "in_progress", 0, True)


def test_removing_the_step_that_blocks_the_work_says_to_unblock_first() -> None:
    m = replace(blocked(), blockers=())
    with pytest.raises(Invalid, match="unblock"):
        editing.step_remove(m, ALICE, 1, force=True)
    new, _ = editing.step_remove(blocked(), ALICE, 1, force=True)
    assert new.status == "blocked" and new.blockers


@pytest.mark.parametrize(
    ("make", "actor", "error"),
    [
        pytest.param(started, BOB, OwnerConflict, id="held-by-alice"),
        pytest.param(completed, ALICE, Invalid, id="completed"),
    ],
)
def test_step_remove_refusals(
    make: object, actor: workflow.Actor, error: type[MilestoneError]
) -> None:
    with pytest.raises(error):
        editing.step_remove(make(), actor, 3, force=True)  # type: ignore[operator]


# step move ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "to", "order"),
    [
        pytest.param(4, 1, ["step 4", "step 1", "step 2", "step 3"], id="to-first"),
        pytest.param(3, 4, ["step 1", "step 2", "step 4", "step 3"], id="down"),
    ],
)
def test_moving_a_pending_step(number: int, to: int, order: list[str]) -> None:
    old = started(4)
    new, change = editing.step_move(old, ALICE, number, to=to) or pytest.fail()
    assert_accepted(old, new, ALICE)
    assert [s.description for s in new.steps] == order
    assert [s.step for s in new.steps] == [1, 2, 3, 4]
    assert change.steps == (to,) and details(change) == {"Milestone-Step-From": str(number)}
    assert new.steps[to - 1].status == "pending" and not change.forced


def test_moving_a_done_step_needs_force_and_keeps_who_did_it() -> None:
    old = done(4)
    with pytest.raises(Invalid, match="--force"):
        editing.step_move(old, ALICE, 1, to=4)
    new, change = editing.step_move(old, BOB_LATER, 1, to=4, force=True) or pytest.fail()
    assert_accepted(old, new, BOB_LATER)
    assert change.forced
    assert new.steps[3].completed_by == "alice" and new.steps[3].description == "step 1"


def test_moving_a_step_to_where_it_is_changes_nothing() -> None:
    assert editing.step_move(started(), ALICE, 2, to=2) is None


def test_moving_past_the_end_is_refused() -> None:
    with pytest.raises(NotFound, match=r"steps 1\.\.3"):
        editing.step_move(started(), ALICE, 2, to=4)


# property: editing among the other operations keeps every file rule and passes the guard -------

EDITS = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(["alice", "bob"]), st.sampled_from(["T", "U"])),
    st.tuples(
        st.just("step-edit"), st.sampled_from(["alice", "bob"]), st.integers(1, 4), st.booleans()
    ),
    st.tuples(
        st.just("remove"), st.sampled_from(["alice", "bob"]), st.integers(1, 4), st.booleans()
    ),
    st.tuples(
        st.just("move"),
        st.sampled_from(["alice", "bob"]),
        st.integers(1, 4),
        st.integers(1, 4),
        st.booleans(),
    ),
)


def apply_edit(
    m: Milestone, op: tuple[object, ...], actor: workflow.Actor
) -> tuple[Milestone, Change] | None:
    kind, args = op[0], op[2:]
    if kind == "edit":
        return editing.edit(m, actor, Edits(title=str(args[0])))
    if kind == "step-edit":
        text = f"edited at {actor.now:%H%M}"
        if args[1]:
            return editing.step_edit(m, actor, int(args[0]), description=text)
        return editing.step_edit(m, actor, int(args[0]), notes=text)
    if kind == "remove":
        return editing.step_remove(m, actor, int(args[0]), force=bool(args[1]))
    if kind == "move":
        return editing.step_move(m, actor, int(args[0]), to=int(args[1]), force=bool(args[2]))
    return apply(m, op, actor)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(OPERATIONS, EDITS), PAUSES), min_size=1, max_size=14))
def test_edits_among_other_operations_keep_every_rule_and_pass_the_guard(
    sequence: list[tuple[tuple[object, ...], int]],
) -> None:
    m = fresh(4, claim=False)
    minutes = 0.0
    for op, pause in sequence:
        minutes += pause
        actor = who(str(op[1]), minutes)
        try:
            outcome = apply_edit(m, op, actor)
        except MilestoneError:
            continue
        if outcome is None:
            continue
        new, change = outcome
        assert_accepted(m, new, actor, forced=change.forced and change.action == "claim")
        assert [s.step for s in new.steps] == list(range(1, len(new.steps) + 1))
        m = new
