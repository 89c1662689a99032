"""The workflow operations as pure functions: what each does to a milestone, and that every
result is a file the validator and the pre-commit guard accept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmilestone import rules, workflow
from gitmilestone.errors import Invalid, MilestoneError, NotFound, OwnerConflict, UsageError
from gitmilestone.messages import Change
from gitmilestone.model import Milestone
from gitmilestone.workflow import Actor

T0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)
LEASE = timedelta(hours=2)
FILE = "MILESTONES/work.json"


def who(name: str = "alice", minutes: float = 0) -> Actor:
    return Actor(name, T0 + timedelta(minutes=minutes), LEASE)


ALICE = who("alice")
BOB = who("bob")
BOB_LATER = who("bob", minutes=121)


def fresh(steps: int = 3, *, claim: bool = True) -> Milestone:
    m, _ = workflow.create(
        "work",
        "Work",
        ALICE,
        steps=tuple(f"step {i}" for i in range(1, steps + 1)),
        claim=claim,
    )
    return m


def started(steps: int = 3) -> Milestone:
    return workflow.advance(fresh(steps), ALICE)[0]


def blocked() -> Milestone:
    return workflow.block(started(), ALICE, reason="waiting for credentials", step=1)[0]


def completed() -> Milestone:
    return workflow.complete(started(), ALICE, force=True)[0]


def abandoned() -> Milestone:
    outcome = workflow.abandon(started(), ALICE, reason="no longer needed")
    assert outcome is not None
    return outcome[0]


def assert_accepted(
    old: Milestone | None, new: Milestone, actor: Actor, *, forced: bool = False
) -> None:
    """The file a command would write passes `validate` and the staged-vs-HEAD guard."""
    checked = rules.check_bytes(FILE, new.dumps().encode("utf-8"), "work")
    assert [str(f) for f in checked.findings] == []
    assert checked.milestone == new
    findings = rules.change_findings(
        FILE, old, new, actor=actor.name, now=actor.now, lease=actor.lease, forced=forced
    )
    assert [str(f) for f in findings] == []
    if old is not None:
        assert new.revision == old.revision + 1
        assert new.updated_at > old.updated_at
        assert new.updated_by == actor.name


def statuses(m: Milestone) -> list[str]:
    return [s.status for s in m.steps]


# create ------------------------------------------------------------------------------------------


def test_create_is_a_valid_pending_milestone_at_revision_1() -> None:
    m, change = workflow.create(
        "work",
        "Work",
        ALICE,
        priority="HIGH",
        steps=("one", "two"),
        why="because",
        success="it runs",
        files=("src/app.py",),
        needs=("a server",),
        depends_on=("setup",),
    )
    assert_accepted(None, m, ALICE)
    assert (m.status, m.owner, m.revision, m.progress, m.priority) == (
        "pending",
        None,
        1,
        0,
        "HIGH",
    )
    assert [(s.step, s.description, s.status) for s in m.steps] == [
        (1, "one", "pending"),
        (2, "two", "pending"),
    ]
    assert m.context is not None and m.context.related_files == ("src/app.py",)
    assert m.depends_on == ("setup",)
    assert change == Change("create", 'create "Work" (2 steps)')


def test_create_with_claim_owns_it_from_the_start() -> None:
    m = fresh(claim=True)
    assert (m.owner, m.claimed_at) == ("alice", T0)


# claim / release ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "force", "previous", "forced"),
    [
        pytest.param(BOB_LATER, False, "alice", False, id="lease-expired"),
        pytest.param(BOB, True, "alice", True, id="forced-takeover"),
    ],
)
def test_claim_from_another_owner(actor: Actor, force: bool, previous: str, forced: bool) -> None:
    old = fresh()
    new, change = workflow.claim(old, actor, force=force) or pytest.fail("no change")
    assert_accepted(old, new, actor, forced=forced)
    assert (new.owner, change.previous_owner, change.forced) == ("bob", previous, forced)


def test_claim_unowned_records_no_previous_owner() -> None:
    old = fresh(claim=False)
    new, change = workflow.claim(old, BOB) or pytest.fail("no change")
    assert_accepted(old, new, BOB)
    assert (new.owner, new.claimed_at, change.previous_owner) == ("bob", T0 + workflow.TICK, None)


def test_claim_held_by_another_is_an_owner_conflict_naming_the_holder() -> None:
    with pytest.raises(OwnerConflict, match=r"alice holds work.*claim work --force"):
        workflow.claim(fresh(), BOB)


def test_claiming_your_own_milestone_again_changes_nothing() -> None:
    assert workflow.claim(fresh(), ALICE) is None


@pytest.mark.parametrize("state", [completed, abandoned], ids=["completed", "abandoned"])
def test_claim_of_a_closed_milestone_says_to_reopen(state: Callable[[], Milestone]) -> None:
    with pytest.raises(Invalid, match=r"reopen work"):
        workflow.claim(state(), BOB)


def test_release_keeps_the_status_and_clears_the_owner() -> None:
    old = started()
    new, change = workflow.release(old, ALICE) or pytest.fail("no change")
    assert_accepted(old, new, ALICE)
    assert (new.status, new.owner, new.claimed_at) == ("in_progress", None, None)
    assert change.previous_owner == "alice"


def test_release_of_an_unowned_milestone_changes_nothing() -> None:
    assert workflow.release(fresh(claim=False), ALICE) is None


def test_release_by_someone_else_during_the_lease_is_refused() -> None:
    with pytest.raises(OwnerConflict):
        workflow.release(started(), BOB)


# advance -----------------------------------------------------------------------------------------


def test_advance_starts_the_first_pending_step() -> None:
    old = fresh()
    new, change = workflow.advance(old, ALICE, note="starting")
    assert_accepted(old, new, ALICE)
    assert statuses(new) == ["in_progress", "pending", "pending"]
    assert new.status == "in_progress"
    assert (new.steps[0].started_by, new.steps[0].notes) == ("alice", "starting")
    assert change.steps == (1,)
    assert change.summary == 'start step 1/3 "step 1" (0%)'


def test_advance_completes_the_current_step_and_starts_the_next() -> None:
    old = started()
    new, change = workflow.advance(old, ALICE, note="done it")
    assert_accepted(old, new, ALICE)
    assert statuses(new) == ["completed", "in_progress", "pending"]
    assert (new.steps[0].completed_by, new.steps[0].notes, new.steps[1].notes) == (
        "alice",
        "done it",
        "",
    )
    assert (new.progress, change.steps) == (33, (1, 2))


def test_completing_the_last_step_completes_and_releases() -> None:
    m = started(steps=2)
    m = workflow.advance(m, ALICE)[0]
    new, change = workflow.advance(m, ALICE)
    assert_accepted(m, new, ALICE)
    assert (new.status, new.owner, new.progress) == ("completed", None, 100)
    assert change.summary.endswith("(100%), milestone completed")


def test_advance_of_an_unowned_milestone_claims_it_in_the_same_change() -> None:
    old = fresh(claim=False)
    new, _ = workflow.advance(old, BOB)
    assert_accepted(old, new, BOB)
    assert (new.owner, new.steps[0].started_by) == ("bob", "bob")


def test_advance_after_the_owners_lease_expired_takes_it_over() -> None:
    old = started()
    new, change = workflow.advance(old, BOB_LATER)
    assert_accepted(old, new, BOB_LATER)
    assert (new.owner, change.previous_owner) == ("bob", "alice")


@pytest.mark.parametrize(
    ("step", "to", "expected", "status"),
    [
        pytest.param(
            2, "completed", ["in_progress", "completed", "pending"], "in_progress", id="2"
        ),
        pytest.param(3, "skipped", ["in_progress", "pending", "skipped"], "in_progress", id="skip"),
        pytest.param(1, "pending", ["pending", "pending", "pending"], "in_progress", id="back"),
        pytest.param(
            2, "in_progress", ["in_progress", "in_progress", "pending"], "in_progress", id="start"
        ),
    ],
)
def test_advance_one_step_to_a_status(step: int, to: str, expected: list[str], status: str) -> None:
    old = started()
    new, change = workflow.advance(old, ALICE, step=step, to=to)  # type: ignore[arg-type]
    assert_accepted(old, new, ALICE)
    assert statuses(new) == expected
    assert new.status == status
    assert change.steps == (step,)


def test_advance_a_done_step_back_records_a_reopen() -> None:
    old = workflow.advance(started(), ALICE)[0]
    new, _ = workflow.advance(old, ALICE, step=1, to="in_progress")
    assert_accepted(old, new, ALICE)
    assert (new.steps[0].status, new.steps[0].reopened_by) == ("in_progress", "alice")
    assert new.steps[0].completed_at is None


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        pytest.param(blocked, Invalid, r"unblock work", id="blocked"),
        pytest.param(completed, Invalid, r"reopen work", id="completed"),
        pytest.param(abandoned, Invalid, r"reopen work", id="abandoned"),
    ],
)
def test_advance_is_refused_with_what_to_run(
    state: Callable[[], Milestone], error: type[MilestoneError], message: str
) -> None:
    with pytest.raises(error, match=message):
        workflow.advance(state(), ALICE)


def test_advance_by_someone_else_during_the_lease_is_an_owner_conflict() -> None:
    with pytest.raises(OwnerConflict, match="alice holds work"):
        workflow.advance(started(), BOB, step=2)


def test_advance_to_a_missing_step_says_how_many_there_are() -> None:
    with pytest.raises(NotFound, match=r"no step 9 \(it has 3\)"):
        workflow.advance(started(), ALICE, step=9)


def test_advance_to_without_a_step_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--to needs a STEP"):
        workflow.advance(started(), ALICE, to="completed")


def test_advance_of_a_milestone_without_steps_starts_the_work() -> None:
    old = fresh(steps=0)
    new, change = workflow.advance(old, ALICE)
    assert_accepted(old, new, ALICE)
    assert (new.status, change.summary) == ("in_progress", "start work (no steps)")
    with pytest.raises(Invalid, match="no pending step"):
        workflow.advance(new, ALICE)


# block / unblock ---------------------------------------------------------------------------------


def test_block_with_a_step_blocks_it_and_the_milestone() -> None:
    old = started()
    new, change = workflow.block(old, ALICE, reason="waiting for credentials", step=1)
    assert_accepted(old, new, ALICE)
    assert (new.status, new.blockers, statuses(new)[0]) == (
        "blocked",
        ("waiting for credentials",),
        "blocked",
    )
    assert (change.action, change.steps, change.note) == ("block", (1,), "waiting for credentials")


def test_blocking_twice_with_the_same_reason_keeps_one_blocker() -> None:
    m = workflow.block(blocked(), ALICE, reason="waiting for credentials")[0]
    assert m.blockers == ("waiting for credentials",)


def test_block_needs_a_reason() -> None:
    with pytest.raises(UsageError, match="--reason"):
        workflow.block(started(), ALICE, reason="  ")


@pytest.mark.parametrize(
    ("state", "status", "first_step"),
    [
        pytest.param(blocked, "in_progress", "in_progress", id="started-step"),
        pytest.param(
            lambda: workflow.block(fresh(), ALICE, reason="r")[0],
            "pending",
            "pending",
            id="pending",
        ),
    ],
)
def test_unblock_goes_back_to_where_the_work_was(
    state: Callable[[], Milestone], status: str, first_step: str
) -> None:
    old = state()
    new, change = workflow.unblock(old, ALICE) or pytest.fail("no change")
    assert_accepted(old, new, ALICE)
    assert (new.status, new.blockers, statuses(new)[0]) == (status, (), first_step)
    assert change.action == "unblock"


def test_unblock_of_an_unblocked_milestone_changes_nothing() -> None:
    assert workflow.unblock(started(), ALICE) is None


# handoff -----------------------------------------------------------------------------------------


def test_handoff_replaces_instructions_and_can_release() -> None:
    old = started()
    new, change = workflow.handoff(
        old, ALICE, next_steps=("check logs", "run step 2"), notes="halfway", release=True
    )
    assert_accepted(old, new, ALICE)
    assert new.next_session_should == ("check logs", "run step 2")
    assert (new.handoff_notes, new.owner, new.status) == ("halfway", None, "in_progress")
    assert (change.note, change.previous_owner) == ("halfway", "alice")


def test_handoff_needs_something_to_hand_off() -> None:
    with pytest.raises(UsageError, match="--next"):
        workflow.handoff(started(), ALICE)


# complete / abandon / reopen ---------------------------------------------------------------------


def test_complete_refuses_unfinished_steps_and_names_force() -> None:
    with pytest.raises(Invalid, match=r"unfinished steps \[1, 2, 3\].*complete --force"):
        workflow.complete(started(), ALICE)


def test_complete_force_skips_the_unfinished_steps() -> None:
    old = workflow.advance(started(), ALICE)[0]
    new, change = workflow.complete(old, ALICE, force=True, notes="good enough")
    assert_accepted(old, new, ALICE)
    assert statuses(new) == ["completed", "skipped", "skipped"]
    assert (new.status, new.owner, new.progress, new.completion_notes) == (
        "completed",
        None,
        100,
        "good enough",
    )
    assert change.steps == (2, 3)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        pytest.param(fresh, r"run `git milestone advance work` first", id="pending"),
        pytest.param(blocked, r"run `git milestone unblock work` first", id="blocked"),
        pytest.param(completed, r"reopen work", id="completed"),
    ],
)
def test_complete_is_only_for_work_in_progress(
    state: Callable[[], Milestone], message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        workflow.complete(state(), ALICE, force=True)


def test_abandon_keeps_the_reason_and_releases() -> None:
    old = started()
    new, change = workflow.abandon(old, ALICE, reason="no longer needed") or pytest.fail("none")
    assert_accepted(old, new, ALICE)
    assert (new.status, new.owner, new.completion_notes) == (
        "abandoned",
        None,
        "no longer needed",
    )
    assert change.summary == "abandon: no longer needed"


def test_abandon_twice_changes_nothing() -> None:
    assert workflow.abandon(abandoned(), ALICE, reason="again") is None


def test_abandon_of_a_completed_milestone_says_to_reopen_it() -> None:
    with pytest.raises(Invalid, match=r"reopen work"):
        workflow.abandon(completed(), ALICE, reason="oops")


@pytest.mark.parametrize(
    ("state", "status", "owner"),
    [
        pytest.param(completed, "in_progress", "bob", id="completed"),
        pytest.param(abandoned, "pending", None, id="abandoned"),
    ],
)
def test_reopen_a_closed_milestone(
    state: Callable[[], Milestone], status: str, owner: str | None
) -> None:
    old = state()
    new, change = workflow.reopen(old, BOB)
    assert_accepted(old, new, BOB)
    assert (new.status, new.owner, change.action) == (status, owner, "reopen")
    assert "in_progress" not in statuses(new) or status == "in_progress"


def test_reopen_of_open_work_is_refused() -> None:
    with pytest.raises(Invalid, match="only completed or abandoned"):
        workflow.reopen(started(), ALICE)


def test_reopen_a_done_step_of_a_completed_milestone() -> None:
    old = workflow.complete(workflow.advance(started(), ALICE)[0], ALICE, force=True)[0]
    new, change = workflow.reopen(old, ALICE, step=1)
    assert_accepted(old, new, ALICE)
    assert statuses(new) == ["pending", "skipped", "skipped"]
    assert (new.status, new.owner, new.steps[0].reopened_by) == ("in_progress", "alice", "alice")
    assert (change.action, change.steps) == ("reopen", (1,))


def test_reopen_of_a_step_that_is_not_done_is_refused() -> None:
    with pytest.raises(Invalid, match="not done"):
        workflow.reopen(started(), ALICE, step=1)


# step add ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        pytest.param(None, ["step 1", "step 2", "step 3", "new"], id="last"),
        pytest.param(0, ["new", "step 1", "step 2", "step 3"], id="first"),
        pytest.param(1, ["step 1", "new", "step 2", "step 3"], id="after-1"),
    ],
)
def test_step_add_renumbers(after: int | None, expected: list[str]) -> None:
    old = started()
    new, change = workflow.add_step(old, ALICE, "new", after=after)
    assert_accepted(old, new, ALICE)
    assert [s.description for s in new.steps] == expected
    assert [s.step for s in new.steps] == [1, 2, 3, 4]
    in_progress = [s.description for s in new.steps if s.status == "in_progress"]
    assert in_progress == ["step 1"]
    assert change.steps == (expected.index("new") + 1,)


def test_step_add_before_done_steps_still_passes_the_guard() -> None:
    old = workflow.advance(workflow.advance(started(), ALICE)[0], ALICE)[0]
    new, _ = workflow.add_step(old, BOB_LATER, "first things first", after=0)
    assert_accepted(old, new, BOB_LATER)
    assert statuses(new) == ["pending", "completed", "completed", "in_progress"]
    assert new.progress == 50


@pytest.mark.parametrize(
    ("after", "error"),
    [pytest.param(4, NotFound, id="past-the-end"), pytest.param(None, UsageError, id="empty")],
)
def test_step_add_refusals(after: int | None, error: type[MilestoneError]) -> None:
    with pytest.raises(error):
        workflow.add_step(started(), ALICE, "" if after is None else "x", after=after)


def test_step_add_to_a_completed_milestone_says_to_reopen() -> None:
    with pytest.raises(Invalid, match="reopen work"):
        workflow.add_step(completed(), ALICE, "one more")


# time --------------------------------------------------------------------------------------------


def test_updated_at_only_moves_forward_even_when_the_clock_goes_back() -> None:
    old = started()
    earlier = Actor("alice", T0 - timedelta(hours=1), LEASE)
    new, _ = workflow.advance(old, earlier)
    assert new.updated_at == old.updated_at + workflow.TICK
    assert new.steps[0].completed_at == new.updated_at


# property: any sequence of operations stays valid and passes the guard ---------------------------

ACTORS = st.sampled_from(["alice", "bob"])
TEXT = st.sampled_from(["x", "two words", "line one\nline two"])
OPERATIONS = st.one_of(
    st.tuples(st.just("claim"), ACTORS, st.booleans()),
    st.tuples(st.just("release"), ACTORS),
    st.tuples(st.just("advance"), ACTORS, st.none() | st.integers(1, 4), TEXT),
    st.tuples(
        st.just("set"),
        ACTORS,
        st.integers(1, 4),
        st.sampled_from(["pending", "in_progress", "completed", "skipped", "blocked"]),
    ),
    st.tuples(st.just("block"), ACTORS, TEXT, st.none() | st.integers(1, 4)),
    st.tuples(st.just("unblock"), ACTORS),
    st.tuples(st.just("handoff"), ACTORS, st.booleans()),
    st.tuples(st.just("complete"), ACTORS, st.booleans()),
    st.tuples(st.just("abandon"), ACTORS),
    st.tuples(st.just("reopen"), ACTORS, st.none() | st.integers(1, 4)),
    st.tuples(st.just("add"), ACTORS, st.none() | st.integers(0, 4)),
)
PAUSES = st.sampled_from([0, 1, 90, 200])


def apply(m: Milestone, op: tuple[object, ...], actor: Actor) -> tuple[Milestone, Change] | None:
    kind, args = op[0], op[2:]
    if kind == "claim":
        return workflow.claim(m, actor, force=bool(args[0]))
    if kind == "release":
        return workflow.release(m, actor)
    if kind == "advance":
        return workflow.advance(m, actor, step=args[0], note=str(args[1]))  # type: ignore[arg-type]
    if kind == "set":
        return workflow.advance(m, actor, step=args[0], to=args[1])  # type: ignore[arg-type]
    if kind == "block":
        return workflow.block(m, actor, reason=str(args[0]), step=args[1])  # type: ignore[arg-type]
    if kind == "unblock":
        return workflow.unblock(m, actor)
    if kind == "handoff":
        return workflow.handoff(m, actor, next_steps=("go on",), release=bool(args[0]))
    if kind == "complete":
        return workflow.complete(m, actor, force=bool(args[0]))
    if kind == "abandon":
        return workflow.abandon(m, actor, reason="stop")
    if kind == "reopen":
        return workflow.reopen(m, actor, step=args[0])  # type: ignore[arg-type]
    return workflow.add_step(m, actor, "added", after=args[0])  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(OPERATIONS, PAUSES), min_size=1, max_size=14))
def test_any_sequence_of_operations_keeps_every_file_rule_and_passes_the_guard(
    sequence: list[tuple[tuple[object, ...], int]],
) -> None:
    m = fresh(claim=False)
    minutes = 0.0
    for op, pause in sequence:
        minutes += pause
        actor = who(str(op[1]), minutes)
        try:
            outcome = apply(m, op, actor)
        except MilestoneError:
            continue
        if outcome is None:
            continue
        new, change = outcome
        assert_accepted(m, new, actor, forced=change.forced)
        assert new.progress == new.derived_progress
        m = new
    assert m.revision >= 1
