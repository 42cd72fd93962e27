"""One request log as linking sees it: its client, its content keys, its place in time.

A client is (fingerprint, model, canonical IP); the fingerprint is
sha256(user-agent + accept-language). A message list is keyed by one running
sha256 over its length-framed messages, so the key of every even-length
prefix falls out of hashing a request's history once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left

from wildchat_dagster.core.geo.client_ips import canonical_ip


def client_fingerprint(user_agent: str | None, accept_language: str | None) -> str:
    """sha256 hex of user-agent + accept-language, as the WildChat authors hashed clients."""
    return hashlib.sha256(((user_agent or "") + (accept_language or "")).encode("utf-8", "surrogatepass")).hexdigest()


_ROLE_TAG = {"user": b"u", "assistant": b"a"}


def _feed(digest, role: str, content: str) -> None:
    """Append one message to a running content hash; length-framed, so no two message lists collide."""
    data = content.encode("utf-8", "surrogatepass")
    digest.update(_ROLE_TAG.get(role, b"?") + len(data).to_bytes(8, "little"))
    digest.update(data)


def utc_month(ts: dt.datetime) -> str:
    if ts.utcoffset():
        ts = ts.astimezone(dt.UTC)
    return f"{ts.year:04d}-{ts.month:02d}"


TEXT_FIELDS = ("history", "prompt", "response")


class LinkLog:
    """One log with the keys linking needs, its texts left out; `index` is its rank in
    (timestamp, log_id) order, `at` where its texts can be read back (the caller's choice)."""

    __slots__ = (
        "row", "index", "at", "ts", "rts", "month", "fp", "model", "ip", "round",
        "hist_key", "full_key", "prefix_keys", "kept", "parent", "has_child", "home", "refused",
    )

    def __init__(self, row: dict, index: int, fingerprints: dict, ips: dict, at=None):
        self.row = {k: v for k, v in row.items() if k not in TEXT_FIELDS}
        self.index = index
        self.at = at
        self.ts: dt.datetime = row["timestamp"]
        self.rts: dt.datetime = row["response_timestamp"]
        self.month = utc_month(self.ts)
        ua, al = row.get("user_agent"), row.get("accept_language")
        fp = fingerprints.get((ua, al))
        if fp is None:
            fp = fingerprints[(ua, al)] = client_fingerprint(ua, al)
        self.fp = fp
        self.model = row["model"]
        # A log imported from a release has no IP; its keyed hash plays that part here.
        raw_ip = row["ip"] if row["ip"] is not None else f"hashed:{row.get('hashed_ip') or ''}"
        ip = ips.get(raw_ip)
        if ip is None:
            ip = ips[raw_ip] = canonical_ip(raw_ip) or raw_ip
        self.ip = ip
        history = row["history"] or []
        self.round = len(history) // 2
        # One running hash over the messages: the key of every even-length prefix
        # (a possible parent's or absorbed conversation's content) falls out on the way.
        digest, prefixes = hashlib.sha256(), []
        for i, message in enumerate(history):
            _feed(digest, message["role"], message["content"])
            if i % 2:
                prefixes.append(digest.digest())
        self.hist_key = digest.digest()
        _feed(digest, "user", row["prompt"])
        _feed(digest, "assistant", row["response"])
        self.full_key = digest.digest()
        self.prefix_keys = prefixes  # strict prefixes of this log's full conversation, by rounds
        self.kept: LinkLog | None = None  # set on retries
        self.parent: LinkLog | None = None
        self.has_child = False
        self.refused: LinkLog | None = None  # an other-IP candidate parent turned down (rule 2)
        self.home: LinkLog | None = None  # end log of its earliest-ending conversation


class TimeIndex:
    """Logs in time order under one key, to find the latest one before a moment."""

    __slots__ = ("times", "logs")

    def __init__(self):
        self.times: list[dt.datetime] = []
        self.logs: list[LinkLog] = []

    def add(self, time: dt.datetime, log: LinkLog) -> None:
        self.times.append(time)
        self.logs.append(log)

    def latest_before(self, time: dt.datetime) -> LinkLog | None:
        i = bisect_left(self.times, time)
        return self.logs[i - 1] if i else None

    def first_at_or_after(self, time: dt.datetime) -> LinkLog | None:
        i = bisect_left(self.times, time)
        return self.logs[i] if i < len(self.logs) else None


def log_order(row: dict) -> tuple:
    return (row["timestamp"], row["log_id"], row.get("source_file") or "", row.get("line_number") or 0)
