"""Records behave as the dataclasses they stand for: each test builds the same class both
ways and asks both the same questions."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Mapping
from typing import Any

import pytest

from gitmilestone import records
from gitmilestone.model import Milestone
from gitmilestone.records import field, frozen, mutable


@frozen
class Point:
    x: int
    label: str = "origin"
    tags: Mapping[str, Any] = field(default_factory=dict)
    cache: int | None = field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class DataPoint:
    x: int
    label: str = "origin"
    tags: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    cache: int | None = dataclasses.field(default=None, compare=False, repr=False)


@frozen(order=True)
class Ranked:
    a: int
    b: str


@dataclasses.dataclass(frozen=True, order=True)
class DataRanked:
    a: int
    b: str


@mutable
class Counter:
    hits: int = 0
    names: list[str] = field(default_factory=list)


@dataclasses.dataclass
class DataCounter:
    hits: int = 0
    names: list[str] = dataclasses.field(default_factory=list)


def test_construction_defaults_and_fresh_factories_match_dataclasses() -> None:
    for cls in (Point, DataPoint):
        p = cls(1)
        assert (p.x, p.label, p.tags, p.cache) == (1, "origin", {}, None)
        assert cls(1).tags is not cls(1).tags  # a fresh dict each time
        q = cls(2, "b", {"k": 1}, cache=5)
        assert (q.x, q.label, q.tags, q.cache) == (2, "b", {"k": 1}, 5)
        with pytest.raises(TypeError):
            cls()  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, nope=2)  # type: ignore[call-arg]
    assert Point.label == DataPoint.label == "origin"  # a plain default stays on the class
    assert Point.__match_args__ == DataPoint.__match_args__


def test_equality_hash_and_repr_match_dataclasses() -> None:
    for cls in (Point, DataPoint):
        assert cls(1, "a") == cls(1, "a")
        assert cls(1, "a") != cls(1, "b")
        assert cls(1, cache=1) == cls(1, cache=2)  # compare=False
        assert cls(1, "a") != (1, "a")
        assert hash(cls(1, "a", ())) == hash(cls(1, "a", (), cache=9))  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hash(cls(1))  # a dict field: unhashable, as the dataclass
    assert repr(Point(1, "a")).replace("Point", "DataPoint") == repr(DataPoint(1, "a"))
    assert Point(1) != DataPoint(1)  # another class is never equal


def test_frozen_records_refuse_assignment_as_dataclasses_do() -> None:
    for instance in (Point(1), DataPoint(1)):
        with pytest.raises(AttributeError):
            instance.x = 2  # type: ignore[misc]
        with pytest.raises(AttributeError):
            del instance.x  # type: ignore[misc]
        with pytest.raises(AttributeError):
            instance.other = 1  # type: ignore[attr-defined]
        assert instance.x == 1
    with pytest.raises(records.FrozenInstanceError, match="'x'"):
        Point(1).x = 3  # type: ignore[misc]


def test_ordering_matches_dataclasses() -> None:
    pairs = [(2, "a"), (1, "z"), (1, "b"), (2, "a")]
    ours = sorted(Ranked(a, b) for a, b in pairs)
    theirs = sorted(DataRanked(a, b) for a, b in pairs)
    assert [(r.a, r.b) for r in ours] == [(r.a, r.b) for r in theirs]
    assert Ranked(1, "a") <= Ranked(1, "a") < Ranked(1, "b") and Ranked(2, "a") > Ranked(1, "z")
    with pytest.raises(TypeError):
        assert Ranked(1, "a") < DataRanked(1, "a")  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert Point(1) < Point(2)  # type: ignore[operator]  # not ordered


def test_mutable_records_assign_and_are_unhashable_as_dataclasses() -> None:
    for cls in (Counter, DataCounter):
        c = cls()
        c.hits += 2
        c.names.append("a")
        assert (c.hits, c.names) == (2, ["a"])
        assert cls().names == [] and c == cls(2, ["a"])
        with pytest.raises(TypeError):
            hash(c)


def test_replace_fields_and_asdict() -> None:
    p = Point(1, "a", {"k": 1}, cache=3)
    q = records.replace(p, label="b")
    assert (q.x, q.label, q.tags, q.cache) == (1, "b", {"k": 1}, 3) and p.label == "a"
    assert records.replace(p) == p and records.replace(p) is not p
    with pytest.raises(TypeError, match="nope"):
        records.replace(p, nope=1)
    assert records.fields(p) == records.fields(Point) == ("x", "label", "tags", "cache")
    assert records.fields(p) == tuple(f.name for f in dataclasses.fields(DataPoint))
    assert records.asdict(p) == {"x": 1, "label": "a", "tags": {"k": 1}, "cache": 3}


def test_copies_and_pickles_keep_the_record(seeded_milestone: Milestone) -> None:
    for value in (Point(1, "a", {"k": [1]}), seeded_milestone):
        assert copy.copy(value) == value
        assert copy.deepcopy(value) == value
        assert pickle.loads(pickle.dumps(value)) == value


def test_declarations_a_dataclass_refuses_are_refused() -> None:
    with pytest.raises(TypeError, match="follows a default"):

        @frozen
        class Wrong:
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="inherit"):

        @frozen
        class Child(Point):
            y: int = 0


@pytest.fixture
def seeded_milestone() -> Milestone:
    from tests.test_model import seed_doc

    return Milestone.from_dict(seed_doc())
