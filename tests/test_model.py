"""The milestone model: loading the seed, derived progress, serialization, round trips."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gitmilestone import timestamps
from gitmilestone.model import (
    STATUSES,
    Milestone,
    Step,
    can_transition,
    derive_progress,
    dumps,
)
from gitmilestone.schema import fast_check, schema
from gitmilestone.text import NOT_IN_A_NAME
from tests.conftest import seed_bytes

UTC = timezone.utc
TOP_KEYS = [
    "milestone_id",
    "title",
    "priority",
    "owner",
    "status",
    "progress",
    "revision",
    "created_at",
    "updated_at",
    "updated_by",
    "claimed_at",
    "context",
    "depends_on",
    "steps",
    "next_session_should",
    "blockers",
    "handoff_notes",
    "completion_notes",
]
STEP_KEYS = [
    "step",
    "description",
    "status",
    "started_by",
    "started_at",
    "completed_by",
    "completed_at",
    "reopened_by",
    "reopened_at",
    "notes",
]
CONTEXT_KEYS = ["why", "related_files", "dependencies", "success_criteria"]


def seed_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(seed_bytes())
    return doc


# Documents the schema accepts, shaped like real milestones (used by test_fastschema too).
ids = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
# One-line fields hold no control character (Cc) and no line or paragraph separator.
one_line_chars = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"
)
line = st.text(one_line_chars, max_size=30)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
# Names also hold no invisible character (format characters, variation selectors...).
names = st.text(
    one_line_chars.filter(lambda c: NOT_IN_A_NAME.search(c) is None),
    min_size=1,
    max_size=20,
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def stamps(draw: st.DrawFn) -> str:
    moment = draw(moments)
    style = draw(st.sampled_from(["rfc3339", "seed", "offset", "fraction"]))
    if style == "seed":
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if style == "offset":
        return moment.astimezone(timezone(timedelta(hours=-7))).isoformat(timespec="seconds")
    if style == "fraction":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return timestamps.format(moment)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
x_keys = st.dictionaries(st.text(max_size=8).map(lambda s: "x-" + s), json_values, max_size=2)


def _optional(
    draw: st.DrawFn, out: dict[str, Any], key: str, values: st.SearchStrategy[Any]
) -> None:
    if draw(st.booleans()):
        out[key] = draw(values)


@st.composite
def steps(draw: st.DrawFn, number: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "step": number,
        "description": draw(line.filter(bool)),
        "status": draw(
            st.sampled_from(["pending", "in_progress", "completed", "blocked", "skipped"])
        ),
    }
    for who, when in (
        ("started_by", "started_at"),
        ("completed_by", "completed_at"),
        ("reopened_by", "reopened_at"),
    ):
        _optional(draw, out, who, names)
        _optional(draw, out, when, stamps())
    _optional(draw, out, "notes", text)
    out.update(draw(x_keys))
    return out


@st.composite
def milestone_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid milestone document, every optional part sometimes present."""
    count = draw(st.integers(0, 5))
    doc: dict[str, Any] = {
        "milestone_id": draw(ids),
        "title": draw(line.filter(bool)),
        "priority": draw(st.sampled_from(["HIGH", "MEDIUM", "LOW"])),
        "owner": draw(st.none() | names),
        "status": draw(st.sampled_from(STATUSES)),
        "progress": draw(st.integers(0, 100)),
    }
    _optional(draw, doc, "revision", st.integers(0, 10_000))
    doc["created_at"] = draw(stamps())
    doc["updated_at"] = draw(stamps())
    _optional(draw, doc, "updated_by", names)
    _optional(draw, doc, "claimed_at", st.none() | stamps())
    if draw(st.booleans()):
        context: dict[str, Any] = {}
        _optional(draw, context, "why", text)
        _optional(draw, context, "related_files", st.lists(line, max_size=3))
        _optional(draw, context, "dependencies", st.lists(text, max_size=3))
        _optional(draw, context, "success_criteria", text)
        context.update(draw(x_keys))
        doc["context"] = context
    _optional(draw, doc, "depends_on", st.lists(ids, max_size=3))
    doc["steps"] = [draw(steps(n)) for n in range(1, count + 1)]
    doc["next_session_should"] = draw(st.lists(line, max_size=3))
    doc["blockers"] = draw(st.lists(line, max_size=2))
    doc["handoff_notes"] = draw(text)
    _optional(draw, doc, "completion_notes", text)
    doc.update(draw(x_keys))
    return doc


