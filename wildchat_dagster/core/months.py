"""Month arithmetic on "YYYY-MM" keys."""

from __future__ import annotations

import datetime as dt
import re

MONTH_TEXT = re.compile(r"\s*([0-9]{4})-([0-9]{1,2})\s*")


def normalize_month(text: str) -> str:
    """'2023-4' or '2023-04' -> '2023-04'; anything else is an error a person can act on."""
    found = MONTH_TEXT.fullmatch(text)
    if not found:
        raise ValueError(f"{text!r} is not a month: expected YYYY-MM, e.g. 2023-04")
    year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a month: {month} is not between 1 and 12")
    return f"{year:04d}-{month:02d}"


def parse_month(key: str) -> dt.date:
    return dt.date.fromisoformat(normalize_month(key) + "-01")


def shift_month(key: str, delta: int) -> str:
    d = parse_month(key)
    index = d.year * 12 + d.month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_window(key: str) -> list[str]:
    """The months whose logs can hold turns of a conversation ending in `key`."""
    return [shift_month(key, -1), key, shift_month(key, 1)]


def month_range(spec: str) -> list[str]:
    """'2023-04:2023-06' -> ['2023-04', '2023-05', '2023-06']; '2023-04' -> ['2023-04'] (unpadded months too)."""
    start, _, end = spec.partition(":")
    start = normalize_month(start)
    end = normalize_month(end) if end.strip() else start
    if end < start:
        raise ValueError(f"the range {spec!r} ends before it starts")
    months = [start]
    while months[-1] != end:
        months.append(shift_month(months[-1], 1))
    return months


def month_of(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m")
