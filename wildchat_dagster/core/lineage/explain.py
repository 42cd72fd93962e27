"""`explain KEY`: what happened to one record, stage by stage, read from the stored stages only.

KEY is a release `conversation_hash` (32 hex digits), a `turn_identifier`
(an integer), a landing `file:line`, or a raw `log_id` (a `conversation_id`
is the log_id of its last request). Every materialized month is searched.
Nothing is recomputed: linking decisions, GeoIP snapshots, redaction rules
and toxic rules are read as the stages stored them; only a month without a
stored lineage_index gets its hash lookup built from moderated_conversations.

Privacy: the result holds ids, file names, line numbers, times, countries,
languages, entity types, offsets, rule names and scores; never message
content, a raw IP, a redacted value, a rejected line's text or the IP-hash
key. Whoever can read the warehouse can run it: the warehouse holds the raw
logs themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from wildchat_dagster.core.ingestion.contract import REJECTION_REASONS
from wildchat_dagster.core.lineage.describe import describe_conversation
from wildchat_dagster.core.lineage.index import lineage_index_table
from wildchat_dagster.core.months import shift_month
from wildchat_dagster.core.release.splits import PUBLISHED_FOLDERS
from wildchat_dagster.core.storage.warehouse import Warehouse, duckdb_readable
from wildchat_dagster.stages import Stage

_HASH = re.compile(r"[0-9a-f]{32}")
_LINE = re.compile(r"(.+\.jsonl(?:\.gz)?):([0-9]+)")
_RAW_COLUMNS = "log_id, source_file, line_number, timestamp, response_timestamp, model"


@dataclass
class Explanation:
    """Everything `explain` found for one key; `to_dict()` is the --json output."""

    key: str
    kind: str
    landing: list[dict] = field(default_factory=list)  # the key's own log lines, accepted or rejected
    conversations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self.__dict__, default=str))


def key_kind(key: str) -> str:
    if _HASH.fullmatch(key):
        return "conversation_hash"
    if key.isdigit():
        return "turn_identifier"
    if _LINE.fullmatch(key):
        return "landing_line"
    return "log_id"


class Lineage:
    """Read-only lookups over one warehouse (DuckDB over the stored Parquet files)."""

    def __init__(self, warehouse: Warehouse):
        self.store = warehouse
        self.con = duckdb.connect()
        self._built: dict[str, object] = {}  # lineage_index tables built in memory, by month

    def close(self) -> None:
        self.con.close()

    # -- reading stored stages --

    def _rows(
        self, stage: str, where: str, params: list, columns: str = "*", months: list[str] | None = None
    ) -> list[dict]:
        stored = self.store.stored_months(stage)
        files = duckdb_readable(
            self.con, [self.store.layout.partition(stage, m) for m in stored if months is None or m in months]
        )
        if not files:
            return []
        sql = f"SELECT {columns}, filename FROM read_parquet(?, union_by_name = true, filename = true) WHERE {where}"
        rows = self.con.sql(sql, params=[files, *params]).to_arrow_table().to_pylist()
        for row in rows:
            row["month"] = row.pop("filename").rsplit("/", 1)[-1].removesuffix(".parquet")
        return rows

    def _one(self, stage: str, month: str, conversation_id: str) -> dict | None:
        rows = self._rows(stage, "conversation_id = ?", [conversation_id], months=[month])
        return rows[0] if rows else None

    def _index(self, where: str, params: list) -> list[dict]:
        rows = self._rows(Stage.LINEAGE_INDEX, where, params)
        indexed = set(self.store.stored_months(Stage.LINEAGE_INDEX))
        for month in self.store.stored_months(Stage.MODERATED_CONVERSATIONS):
            if month not in indexed:  # built in memory (once per month), the same way the asset builds it
                if month not in self._built:
                    self._built[month] = _index_table(self.store, month)
                with duckdb.connect() as con:
                    con.register("ix", self._built[month])
                    found = con.sql(f"SELECT * FROM ix WHERE {where}", params=params).to_arrow_table().to_pylist()
                rows += [{**r, "month": month} for r in found]
        return rows

    # -- keys to conversations --

    def explain(self, key: str) -> Explanation:
        kind = key_kind(key)
        result = Explanation(key, kind)
        found: set[tuple[str, str]] = set()
        if kind in ("conversation_hash", "turn_identifier"):
            value = int(key) if kind == "turn_identifier" else key
            found = {(r["month"], r["conversation_id"]) for r in self._index(f"{kind} = ?", [value])}
            if not found:  # a log_id may look like either (UUID hex, numeric ids)
                kind = result.kind = "log_id"
        if kind in ("landing_line", "log_id"):
            log_ids = self._landing_line(key, result) if kind == "landing_line" else [key]
            for log_id in log_ids:
                found |= self._log(log_id, result)
        if not found and not result.landing:
            result.notes.append("no stored conversation, log or landing line has this key")
        for month, conversation_id in sorted(found):
            result.conversations.append(self.conversation(month, conversation_id))
        return result

    def _landing_line(self, key: str, result: Explanation) -> list[str]:
        file, line = _LINE.fullmatch(key).groups()
        where = "(source_file = ? OR source_file LIKE ?) AND line_number = ?"
        params = [file, "%/" + file.lstrip("/"), int(line)]
        rows = self._rows(Stage.RAW_LOGS, where, params, _RAW_COLUMNS)
        result.landing += [{"accepted": True, **r} for r in rows]
        for r in self._rows(Stage.REJECTED_LOGS, where, params, "source_file, line_number, reason, log_id"):
            result.landing.append({"accepted": False, **r, "why": REJECTION_REASONS.get(r["reason"], r["reason"])})
        if not result.landing:
            result.notes.append(
                "no stored raw_logs or rejected_logs row has this file and line (is its month ingested?)"
            )
        return [r["log_id"] for r in rows]

    def _log(self, log_id: str, result: Explanation) -> set[tuple[str, str]]:
        if result.kind == "log_id":
            result.landing += [
                {"accepted": True, **r} for r in self._rows(Stage.RAW_LOGS, "log_id = ?", [log_id], _RAW_COLUMNS)
            ]
            for r in self._rows(
                Stage.REJECTED_LOGS, "log_id = ?", [log_id], "source_file, line_number, reason, log_id"
            ):
                result.landing.append({"accepted": False, **r, "why": REJECTION_REASONS.get(r["reason"], r["reason"])})
        found = self._rows(
            Stage.DEDUPLICATED_CONVERSATIONS,
            "list_contains(log_ids, ?) OR list_contains(retry_log_ids, ?)",
            [log_id, log_id],
            "conversation_id",
        )
        if not found and any(r["accepted"] for r in result.landing):
            result.notes.append(
                f"log {log_id} is in no stored conversation: its month and the next are not linked yet"
            )
        return {(r["month"], r["conversation_id"]) for r in found}

    # -- one conversation, stage by stage --

    def conversation(self, month: str, conversation_id: str) -> dict:
        dedup = self._one(Stage.DEDUPLICATED_CONVERSATIONS, month, conversation_id)
        log_ids = (dedup["log_ids"] or []) + (dedup["retry_log_ids"] or []) if dedup else []
        window = [shift_month(month, -1), month, shift_month(month, 1)]
        logs = (
            self._rows(Stage.RAW_LOGS, "list_contains(?, log_id)", [log_ids], _RAW_COLUMNS, window) if log_ids else []
        )
        index = self._index("conversation_id = ?", [conversation_id])
        return describe_conversation(
            month,
            conversation_id,
            dedup=dedup,
            logs=logs,
            related=self._related(month, dedup) if dedup else [],
            stages={s: self._one(s, month, conversation_id) for s in (
                Stage.GEOTAGGED_CONVERSATIONS, Stage.LANGUAGE_TAGGED_CONVERSATIONS,
                Stage.REDACTED_CONVERSATIONS, Stage.MODERATED_CONVERSATIONS)},
            index=[r for r in index if r["month"] == month],
            provenance=_provenance(self.store, month),
            released=self._released(month, index),
        )

    def _related(self, month: str, dedup: dict) -> list[dict]:
        """Other conversations of the month sharing a log or the opening: regenerations, NAT, identical openings.

        Compares IPs and fingerprints inside DuckDB and returns only whether they are equal.
        """
        first = dedup["conversation"][0]
        rows = self.con.execute(
            """
            SELECT conversation_id,
                   len(list_intersect(log_ids, ?)) AS shared_logs,
                   fingerprint = ? AS same_fingerprint,
                   conversation[1].ip = ? AS same_ip
            FROM read_parquet(?)
            WHERE conversation_id <> ? AND (list_has_any(log_ids, ?) OR conversation[1].content = ?)
            ORDER BY conversation_id LIMIT 20
            """,
            [dedup["log_ids"], dedup["fingerprint"], first.get("ip"),
             duckdb_readable(self.con, [self.store.layout.partition(Stage.DEDUPLICATED_CONVERSATIONS, month)])[0],
             dedup["conversation_id"], dedup["log_ids"], first["content"]],
        ).fetchall()
        return [{"conversation_id": c, "shared_logs": int(n), "same_fingerprint": bool(fp), "same_ip": bool(ip)}
                for c, n, fp, ip in rows]

    def _released(self, month: str, index: list[dict]) -> dict | None:
        """Whether the conversation's hash is in the published split file of its month."""
        mine = [r for r in index if r["month"] == month]
        if not mine or mine[0]["split"] not in PUBLISHED_FOLDERS:
            return None
        path = self.store.layout.published(mine[0]["split"], month)
        if not path.exists():
            return {"file": self.store.layout.relative(path), "found": False}
        # fetchall, not fetchone: an unfinished result would block the connection's next query.
        [(n,)] = self.con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE conversation_hash = ?",
            [duckdb_readable(self.con, [path])[0], mine[0]["conversation_hash"]],
        ).fetchall()
        return {"file": self.store.layout.relative(path), "found": n > 0}


