"""Build valid rows of any stage's schema, for tests of a stage in isolation.

`conversation_record(stage, turns)` returns one row of `stage`'s table with
every field of that stage's schema filled: given values win, the rest get
plausible defaults. Write rows with `Warehouse.write_records(stage, month, rows)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from wildchat_dagster.schema import STAGE_SCHEMAS

_ids = itertools.count(1)

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 Safari/537.36"
AL = "en-US,en;q=0.9"


def _utterance_fields(stage: str) -> list[str]:
    conv = STAGE_SCHEMAS[stage].field("conversation").type.value_type
    return [conv.field(i).name for i in range(conv.num_fields)]


def _utterance_defaults(role: str, content: str, log_id: str, ts: dt.datetime, ip: str) -> dict:
    user = role == "user"
    return {
        "role": role,
        "content": content,
        "log_id": log_id,
        "timestamp": ts,
        "model": "gpt-3.5-turbo-0301",
        "ip": ip if user else None,
        "header": {"accept-language": AL, "user-agent": UA} if user else None,
        "hashed_ip": hashlib.sha256(ip.encode()).hexdigest() if user else None,
        "country": "United States" if user else None,
        "state": "Texas" if user else None,
        "language": "English",
        "redacted": False,
        "redacted_entities": [],
        "openai_moderation": None,
        "openai_moderation_raw": None,
        "detoxify_moderation": None,
        "profanity_score": None,
        "toxic": False,
    }


# A turn the offline moderator scored clean: without a result from some moderator a not-toxic conversation
# is held back from the splits (WILDCHAT_UNSCREENED=hold).
SCREENED = {"profanity_score": 0.01}


def conversation_record(
    stage: str,
    turns: list[tuple[str, str]],
    *,
    start: dt.datetime = dt.datetime(2023, 4, 9, 12, 0, tzinfo=dt.UTC),
    ip: str = "203.0.113.7",
    utterance_overrides: list[dict] | None = None,
    **overrides,
) -> dict:
    """One row of `stage` whose conversation has `turns` ([(role, content), ...])."""
    n = next(_ids)
    utterances = []
    for i, (role, content) in enumerate(turns):
        round_index = i // 2
        u = _utterance_defaults(role, content, f"log-{n}-{round_index}", start + dt.timedelta(minutes=i), ip)
        if utterance_overrides and i < len(utterance_overrides):
            u.update(utterance_overrides[i])
        utterances.append({k: u.get(k) for k in _utterance_fields(stage)})
    log_ids = sorted({u["log_id"] for u in utterances if u.get("log_id")})
    first_user = next((u for u in utterances if u["role"] == "user"), {})
    row = {
        "conversation_id": log_ids[-1] if log_ids else f"log-{n}",
        "model": "gpt-3.5-turbo-0301",
        "timestamp": utterances[-1]["timestamp"] if utterances else start,
        "fingerprint": hashlib.sha256((UA + AL).encode()).hexdigest(),
        "turn": sum(1 for r, _ in turns if r == "user"),
        "conversation": utterances,
        "log_ids": log_ids,
        "absorbed_conversation_ids": [],
        "retry_log_ids": [],
        "hashed_ip": first_user.get("hashed_ip"),
        "country": first_user.get("country"),
        "state": first_user.get("state"),
        "header": first_user.get("header"),
        "language": "English",
        "redacted": any(u.get("redacted") for u in utterances),
        "toxic": any(u.get("toxic") for u in utterances),
        "excluded_reason": None,
    }
    row.update(overrides)
    return {name: row.get(name) for name in STAGE_SCHEMAS[stage].names}


def materialized_outcome(result, store, asset: str, month: str, varying: tuple[str, ...]) -> dict:
    """What a run made of one asset, to compare two ways of running it: the file's digest, the
    metadata less the keys that name what varies (timings, workers), the check results."""
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset]
    return {
        "file": store.partition_fingerprint(asset, month),  # a hash of the file's bytes
        "metadata": {k: v.value for k, v in event.materialization.metadata.items() if not any(t in k for t in varying)},
        "checks": sorted((e.check_name, e.passed, {k: v.value for k, v in e.metadata.items()})
                         for e in result.get_asset_check_evaluations() if e.asset_key.path[-1] == asset),
    }
