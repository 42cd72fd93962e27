"""A month of texts redacted in two passes, by the fast path or by the plain reference loop.

Pass 1 collects the candidates the policy accepts in each text and counts,
per detected string, the distinct conversations it occurs in (the
allow-list); pass 2 drops public strings, resolves overlaps and anonymizes.
The fast path analyses each distinct text once (retries, greetings and
pasted templates repeat across a month) and spreads the work over
processes (`pool`); the plain loop is Presidio as documented, text by text.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from wildchat_dagster.core.redaction.engine import PresidioRedactor, ProposalStats
from wildchat_dagster.core.redaction.policy import (
    Candidate,
    RedactionPolicy,
    accept_candidates,
    choose_redactions,
    public_key,
    public_strings,
)
from wildchat_dagster.core.redaction.pool import ProgressFn, propose_distinct
from wildchat_dagster.core.redaction.spans import align_rules
from wildchat_dagster.core.redaction.stats import RedactionResult


class TextToRedact(NamedTuple):
    conversation_id: str
    text: str | None
    language: str | None  # WildChat language name, e.g. "English"


class RedactedText(NamedTuple):
    text: str | None
    redacted: bool
    entities: list[str]
    spans: list[tuple[str, int, int, str]] = []  # (type, start, end in `text`, rule) of each replacement


@dataclass
class RedactionReport:
    """What a redaction run did, for metadata and the benchmark (no redacted values)."""

    texts: int = 0
    distinct_texts: int = 0
    cache_hits: int = 0
    texts_redacted: int = 0
    entities: Counter = field(default_factory=Counter)
    secret_kinds: Counter = field(default_factory=Counter)
    allow_listed_strings: Counter = field(default_factory=Counter)  # by type
    allow_listed_occurrences: int = 0
    proposals: ProposalStats = field(default_factory=ProposalStats)
    workers_used: int = 1
    seconds: float = 0.0

    @property
    def texts_per_second(self) -> float:
        return self.texts / self.seconds if self.seconds else 0.0

    def result(self) -> RedactionResult:
        """The figures as a result that adds up over batches and shards."""
        stats = self.proposals
        return RedactionResult(
            texts=self.texts, distinct_texts=self.distinct_texts, cache_hits=self.cache_hits,
            texts_redacted=self.texts_redacted, entities=dict(self.entities),
            secret_kinds=dict(self.secret_kinds), allow_listed_strings=dict(self.allow_listed_strings),
            allow_listed_occurrences=self.allow_listed_occurrences, workers_used=self.workers_used,
            texts_analysed=stats.texts_analysed, texts_analysed_by_type=dict(stats.by_type),
            ner_texts=stats.ner_texts, ner_windows=stats.ner_windows,
            ner_window_tokens=stats.ner_window_tokens, ner_whole_texts=stats.ner_whole_texts,
            seconds=self.seconds,
        )


def redact_texts(
    items: Sequence[TextToRedact],
    redactor: PresidioRedactor,
    *,
    workers: int = 1,
    parallel_min_texts: int = 20_000,
    progress: ProgressFn | None = None,
) -> tuple[list[RedactedText], RedactionReport]:
    """The fast path over a month's texts at once: both passes in one call."""
    started = time.perf_counter()
    report = RedactionReport()
    candidates = analyse_texts(
        items, redactor, report, workers=workers, parallel_min_texts=parallel_min_texts, progress=progress
    )
    public = allow_list(conversation_counts(items, candidates, redactor.policy), redactor.policy, report)
    outputs = redact_candidates(items, candidates, public, redactor, report)
    report.seconds = time.perf_counter() - started
    return outputs, report


def analyse_texts(
    items: Sequence[TextToRedact],
    redactor: PresidioRedactor,
    report: RedactionReport,
    *,
    workers: int = 1,
    parallel_min_texts: int = 20_000,
    progress: ProgressFn | None = None,
) -> list[list[Candidate]]:
    """Pass 1 over some texts: the candidates the policy accepts in each, each distinct text analysed once."""
    keys = [(it.text, redactor.analysis_code(it.language)) for it in items if it.text and not it.text.isspace()]
    distinct = list(dict.fromkeys(keys))
    report.texts += len(items)
    report.distinct_texts += len(distinct)
    report.cache_hits += len(keys) - len(distinct)
    proposals, workers_used = propose_distinct(
        distinct, redactor, workers, parallel_min_texts, report.proposals, progress
    )
    report.workers_used = max(report.workers_used, workers_used)
    candidates = {
        key: accept_candidates(key[0], key[1], props, redactor.policy)
        for key, props in zip(distinct, proposals, strict=True)
    }
    return [candidates.get(_key(it, redactor), []) for it in items]


