"""Published WildChat data and the authors' proxy logs, turned back into request logs.

A released conversation of n rounds becomes n request logs in our contract
(round k: history = the first 2k utterances, prompt and response = round k),
so a public release can be re-run through newer redaction, language ID and
moderation. Released rows hold no raw IP: each log carries the release's
`hashed_ip`, `country` and `state` instead, which geotagging keeps as given.

Three row shapes are read, by their fields:
- WildChat-1M / WildChat-4.8M (Hugging Face schema): `conversation` is a list
  of utterances; the 4.8M per-turn request fields (temperature, top_p, usage,
  system_fingerprint, ...) ride along as extra fields for the 4.8M release.
- `messages` + `metadata` (conversation-level metadata only, as republished).
- The authors' raw proxy-log rows: `headers` is the Python repr of the
  request headers (parsed with `ast.literal_eval`, never `eval`),
  `payload.model` and `payload.messages` (history + new prompt),
  `partial_words` the reply; the client IP is the first X-Forwarded-For entry.

A row that cannot become logs is counted with a reason, never dropped silently.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from wildchat_dagster.core.months import month_of
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import atomic_write_bytes, file_sha256

# The WildChat-4.8M card's per-turn request fields beyond WildChat-1M's.
REQUEST_FIELDS_4_8M = ("created", "openai_id", "temperature", "token_counter", "top_p", "system_fingerprint", "usage")
SKIP_REASONS = {
    "unknown_shape": "the row has neither `conversation`, `messages` nor a proxy-log `payload`",
    "not_alternating": "utterances do not alternate user/assistant from user, ending with the assistant",
    "no_timestamp": "no timestamp to place the request in a month",
    "bad_headers": "the proxy-log headers are not a Python dict literal",
    "bad_payload": "the proxy-log payload is not a JSON object with a list of messages",
    "unparsable_line": "the line is not JSON",
    "malformed_row": "a field has the wrong type or an unreadable value (e.g. a timestamp)",
    "no_client_ip": "the proxy-log row has no X-Forwarded-For address",
}
IMPORT_PREFIX = "import-"
_DATA_SUFFIXES = (".gz", ".jsonl", ".json", ".parquet")


@dataclass
class ImportSummary:
    """What one import wrote, per month, and what it could not convert."""

    files: list[dict] = field(default_factory=list)
    rows: int = 0
    conversations: int = 0
    logs_by_month: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    written: list[str] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[dict | None]:
    """The rows of a Parquet, JSONL (optionally gzipped) or JSON-array file; None for a JSONL line that is not JSON."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
            yield from batch.to_pylist()
        return
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        if name.endswith((".json", ".json.gz")):
            yield from json.load(stream)
            return
        for line in stream:
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    yield None


def _utc(value) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # the 4.8M card's timestamps are naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _alternates(utterances: list[dict]) -> bool:
    roles = [u.get("role") for u in utterances]
    return (
        bool(roles)
        and len(roles) % 2 == 0
        and all(r == ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(roles))
    )


def _headers(header: dict | None) -> dict:
    return {k: v for k, v in (header or {}).items() if isinstance(v, str)}


def conversation_logs(row: dict, source_id: str) -> list[dict]:
    """Request logs (contract records) of one released conversation, one per round.

    WildChat's user utterances carry no time: a round's request time is its
    reply's time. A reply without a time gets the conversation's time minus
    one second per later round, so the rounds stay in order (marked
    `timestamp_estimated`)."""
    if "conversation" in row:
        utterances = [dict(u) for u in row["conversation"] or []]
        meta = row
    else:
        utterances = [{"role": m.get("role"), "content": m.get("content")} for m in row.get("messages") or []]
        meta = row.get("metadata") or {}
    if not _alternates(utterances):
        raise ImportSkip("not_alternating")
    ended = _utc(meta.get("timestamp"))
    rounds = len(utterances) // 2
    logs = []
    for k in range(rounds):
        user, reply = utterances[2 * k], utterances[2 * k + 1]
        estimated = _utc(reply.get("timestamp")) is None
        replied = _utc(reply.get("timestamp")) or (ended - dt.timedelta(seconds=rounds - 1 - k) if ended else None)
        if replied is None:
            raise ImportSkip("no_timestamp")
        identifier = user.get("turn_identifier") or reply.get("turn_identifier")
        record = {
            "log_id": f"{source_id}:{k}",
            "timestamp": _iso(replied),
            "response_timestamp": _iso(replied),
            "model": meta.get("model") or "unknown",
            "headers": _headers(user.get("header") or meta.get("header")),
            "history": [{"role": u["role"], "content": u["content"] or ""} for u in utterances[: 2 * k]],
            "prompt": user.get("content") or "",
            "response": reply.get("content") or "",
            # Given by the release: geotagging keeps these instead of looking up an IP.
            "hashed_ip": user.get("hashed_ip") or meta.get("hashed_ip"),
            "country": user.get("country") if "country" in user else meta.get("country"),
            "state": user.get("state") if "state" in user else meta.get("state"),
            "imported": {"source": source_id.rsplit(":", 1)[0], "conversation_hash": row.get("conversation_hash"),
                         "turn_identifier": identifier},
        }
        if estimated:
            record["timestamp_estimated"] = True
        request = {name: reply.get(name, user.get(name)) for name in REQUEST_FIELDS_4_8M
                   if reply.get(name) is not None or user.get(name) is not None}
        if request:
            record["request"] = request
        logs.append(record)
    return logs


