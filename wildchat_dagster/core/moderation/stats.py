"""What moderation did: toxic and excluded counts, each moderator's work, and the screening coverage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wildchat_dagster.core.moderation.coverage import merge_coverage
from wildchat_dagster.core.stats import StageResult, first, merged_by, optional_total, results, tally, total


@dataclass(slots=True)
class ModeratorCounts(StageResult):
    """One moderator's texts in a batch: from the cache, computed, flagged."""

    cache_hits: int = total()
    cache_misses: int = total()
    flagged_utterances: int = total()
    skipped_decided_texts: int | None = optional_total()  # Detoxify on texts OpenAI flagged already: none scored


@dataclass(slots=True)
class ModeratorStatus(StageResult):
    """A moderator as loaded for a shard: whether it ran and why, and the work it reports (adds up)."""

    available: bool | None = first()
    reason: str | None = first()
    version: str | None = first()  # None: not loaded
    languages: str | None = first()
    usage: dict[str, int] = tally(biggest_first=False)


@dataclass(slots=True)
class ModerationResult(StageResult):
    conversations: int = total()
    utterances: int = total()
    empty_utterances: int = total()
    distinct_texts: int = total()  # per batch
    toxic_utterances: int = total()
    toxic_conversations: int = total()
    excluded_sexual_minors: int = total()
    moderator_counts: dict[str, ModeratorCounts] = results()  # by moderator name
    moderators: dict[str, ModeratorStatus] = results()  # every moderator, loaded or not (the shard step's)
    coverage: dict[str, Any] | None = merged_by(lambda a, b: merge_coverage([a, b]))  # `screening_coverage`


@dataclass(slots=True)
class StoredModerationCounts(StageResult):
    """Counted from the rows as stored, independently of the counts kept while moderating."""

    missing: dict[str, int] = tally(biggest_first=False)  # per enabled moderator
    flagged_minors: int = total()
    excluded: int = total()
