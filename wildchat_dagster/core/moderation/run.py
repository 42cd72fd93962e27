"""Driving the moderators over a month: distinct texts, the cache, one row per conversation.

The moderators are injected, so nothing here touches a network or a model:
each distinct non-empty text is read from the cache or moderated and stored
batch by batch as results return, then every utterance gets its fields and
WildChat's toxic flag.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wildchat_dagster.core.moderation.cache import ModerationCache, text_sha256
from wildchat_dagster.core.moderation.coverage import screening_coverage
from wildchat_dagster.core.moderation.moderators import DETOXIFY, OPENAI, Moderator, is_empty, supports
from wildchat_dagster.core.moderation.policy import ModerationThresholds, exclusion_reason, reasons_by_rules
from wildchat_dagster.core.moderation.registry import (
    ModeratorEntry,
    moderator_entries,
    moderator_names,
    supported_languages,
)
from wildchat_dagster.core.moderation.stats import ModerationResult, ModeratorCounts


class ModerationIncomplete(RuntimeError):
    """A moderator failed part-way (retries exhausted, server down): what it returned is cached."""


@dataclass
class ModeratorRun:
    """What one moderator did for one set of texts."""

    name: str
    version: str
    texts: int = 0
    cache_hits: int = 0
    computed: int = 0


def moderate_texts(
    texts: Sequence[str],
    moderator: Moderator,
    cache: ModerationCache | None,
    log: Callable[[str], None] | None = None,
    log_every: int = 1000,
) -> tuple[dict[str, Any], ModeratorRun]:
    """{text: result} for distinct texts: cached ones read, the rest moderated and
    stored batch by batch as they return."""
    unique = list(dict.fromkeys(texts))
    run = ModeratorRun(moderator.name, moderator.version, texts=len(unique))
    digests = {text: text_sha256(text) for text in unique} if cache else None  # hashed once, read and written
    results: dict[str, Any] = cache.get_many(moderator.name, moderator.version, unique, digests) if cache else {}
    run.cache_hits = len(results)
    missing = [t for t in unique if t not in results]
    if log:
        log(f"{moderator.name} ({moderator.version}): {run.cache_hits} cached, {len(missing)} to moderate")
    next_report = log_every
    try:
        for indices, batch_results in moderator.moderate(missing):
            if len(indices) != len(batch_results):
                raise ValueError(f"{moderator.name} returned {len(batch_results)} results for {len(indices)} texts")
            pairs = [(missing[i], r) for i, r in zip(indices, batch_results, strict=True)]
            if cache:
                cache.put_many(moderator.name, moderator.version, pairs, digests)
            results.update(pairs)
            run.computed += len(pairs)
            if log and run.computed >= next_report:
                log(f"{moderator.name}: {run.computed}/{len(missing)} texts moderated")
                next_report += log_every
    except Exception as error:
        kept = "kept in the moderation cache" if cache else "lost (no cache configured)"
        raise ModerationIncomplete(
            f"{moderator.name} ({moderator.version}) failed after {run.computed} of {len(missing)} texts to "
            f"moderate: {type(error).__name__}: {error}. The {run.computed} results obtained are {kept}; "
            f"a rerun requests only the {len(missing) - run.computed} still missing."
        ) from error
    lost = [t for t in missing if t not in results]
    if lost:
        raise RuntimeError(f"{moderator.name} returned no result for {len(lost)} texts")
    return results, run


def moderate_conversations(
    rows: Sequence[dict],
    moderators: Sequence[Moderator],
    cache: ModerationCache | None,
    thresholds: ModerationThresholds = ModerationThresholds(),
    log: Callable[[str], None] | None = None,
) -> tuple[list[dict], ModerationResult]:
    """MODERATED_CONVERSATIONS rows from REDACTED_CONVERSATIONS rows, and what was done.

    Every non-empty utterance (user and assistant) gets a result from every
    moderator given that supports its language; fields of other moderators,
    and of empty utterances, stay null (the coverage counts say how many).
    """
    names = [m.name for m in moderators]
    registered = moderator_names()
    unknown = set(names) - set(registered)
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"moderators must be distinct members of {registered}, got {names}")
    if not moderators:
        raise ValueError(
            "no moderator enabled: configure OpenAI or Detoxify, or enable the offline profanity moderator"
        )

    utterances_to_screen = [u for row in rows for u in row["conversation"] if not is_empty(u["content"])]
    texts = [u["content"] for u in utterances_to_screen]
    results: dict[str, dict[str, Any]] = {}
    counts: dict[str, ModeratorCounts] = {}
    languages = {m.name: supported_languages(m) for m in moderators}
    for moderator in sorted(moderators, key=lambda m: registered.index(m.name)):  # registry order: OpenAI first
        own = [u["content"] for u in utterances_to_screen if supports(languages[moderator.name], u.get("language"))]
        skipped = None  # counted only where the policy skips decided texts
        if moderator.name == DETOXIFY and thresholds.detoxify_only_undecided and OPENAI in results:
            decided = {t for t in own if (results[OPENAI].get(t) or {}).get("flagged")}
            own = [t for t in own if t not in decided]
            skipped = len(decided)
            if log:
                log(f"detoxify: {len(decided)} distinct texts already toxic by OpenAI's flag, not scored")
        results[moderator.name], run = moderate_texts(own, moderator, cache, log)
        counts[moderator.name] = ModeratorCounts(
            cache_hits=run.cache_hits, cache_misses=run.computed, skipped_decided_texts=skipped
        )

    scorers = _scorers(moderators, results, languages, thresholds, counts)
    rules = thresholds.rules()
    empty_fields: dict[str, Any] = {column.name: None for entry in moderator_entries() for column in entry.columns}
    out_rows: list[dict] = []
    utterances = empty = toxic_utterances = toxic_conversations = excluded = 0
    for row in rows:
        conversation = [_moderate_utterance(u, empty_fields, scorers, rules) for u in row["conversation"]]
        utterances += len(conversation)
        empty += sum(is_empty(u["content"]) for u in conversation)
        toxic_utterances += sum(u["toxic"] for u in conversation)
        reason = exclusion_reason([u["openai_moderation"] for u in conversation])
        toxic = any(u["toxic"] for u in conversation)
        toxic_conversations += toxic
        excluded += reason is not None
        out_rows.append({**row, "conversation": conversation, "toxic": toxic, "excluded_reason": reason})

    return out_rows, ModerationResult(
        conversations=len(rows),
        utterances=utterances,
        empty_utterances=empty,
        distinct_texts=len(set(texts)),
        toxic_utterances=toxic_utterances,
        toxic_conversations=toxic_conversations,
        excluded_sexual_minors=excluded,
        moderator_counts=counts,
        coverage=screening_coverage(out_rows, [m.name for m in moderators]),
    )


@dataclass(frozen=True)
class _Scorer:
    """One enabled moderator as the per-turn loop reads it: looked up once per batch, not per turn."""

    entry: ModeratorEntry
    found: dict[str, Any]  # text -> its result
    languages: frozenset[str] | None
    threshold: float | None
    counts: ModeratorCounts


def _scorers(
    moderators: Sequence[Moderator],
    results: dict[str, dict[str, Any]],
    languages: dict[str, frozenset[str] | None],
    thresholds: ModerationThresholds,
    counts: dict[str, ModeratorCounts],
) -> list[_Scorer]:
    """The moderators that ran, in registry order (the order their fields are filled in)."""
    return [
        _Scorer(entry, results[entry.name], languages[entry.name], thresholds.threshold(entry.name), counts[entry.name])
        for entry in moderator_entries()
        if entry.name in results
    ]


def _moderate_utterance(
    utterance: dict,
    empty_fields: dict[str, Any],
    scorers: Sequence[_Scorer],
    rules: Sequence[tuple[ModeratorEntry, float | None]],
) -> dict:
    """The utterance with every registered moderator's columns (null where it did not score) and the decision."""
    content = utterance["content"]
    language = utterance.get("language")
    stored = {**utterance, **empty_fields}  # a rule may read the turn itself (the profanity short-turn rule)
    if not is_empty(content):
        for scorer in scorers:
            # Absent: a language it does not support, or (Detoxify) decided by OpenAI and skipped.
            if not supports(scorer.languages, language) or content not in scorer.found:
                continue
            stored.update(scorer.entry.store(scorer.found[content]))
            scorer.counts.flagged_utterances += bool(scorer.entry.flagged(stored, scorer.threshold))
    reasons = reasons_by_rules(stored, rules)
    stored["toxic"] = bool(reasons)
    stored["toxic_reasons"] = reasons
    return stored
