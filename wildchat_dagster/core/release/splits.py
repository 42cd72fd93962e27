"""Moderated conversations to release rows in WildChat-1M's exact shape.

The release schema is `schema.WILDCHAT_1M` (the dataset card's features,
field for field). Conventions follow the published rows:

- `conversation_hash` and `turn_identifier` follow `core.wildchat_ids`.
- User utterances carry hashed_ip, country, state and header, and a null
  timestamp; assistant utterances carry the timestamp (reply received) and
  null hashed_ip/country/state/header.
- `openai_moderation` and `detoxify_moderation` hold one entry per utterance.
  WildChat stored an empty dict for an empty content (or a moderator that did
  not run); Parquet cannot hold an empty struct, so such an entry is null.
- `turn` is the number of user-assistant rounds; `timestamp` the last turn's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

from wildchat_dagster.core.moderation.coverage import unscreened_utterances
from wildchat_dagster.core.release.schemas import DEFAULT_RELEASE_SCHEMA, release_schema
from wildchat_dagster.core.release.screening import (
    coverage_by_language,
    moderators_used,
    toxicity_screening,
    unscreened_publication,
)
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import file_sha256, parquet_rows
from wildchat_dagster.core.wildchat_ids import conversation_hash, turn_identifier
from wildchat_dagster.schema import WILDCHAT_1M
from wildchat_dagster.stages import Stage

RELEASE_SCHEMA = WILDCHAT_1M


def _round_log_ids(utterances: list[dict]) -> list[str | None]:
    """The request log of each round: the first non-null log_id among its utterances."""
    rounds: list[str | None] = []
    for i, u in enumerate(utterances):
        if u["role"] == "user" or not rounds:
            rounds.append(None)
        if rounds[-1] is None and u.get("log_id"):
            rounds[-1] = u["log_id"]
        if u["role"] == "user" and i + 1 < len(utterances) and utterances[i + 1]["role"] == "user":
            raise ValueError("two user utterances in a row: a conversation must alternate user/assistant")
    return rounds


def _release_utterance(u: dict, identifier: int) -> dict:
    user = u["role"] == "user"
    return {
        "content": u["content"],
        "country": u.get("country") if user else None,
        "hashed_ip": u.get("hashed_ip") if user else None,
        "header": u.get("header") if user else None,
        "language": u.get("language"),
        "redacted": u.get("redacted"),
        "role": u["role"],
        "state": u.get("state") if user else None,
        "timestamp": None if user else u.get("timestamp"),
        "toxic": u.get("toxic"),
        "turn_identifier": identifier,
    }


def turn_identifiers(row: dict) -> tuple[list[int], list[int]]:
    """The release's `turn_identifier` of each round and of each utterance of a moderated row (a round's
    utterances share one, hashed once); ValueError for a conversation without utterances or not alternating."""
    utterances = row["conversation"] or []
    if not utterances:
        raise ValueError(f"conversation {row.get('conversation_id')!r} has no utterances")
    per_round = [turn_identifier(log_id, row["conversation_id"], i)
                 for i, log_id in enumerate(_round_log_ids(utterances))]
    identifiers = []
    round_index = -1
    for u in utterances:
        if u["role"] == "user" or round_index < 0:
            round_index += 1
        identifiers.append(per_round[round_index])
    return per_round, identifiers


def release_conversation_hash(row: dict) -> str:
    """The release's `conversation_hash` of a moderated row."""
    return conversation_hash((u["role"], u["content"]) for u in row["conversation"] or [])


def to_release_row(row: dict) -> dict:
    """One moderated_conversations row as one WildChat-1M row."""
    rounds, identifiers = turn_identifiers(row)
    utterances = row["conversation"]
    conversation = [_release_utterance(u, i) for u, i in zip(utterances, identifiers, strict=True)]
    last_times = [u["timestamp"] for u in utterances if u.get("timestamp") is not None]
    return {
        "conversation_hash": release_conversation_hash(row),
        "model": row["model"],
        "timestamp": row.get("timestamp") or (max(last_times) if last_times else None),
        "conversation": conversation,
        "turn": len(rounds),
        "language": row.get("language"),
        "openai_moderation": [u.get("openai_moderation") for u in utterances],
        "detoxify_moderation": [u.get("detoxify_moderation") for u in utterances],
        "toxic": row.get("toxic"),
        "redacted": row.get("redacted"),
        "state": row.get("state"),
        "country": row.get("country"),
        "hashed_ip": row.get("hashed_ip"),
        "header": row.get("header"),
    }


def release_table(rows: list[dict], schema: pa.Schema = RELEASE_SCHEMA) -> pa.Table:
    """Release rows as an Arrow table with exactly the release schema (WildChat-1M by default)."""
    return pa.Table.from_pylist(rows, schema=schema)


