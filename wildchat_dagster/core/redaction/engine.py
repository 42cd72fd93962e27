"""The Presidio redactor: analyzer and anonymizer configured for the policy, with two analysis paths.

Both paths let Presidio propose candidates and the policy (`policy`) decide.
The plain path analyses every whole text with every recognizer, spaCy NER
included. The fast path (`propose_fast`) gives the policy the same
candidates at a fraction of the cost:

- skips entity types the prefilter rules out (`prefilter`: necessary
  conditions derived from the recognizers' regexes and the policy), so most
  turns never reach Presidio and the rest run only the recognizers they need;
- runs NER only on token windows around PERSON cues, built so that the
  entities the policy can keep are provably those of whole-text NER
  (`windows`), batched through `nlp.pipe`.

Caching distinct texts, the worker pool and the month's two passes are in
`month` and `pool`.
"""

from __future__ import annotations

from wildchat_dagster.core.redaction import presidio_import  # noqa: F401  (first: see there)

# isort: split
import bisect
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from spacy.language import Language

from wildchat_dagster.core.redaction.catalogue import PERSON
from wildchat_dagster.core.redaction.cues import name_start_positions, person_cues
from wildchat_dagster.core.redaction.nlp import (
    PATTERN_ONLY,
    PERSON_LABELS,
    NoContextEnhancement,
    PreloadedSpacyNlpEngine,
    load_ner_pipeline,
    model_description,
    ner_receptive_field,
)
from wildchat_dagster.core.redaction.policy import LANGUAGE_CODES, Candidate, RedactionPolicy
from wildchat_dagster.core.redaction.prefilter import Prefilter
from wildchat_dagster.core.redaction.recognizers import build_recognizers, offline_domain_extractor
from wildchat_dagster.core.redaction.windows import PersonWindow, person_windows
from wildchat_dagster.schema import placeholder


@dataclass(frozen=True)
class RedactorConfig:
    """Everything needed to rebuild the redactor in a worker process."""

    policy: RedactionPolicy = field(default_factory=RedactionPolicy)
    spacy_models: tuple[tuple[str, str], ...] = ()  # (ISO code, package name or path)
    tldextract_cache_dir: str | None = None  # where tldextract caches its parsed snapshot


Proposal = tuple[str, int, int]  # (entity_type, start, end) before the policy


