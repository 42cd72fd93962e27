"""The redaction stage's two batch functions (pass 1: analyse; pass 2: redact), as the steps build them
inline and as a pool worker builds them once: the redactor (Presidio, spaCy) loads once per process."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

from wildchat_dagster.core.parallel.spec import Shared
from wildchat_dagster.core.redaction.stats import RedactionResult

if TYPE_CHECKING:  # Presidio and spaCy take seconds to import: the code location loads without them
    from wildchat_dagster.core.redaction.engine import PresidioRedactor, RedactorConfig

LogFn = Callable[[str], None]


def redactor_spec(config: RedactorConfig) -> Shared:
    """The redactor as a worker builds it once: from its config, whose policy carries the entity types."""
    from wildchat_dagster.core.redaction.engine import PresidioRedactor

    return Shared.of(PresidioRedactor, config=config)


def survey_batches(
    redactor: PresidioRedactor, workers: int = 1, parallel_min_texts: int = 20_000, log: LogFn | None = None
) -> Callable[[list[dict]], tuple[pa.Table, Counter, RedactionResult]]:
    """rows -> pass 1's candidates table, per-string conversation counts and figures. `workers` > 1 lets
    a batch of very many distinct texts use the run's pool itself (never inside a worker)."""
    from wildchat_dagster.core.redaction.conversations import analyse_conversations
    from wildchat_dagster.core.redaction.month import RedactionReport

    def survey(source: list[dict]) -> tuple[pa.Table, Counter, RedactionResult]:
        report = RedactionReport()
        table, counts = analyse_conversations(
            source, redactor, report, workers=workers, parallel_min_texts=parallel_min_texts, progress=log
        )
        return table, counts, report.result()

    return survey


def redact_batches(
    redactor: PresidioRedactor, public: frozenset[tuple[str, str]], log: LogFn | None = None
) -> Callable[[tuple[list[dict], list[dict]]], tuple[list[dict], RedactionResult]]:
    """(rows, their pass-1 candidates) -> redacted rows and pass 2's figures, under the month's allow-list."""
    from wildchat_dagster.core.redaction.conversations import redact_analysed
    from wildchat_dagster.core.redaction.month import RedactionReport

    def redact(batch: tuple[list[dict], list[dict]]) -> tuple[list[dict], RedactionResult]:
        source, candidates = batch
        report = RedactionReport()
        rows = redact_analysed(source, candidates, public, redactor, report)
        return rows, RedactionResult(
            conversations_redacted=sum(1 for row in rows if row["redacted"]),
            texts_redacted=report.texts_redacted, entities=dict(report.entities),
            secret_kinds=dict(report.secret_kinds), allow_listed_occurrences=report.allow_listed_occurrences,
        )

    return redact
