"""Timestamps: read RFC 3339 and the seed's `YYYY-MM-DD HH:MM:SS UTC`; write RFC 3339 UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)
_SEED = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC")
_from_iso = datetime.fromisoformat
_LEASE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# Checking a file reads its times, then the summary or the model reads some again.
@lru_cache(maxsize=256)
def parse(text: str) -> datetime:
    """Parse a timestamp into an aware UTC datetime; ValueError if it is neither format.

    Kept to the millisecond, as `format` writes it, so a file survives load, dump, load.
    """
    m = _RFC3339.fullmatch(text)
    if m is not None and m.group(8) == "Z" and text[10] == "T" and text.isascii():
        fraction = m.group(7)
        # What `format` writes, read by the C parser (a fifth of the time); the hour and the
        # length of the fraction are the ones it reads as this function does.
        if m.group(4) < "24" and (fraction is None or len(fraction) == 4):
            return _from_iso(text[:-1] + "+00:00")
    if m is None:
        if _SEED.fullmatch(text) is None:
            raise ValueError(f"not a timestamp: {text!r}")
        fraction, offset = None, "Z"
    else:
        fraction, offset = m.group(7, 8)
    # Both formats put the date and the time at the same places.
    micro = int((fraction[1:] + "000")[:3]) * 1000 if fraction else 0
    if offset in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = 1 if offset[0] == "+" else -1
        hh, mm = int(offset[1:3]), int(offset[4:6])
        if hh > 23 or mm > 59:
            raise ValueError(f"bad UTC offset in {text!r}")
        tz = timezone(sign * timedelta(hours=hh, minutes=mm))
    try:
        moment = datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            micro,
            tzinfo=tz,
        )
        return moment if tz is timezone.utc else moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{text!r} is out of the range of dates") from None


def is_seed_style(text: object) -> bool:
    """Whether `text` is a time in the seed's `2025-11-15 00:20:00 UTC` style."""
    return isinstance(text, str) and _SEED.fullmatch(text) is not None


def format(moment: datetime) -> str:
    """Write RFC 3339 UTC with a `Z`; milliseconds only when they are not zero."""
    utc = moment.astimezone(timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    millis = utc.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def truncate(moment: datetime) -> datetime:
    """Drop what `format` cannot write, so a stored time compares equal after a reload."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


MAX_LEASE = timedelta(days=365)


def parse_duration(text: str) -> timedelta:
    """Parse a lease such as `2h`, `90m`, `1h30m` or `45s`: from 1s to 365d."""
    pos, total = 0, 0
    compact = text.strip()
    for m in _LEASE.finditer(compact):
        if m.start() != pos:
            break
        digits = m.group(1)
        # A number of a thousand digits is just "too long", not a slow or failing int().
        total += (int(digits) if len(digits) <= 16 else 10**16) * _UNITS[m.group(2)]
        pos = m.end()
    shown = repr(text if len(text) <= 40 else text[:39] + "…")
    if not compact or pos != len(compact):
        raise ValueError(f"not a duration: {shown} (write it like 2h, 90m or 1h30m)")
    if total <= 0:
        raise ValueError(f"{shown} is no time at all; a lease is at least 1s, like 2h or 90m")
    if total > MAX_LEASE.total_seconds():
        raise ValueError(f"{shown} is longer than 365 days; a lease is at most 365d")
    return timedelta(seconds=total)


def describe_age(delta: timedelta) -> str:
    """A short human age such as `5m` or `3d`."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