def test_the_seed_loads_as_is() -> None:
    m = Milestone.from_dict(seed_doc())
    assert m.milestone_id == "deploy-dashboard"
    assert m.owner == "session-3-coordinator"
    assert m.status == "in_progress"
    assert m.progress == 50
    assert m.revision == 0
    assert m.created_at == datetime(2025, 11, 15, 0, 20, tzinfo=UTC)
    assert m.updated_at == datetime(2025, 11, 15, 0, 25, tzinfo=UTC)
    assert [s.status for s in m.steps] == [
        "completed",
        "completed",
        "in_progress",
        "pending",
        "pending",
        "pending",
    ]
    assert m.steps[0].completed_at == datetime(2025, 11, 15, 0, 21, tzinfo=UTC)
    assert m.context is not None
    assert m.context.related_files == ("dashboard/", "fpai-ops/deploy-to-server.sh")


def test_the_seed_progress_is_derived_as_33() -> None:
    m = Milestone.from_dict(seed_doc())
    assert m.done_count == 2
    assert m.derived_progress == 33
    assert m.current_step is not None and m.current_step.step == 3


def test_both_timestamp_styles_load_to_the_same_milestone() -> None:
    seed = seed_doc()
    rfc = json.loads(json.dumps(seed).replace(" UTC", "Z").replace("2025-11-15 ", "2025-11-15T"))
    assert rfc["created_at"] == "2025-11-15T00:20:00Z"
    assert Milestone.from_dict(rfc) == Milestone.from_dict(seed)


def test_the_seed_dumps_in_spec_order_with_rfc3339_times() -> None:
    text = Milestone.from_dict(seed_doc()).dumps()
    doc = json.loads(text)
    assert list(doc) == [k for k in TOP_KEYS if k in doc]
    assert "updated_by" not in doc and "claimed_at" not in doc and "depends_on" not in doc
    assert doc["revision"] == 0
    assert doc["created_at"] == "2025-11-15T00:20:00Z"
    assert doc["steps"][2]["started_at"] == "2025-11-15T00:23:00Z"
    assert list(doc["context"]) == CONTEXT_KEYS
    for step in doc["steps"]:
        assert list(step) == [k for k in STEP_KEYS if k in step]
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "title": "Deploy Dashboard to Server",\n' in text
    assert '\n    {\n      "step": 1,\n' in text


def test_dumps_keeps_non_ascii_text_readable() -> None:
    doc = seed_doc()
    doc["title"] = "Déployer le tableau de bord 🚀"
    text = Milestone.from_dict(doc).dumps()
    assert '"title": "Déployer le tableau de bord 🚀"' in text
    assert text.encode("utf-8").decode("utf-8") == text


def test_dumps_of_a_plain_document() -> None:
    assert (
        dumps({"a": [1, {"b": None}]})
        == '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ]\n}\n'
    )


def test_the_seed_survives_load_dump_load() -> None:
    first = Milestone.from_dict(seed_doc())
    text = first.dumps()
    second = Milestone.from_dict(json.loads(text))
    assert second == first
    assert second.dumps() == text


def test_x_keys_survive_a_round_trip_at_every_level() -> None:
    doc = seed_doc()
    doc["x-team"] = {"name": "ops", "size": 3}
    doc["context"]["x-ticket"] = "OPS-42"
    doc["steps"][1]["x-ci"] = ["build 7", None, 1.5]
    doc["steps"][5]["x-empty"] = {}
    out = json.loads(Milestone.from_dict(doc).dumps())
    assert out["x-team"] == {"name": "ops", "size": 3}
    assert out["context"]["x-ticket"] == "OPS-42"
    assert out["steps"][1]["x-ci"] == ["build 7", None, 1.5]
    assert out["steps"][5]["x-empty"] == {}
    assert list(out)[-1] == "x-team"
    assert list(out["context"])[-1] == "x-ticket"
    assert list(out["steps"][1])[-1] == "x-ci"


