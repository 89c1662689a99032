"""The compiled schema check must agree with jsonschema, and refuse what it cannot check;
the module generated from the package schema must be current and agree with it too."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gitmilestone.fastschema import Check, compile_schema, module_source
from gitmilestone.schema import _check, fast_check, schema
from tests.conftest import PROJECT
from tests.test_model import json_values, milestone_documents, seed_doc

VALIDATOR = Draft202012Validator(schema())
# What the shipped, generated module must keep agreeing with: the schema compiled now.
COMPILED = compile_schema(schema())


def gen_schema_check() -> ModuleType:
    path = PROJECT / "scripts" / "gen_schema_check.py"
    spec = importlib.util.spec_from_file_location("gen_schema_check", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(source: str) -> Check:
    """The `check` of a generated module's source."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    check: Check = namespace["check"]
    return check


def test_the_package_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_seed_passes_both_checks() -> None:
    assert fast_check()(seed_doc())
    assert VALIDATOR.is_valid(seed_doc())


def test_fast_check_is_the_generated_module() -> None:
    assert fast_check() is _check.check


def test_the_committed_check_module_is_current() -> None:
    module = gen_schema_check()
    assert module.MODULE.read_text(encoding="utf-8") == module.source(), (
        f"gitmilestone/schema/_check.py is not current: run `{module.COMMAND}`"
    )


def test_a_stale_check_module_is_noticed(tmp_path: Path) -> None:
    module = gen_schema_check()
    path = tmp_path / "_check.py"
    assert module.stale(path)
    path.write_text(module.source(), encoding="utf-8")
    assert not module.stale(path)
    path.write_text(module.source().replace(">= 1", ">= 2", 1), encoding="utf-8")
    assert module.stale(path)


GENERATE = """
import json, sys
from gitmilestone.fastschema import module_source
from gitmilestone.schema import schema
for each in [schema(), *json.loads(sys.argv[1])]:
    sys.stdout.write(module_source(each, "a comment"))
"""


