"""Single-file rules (M0xx, M1xx): pure functions from bytes or documents to findings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from gitmilestone.rules import Finding, check_bytes, check_document, decode, schema_findings
from tests.conftest import seed_bytes

FILE = "MILESTONES/ship-it.json"
STEM = "ship-it"


def clean() -> dict[str, Any]:
    """A milestone that breaks no rule: step 1 done, step 2 in progress, step 3 pending."""
    return {
        "milestone_id": "ship-it",
        "title": "Ship it",
        "priority": "HIGH",
        "owner": "alice",
        "status": "in_progress",
        "progress": 33,
        "revision": 3,
        "created_at": "2025-11-15T00:00:00Z",
        "updated_at": "2025-11-15T01:00:00Z",
        "context": {"why": "Users wait", "related_files": ["app/"]},
        "steps": [
            {
                "step": 1,
                "description": "Build",
                "status": "completed",
                "started_by": "alice",
                "started_at": "2025-11-15T00:10:00Z",
                "completed_by": "alice",
                "completed_at": "2025-11-15T00:20:00Z",
                "notes": "built",
            },
            {
                "step": 2,
                "description": "Test",
                "status": "in_progress",
                "started_by": "alice",
                "started_at": "2025-11-15T00:30:00Z",
                "notes": "",
            },
            {"step": 3, "description": "Deploy", "status": "pending", "notes": ""},
        ],
        "next_session_should": ["Finish the tests"],
        "blockers": [],
        "handoff_notes": "",
    }


Edit = Callable[[dict[str, Any]], None]


def _do(*edits: tuple[str, Any]) -> Edit:
    """An edit of `clean()`: each (dotted path, value); value DROP deletes the key."""

    def edit(doc: dict[str, Any]) -> None:
        for dotted, value in edits:
            parts: list[Any] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
            target: Any = doc
            for part in parts[:-1]:
                target = target[part]
            if value is DROP:
                del target[parts[-1]]
            else:
                target[parts[-1]] = value

    return edit


DROP = object()
ALL_DONE = (
    ("steps.1.status", "completed"),
    ("steps.1.completed_by", "alice"),
    ("steps.1.completed_at", "2025-11-15T00:40:00Z"),
    ("steps.2.status", "skipped"),
    ("progress", 100),
)
NOT_STARTED = (
    ("steps.0", {"step": 1, "description": "Build", "status": "pending"}),
    ("steps.1", {"step": 2, "description": "Test", "status": "pending"}),
    ("progress", 0),
)

# (code, JSON path of the finding or None when the rule must stay quiet, stem, edit)
RULE_CASES = [
    pytest.param("M002", "$.owner", STEM, _do(("owner", 3)), id="M002-broken"),
    pytest.param("M002", None, STEM, _do(("owner", None)), id="M002-fine"),
    pytest.param("M003", "$.milestone_id", "ship-it-now", _do(), id="M003-broken"),
    pytest.param("M003", None, STEM, _do(), id="M003-fine"),
    pytest.param("M003", None, None, _do(("milestone_id", "other")), id="M003-fine-no-file-name"),
    pytest.param(
        "M004", "$.steps", STEM, _do(("steps.1.step", 3), ("steps.2.step", 2)), id="M004-broken"
    ),
    pytest.param("M004", "$.steps", STEM, _do(("steps.2.step", 4)), id="M004-broken-gap"),
    pytest.param(
        "M004",
        None,
        STEM,
        _do(("steps", []), ("status", "pending"), ("progress", 0)),
        id="M004-fine-no-steps",
    ),
    pytest.param("M101", "$.progress", STEM, _do(("progress", 50)), id="M101-broken"),
    pytest.param(
        "M101",
        "$.progress",
        STEM,
        _do(("steps", []), ("status", "pending"), ("progress", 100)),
        id="M101-broken-no-steps",
    ),
    pytest.param("M101", None, STEM, _do(("progress", 33)), id="M101-fine"),
    pytest.param(
        "M102", "$.status", STEM, _do(("status", "completed")), id="M102-broken-completed"
    ),
    pytest.param(
        "M102",
        "$.status",
        STEM,
        _do(("status", "pending")),
        id="M102-broken-pending-with-started-steps",
    ),
    pytest.param("M102", None, STEM, _do(*ALL_DONE, ("status", "completed")), id="M102-fine"),
    pytest.param(
        "M102", None, STEM, _do(*NOT_STARTED, ("status", "pending")), id="M102-fine-pending"
    ),
    pytest.param("M103", "$.status", STEM, _do(("status", "blocked")), id="M103-broken"),
    pytest.param(
        "M103",
        None,
        STEM,
        _do(("status", "blocked"), ("blockers", ["Waiting for the server"])),
        id="M103-fine-blocker",
    ),
    pytest.param(
        "M103",
        None,
        STEM,
        _do(("status", "blocked"), ("steps.1.status", "blocked")),
        id="M103-fine-blocked-step",
    ),
    pytest.param(
        "M104",
        "$.updated_at",
        STEM,
        _do(("updated_at", "2025-11-14T23:00:00Z")),
        id="M104-broken-updated-before-created",
    ),
    pytest.param(
        "M104",
        "$.steps[0].completed_at",
        STEM,
        _do(("steps.0.completed_at", "2025-11-15T00:05:00Z")),
        id="M104-broken-completed-before-started",
    ),
    pytest.param(
        "M104",
        "$.steps[1].started_at",
        STEM,
        _do(("steps.1.started_at", "2025-11-15T01:00:01Z")),
        id="M104-broken-step-after-updated-at",
    ),
    pytest.param(
        "M104",
        None,
        STEM,
        _do(("steps.1.started_at", "2025-11-15 01:00:00 UTC")),
        id="M104-fine-same-instant-other-style",
    ),
    pytest.param(
        "M104",
        None,
        STEM,
        _do(("updated_at", "2025-11-15T02:30:00+01:30")),
        id="M104-fine-offset",
    ),
    pytest.param(
        "M105",
        "$.steps[0]",
        STEM,
        _do(("steps.0.completed_by", DROP)),
        id="M105-broken-completed-without-by",
    ),
    pytest.param(
        "M105",
        "$.steps[1]",
        STEM,
        _do(("steps.1.started_at", DROP)),
        id="M105-broken-started-without-at",
    ),
    pytest.param(
        "M105",
        None,
        STEM,
        _do(("steps.0.started_by", DROP), ("steps.0.started_at", DROP)),
        id="M105-fine-completed-needs-no-start",
    ),
]


@pytest.mark.parametrize(("code", "path", "stem", "edit"), RULE_CASES)
def test_each_rule_flags_what_breaks_it_and_nothing_else(
    code: str, path: str | None, stem: str | None, edit: Edit
) -> None:
    doc = clean()
    edit(doc)
    checked = check_document(FILE, doc, stem)
    if path is None:
        assert checked.findings == ()
        assert checked.milestone is not None
        return
    assert {f.code for f in checked.findings} == {code}, checked.findings
    assert path in [f.path for f in checked.findings]
    for finding in checked.findings:
        assert finding.file == FILE
        assert "; " in finding.message, "the message must say how to fix it"


def test_clean_is_clean_through_bytes_too() -> None:
    checked = check_bytes(FILE, json.dumps(clean()).encode(), STEM)
    assert checked.findings == ()
    assert checked.milestone is not None and checked.milestone.derived_progress == 33


def test_the_seed_is_schema_valid_and_flagged_m101_only() -> None:
    checked = check_bytes("MILESTONES/deploy-dashboard.json", seed_bytes(), "deploy-dashboard")
    assert checked.milestone is not None
    assert [str(f) for f in checked.findings] == [
        "MILESTONES/deploy-dashboard.json: M101 $.progress: progress is 50 but 2 of 6 steps "
        "are done; set progress to 33"
    ]


def test_the_seed_with_progress_33_is_clean() -> None:
    data = seed_bytes().replace(b'"progress": 50', b'"progress": 33')
    assert check_bytes("x", data, "deploy-dashboard").findings == ()


def test_m101_message_names_the_derived_value() -> None:
    doc = clean()
    doc["progress"] = 50
    (finding,) = check_document(FILE, doc, STEM).findings
    assert finding.to_dict() == {
        "code": "M101",
        "file": FILE,
        "path": "$.progress",
        "message": "progress is 50 but 1 of 3 steps are done; set progress to 33",
    }


def test_several_rules_report_together() -> None:
    doc = clean()
    _do(("progress", 90), ("status", "blocked"), ("steps.0.completed_by", DROP))(doc)
    codes = sorted(f.code for f in check_document(FILE, doc, "elsewhere").findings)
    assert codes == ["M003", "M101", "M103", "M105"]


BAD_BYTES = [
    pytest.param(b"", "not valid JSON", id="empty"),
    pytest.param(b"{", "not valid JSON", id="truncated"),
    pytest.param(b"{'a': 1}", "not valid JSON", id="single-quotes"),
    pytest.param(b'{"a": 1,}', "not valid JSON", id="trailing-comma"),
    pytest.param(b'{"a": NaN}', "NaN", id="nan"),
    pytest.param(b'{"a": -Infinity}', "Infinity", id="infinity"),
    pytest.param(b'{"a": ' + b"9" * 5000 + b"}", "digits", id="endless-number"),
    pytest.param(b'{"a": "\xff"}', "not UTF-8", id="latin-1-byte"),
    pytest.param(b'{"a": "\xc3"}', "not UTF-8", id="cut-utf-8"),
    pytest.param('{"a": "é"}'.encode("utf-16"), "not UTF-8", id="utf-16"),
    pytest.param(b"\xef\xbb\xbf{}", "byte order mark", id="bom"),
    pytest.param(b'{"a": 1, "b": {"c": 1, "c": 2}}', "'c' appears twice", id="duplicate-nested"),
    pytest.param(b'{"a": 1, "a": 1}', "'a' appears twice", id="duplicate-same-value"),
    pytest.param(b'{"a": "\\ud800"}', "surrogate", id="lone-surrogate"),
    pytest.param(b'{"a": "open', "Unterminated string starting at line 1", id="open-string"),
    pytest.param(b'{"a": "\x01"}', "Invalid control character at line 1", id="control"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deep-nesting"),
    pytest.param(b'{"x-pad": "' + b"a" * (1024 * 1024) + b'"}', "1 MiB", id="over-1-mib"),
]


@pytest.mark.parametrize(("data", "words"), BAD_BYTES)
def test_decode_turns_bad_bytes_into_one_m001(data: bytes, words: str) -> None:
    doc, findings = decode(FILE, data)
    assert doc is None
    assert [(f.code, f.path) for f in findings] == [("M001", "$")]
    assert words in findings[0].message
    assert "; " in findings[0].message
    assert "at at" not in findings[0].message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"a": "\\ud83d\\ude80"}', id="surrogate-pair"),
        pytest.param(b'{"a": "\\\\ud800"}', id="escaped-backslash"),
        pytest.param(b'{"a": 1e308, "b": -0.0}', id="plain-numbers"),
    ],
)
def test_decode_accepts_valid_json_that_looks_suspicious(data: bytes) -> None:
    doc, findings = decode(FILE, data)
    assert findings == []
    assert doc == json.loads(data)


SCHEMA_PATHS = [
    pytest.param(("steps", 2, "notes"), 5, "$.steps[2].notes", id="step-notes-int"),
    pytest.param(("context", "related_files"), "x", "$.context.related_files", id="files-str"),
    pytest.param(("context", "related_files", 0), 1, "$.context.related_files[0]", id="file-int"),
    pytest.param(("owner",), 3, "$.owner", id="owner-int"),
    pytest.param(("steps", 1), "a step", "$.steps[1]", id="step-string"),
    pytest.param(("steps",), {}, "$.steps", id="steps-object"),
    pytest.param(("steps", 0, "started_at"), "soon", "$.steps[0].started_at", id="bad-time"),
    pytest.param(("unknown",), 1, "$", id="extra-key"),
    pytest.param(("context", "owner"), "bob", "$.context", id="context-extra-key"),
    pytest.param(("depends_on",), ["Bad Id"], "$.depends_on[0]", id="depends-on"),
]


@pytest.mark.parametrize(("where", "value", "path"), SCHEMA_PATHS)
def test_schema_findings_point_at_the_json_path(
    where: tuple[Any, ...], value: Any, path: str
) -> None:
    doc = copy.deepcopy(clean())
    target: Any = doc
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    findings = schema_findings(FILE, doc)
    assert [(f.code, f.path) for f in findings] == [("M002", path)]
    # Worded for a person: what is wrong; what is expected (never jsonschema's wording).
    message = findings[0].message
    assert "; " in message
    assert not any(w in message for w in ("valid under", "is not of type", "required property"))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("created_at", "2025-02-30T00:00:00Z", id="february-30"),
        pytest.param("updated_at", "2025-11-15T25:00:00Z", id="hour-25"),
        pytest.param("claimed_at", "0001-01-01T00:00:00+01:00", id="before-year-1"),
    ],
)
def test_impossible_dates_are_m002_at_their_path(key: str, value: str) -> None:
    doc = clean()
    doc[key] = value
    checked = check_document(FILE, doc, STEM)
    assert checked.milestone is None
    assert [(f.code, f.path) for f in checked.findings] == [("M002", f"$.{key}")]
    assert "2025-11-15T00:20:00Z" in checked.findings[0].message


def test_finding_prints_like_a_linter() -> None:
    finding = Finding(FILE, "M101", "$.progress", "progress is 50; set progress to 33")
    assert str(finding) == f"{FILE}: M101 $.progress: progress is 50; set progress to 33"