def proxy_log(row: dict, source_id: str) -> dict:
    """One contract record from a row of the WildChat authors' proxy log."""
    try:
        headers = ast.literal_eval(row["headers"]) if isinstance(row["headers"], str) else dict(row["headers"])
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):  # TypeError: `{[1]: 2}`
        raise ImportSkip("bad_headers") from None
    if not isinstance(headers, dict):
        raise ImportSkip("bad_headers")
    headers = {str(k).lower(): str(v) for k, v in headers.items()}
    forwarded = [part.strip() for part in headers.pop("x-forwarded-for", "").split(",") if part.strip()]
    if not forwarded:
        raise ImportSkip("no_client_ip")
    payload = _payload(row["payload"])
    messages = [
        m for m in payload.get("messages") or [] if isinstance(m, dict) and m.get("role") in ("user", "assistant")
    ]
    if not messages or messages[-1]["role"] != "user" or (len(messages) > 1 and not _alternates(messages[:-1])):
        raise ImportSkip("not_alternating")
    requested = _utc(row.get("timestamp") or row.get("time"))
    if requested is None:
        raise ImportSkip("no_timestamp")
    replied = _utc(row.get("response_timestamp")) or requested
    record = {
        "log_id": str(row.get("id") or row.get("log_id") or source_id),
        "timestamp": _iso(requested),
        "response_timestamp": _iso(replied),
        "model": payload.get("model") or "unknown",
        "ip": forwarded[0],
        "headers": headers,
        "history": [{"role": m["role"], "content": m.get("content") or ""} for m in messages[:-1]],
        "prompt": messages[-1].get("content") or "",
        "response": row.get("partial_words") or "",
    }
    request = {name: payload[name] for name in ("temperature", "top_p") if payload.get(name) is not None}
    if request:
        record["request"] = request
    return record


def _payload(value) -> dict:
    try:
        payload = value if isinstance(value, dict) else json.loads(value)
    except (TypeError, ValueError):
        raise ImportSkip("bad_payload") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("messages") or [], list):
        raise ImportSkip("bad_payload")
    return payload


class ImportSkip(ValueError):
    def __init__(self, reason: str):
        assert reason in SKIP_REASONS, reason
        super().__init__(reason)
        self.reason = reason


def row_logs(row: dict, source_id: str) -> list[dict]:
    """The request logs of one row of any of the three shapes."""
    if not isinstance(row, dict):
        raise ImportSkip("unknown_shape" if row is not None else "unparsable_line")
    try:
        if "payload" in row and "headers" in row:
            return [proxy_log(row, source_id)]
        if "conversation" in row or "messages" in row:
            return conversation_logs(row, source_id)
    except ImportSkip:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        # Whatever else a hostile row holds (a list for a dict, a bad timestamp): counted, never an abort.
        raise ImportSkip("malformed_row") from None
    raise ImportSkip("unknown_shape")


def import_name(path: Path) -> str:
    """The name an input file's outputs carry: its whole name without the data-format suffixes, so
    `data.2023.parquet` and `data.2024.parquet` never overwrite each other's landing file and provenance."""
    name = path.name
    while name.lower().endswith(_DATA_SUFFIXES):
        name = name[: name.rindex(".")]
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "unnamed"


def import_files(paths: list[Path], data_root: str | Path | DataLayout) -> ImportSummary:
    """Write landing/<month>/import-<file>.jsonl for every month the files' logs fall in,
    and imports/<file>.json with the provenance (source sha256, counts, skips)."""
    layout = data_root if isinstance(data_root, DataLayout) else DataLayout(data_root)
    summary = ImportSummary()
    paths = [Path(p) for p in paths]
    names = Counter(import_name(p) for p in paths)
    if clashes := sorted(n for n, k in names.items() if k > 1):
        raise ValueError(
            f"input files would share the output name(s) {', '.join(clashes)}: rename or import them one at a time"
        )
    for path in paths:
        by_month: dict[str, list[dict]] = defaultdict(list)
        skipped: Counter = Counter()
        rows = 0
        for index, row in enumerate(read_rows(path)):
            rows += 1
            try:
                logs = row_logs(row, f"{path.stem}:{index}")
            except ImportSkip as skip:
                skipped[skip.reason] += 1
                continue
            summary.conversations += 1
            for log in logs:
                by_month[month_of(_utc(log["timestamp"]))].append(log)
        stem = import_name(path)
        for month, logs in sorted(by_month.items()):
            target = layout.landing_month_dir(month) / f"{IMPORT_PREFIX}{stem}.jsonl"
            text = "".join(json.dumps(log, ensure_ascii=False) + "\n" for log in logs)
            atomic_write_bytes(target, text.encode("utf-8"))
            summary.written.append(str(target))
            summary.logs_by_month[month] += len(logs)
        record = {
            "source": path.name,
            "sha256": file_sha256(path),
            "rows": rows,
            "logs_by_month": {m: len(v) for m, v in sorted(by_month.items())},
            "skipped": {reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]},
            "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        atomic_write_bytes(layout.imports_dir / f"{stem}.json", json.dumps(record, indent=2).encode())
        summary.files.append(record)
        summary.rows += rows
        summary.skipped.update(skipped)
    return summary


def import_provenance(layout: DataLayout) -> list[dict]:
    """Every import record under data_root/imports (for the manifest)."""
    folder = layout.imports_dir
    return (
        [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"), key=lambda p: p.name)]
        if folder.is_dir()
        else []
    )