def conversation_counts(
    items: Sequence[TextToRedact], candidates: Sequence[list[Candidate]], policy: RedactionPolicy
) -> Counter:
    """Per detected string that can become public, the distinct conversations it occurs in.

    Compact (type, string) -> count, no texts: counts of disjoint sets of
    conversations add up, so batches holding whole conversations sum to the month's.
    """
    conversations: dict[tuple[str, str], set[str]] = defaultdict(set)
    for it, cands in zip(items, candidates, strict=True):
        for c in cands:
            if policy.public_threshold(c.entity_type) is not None:
                conversations[public_key(c, it.text)].add(it.conversation_id)
    return Counter({key: len(ids) for key, ids in conversations.items()})


def allow_list(counts: Counter, policy: RedactionPolicy, report: RedactionReport) -> set[tuple[str, str]]:
    """The month's public strings from its summed conversation counts."""
    public = public_strings(counts, policy)
    for entity_type, _ in public:
        report.allow_listed_strings[entity_type] += 1
    return public


def redact_texts_plain(
    items: Sequence[TextToRedact], redactor: PresidioRedactor
) -> tuple[list[RedactedText], RedactionReport]:
    """The reference: per text, Presidio over the whole text, the policy, the anonymizer; no shortcuts."""
    started = time.perf_counter()
    report = RedactionReport(texts=len(items), distinct_texts=len(items))
    per_item = []
    for it in items:
        code = redactor.analysis_code(it.language)
        props = redactor.propose_plain(it.text, code) if it.text else []
        per_item.append(accept_candidates(it.text or "", code, props, redactor.policy))
    public = allow_list(conversation_counts(items, per_item, redactor.policy), redactor.policy, report)
    outputs = redact_candidates(items, per_item, public, redactor, report, cache=False)
    report.seconds = time.perf_counter() - started
    return outputs, report


def _key(item: TextToRedact, redactor: PresidioRedactor) -> tuple[str, str]:
    return item.text, redactor.analysis_code(item.language)


def redact_candidates(
    items: Sequence[TextToRedact],
    item_candidates: Sequence[list[Candidate]],
    public: set[tuple[str, str]],
    redactor: PresidioRedactor,
    report: RedactionReport,
    cache: bool = True,
) -> list[RedactedText]:
    """Pass 2: drop the allow-listed strings, resolve overlaps, write the placeholders."""
    done: dict[tuple[str, str], tuple[str, list[str], int, list[str], list]] = {}
    outputs = []
    for it, cands in zip(items, item_candidates, strict=True):
        if not cands:
            outputs.append(RedactedText(it.text, False, []))
            continue
        key = (it.text, redactor.analysis_code(it.language))
        if not cache or key not in done:
            chosen = choose_redactions(it.text, cands, public)
            new_text, replaced = redactor.anonymize_spans(it.text, chosen)
            types = [entity_type for entity_type, _, _ in replaced]
            allowed = sum(1 for c in cands if public_key(c, it.text) in public)
            entries = [redactor.policy.entity_type(c.entity_type) for c in chosen]
            kinds = [
                e.kind_of(it.text, c.start, c.end) if e.kind_of else None for c, e in zip(chosen, entries, strict=True)
            ]
            secrets = [kind for kind in kinds if kind is not None]
            rules = align_rules(it.text, chosen, [e.rule_name(k) for e, k in zip(entries, kinds, strict=True)], types)
            spans = [(t, start, end, rule) for (t, start, end), rule in zip(replaced, rules, strict=True)]
            done[key] = (new_text, types, allowed, secrets, spans)
        new_text, types, allowed, secrets, spans = done[key]
        report.allow_listed_occurrences += allowed
        report.entities.update(types)
        report.secret_kinds.update(secrets)
        report.texts_redacted += bool(types)
        outputs.append(RedactedText(new_text, bool(types), types, spans))
    return outputs
