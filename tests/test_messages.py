"""Commit messages: the subject, the note, the final trailer block, and reading it back."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from gitmilestone import workflow
from gitmilestone.messages import (
    Change,
    Record,
    format_message,
    parse_trailer_lines,
    record,
    subject,
    trailers,
)
from gitmilestone.model import Milestone
from gitmilestone.records import replace
from gitmilestone.workflow import Actor

T0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)
ALICE = Actor("alice", T0, timedelta(hours=2))


def milestone() -> Milestone:
    m, _ = workflow.create("work", "Work", ALICE, steps=("one", "two", "three"), claim=True)
    return workflow.advance(workflow.advance(m, ALICE)[0], ALICE)[0]


def git_trailers(message: str) -> list[tuple[str, str]]:
    """The trailers as git's own parser reads them (no repository needed)."""
    proc = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=message,
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_trailer_lines(proc.stdout)


def paragraphs(message: str) -> list[str]:
    return message.rstrip("\n").split("\n\n")


def test_message_is_subject_note_and_a_final_trailer_block() -> None:
    m = milestone()
    change = Change("advance", 'complete step 1/3 "one" (33%)', note="it went well", steps=(1, 2))
    message = format_message(m, change, "alice")
    assert message.endswith("\n") and not message.endswith("\n\n")
    subject_line, body, block = paragraphs(message)
    assert subject_line == 'milestone(work): complete step 1/3 "one" (33%)'
    assert body == "  it went well"
    assert block.splitlines() == [
        "Milestone: work",
        "Milestone-Action: advance",
        "Milestone-Step: 1",
        "Milestone-Step-Status: completed",
        "Milestone-Step: 2",
        "Milestone-Step-Status: in_progress",
        "Milestone-Status: in_progress",
        "Milestone-Progress: 33",
        "Milestone-Steps: 3",
        "Milestone-Owner: alice",
        "Milestone-Actor: alice",
        f"Milestone-Revision: {m.revision}",
    ]


def test_without_a_note_there_is_no_body() -> None:
    message = format_message(milestone(), Change("claim", "claim by alice"), "alice")
    assert len(paragraphs(message)) == 2


@pytest.mark.parametrize(
    ("note", "body"),
    [
        pytest.param("\n  padded  \n\n", "    padded", id="trimmed"),
        pytest.param("a  \nb\t", "  a\n  b", id="trailing-space"),
        pytest.param("first\n---\nlast", "  first\n  ---\n  last", id="divider"),
        pytest.param("--- a/file", "  --- a/file", id="diff-header"),
        pytest.param("----", "  ----", id="four-dashes"),
        pytest.param("x\r\ny", "  x\n  y", id="crlf"),
        pytest.param("x\ry", "  x\n  y", id="cr"),
        pytest.param("a\x1b[2Jb", "  a\\x1b[2Jb", id="escape-sequence"),
        pytest.param("a\u2028b", "  a\\u2028b", id="line-separator"),
    ],
)
def test_note_lines_are_cleaned(note: str, body: str) -> None:
    message = format_message(milestone(), Change("advance", "s", note=note), "alice")
    assert paragraphs(message)[1] == body


def test_takeover_adds_previous_owner_and_forced_at_the_end() -> None:
    m = replace(milestone(), owner="bob")
    pairs = trailers(m, Change("claim", "s", forced=True, previous_owner="alice"), "bob")
    assert pairs[-2:] == [("Milestone-Previous-Owner", "alice"), ("Milestone-Forced", "true")]
    assert ("Milestone-Owner", "bob") in pairs


def test_no_owner_is_written_as_none_and_read_back_as_none() -> None:
    m = replace(milestone(), owner=None)
    pairs = trailers(m, Change("release", "s", previous_owner="alice"), "alice")
    assert ("Milestone-Owner", "none") in pairs
    rec = record("c", "w", "s", pairs)
    assert rec is not None and rec.owner is None and rec.previous_owner == "alice"


def test_a_multi_line_summary_still_makes_a_one_line_subject() -> None:
    assert subject("work", 'add step 2/2 "a\nMilestone-Owner: x" (0%)') == (
        'milestone(work): add step 2/2 "a Milestone-Owner: x" (0%)'
    )


FORGERIES = [
    pytest.param("Milestone-Owner: someone-else", id="plain"),
    pytest.param("line\nMilestone-Owner: someone-else\n---\nMilestone: other", id="divider"),
    pytest.param("Milestone-Owner: someone-else\n---", id="divider-last"),
    pytest.param("Milestone-Owner: someone-else\n\nMilestone: other", id="paragraphs"),
    pytest.param("Milestone-Owner: someone-else\n--- \nMilestone-Forced: true", id="spaced"),
]


@pytest.mark.parametrize("note", FORGERIES)
def test_git_reads_only_our_trailers_whatever_the_note_says(note: str) -> None:
    m = milestone()
    message = format_message(m, Change("advance", "s", note=note, steps=(2,)), "alice")
    pairs = git_trailers(message)
    assert pairs == trailers(m, Change("advance", "s", steps=(2,)), "alice")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(Change("advance", "s", note="n", steps=(1, 2)), id="advance"),
        pytest.param(Change("claim", "s", forced=True, previous_owner="bob"), id="forced"),
        pytest.param(Change("create", "s"), id="create"),
    ],
)
def test_record_round_trip_through_git(change: Change) -> None:
    m = milestone()
    message = format_message(m, change, "alice")
    rec = record("abc123", "2025-11-15T01:00:00Z", "subject", git_trailers(message))
    assert rec == Record(
        commit="abc123",
        when="2025-11-15T01:00:00Z",
        subject="subject",
        milestone="work",
        action=change.action,
        status=m.status,
        progress=m.progress,
        owner=m.owner,
        actor="alice",
        revision=m.revision,
        steps=tuple((n, m.steps[n - 1].status) for n in change.steps),
        step_count=len(m.steps),
        forced=change.forced,
        previous_owner=change.previous_owner,
    )


def test_record_of_a_commit_without_a_milestone_trailer_is_none() -> None:
    assert record("c", "w", "s", [("Signed-off-by", "x"), ("Milestone-Action", "init")]) is None


def test_record_reads_keys_in_any_case_and_tolerates_bad_numbers() -> None:
    rec = record(
        "c",
        "w",
        "s",
        [
            ("milestone", "work"),
            ("MILESTONE-PROGRESS", "lots"),
            ("Milestone-Step", "x"),
            ("Milestone-Step-Status", "completed"),
            ("Milestone-Step", "2"),
            ("Milestone-Step-Status", "skipped"),
            ("Milestone-Forced", "TRUE"),
            ("Milestone", "second-value-ignored"),
        ],
    )
    assert rec is not None
    assert (rec.milestone, rec.progress, rec.steps, rec.forced) == (
        "work",
        None,
        ((2, "skipped"),),
        True,
    )
    assert rec.to_dict()["steps"] == [{"step": 2, "status": "skipped"}]


def test_parse_trailer_lines_splits_at_the_first_colon() -> None:
    assert parse_trailer_lines("Milestone: a\nnot a trailer\nMilestone-Owner: x: y\n") == [
        ("Milestone", "a"),
        ("Milestone-Owner", "x: y"),
    ]
