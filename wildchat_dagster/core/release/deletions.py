"""Deletion requests: conversations removed from every release after publication.

A request names one or more of a conversation_hash, a turn_identifier or a
hashed_ip, with a request id, a reason and a date. Requests live in
`<data root>/deletion_requests/*.csv|*.jsonl` (one request per row, columns
request_id, conversation_hash, turn_identifier, hashed_ip, reason, date) and
are never deleted themselves, so every later release of any month applies
them again: a re-run can not bring removed content back.

A release row matches when its conversation_hash is requested, any of its
turn identifiers is, or its hashed_ip or any user turn's is. Only request ids
and counts are ever reported, never the removed content or the matched values.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import duckdb_readable

KINDS = ("conversation_hash", "turn_identifier", "hashed_ip")


@dataclass
class DeletionRequests:
    """Every request, indexed by the value it names."""

    by_value: dict[str, dict[str, set[str]]] = field(default_factory=lambda: {k: {} for k in KINDS})
    requests: dict[str, dict] = field(default_factory=dict)  # request_id -> {reason, date, kinds}

    def __bool__(self) -> bool:
        return bool(self.requests)

    def add(self, request: dict) -> None:
        request_id = str(request.get("request_id") or "").strip()
        if not request_id:
            raise ValueError(f"a deletion request without request_id: {sorted(k for k, v in request.items() if v)}")
        named = []
        for kind in KINDS:
            value = request.get(kind)
            if value is None or str(value).strip() == "":
                continue
            self.by_value[kind].setdefault(str(value).strip(), set()).add(request_id)
            named.append(kind)
        if not named:
            raise ValueError(f"deletion request {request_id!r} names no {', '.join(KINDS)}")
        self.requests[request_id] = {"reason": request.get("reason"), "date": request.get("date"), "kinds": named}

    def matches(self, row: dict) -> set[str]:
        """The ids of the requests that remove this release row."""
        found: set[str] = set()
        found |= self.by_value["conversation_hash"].get(row.get("conversation_hash") or "", set())
        ips = {row.get("hashed_ip")} | {u.get("hashed_ip") for u in row.get("conversation") or []}
        for ip in ips - {None}:
            found |= self.by_value["hashed_ip"].get(ip, set())
        for u in row.get("conversation") or []:
            if u.get("turn_identifier") is not None:
                found |= self.by_value["turn_identifier"].get(str(u["turn_identifier"]), set())
        return found


def request_files(layout: DataLayout) -> list[StoragePath]:
    folder = layout.deletion_requests_dir
    return sorted(p for p in folder.glob("*") if p.suffix in (".csv", ".jsonl")) if folder.is_dir() else []


def load_deletion_requests(layout: DataLayout) -> DeletionRequests:
    """Every request of every file under <data root>/deletion_requests/."""
    requests = DeletionRequests()
    for path in request_files(layout):
        with path.open("r", encoding="utf-8", newline="") as stream:
            rows = (
                csv.DictReader(stream)
                if path.suffix == ".csv"
                else (json.loads(line) for line in stream if line.strip())
            )
            for row in rows:
                requests.add(row)
    return requests


@dataclass
class Removal:
    kept: list[dict]
    removed: int
    request_ids: set[str]  # the requests that removed something here


def apply_deletions(rows: Iterable[dict], requests: DeletionRequests) -> Removal:
    """Release rows without those any request names."""
    kept, removed, applied = [], 0, set()
    for row in rows:
        matched = requests.matches(row) if requests else set()
        if matched:
            removed += 1
            applied |= matched
        else:
            kept.append(row)
    return Removal(kept, removed, applied)


def published_matches(files: list[StoragePath], requests: DeletionRequests) -> dict[str, set[str]]:
    """{published file: ids of requests that still match a row in it}; only matching files appear.

    Reads only the hash, IP and turn-identifier columns (DuckDB projects the nested fields)."""
    if not files or not requests:
        return {}
    con = duckdb.connect()
    try:
        found: dict[str, set[str]] = {}
        for path, readable in zip(files, duckdb_readable(con, files), strict=True):
            query = """SELECT conversation_hash, hashed_ip,
                              list_transform(conversation, lambda u: u.hashed_ip) AS turn_ips,
                              list_transform(conversation, lambda u: u.turn_identifier) AS turn_ids
                       FROM read_parquet(?)"""
            for conversation_hash, hashed_ip, turn_ips, turn_ids in con.execute(query, [readable]).fetchall():
                row = {
                    "conversation_hash": conversation_hash,
                    "hashed_ip": hashed_ip,
                    "conversation": [
                        {"hashed_ip": ip, "turn_identifier": t} for ip, t in zip(turn_ips, turn_ids, strict=True)
                    ],
                }
                if matched := requests.matches(row):
                    found.setdefault(str(path), set()).update(matched)
        return found
    finally:
        con.close()


def requests_fingerprint(requests: DeletionRequests) -> str:
    """A short digest of what the requests name (ids and the values they name), to tell whether new or
    edited requests arrived: a request edited under the same id is applied again."""
    named = sorted(f"{request_id}\t{kind}\t{value}" for kind, values in requests.by_value.items()
                   for value, ids in values.items() for request_id in ids)
    return hashlib.sha256("\n".join(named).encode()).hexdigest()[:16]
