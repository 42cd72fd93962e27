"""The generator's records in memory (clients, branches of messages, logs, expected conversations) and time helpers."""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from dataclasses import dataclass, field

from wildchat_dagster.core.months import parse_month
from wildchat_dagster.kit.synthetic.geo_pool import Place

_UTC = dt.UTC


@dataclass(slots=True)
class Browser:
    user_agent: str
    accept_language: str
    headers_json: str
    offset_minutes: int  # the zone its request times are written in
    zulu: bool  # write UTC as "Z"
    millis: bool  # write milliseconds

    @property
    def suffix(self) -> str:
        if self.offset_minutes == 0:
            return "Z" if self.zulu else "+00:00"
        sign = "+" if self.offset_minutes > 0 else "-"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass(slots=True)
class Client:
    browser: Browser
    place: Place


class Branch:
    """One line of messages; every request of it sends a prefix as history."""

    __slots__ = ("messages", "_encoded", "_histories")

    def __init__(self, messages: list[tuple[str, str]]):
        self.messages = messages  # (role, content), alternating from user
        self._encoded: list[str] | None = None
        self._histories: list[str] | None = None

    def encoded(self, index: int) -> str:
        if self._encoded is None:
            self._encoded = [json.dumps(c, ensure_ascii=False) for _, c in self.messages]
        return self._encoded[index]

    def history_json(self, rounds: int) -> str:
        # Built once per branch: every request's history is a prefix of the next one's.
        if self._histories is None:
            self.encoded(0)
            assert self._encoded is not None
            items = [
                f'{{"role": "{role}", "content": {enc}}}'
                for (role, _), enc in zip(self.messages, self._encoded, strict=True)
            ]
            histories = ["[]"]
            joined = ""
            for k in range(1, len(self.messages) // 2 + 1):
                pair = items[2 * k - 2] + ", " + items[2 * k - 1]
                joined = pair if k == 1 else joined + ", " + pair
                histories.append("[" + joined + "]")
            self._histories = histories
        return self._histories[rounds]


@dataclass(slots=True)
class Log:
    log_id: str
    ts: int  # request arrival, epoch milliseconds UTC
    rts: int  # reply received
    ip: str
    browser: Browser
    model: str
    branch: Branch
    round: int  # 0-based: history = the branch's first `round` rounds
    written: bool = True


@dataclass(slots=True)
class Content:
    messages: list[list[str]]  # [user, assistant] per round
    planted: list[dict] = field(default_factory=list)
    lookalikes: list[str] = field(default_factory=list)
    toxic: bool = False
    tags: list[str] = field(default_factory=list)

    def as_branch(self) -> Branch:
        flat: list[tuple[str, str]] = []
        for user, assistant in self.messages:
            flat.append(("user", user))
            flat.append(("assistant", assistant))
        return Branch(flat)


@dataclass(slots=True)
class Expected:
    month: str
    language: str
    place: Place
    model: str
    branch: Branch
    logs: list[Log | None]
    toxic: bool
    planted: list[dict]
    lookalikes: list[str]
    cases: list[str]

    def record(self) -> dict:
        last = self.logs[-1]
        assert last is not None
        ips: list[str] = []
        for log in self.logs:
            if log is not None and log.ip not in ips:
                ips.append(log.ip)
        return {
            "conversation_id": last.log_id,
            "month": self.month,
            "log_ids": [log.log_id if log else None for log in self.logs],
            "turn": len(self.logs),
            "model": self.model,
            "language": self.language,
            "country": self.place.country,
            "state": self.place.state,
            "ip": last.ip,
            "ips": ips,
            "toxic": self.toxic,
            "planted": self.planted,
            "lookalikes": self.lookalikes,
            "cases": self.cases,
            "messages": [{"role": r, "content": c} for r, c in self.branch.messages],
        }


# --- helpers on time and text ------------------------------------------------


@functools.cache
def month_start_ms(month: str) -> int:
    d = parse_month(month)
    return int(dt.datetime(d.year, d.month, 1, tzinfo=_UTC).timestamp()) * 1000


def utc_month(ms: int) -> str:
    moment = time.gmtime(ms // 1000)
    return f"{moment.tm_year:04d}-{moment.tm_mon:02d}"


def format_time(ms: int, browser: Browser) -> str:
    """RFC 3339 in the browser's zone (the same instant as `ms`)."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds + browser.offset_minutes * 60)
    out = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    if browser.millis:
        out += f".{millis:03d}"
    return out + browser.suffix


def models_for_month(month: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(GPT-3.5 names, GPT-4 names) a WildChat-like service served that month."""
    if month < "2023-06":
        return ("gpt-3.5-turbo-0301",), ("gpt-4-0314",)
    if month == "2023-06":
        return ("gpt-3.5-turbo-0301", "gpt-3.5-turbo-0613"), ("gpt-4-0314",)
    if month < "2023-11":
        return ("gpt-3.5-turbo-0613",), ("gpt-4-0314",)
    if month < "2024-02":
        return ("gpt-3.5-turbo-0613", "gpt-3.5-turbo-1106"), ("gpt-4-1106-preview",)
    return ("gpt-3.5-turbo-0125",), ("gpt-4-0125-preview",)
