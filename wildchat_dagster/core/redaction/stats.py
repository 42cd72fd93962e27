"""What redaction did over batches and shards: texts, replacements by type, the analysis work (no values)."""

from __future__ import annotations

from dataclasses import dataclass

from wildchat_dagster.core.stats import StageResult, maximum, tally, total


@dataclass(slots=True)
class RedactionResult(StageResult):
    texts: int = total()
    distinct_texts: int = total()  # per batch: texts repeated within a batch are analysed once
    cache_hits: int = total()
    texts_redacted: int = total()
    conversations_redacted: int = total()
    entities: dict[str, int] = tally()  # replacements by entity type
    secret_kinds: dict[str, int] = tally()
    allow_listed_strings: dict[str, int] = tally()  # public strings kept, by type
    allow_listed_occurrences: int = total()
    texts_analysed: int = total()  # passed the prefilter for some type
    texts_analysed_by_type: dict[str, int] = tally()
    ner_texts: int = total()
    ner_windows: int = total()
    ner_window_tokens: int = total()
    ner_whole_texts: int = total()
    workers_used: int = maximum(default=1)
    seconds: float = total(0.0)  # the survey pass; the shard steps' own time is the stage run's

    @property
    def replacements(self) -> int:
        return sum(self.entities.values())