def _index_table(store: Warehouse, month: str):
    # The folders as the month's release sorted them: its recorded policy on unscreened turns (a month
    # released before the policy existed put them in nontoxic; an unreleased one gets the default, hold).
    path = store.layout.provenance(month)
    policy = json.loads(path.read_text()).get("unscreened_policy", "nontoxic") if path.exists() else "hold"
    return lineage_index_table(
        store.read_records(Stage.MODERATED_CONVERSATIONS, month), hold_unscreened=policy == "hold"
    )


def _provenance(store: Warehouse, month: str) -> dict:
    """The settings in force when the month's stages ran (the release's provenance record), if published."""
    path = store.layout.provenance(month)
    if not path.exists():
        return {}
    upstream = json.loads(path.read_text()).get("upstream", {})
    geo = upstream.get(Stage.GEOTAGGED_CONVERSATIONS, {}).get("metadata", {})
    moderation = upstream.get(Stage.MODERATED_CONVERSATIONS, {}).get("metadata", {})
    return {
        "geoip_databases": [
            {"snapshot": d.get("snapshot_date") or Path(d.get("path") or "").name,
             "build_date": d.get("build_date"), "edition": d.get("database_type")}
            for d in geo.get("databases") or []
        ],
        "moderation": {k: v for k, v in moderation.items() if "threshold" in k or k.endswith("_enabled")},
    }


def explain(warehouse: Warehouse, key: str) -> Explanation:
    lineage = Lineage(warehouse)
    try:
        return lineage.explain(key.strip())
    finally:
        lineage.close()