def test_owner_null_and_optional_fields_are_kept() -> None:
    doc = seed_doc()
    doc.update(
        owner=None,
        revision=7,
        updated_by="bob",
        claimed_at="2025-11-15T00:21:00+01:00",
        depends_on=["registry"],
        completion_notes="",
    )
    doc["steps"][3]["reopened_by"] = "bob"
    doc["steps"][3]["reopened_at"] = "2025-11-15 00:24:00 UTC"
    out = json.loads(Milestone.from_dict(doc).dumps())
    assert out["owner"] is None
    assert out["revision"] == 7
    assert out["updated_by"] == "bob"
    assert out["claimed_at"] == "2025-11-14T23:21:00Z"
    assert out["depends_on"] == ["registry"]
    assert out["completion_notes"] == ""
    assert out["steps"][3]["reopened_at"] == "2025-11-15T00:24:00Z"
    assert list(out) == [k for k in TOP_KEYS if k in out]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=milestone_documents())
def test_any_valid_document_survives_load_dump_load(doc: dict[str, Any]) -> None:
    assert fast_check()(doc)
    assert Draft202012Validator(schema()).is_valid(doc)
    first = Milestone.from_dict(doc)
    text = first.dumps()
    out = json.loads(text)
    assert fast_check()(out)
    second = Milestone.from_dict(out)
    assert second == first
    assert second.dumps() == text
    assert list(out) == [k for k in TOP_KEYS if k in out] + [k for k in doc if k.startswith("x-")]


def _steps(*statuses: str) -> tuple[Step, ...]:
    return tuple(Step(i, f"step {i}", s) for i, s in enumerate(statuses, start=1))


@pytest.mark.parametrize(
    ("statuses", "status", "expected"),
    [
        pytest.param((), "pending", 0, id="no-steps-pending"),
        pytest.param((), "in_progress", 0, id="no-steps-in-progress"),
        pytest.param((), "completed", 100, id="no-steps-completed"),
        pytest.param(("pending",) * 3, "pending", 0, id="none-done"),
        pytest.param(("completed", "pending", "pending"), "in_progress", 33, id="one-of-three"),
        pytest.param(("completed", "completed", "pending"), "in_progress", 66, id="floor-66"),
        pytest.param(("skipped", "completed", "blocked"), "blocked", 66, id="skipped-counts"),
        pytest.param(("completed",) * 2 + ("in_progress",) * 4, "in_progress", 33, id="two-of-six"),
        pytest.param(("completed", "skipped"), "in_progress", 100, id="all-done"),
        pytest.param(("completed",) * 6 + ("pending",), "in_progress", 85, id="six-of-seven"),
    ],
)
def test_derive_progress(statuses: tuple[str, ...], status: str, expected: int) -> None:
    assert derive_progress(_steps(*statuses), status) == expected


def test_current_step_is_the_one_in_progress_else_the_first_not_done() -> None:
    m = Milestone.from_dict(seed_doc())
    assert m.step(3) is m.steps[2]
    assert m.step(0) is None and m.step(7) is None
    doc = seed_doc()
    doc["steps"][2]["status"] = "completed"
    current = Milestone.from_dict(doc).current_step
    assert current is not None and current.step == 4


ALLOWED = {
    ("pending", "in_progress"),
    ("pending", "blocked"),
    ("pending", "abandoned"),
    ("in_progress", "blocked"),
    ("in_progress", "completed"),
    ("in_progress", "abandoned"),
    ("blocked", "in_progress"),
    ("blocked", "pending"),
    ("blocked", "abandoned"),
    ("completed", "in_progress"),
    ("abandoned", "pending"),
}


@pytest.mark.parametrize(
    ("old", "new"),
    [pytest.param(a, b, id=f"{a}-to-{b}") for a in STATUSES for b in STATUSES],
)
def test_status_transitions_follow_the_spec(old: str, new: str) -> None:
    assert can_transition(old, new) is (old == new or (old, new) in ALLOWED)