NONTOXIC, TOXIC, UNSCREENED, EXCLUDED = "nontoxic", "toxic", "unscreened", "excluded"
RELEASE_SPLITS = (NONTOXIC, TOXIC)  # the dataset's default splits
# Every folder of published conversations: the splits, and beside them the conversations held back unscreened.
PUBLISHED_FOLDERS = (*RELEASE_SPLITS, UNSCREENED)


def release_folder(row: dict, hold_unscreened: bool) -> str:
    """Where a moderated row is published: `toxic` when any turn is toxic; `unscreened` (held back,
    when `hold_unscreened`) when not toxic but some non-empty turn was screened by no moderator, for
    "nontoxic" promises screened and found clean; `excluded` (nowhere) for WildChat's exclusions."""
    if row.get("excluded_reason"):
        return EXCLUDED
    if row.get("toxic") is None:
        raise ValueError(
            f"conversation {row.get('conversation_id')!r} has no toxic decision: "
            "moderated_conversations must set `toxic` on every row"
        )
    if row["toxic"]:
        return TOXIC
    return UNSCREENED if hold_unscreened and unscreened_utterances(row) else NONTOXIC


def release_folders(
    rows: Iterable[dict], convert: Callable[[dict, dict], dict] | None = None, hold_unscreened: bool = True
) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """({folder: release rows} for nontoxic, toxic and unscreened; excluded counts by reason): every
    moderated row lands in exactly one. `convert(moderated_row, release_row)` reshapes each release row
    (e.g. to WildChat-4.8M)."""
    folders: dict[str, list[dict]] = {folder: [] for folder in PUBLISHED_FOLDERS}
    excluded: Counter[str] = Counter()
    for row in rows:
        folder = release_folder(row, hold_unscreened)
        if folder == EXCLUDED:
            excluded[row["excluded_reason"]] += 1
            continue
        released = to_release_row(row)
        folders[folder].append(convert(row, released) if convert else released)
    return folders, dict(sorted(excluded.items()))


def split_release(
    rows: Iterable[dict], convert: Callable[[dict, dict], dict] | None = None
) -> tuple[list[dict], list[dict], dict[str, int]]:
    """(nontoxic, toxic, excluded counts by reason) with nothing held back: WILDCHAT_UNSCREENED=nontoxic."""
    folders, excluded = release_folders(rows, convert, hold_unscreened=False)
    return folders[NONTOXIC], folders[TOXIC], excluded


def schema_differences(actual: pa.Schema, expected: pa.Schema = RELEASE_SCHEMA) -> list[str]:
    """Human-readable differences (names, order, nesting, types); empty when identical."""
    if actual.equals(expected, check_metadata=False):
        return []
    problems = []
    if actual.names != expected.names:
        problems.append(f"columns {actual.names} != {expected.names}")
    for field in expected:
        if field.name in actual.names and actual.field(field.name).type != field.type:
            problems.append(f"{field.name}: {actual.field(field.name).type} != {field.type}")
    return problems or ["schemas differ (nullability or field metadata)"]


# --- publication: provenance per month and the manifest ----------------------

RELEASE_POLICY = {
    "split": "a conversation is toxic when any utterance is toxic (OpenAI flagged, Detoxify toxicity above its "
    "threshold, or the offline profanity model above its threshold when that moderator is enabled)",
    "exclusion": "conversations with any OpenAI sexual/minors flag are excluded from every split (WildChat's rule)",
    "schema": "exactly allenai/WildChat-1M's dataset card features",
}
# Upstream metadata entries that name a system used (model, database, tokenizer and their versions/dates).
SYSTEM_KEY = re.compile(
    r"model|version|database|checkpoint|encoding|snapshot|date|tokenizer|weights|geolite|spacy|lid\b"
)
SETTING_KEY = re.compile(r"threshold|policy|enabled|budget|per_minute|batch_size|max_")


def published_months(layout: DataLayout) -> list[str]:
    """Months with a published file in any folder (either split, or unscreened)."""
    return sorted({p.stem for split in PUBLISHED_FOLDERS for p in layout.release_split_dir(split).glob("*.parquet")})


def deduplication_counts(moderated: pa.Table) -> dict[str, int]:
    """What deduplication folded into the month's conversations: retries and absorbed prefixes."""
    def total_length(column: str) -> int:
        return sum(len(v or []) for v in moderated.column(column).to_pylist())

    return {"retries": total_length("retry_log_ids"), "absorbed_prefixes": total_length("absorbed_conversation_ids")}


def _file_name(value: str) -> str:
    """A local path reduced to its file name: the manifest is published, the machine's layout is not."""
    return Path(value).name if Path(value).is_absolute() else value