@dataclass
class ProposalStats:
    texts: int = 0
    texts_analysed: int = 0  # passed the prefilter for some type
    ner_texts: int = 0
    ner_windows: int = 0
    ner_window_tokens: int = 0
    ner_whole_texts: int = 0  # windows not provably exact for this model or text
    by_type: Counter = field(default_factory=Counter)  # texts analysed for each type

    def add(self, other: ProposalStats) -> None:
        for name in ("texts", "texts_analysed", "ner_texts", "ner_windows", "ner_window_tokens", "ner_whole_texts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_type.update(other.by_type)


class PresidioRedactor:
    """Presidio analyzer + anonymizer configured for the policy, with both analysis paths."""

    def __init__(self, config: RedactorConfig):
        self.config = config
        self.policy = config.policy
        self.pipelines: dict[str, Language] = {code: load_ner_pipeline(model) for code, model in config.spacy_models}
        self.receptive_fields = {code: ner_receptive_field(nlp) for code, nlp in self.pipelines.items()}
        self.ner_codes = frozenset(self.pipelines)
        codes = [*self.pipelines, PATTERN_ONLY]
        all_pipelines = {**self.pipelines, PATTERN_ONLY: spacy.blank("xx")}
        labels = {label for nlp in self.pipelines.values() for label in nlp.get_pipe("ner").labels}
        ner_config = NerModelConfiguration(
            model_to_presidio_entity_mapping={label: PERSON for label in PERSON_LABELS},
            labels_to_ignore=sorted(labels - set(PERSON_LABELS)),
        )
        self.nlp_engine = PreloadedSpacyNlpEngine(all_pipelines, ner_config)
        extractor = offline_domain_extractor(config.tldextract_cache_dir)
        extractor("warm-up@example.com")  # parses the bundled suffix list now, not at the first e-mail
        recognizers = [
            r for code in codes for r in build_recognizers(self.policy, code, code in self.ner_codes, extractor)
        ]
        self.analyzer = AnalyzerEngine(
            registry=RecognizerRegistry(recognizers=recognizers, supported_languages=codes),
            nlp_engine=self.nlp_engine,
            supported_languages=codes,
            context_aware_enhancer=NoContextEnhancement(),
        )
        self.anonymizer = AnonymizerEngine()
        self.operators = {
            e.name: OperatorConfig("replace", {"new_value": placeholder(e.name)}) for e in self.policy.types
        }
        self.prefilter = Prefilter(self.policy)
        self._no_nlp = {
            code: NlpArtifacts([], nlp.make_doc(""), [], [], self.nlp_engine, code, [])
            for code, nlp in all_pipelines.items()
        }

    def models_in_force(self) -> dict[str, str]:
        return {code: model_description(nlp) for code, nlp in self.pipelines.items()}

    def analysis_code(self, language_name: str | None) -> str:
        """The code a turn is analysed with: its language's if an NER model is configured."""
        code = LANGUAGE_CODES.get(language_name or "")
        return code if code in self.ner_codes else PATTERN_ONLY

    # -- plain reference --

    def propose_plain(self, text: str, code: str) -> list[Proposal]:
        """Presidio as documented: every recognizer, NLP over the whole text."""
        return [(r.entity_type, r.start, r.end) for r in self.analyzer.analyze(text=text, language=code)]

    # -- fast path --

    def propose_fast(self, items: Sequence[tuple[str, str]]) -> tuple[list[list[Proposal]], ProposalStats]:
        """Proposals for (text, code) items that the policy treats exactly as `propose_plain`'s."""
        stats = ProposalStats(texts=len(items))
        proposals: list[list[Proposal]] = [[] for _ in items]
        person_jobs: dict[str, list[int]] = defaultdict(list)
        for i, (text, code) in enumerate(items):
            types = self.prefilter.possible_types(text, code, code in self.ner_codes)
            if not types:
                continue
            stats.texts_analysed += 1
            stats.by_type.update(types)
            pattern_types = sorted(types - {PERSON})
            if pattern_types:
                results = self.analyzer.analyze(
                    text=text, language=code, entities=pattern_types, nlp_artifacts=self._no_nlp[code]
                )
                proposals[i].extend((r.entity_type, r.start, r.end) for r in results)
            if PERSON in types:
                person_jobs[code].append(i)
        for code, indexes in person_jobs.items():
            stats.ner_texts += len(indexes)
            found = self._propose_persons(code, [items[i][0] for i in indexes], stats)
            for i, persons in zip(indexes, found, strict=True):
                proposals[i].extend(persons)
        return proposals, stats

    def _persons_whole_text(self, text: str, code: str) -> list[Proposal]:
        results = self.analyzer.analyze(text=text, language=code, entities=[PERSON])
        return [(r.entity_type, r.start, r.end) for r in results]

    def _propose_persons(self, code: str, texts: list[str], stats: ProposalStats) -> list[list[Proposal]]:
        nlp = self.pipelines[code]
        reach = self.receptive_fields[code]
        found: list[list[Proposal]] = [[] for _ in texts]
        if reach is None:
            for i, text in enumerate(texts):
                stats.ner_whole_texts += 1
                found[i] = self._persons_whole_text(text, code)
            return found
        jobs: list[tuple[int, PersonWindow]] = []
        for i, text in enumerate(texts):
            for window in person_windows(nlp.make_doc(text), person_cues(code), reach):
                jobs.append((i, window))
        stats.ner_windows += len(jobs)
        stats.ner_window_tokens += sum(len(w.doc) for _, w in jobs)
        redo: set[int] = set()
        name_starts: dict[int, set[int]] = {}
        docs = nlp.pipe((w.doc for _, w in jobs), batch_size=64)
        for (i, window), doc in zip(jobs, docs, strict=True):
            artifacts = self.nlp_engine._doc_to_nlp_artifact(doc, code)
            results = self.analyzer.analyze(text=doc.text, language=code, entities=[PERSON], nlp_artifacts=artifacts)
            token_starts = [t.idx for t in doc]
            for r in results:
                start, end = window.offset + r.start, window.offset + r.end
                end_token = bisect.bisect_left(token_starts, r.end)
                if not window.exact_until(end_token):
                    if i not in name_starts:
                        name_starts[i] = name_start_positions(texts[i], code)
                    if start in name_starts[i]:
                        redo.add(i)  # a kept name runs too close to the window's end
                    continue
                found[i].append((r.entity_type, start, end))
        for i in redo:
            stats.ner_whole_texts += 1
            found[i] = self._persons_whole_text(texts[i], code)
        return found

    # -- anonymization --

    def anonymize(self, text: str, chosen: Sequence[Candidate]) -> tuple[str, list[str]]:
        """Replace the chosen spans with placeholders; returns the text and each replacement's type."""
        new_text, items = self.anonymize_spans(text, chosen)
        return new_text, [entity_type for entity_type, _, _ in items]

    def anonymize_spans(self, text: str, chosen: Sequence[Candidate]) -> tuple[str, list[tuple[str, int, int]]]:
        """Like `anonymize`, with each placeholder's (type, start, end) in the new text."""
        if not chosen:
            return text, []
        results = [RecognizerResult(c.entity_type, c.start, c.end, 1.0) for c in chosen]
        # Presidio would merge same-type neighbours across the spaces between them (two e-mails
        # separated by a space became one placeholder): each chosen span is replaced on its own.
        out = self.anonymizer.anonymize(
            text=text, analyzer_results=results, operators=self.operators, merge_entities_with_spaces=False
        )
        return out.text, [
            (item.entity_type, item.start, item.end) for item in sorted(out.items, key=lambda item: item.start)
        ]
