"""Release rows in WildChat-4.8M's schema: 1M's rows plus the per-turn API fields.

WildChat-4.8M adds, per utterance, the request's sampling parameters and the
API response's fields. They come from the raw logs when the logs hold them
(`request` extra field of imported or proxy logs, or the same names as
top-level extra fields of a live log), found by the utterance's `log_id`;
otherwise they are null, never invented. Timestamps are naive UTC, as on the card.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

from wildchat_dagster.core.months import month_window
from wildchat_dagster.schema import REQUEST_FIELDS_4_8M, RESPONSE_FIELDS_4_8M, WILDCHAT_4_8M
from wildchat_dagster.stages import Stage

if TYPE_CHECKING:
    from wildchat_dagster.core.storage.warehouse import Warehouse

ADDED_FIELDS = REQUEST_FIELDS_4_8M + RESPONSE_FIELDS_4_8M


def api_fields_by_log(rows: Iterable[dict]) -> dict[str, dict]:
    """{log_id: {field: value}} from RAW_LOGS rows (log_id, extra_json), for logs that hold any."""
    found: dict[str, dict] = {}
    for row in rows:
        if not row.get("extra_json"):
            continue
        extra = json.loads(row["extra_json"])
        given = {**{k: extra[k] for k in ADDED_FIELDS if k in extra}, **(extra.get("request") or {})}
        given = {k: v for k, v in given.items() if k in ADDED_FIELDS and v is not None}
        if given:
            found[row["log_id"]] = given
    return found


def _fit(value, kind: pa.DataType):
    """`value` cut to the Arrow type: unknown struct keys dropped, wrong types null."""
    if value is None:
        return None
    if pa.types.is_struct(kind):
        if not isinstance(value, dict):
            return None
        return {f.name: _fit(value.get(f.name), f.type) for f in kind}
    if pa.types.is_integer(kind):
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if pa.types.is_floating(kind):
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if pa.types.is_string(kind):
        return value if isinstance(value, str) else json.dumps(value)
    return value


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(dt.UTC).replace(tzinfo=None)


_UTTERANCE = WILDCHAT_4_8M.field("conversation").type.value_type


def to_4_8m_row(row: dict, log_ids: list[str | None], api_fields: dict[str, dict]) -> dict:
    """A WildChat-1M release row as a WildChat-4.8M row; `log_ids` are its utterances' request logs."""
    conversation = []
    for utterance, log_id in zip(row["conversation"], log_ids, strict=True):
        given = api_fields.get(log_id or "", {})
        names = REQUEST_FIELDS_4_8M if utterance["role"] == "user" else RESPONSE_FIELDS_4_8M
        out = {field.name: utterance.get(field.name) for field in _UTTERANCE}
        out.update({name: _fit(given.get(name), _UTTERANCE.field(name).type) if name in names else None
                    for name in ADDED_FIELDS})
        out["timestamp"] = _naive(utterance.get("timestamp"))
        conversation.append(out)
    return {**row, "conversation": conversation, "timestamp": _naive(row.get("timestamp"))}


def rows_4_8m(store: Warehouse, month: str, log: Callable[[str], None]) -> Callable[[dict, dict], dict]:
    """The month's row builder: the per-turn API fields come from the raw logs of the rounds (months M-1..M+1)."""
    raw = [store.read_table(Stage.RAW_LOGS, m, columns=["log_id", "extra_json"]) for m in month_window(month)]
    api_fields = api_fields_by_log(row for table in raw for row in table.to_pylist())
    log(f"{month}: WildChat-4.8M schema, per-turn API fields found for {len(api_fields)} logs")

    def convert(moderated_row: dict, row: dict) -> dict:
        return to_4_8m_row(row, [u.get("log_id") for u in moderated_row["conversation"]], api_fields)

    return convert