def systems_and_settings(upstream: dict[str, dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Split each stage's recorded metadata into systems used (by key name) and settings in force.

    A stage may also record a JSON entry named `provenance` ({system: version});
    it is taken as a whole.
    """
    systems: dict[str, dict] = {}
    settings: dict[str, dict] = {}
    for stage, record in upstream.items():
        metadata = record.get("metadata", {})
        found = dict(metadata.get("provenance") or {}) if isinstance(metadata.get("provenance"), dict) else {}
        found |= {k: _file_name(v) for k, v in metadata.items() if isinstance(v, str) and SYSTEM_KEY.search(k.lower())}
        chosen = {k: v for k, v in metadata.items() if SETTING_KEY.search(k.lower()) and not isinstance(v, dict | list)}
        if found:
            systems[stage] = dict(sorted(found.items()))
        if chosen:
            settings[stage] = dict(sorted(chosen.items()))
    return systems, settings


def redaction_by_month(months: list[str], provenance: dict[str, dict]) -> dict[str, dict | None]:
    """Per month, the entity types the redaction stage redacted and its NER models (None: not recorded)."""
    found = {}
    for month in months:
        metadata = (
            provenance.get(month, {}).get("upstream", {}).get(Stage.REDACTED_CONVERSATIONS, {}).get("metadata", {})
        )
        types = metadata.get("entity_types_redacted")
        found[month] = {"entity_types": list(types), "ner_models": metadata.get("ner_models") or {}} if types else None
    return found


def build_manifest(
    layout: DataLayout, provenance: dict[str, dict], pipeline_version: str, release_systems: dict[str, str]
) -> dict:
    """The release manifest: every published file with rows and sha256, totals, systems, settings, counts."""
    months = published_months(layout)
    files: dict[str, dict[str, dict]] = {split: {} for split in PUBLISHED_FOLDERS}
    for split in PUBLISHED_FOLDERS:
        for month in months:
            path = layout.published(split, month)
            if path.exists():
                files[split][month] = {
                    "path": layout.published_relative(split, month),
                    "rows": parquet_rows(path),
                    "bytes": path.stat().st_size,
                    "sha256": file_sha256(path),
                }
    counts = {m: provenance.get(m, {}).get("counts") for m in months}
    excluded: Counter[str] = Counter()
    for c in counts.values():
        excluded.update((c or {}).get("excluded", {}))
    totals = {
        **{split: sum(f["rows"] for f in files[split].values()) for split in PUBLISHED_FOLDERS},
        "conversations": sum(f["rows"] for split in PUBLISHED_FOLDERS for f in files[split].values()),
        "excluded": dict(sorted(excluded.items())),
        **{key: sum((c or {}).get(key, 0) for c in counts.values())
           for key in (Stage.MODERATED_CONVERSATIONS, Stage.REJECTED_LOGS, "retries", "absorbed_prefixes")},
    }
    systems: dict[str, dict] = {"release": release_systems}
    settings: dict[str, dict] = {"release": RELEASE_POLICY}
    for month in months:
        s, t = systems_and_settings(provenance.get(month, {}).get("upstream", {}))
        for stage, values in s.items():
            systems.setdefault(stage, {}).update(values)
        for stage, values in t.items():
            settings.setdefault(stage, {}).update(values)
    # WildChat's sexual/minors exclusion rests on OpenAI's moderation: say plainly when it did not run.
    screened = [m for m in months if provenance.get(m, {}).get("upstream", {}).get(Stage.MODERATED_CONVERSATIONS, {})
                .get("metadata", {}).get("openai_enabled") is True]
    schemas = sorted({provenance.get(m, {}).get("release_schema", DEFAULT_RELEASE_SCHEMA) for m in months})
    return {
        "dataset": "WildChat-shaped release",
        # First: not-toxic conversations no moderator fully screened, held back or published as non-toxic.
        "unscreened": unscreened_publication(months, provenance),
        "moderators": moderators_used(months, provenance),
        "coverage_by_language": coverage_by_language(months, provenance),
        "sexual_minors_screening": {
            "months_screened": screened,
            "months_not_screened": [m for m in months if m not in screened],
        },
        "toxicity_screening": toxicity_screening(months, provenance),
        "redaction": redaction_by_month(months, provenance),
        "pipeline_version": pipeline_version,
        "schema": ", ".join(f"{release_schema(s).dataset} features" for s in schemas or [DEFAULT_RELEASE_SCHEMA]),
        "release_schema": schemas,
        "months": months,
        "files": files,
        "totals": totals,
        "counts_by_month": counts,
        "months_without_provenance": [m for m in months if m not in provenance],
        "systems": systems,
        "settings": settings,
    }
