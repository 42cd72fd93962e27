"""Conversation rows of the language stage -> redacted rows with WildChat's per-turn flags."""

from __future__ import annotations

from collections.abc import Sequence

from wildchat_dagster.core.redaction.engine import PresidioRedactor
from wildchat_dagster.core.redaction.month import RedactionReport, TextToRedact, redact_texts
from wildchat_dagster.core.redaction.policy import ENTITY_TYPES
from wildchat_dagster.core.redaction.pool import ProgressFn
from wildchat_dagster.core.redaction.spans import placeholder_spans
from wildchat_dagster.schema import placeholder_regex

# Placeholders already in the input: earlier redactions (client IPs scrubbed at geotagging,
# or WildChat's own when re-processing WildChat data).
EARLIER_PLACEHOLDER = placeholder_regex(ENTITY_TYPES)


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
    items = [
        TextToRedact(row["conversation_id"], u["content"], u["language"]) for row in rows for u in row["conversation"]
    ]
    outputs, report = redact_texts(
        items, redactor, workers=workers, parallel_min_texts=parallel_min_texts, progress=progress
    )
    redacted_rows = []
    position = 0
    for row in rows:
        turns = []
        for utterance in row["conversation"]:
            out = outputs[position]
            position += 1
            # Placeholders already in the input are earlier redactions (client IPs scrubbed at
            # geotagging, or WildChat's own when re-processing it): the turn is redacted too.
            earlier = EARLIER_PLACEHOLDER.findall(utterance["content"] or "")
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
    return redacted_rows, report