def test_the_generated_source_is_the_same_whatever_the_hash_seed() -> None:
    # Sets of names iterate in another order under another seed; the source must not.
    others = json.dumps([KITCHEN, RECURSIVE, ODD])
    outputs = [
        subprocess.run(
            [sys.executable, "-c", GENERATE, others],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith("# a comment\n")
    assert outputs[0].count("def _check(x: Any) -> bool:") == 4


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _drop(doc: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return out


SEED = seed_doc()
CASES = [
    pytest.param(SEED, True, id="seed"),
    pytest.param(_set(SEED, ("owner",), None), True, id="owner-null"),
    pytest.param(_set(SEED, ("owner",), 3), False, id="owner-int"),
    pytest.param(_set(SEED, ("owner",), ""), False, id="owner-empty"),
    pytest.param(_set(SEED, ("owner",), "a\nb"), False, id="owner-two-lines"),
    pytest.param(_set(SEED, ("progress",), 100), True, id="progress-100"),
    pytest.param(_set(SEED, ("progress",), 101), False, id="progress-101"),
    pytest.param(_set(SEED, ("progress",), -1), False, id="progress-negative"),
    pytest.param(_set(SEED, ("progress",), 50.0), True, id="progress-integral-float"),
    pytest.param(_set(SEED, ("progress",), 50.5), False, id="progress-fraction"),
    pytest.param(_set(SEED, ("progress",), True), False, id="progress-bool"),
    pytest.param(_set(SEED, ("progress",), "50"), False, id="progress-string"),
    pytest.param(_set(SEED, ("revision",), 0), True, id="revision-0"),
    pytest.param(_set(SEED, ("revision",), -1), False, id="revision-negative"),
    pytest.param(_set(SEED, ("priority",), "high"), False, id="priority-lowercase"),
    pytest.param(_set(SEED, ("status",), "done"), False, id="status-unknown"),
    pytest.param(_set(SEED, ("milestone_id",), "Deploy"), False, id="id-uppercase"),
    pytest.param(_set(SEED, ("milestone_id",), "a--b"), False, id="id-double-dash"),
    pytest.param(_set(SEED, ("milestone_id",), "a" * 64), True, id="id-64"),
    pytest.param(_set(SEED, ("milestone_id",), "a" * 65), False, id="id-65"),
    pytest.param(_set(SEED, ("title",), ""), False, id="title-empty"),
    pytest.param(_set(SEED, ("title",), "t" * 200), True, id="title-200"),
    pytest.param(_set(SEED, ("title",), "t" * 201), False, id="title-201"),
    pytest.param(_set(SEED, ("title",), "a\rb"), False, id="title-carriage-return"),
    pytest.param(_set(SEED, ("created_at",), "2025-11-15T00:20:00+01:00"), True, id="offset"),
    pytest.param(_set(SEED, ("created_at",), "2025-11-15"), False, id="date-only"),
    pytest.param(_set(SEED, ("claimed_at",), None), True, id="claimed-null"),
    pytest.param(_set(SEED, ("claimed_at",), 0), False, id="claimed-int"),
    pytest.param(_set(SEED, ("context", "related_files"), "x"), False, id="files-string"),
    pytest.param(_set(SEED, ("context", "x-more"), [1]), True, id="context-x-key"),
    pytest.param(_set(SEED, ("context", "more"), [1]), False, id="context-extra-key"),
    pytest.param(_set(SEED, ("depends_on",), ["registry"]), True, id="depends-on"),
    pytest.param(_set(SEED, ("depends_on",), ["Registry"]), False, id="depends-on-bad-id"),
    pytest.param(_set(SEED, ("steps", 2, "notes"), 5), False, id="step-notes-int"),
    pytest.param(_set(SEED, ("steps", 2), "a step"), False, id="step-string"),
    pytest.param(_set(SEED, ("steps", 0, "step"), 0), False, id="step-number-0"),
    pytest.param(_set(SEED, ("steps", 0, "status"), "done"), False, id="step-status"),
    pytest.param(_set(SEED, ("steps", 0, "description"), ""), False, id="step-no-text"),
    pytest.param(_set(SEED, ("steps", 0, "x-ci"), None), True, id="step-x-key"),
    pytest.param(_set(SEED, ("steps", 0, "ci"), None), False, id="step-extra-key"),
    pytest.param(_drop(SEED, ("steps", 0, "status")), False, id="step-missing-status"),
    pytest.param(_drop(SEED, ("steps", 0, "notes")), True, id="step-without-notes"),
    pytest.param(_drop(SEED, ("handoff_notes",)), False, id="missing-handoff-notes"),
    pytest.param(_drop(SEED, ("context",)), True, id="without-context"),
    pytest.param(_set(SEED, ("x-anything",), {"deep": [1]}), True, id="top-x-key"),
    pytest.param(_set(SEED, ("anything",), 1), False, id="top-extra-key"),
    pytest.param(_set(SEED, ("blockers",), [None]), False, id="blocker-null"),
    pytest.param(_set(SEED, ("$schema",), "./schema/x.json"), True, id="schema-key"),
    pytest.param(_set(SEED, ("$schema",), None), False, id="schema-key-null"),
    pytest.param(_set(SEED, ("created_at",), "2025-13-45T99:99:99Z"), False, id="month-13"),
    pytest.param(_set(SEED, ("created_at",), "2025-11-15T24:00:00Z"), False, id="hour-24"),
    pytest.param([SEED], False, id="array-document"),
    pytest.param(None, False, id="null-document"),
]


@pytest.mark.parametrize(("doc", "valid"), CASES)
def test_fast_check_matches_jsonschema_on_known_cases(doc: Any, valid: bool) -> None:
    assert VALIDATOR.is_valid(doc) is valid
    assert fast_check()(doc) is valid


@pytest.mark.parametrize(("doc", "valid"), CASES)
def test_the_schema_compiled_now_matches_jsonschema_on_known_cases(doc: Any, valid: bool) -> None:
    assert COMPILED(doc) is valid


NEAR_MISSES = st.sampled_from(
    [
        "",
        "a\nb",
        "a\r",
        "x" * 64,
        "x" * 65,
        "x" * 201,
        "abc-",
        "a--b",
        "ABC",
        "ok-id",
        "ok-id\n",
        "HIGH",
        "high",
        "done",
        "pending",
        "skipped",
        "abandoned",
        "2025-11-15T00:20:00Z",
        "2025-11-15T00:20:00Z\n",
        "2025-11-15 00:20:00 UTC",
        "2025-11-15 00:20:00",
        "2025-11-15T00:20:00.123+05:30",
        "2025-13-45T99:99:99Z",
        "2025-02-30T00:00:00Z",
        "2025-11-15T23:59:59-23:59",
        -1,
        0,
        1,
        100,
        101,
        1.0,
        1.5,
        -0.0,
        10**20,
        True,
        False,
        None,
        [],
        {},
        ["a"],
        [1],
        {"x-a": 1},
    ]
)


def _locations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `node` (not the root itself)."""
    out: list[tuple[Any, ...]] = []
    children: Any = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in children:
        out.append((*path, key))
        out.extend(_locations(value, (*path, key)))
    return out


def _containers(doc: Any) -> list[tuple[Any, ...]]:
    found = [(), *_locations(doc)]
    return [p for p in found if isinstance(_get(doc, p), (dict, list))]


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = draw(milestone_documents())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "near-miss", "delete", "add", "add-x", "long"]))
        if kind in ("add", "add-x"):
            where = _get(doc, draw(st.sampled_from(_containers(doc))))
            if isinstance(where, dict):
                key = draw(st.text(max_size=6))
                where[("x-" + key) if kind == "add-x" else key] = draw(json_values)
            else:
                where.append(draw(json_values | NEAR_MISSES))
            continue
        spots = _locations(doc)
        if not spots:
            continue
        path = draw(st.sampled_from(spots))
        parent = _get(doc, path[:-1])
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = draw(json_values)
        elif kind == "near-miss":
            parent[path[-1]] = draw(NEAR_MISSES)
        else:
            parent[path[-1]] = draw(st.sampled_from(["a", "a\n", "é"])) * draw(
                st.sampled_from([63, 64, 65, 200, 201, 1000])
            )
    return doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated())
def test_fast_check_agrees_with_jsonschema_on_mutated_milestones(doc: Any) -> None:
    valid = VALIDATOR.is_valid(doc)
    assert fast_check()(doc) is valid, json.dumps(doc, indent=1)
    assert COMPILED(doc) is valid, json.dumps(doc, indent=1)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        pytest.param("format", "date-time", id="format"),
        pytest.param("minItems", 1, id="minItems"),
        pytest.param("uniqueItems", True, id="uniqueItems"),
        pytest.param("const", 1, id="const"),
        pytest.param("allOf", [{"type": "string"}], id="allOf"),
        pytest.param("oneOf", [{"type": "string"}], id="oneOf"),
        pytest.param("if", {"type": "string"}, id="if"),
        pytest.param("prefixItems", [{"type": "string"}], id="prefixItems"),
        pytest.param("exclusiveMinimum", 0, id="exclusiveMinimum"),
        pytest.param("propertyNames", {"pattern": "^a"}, id="propertyNames"),
        pytest.param("unevaluatedProperties", False, id="unevaluatedProperties"),
        pytest.param("dependentRequired", {"a": ["b"]}, id="dependentRequired"),
    ],
)
@pytest.mark.parametrize("where", ["root", "nested"])
def test_compile_schema_refuses_a_keyword_it_does_not_implement(
    keyword: str, value: Any, where: str
) -> None:
    inner = {"type": "string", keyword: value}
    doc = inner if where == "root" else {"type": "object", "properties": {"a": {"items": inner}}}
    with pytest.raises(ValueError, match=keyword):
        compile_schema(doc)


def test_compile_schema_refuses_a_remote_ref() -> None:
    with pytest.raises(ValueError, match="local"):
        compile_schema({"$ref": "https://example.com/other.json"})


RECURSIVE = {
    "$defs": {
        "tree": {
            "type": "array",
            "items": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/tree"}]},
        }
    },
    "$ref": "#/$defs/tree",
}


@pytest.mark.parametrize(
    ("doc", "valid"),
    [
        pytest.param([1, [2, [3, []]]], True, id="nested"),
        pytest.param([1, [2, ["3"]]], False, id="deep-string"),
        pytest.param(1, False, id="not-an-array"),
    ],
)
def test_recursive_refs_compile_and_agree(doc: Any, valid: bool) -> None:
    assert compile_schema(RECURSIVE)(doc) is valid
    assert load(module_source(RECURSIVE))(doc) is valid
    assert Draft202012Validator(RECURSIVE).is_valid(doc) is valid


# Every way the compiler can emit a keyword: inlined and as a function, at the top, in a
# property, in an item, under `not`/`anyOf`, with the type known and unknown, recursive.
KITCHEN: dict[str, Any] = {
    "$defs": {
        "small": {"type": ["integer", "null"], "minimum": 0, "maximum": 3},
        "word": {"type": "string", "minLength": 1, "maxLength": 2, "not": {"pattern": "z"}},
        "node": {
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"$ref": "#/$defs/small"},
                "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "additionalProperties": False,
        },
    },
    "anyOf": [
        {"$ref": "#/$defs/node"},
        {
            "type": "array",
            "items": {
                "anyOf": [
                    {"$ref": "#/$defs/word"},
                    {"type": "number", "maximum": 1.5},
                    {"type": "object", "properties": {"b": {"enum": ["1", None, True]}}},
                ]
            },
        },
        {
            "type": "object",
            "required": ["c"],
            "properties": {
                "c": {"not": {"type": "object", "properties": {"a": False}}},
                "b": True,
                "n": {"not": {"type": "array", "items": {"type": "string"}}},
            },
            "patternProperties": {"^x-": {"type": "boolean"}, "[0-9]$": {"$ref": "#/$defs/small"}},
            "additionalProperties": {"$ref": "#/$defs/word"},
        },
        {"required": ["q"], "minLength": 2, "enum": ["ab", "abc", {"q": "1"}]},
        {"type": ["number", "string"], "minimum": 2, "pattern": "^b"},
        False,
    ],
}
KITCHEN_CHECK = compile_schema(KITCHEN)
KITCHEN_MODULE = load(module_source(KITCHEN))
KITCHEN_VALIDATOR = Draft202012Validator(KITCHEN)
_KEYS = st.sampled_from(["a", "b", "c", "n", "q", "kids", "x-1", "x-", "k9", "zz", ""])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-2, 5)
    | st.sampled_from([0.5, 1.0, 1.5, 2.0, -0.0, 3.0, 3.5])
    | st.text(alphabet="abz", max_size=3)
)
_KITCHEN_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_KITCHEN_VALUES)
def test_every_keyword_in_every_place_agrees_with_jsonschema(value: Any) -> None:
    valid = KITCHEN_VALIDATOR.is_valid(value)
    assert KITCHEN_CHECK(value) is valid, json.dumps(value)
    assert KITCHEN_MODULE(value) is valid, json.dumps(value)


# Constants a module must write back exactly: unbounded and huge numbers, characters beyond
# ASCII in names, enums and patterns, options of every JSON kind.
ODD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "n": {"type": "number", "minimum": float("-inf"), "maximum": 1e308},
        "é": {"enum": ["é", "\U0001f600", "a'\"\\"]},
        "o": {"enum": [None, 1, 1.5, "1", [1, "\u2028"], {"k": {"é": []}}]},
        "p": {"type": "string", "pattern": "^[é\U0001f600]+$"},
    },
    "patternProperties": {"^é-": {"type": "integer"}},
    "required": ["é"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("doc", "valid"),
    [
        pytest.param({"é": "é", "n": -1e300, "o": [1, "\u2028"]}, True, id="valid"),
        pytest.param({"é": "a'\"\\", "o": {"k": {"é": []}}, "é-1": 2}, True, id="valid-odd-keys"),
        pytest.param({"é": "\U0001f600", "p": "é\U0001f600", "o": None}, True, id="valid-pattern"),
        pytest.param({"é": "e"}, False, id="enum"),
        pytest.param({"é": "é", "n": float("inf")}, False, id="maximum"),
        pytest.param({"é": "é", "o": True}, False, id="true-is-not-1"),
        pytest.param({"é": "é", "o": {"k": {"e": []}}}, False, id="nested-option"),
        pytest.param({"é": "é", "p": "e"}, False, id="pattern"),
        pytest.param({"é": "é", "é-1": 1.5}, False, id="pattern-property"),
        pytest.param({"é": "é", "e": 1}, False, id="additional"),
        pytest.param({}, False, id="required"),
    ],
)
def test_a_generated_module_checks_what_the_compiled_schema_checks(doc: Any, valid: bool) -> None:
    assert Draft202012Validator(ODD).is_valid(doc) is valid
    assert compile_schema(ODD)(doc) is valid
    assert load(module_source(ODD))(doc) is valid
