"""Conversation rows of the language stage -> redacted rows with WildChat's per-turn flags.

A month is redacted in two passes so it can stream: pass 1 analyses batch
by batch (`analyse_conversations`), keeping each turn's candidates (offsets,
no text) and the compact per-string conversation counts; the month's summed
counts give the allow-list; pass 2 (`redact_analysed`) writes the
placeholders batch by batch. `redact_conversations` does both at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pyarrow as pa

from wildchat_dagster.core.redaction.engine import PresidioRedactor
from wildchat_dagster.core.redaction.entities import known_placeholders
from wildchat_dagster.core.redaction.month import (
    RedactedText,
    RedactionReport,
    TextToRedact,
    analyse_texts,
    conversation_counts,
    redact_candidates,
    redact_texts,
)
from wildchat_dagster.core.redaction.policy import Candidate
from wildchat_dagster.core.redaction.pool import ProgressFn
from wildchat_dagster.core.redaction.spans import placeholder_spans

# Pass 1's result per conversation row, as stored between the passes: per turn, its candidates.
CANDIDATES_SCHEMA = pa.schema([
    pa.field("turns", pa.list_(pa.list_(pa.struct([
        pa.field("entity_type", pa.string()), pa.field("start", pa.int32()), pa.field("end", pa.int32()),
    ])))),
])


def redact_conversations(
    rows: Sequence[dict],
    redactor: PresidioRedactor,
    *,
    workers: int = 1,
    parallel_min_texts: int = 20_000,
    progress: ProgressFn | None = None,
) -> tuple[list[dict], RedactionReport]:
    """language_tagged rows -> redacted rows: each turn's content, `redacted`, `redacted_entities`,
    and the conversation's `redacted` (any turn)."""
    outputs, report = redact_texts(
        conversation_texts(rows), redactor, workers=workers, parallel_min_texts=parallel_min_texts, progress=progress
    )
    return _assemble(rows, outputs), report


def conversation_texts(rows: Sequence[dict]) -> list[TextToRedact]:
    return [
        TextToRedact(row["conversation_id"], u["content"], u["language"]) for row in rows for u in row["conversation"]
    ]


def analyse_conversations(
    rows: Sequence[dict],
    redactor: PresidioRedactor,
    report: RedactionReport,
    *,
    workers: int = 1,
    parallel_min_texts: int = 20_000,
    progress: ProgressFn | None = None,
) -> tuple[pa.Table, Counter]:
    """Pass 1 over a batch of whole conversations: each turn's candidates (a CANDIDATES_SCHEMA
    table, one row per conversation) and the per-string conversation counts."""
    items = conversation_texts(rows)
    candidates = analyse_texts(
        items, redactor, report, workers=workers, parallel_min_texts=parallel_min_texts, progress=progress
    )
    per_turn = iter(candidates)
    table = pa.Table.from_pylist(
        [{"turns": [[c._asdict() for c in next(per_turn)] for _ in row["conversation"]]} for row in rows],
        schema=CANDIDATES_SCHEMA,
    )
    return table, conversation_counts(items, candidates, redactor.policy)


def redact_analysed(
    rows: Sequence[dict],
    candidates: Sequence[dict],
    public: set[tuple[str, str]],
    redactor: PresidioRedactor,
    report: RedactionReport,
) -> list[dict]:
    """Pass 2 over a batch: `rows` redacted with pass 1's `candidates` (CANDIDATES_SCHEMA rows,
    one per conversation, same order) and the month's allow-list `public`."""
    items = conversation_texts(rows)
    per_item = [
        [Candidate(c["entity_type"], c["start"], c["end"]) for c in turn]
        for row in candidates for turn in row["turns"]
    ]
    return _assemble(rows, redact_candidates(items, per_item, public, redactor, report))


def _assemble(rows: Sequence[dict], outputs: Sequence[RedactedText]) -> list[dict]:
    redacted_rows = []
    position = 0
    for row in rows:
        turns = []
        for utterance in row["conversation"]:
            out = outputs[position]
            position += 1
            # Placeholders already in the input are earlier redactions (client IPs scrubbed at
            # geotagging, or WildChat's own when re-processing it): the turn is redacted too.
            earlier = known_placeholders().findall(utterance["content"] or "")
            turns.append(
                {
                    **utterance,
                    "content": out.text,
                    "redacted": out.redacted or bool(earlier),
                    "redacted_entities": earlier + out.entities,
                    "redactions": placeholder_spans(out.text, out.spans),
                }
            )
        redacted_rows.append({**row, "conversation": turns, "redacted": any(t["redacted"] for t in turns)})
    return redacted_rows
