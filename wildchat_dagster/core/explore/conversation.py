"""One published conversation as the explorer shows it: its turns, moderation and why it is in its split.

Read from the published Parquet file the index points at (one row group), so
the page shows exactly what a dataset user downloads.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow.parquet as pq

from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.schema import placeholder_regex

PLACEHOLDER = placeholder_regex()
SPLIT_MEANING = {
    "nontoxic": "screened by the release's moderators and no utterance was found toxic",
    "toxic": "at least one utterance was found toxic",
    "unscreened": "held back from the splits: no utterance was found toxic, but one or more were screened by no "
                  "moderator (none enabled reads their language; WILDCHAT_UNSCREENED=hold)",
}


def _read_row(layout: DataLayout, file: str, row: int) -> dict:
    with (layout.root / file).open("rb") as handle:
        parquet = pq.ParquetFile(handle)
        first = 0
        for group in range(parquet.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            if row < first + rows:
                return parquet.read_row_group(group).slice(row - first, 1).to_pylist()[0]
            first += rows
    raise IndexError(f"{file} has no row {row}: the index is older than the release")


def _flags(openai: dict | None, detoxify: dict | None) -> list[str]:
    """What the published moderation results say about one utterance, in words."""
    said = []
    if openai and openai.get("flagged"):
        categories = [name for name, on in (openai.get("categories") or {}).items() if on]
        said.append("OpenAI flagged: " + (", ".join(categories) or "flagged"))
    if detoxify and detoxify.get("toxicity") is not None:
        said.append(f"Detoxify toxicity {detoxify['toxicity']:.3f}")
    return said


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def split_reason(split: str, turns: list[dict]) -> str:
    flagged = [t["position"] + 1 for t in turns if t["toxic"]]
    meaning = SPLIT_MEANING.get(split, f"published in the {split} folder")
    if flagged:
        return f"{split}: {meaning} (utterance {', '.join(map(str, flagged))})"
    return f"{split}: {meaning}"


def published_conversation(layout: DataLayout, located: dict) -> dict:
    """The page's view of one indexed conversation (`located`: its index row)."""
    record = _read_row(layout, located["file"], located["file_row"])
    openai = record.get("openai_moderation") or []
    detoxify = record.get("detoxify_moderation") or []
    turns = []
    for position, utterance in enumerate(record["conversation"] or []):
        content = utterance.get("content") or ""
        turns.append({
            "position": position,
            "role": utterance.get("role"),
            "turn_identifier": utterance.get("turn_identifier"),
            "timestamp": _iso(utterance.get("timestamp")),
            "language": utterance.get("language"),
            "country": utterance.get("country"),
            "state": utterance.get("state"),
            "toxic": bool(utterance.get("toxic")),
            "redacted": bool(utterance.get("redacted")),
            "placeholders": sorted({found.group(0) for found in PLACEHOLDER.finditer(content)}),
            "content": content,
            "openai_moderation": openai[position] if position < len(openai) else None,
            "detoxify_moderation": detoxify[position] if position < len(detoxify) else None,
            "moderation": _flags(openai[position] if position < len(openai) else None,
                                 detoxify[position] if position < len(detoxify) else None),
        })
    return {
        "conversation_hash": record["conversation_hash"],
        "month": located["month"],
        "split": located["split"],
        "split_reason": split_reason(located["split"], turns),
        "file": located["file"],
        "model": record.get("model"),
        "timestamp": _iso(record.get("timestamp")),
        "turn": record.get("turn"),
        "language": record.get("language"),
        "country": record.get("country"),
        "state": record.get("state"),
        "hashed_ip": record.get("hashed_ip"),
        "toxic": bool(record.get("toxic")),
        "redacted": bool(record.get("redacted")),
        "turns": turns,
    }
