"""Timestamps: both input styles, one output style, and lease durations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmilestone import timestamps

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2025-11-15T00:20:00Z", datetime(2025, 11, 15, 0, 20, tzinfo=UTC), id="zulu"),
        pytest.param(
            "2025-11-15 00:20:00 UTC", datetime(2025, 11, 15, 0, 20, tzinfo=UTC), id="seed-style"
        ),
        pytest.param(
            "2025-11-15t00:20:00z", datetime(2025, 11, 15, 0, 20, tzinfo=UTC), id="lowercase-t-z"
        ),
        pytest.param(
            "2025-11-15T02:20:00+02:00",
            datetime(2025, 11, 15, 0, 20, tzinfo=UTC),
            id="positive-offset",
        ),
        pytest.param(
            "2025-11-14T18:50:00-05:30",
            datetime(2025, 11, 15, 0, 20, tzinfo=UTC),
            id="negative-offset-crossing-midnight",
        ),
        pytest.param(
            "2025-11-15T00:20:00.5Z",
            datetime(2025, 11, 15, 0, 20, 0, 500000, tzinfo=UTC),
            id="tenths",
        ),
        pytest.param(
            "2025-11-15T00:20:00.123Z",
            datetime(2025, 11, 15, 0, 20, 0, 123000, tzinfo=UTC),
            id="milliseconds",
        ),
        pytest.param(
            "2025-11-15T00:20:00.123456789Z",
            datetime(2025, 11, 15, 0, 20, 0, 123000, tzinfo=UTC),
            id="nanoseconds-kept-to-the-millisecond",
        ),
        pytest.param(
            "2024-02-29T23:59:59Z", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), id="leap-day"
        ),
    ],
)
def test_parse_reads_rfc3339_and_the_seed_style_as_utc(text: str, expected: datetime) -> None:
    parsed = timestamps.parse(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="words"),
        pytest.param("2025-11-15", id="date-only"),
        pytest.param("2025-11-15T00:20:00", id="no-offset"),
        pytest.param("2025-11-15 00:20:00", id="seed-style-without-utc"),
        pytest.param("2025-11-15 00:20:00 CET", id="seed-style-other-zone"),
        pytest.param("2025-11-15T00:20Z", id="no-seconds"),
        pytest.param(" 2025-11-15T00:20:00Z", id="leading-space"),
        pytest.param("2025-11-15T00:20:00Z\n", id="trailing-newline"),
        pytest.param("2025-02-30T00:00:00Z", id="february-30"),
        pytest.param("2025-13-01T00:00:00Z", id="month-13"),
        pytest.param("2025-11-15T24:00:00Z", id="hour-24"),
        pytest.param("2025-11-15T00:20:00+24:00", id="offset-hour-24"),
        pytest.param("2025-11-15T00:20:00+01:60", id="offset-minute-60"),
        pytest.param("0001-01-01T00:00:00+01:00", id="before-year-1-in-utc"),
        pytest.param("9999-12-31T23:59:59-01:00", id="after-year-9999-in-utc"),
    ],
)
def test_parse_refuses_anything_else_with_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        timestamps.parse(text)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2025, 11, 15, 0, 20, tzinfo=UTC), "2025-11-15T00:20:00Z", id="whole"),
        pytest.param(
            datetime(2025, 11, 15, 0, 20, 0, 7000, tzinfo=UTC),
            "2025-11-15T00:20:00.007Z",
            id="milliseconds",
        ),
        pytest.param(
            datetime(2025, 11, 15, 0, 20, 0, 999, tzinfo=UTC),
            "2025-11-15T00:20:00Z",
            id="under-a-millisecond-dropped",
        ),
        pytest.param(
            datetime(2025, 11, 15, 2, 20, tzinfo=timezone(timedelta(hours=2))),
            "2025-11-15T00:20:00Z",
            id="converted-to-utc",
        ),
    ],
)
def test_format_writes_rfc3339_utc_with_z(moment: datetime, expected: str) -> None:
    assert timestamps.format(moment) == expected


def test_the_seed_style_and_rfc3339_are_the_same_moment() -> None:
    seed = timestamps.parse("2025-11-15 00:25:00 UTC")
    assert timestamps.format(seed) == "2025-11-15T00:25:00Z"
    assert timestamps.parse(timestamps.format(seed)) == seed


@settings(max_examples=100, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_parse_of_format_is_the_moment_to_the_millisecond(moment: datetime) -> None:
    written = timestamps.format(moment)
    assert written.endswith("Z")
    assert timestamps.parse(written) == timestamps.truncate(moment)
    assert timestamps.format(timestamps.parse(written)) == written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2h", timedelta(hours=2), id="hours"),
        pytest.param("90m", timedelta(minutes=90), id="minutes"),
        pytest.param("1h30m", timedelta(hours=1, minutes=30), id="hours-and-minutes"),
        pytest.param("45s", timedelta(seconds=45), id="seconds"),
        pytest.param("1d", timedelta(days=1), id="days"),
        pytest.param(" 2h ", timedelta(hours=2), id="surrounding-space"),
    ],
)
def test_parse_duration_reads_leases(text: str, expected: timedelta) -> None:
    assert timestamps.parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("2", id="no-unit"),
        pytest.param("h", id="no-number"),
        pytest.param("0h", id="zero"),
        pytest.param("-1h", id="negative"),
        pytest.param("2 hours", id="words"),
        pytest.param("2h junk", id="trailing-junk"),
        pytest.param("2w", id="unknown-unit"),
    ],
)
def test_parse_duration_refuses_with_an_example_of_the_format(text: str) -> None:
    with pytest.raises(ValueError, match="2h"):
        timestamps.parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(-5, "0s", id="future-is-zero"),
        pytest.param(42, "42s", id="seconds"),
        pytest.param(300, "5m", id="minutes"),
        pytest.param(7200, "2h", id="hours"),
        pytest.param(3 * 86400 + 5, "3d", id="days"),
    ],
)
def test_describe_age(seconds: int, expected: str) -> None:
    assert timestamps.describe_age(timedelta(seconds=seconds)) == expected
