"""Presidio redaction of chat turns: a plain reference loop and a fast path with the same output.

Both paths let Presidio propose candidates and the policy
(`redaction_policy`) decide. The plain loop analyses every whole text with
every recognizer, spaCy NER included, one by one. The fast path:

- analyses each distinct text once (content-keyed cache: retries, greetings
  and pasted templates repeat across a month);
- skips entity types the prefilter rules out (`prefilter`: necessary
  conditions derived from the recognizers' regexes and the policy), so most
  turns never reach Presidio and the rest run only the recognizers they need;
- runs NER only on token windows around PERSON cues, built so that the
  entities the policy can keep are provably those of whole-text NER (see
  `PersonWindows`), batched through `nlp.pipe`;
- spreads the remaining work over worker processes when there is enough of it
  to pay their start-up (importing Presidio takes seconds).

A month is redacted in two passes: pass 1 collects accepted candidates and
counts, per detected string, the distinct conversations it occurs in (the
allow-list); pass 2 drops public strings, resolves overlaps and anonymizes.
"""

from __future__ import annotations

import bisect
import importlib.util
import multiprocessing
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

# tldextract (used by Presidio's e-mail recognizer) fetches the public-suffix list
# over HTTP unless this is set before it is imported; the bundled snapshot suffices.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import regex  # noqa: E402
import spacy  # noqa: E402
from presidio_analyzer import (  # noqa: E402
    AnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer  # noqa: E402
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    CreditCardRecognizer,
    EmailRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)
from presidio_anonymizer import AnonymizerEngine  # noqa: E402
from presidio_anonymizer.entities import OperatorConfig  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

from wildchat_dagster.core.redaction.policy import (  # noqa: E402
    CARD,
    EMAIL,
    ENTITY_PRIORITY,
    ENTITY_TYPES,
    IP,
    LANGUAGE_CODES,
    PERSON,
    PHONE,
    PLACEHOLDER,
    SECRET,
    URL,
    Candidate,
    RedactionPolicy,
    accept_candidates,
    choose_redactions,
    name_start_positions,
    person_cues,
    profile_url_regex,
    public_key,
    public_strings,
)
from wildchat_dagster.core.redaction.prefilter import Prefilter  # noqa: E402
from wildchat_dagster.core.redaction.secrets import SECRET_KINDS, SecretKind, looks_like_placeholder  # noqa: E402

# Texts analysed with this code get pattern recognizers only (no NER model for their language).
PATTERN_ONLY = "xx"
# NER labels taken as a name. The policy keeps a PERSON span only where it starts right after a
# cue ("my name is", "Dear", a sign-off) with a capital letter, so there the cue says it is a name
# and NER only gives its extent: small models often call an unfamiliar full name ORG or GPE
# ("My name is Sophie Thompson" -> ORG with en_core_web_sm).
PERSON_LABELS = ("PERSON", "PER", "ORG", "GPE", "NORP", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "MISC")
# Pipes NER does not need; excluding them halves the time. (The parser's sentence starts also
# bound entities; `mark_line_starts` gives the pipeline cheaper, deterministic ones.)
UNNEEDED_PIPES = (
    "parser", "tagger", "attribute_ruler", "lemmatizer", "trainable_lemmatizer", "senter",
    "morphologizer", "textcat", "textcat_multilabel", "spancat", "span_finder", "entity_linker",
)  # fmt: skip
NAME_TOKENS = 8  # tokens after a cue that a kept name can occupy before a window must grow


class ModelNotInstalledError(RuntimeError):
    pass


def language_code(key: str) -> str:
    """'English' or 'en' -> 'en'; raises for anything else."""
    if key in LANGUAGE_CODES:
        return LANGUAGE_CODES[key]
    if regex.fullmatch(r"[a-z]{2,3}", key):
        return key
    raise ValueError(f"unknown language {key!r}: use an ISO 639-1 code or one of {sorted(LANGUAGE_CODES)}")


# --- the spaCy pipeline -------------------------------------------------------


@Language.component("wildchat_line_starts")
def mark_line_starts(doc: Doc) -> Doc:
    """A token after a line break starts a sentence, so no entity spans a line break.

    spaCy's NER may not extend an entity across a sentence start; that makes
    every line start a point where no entity is open, which the NER windows
    rely on (and names do not continue on the next line anyway).
    """
    for i in range(1, len(doc)):
        previous = doc[i - 1]
        if previous.is_space and "\n" in previous.text:
            doc[i].is_sent_start = True
    return doc


def load_ner_pipeline(model: str) -> Language:
    """An installed spaCy package or a model directory, reduced to what NER needs. Never downloads."""
    if importlib.util.find_spec(model) is None and not Path(model).is_dir():
        raise ModelNotInstalledError(
            f"spaCy model {model!r} is neither an installed package nor a model directory. "
            f"Install it into the environment (models are never downloaded at run time), "
            f"or configure another model in PIIRedactor.spacy_models."
        )
    nlp = spacy.load(model, exclude=list(UNNEEDED_PIPES))
    if "ner" not in nlp.pipe_names:
        raise ValueError(f"spaCy model {model!r} has no 'ner' component: {nlp.pipe_names}")
    for name in ("tok2vec", "transformer"):
        if name in nlp.pipe_names and not getattr(nlp.get_pipe(name), "listening_components", []):
            nlp.remove_pipe(name)
    nlp.add_pipe("wildchat_line_starts", before="ner")
    return nlp


def ner_receptive_field(nlp: Language) -> int | None:
    """How many tokens to each side can change a token's NER features; None if unbounded.

    True for a greedy transition-based NER ('ner', 3 state features) on a CNN
    tok2vec (depth x window size), its own or a listened-to one, with nothing
    else in the pipeline touching entities. Transformers see the whole text.
    """
    if set(nlp.pipe_names) - {"tok2vec", "wildchat_line_starts", "ner"}:
        return None
    components = nlp.config["components"]
    ner = components["ner"]
    model = ner.get("model", {})
    if ner.get("factory") != "ner" or model.get("@architectures", "").split(".")[-2:-1] != ["TransitionBasedParser"]:
        return None
    if model.get("extra_state_tokens", False):
        return None
    tok2vec = model.get("tok2vec", {})
    if "Tok2VecListener" in tok2vec.get("@architectures", ""):
        tok2vec = components.get("tok2vec", {}).get("model", {})
    arch = tok2vec.get("@architectures", "")
    if "HashEmbedCNN" in arch:
        return int(tok2vec["depth"]) * int(tok2vec["window_size"])
    encode = tok2vec.get("encode", {})
    if "Tok2Vec" in arch and "WindowEncoder" in encode.get("@architectures", ""):
        return int(encode["depth"]) * int(encode["window_size"])
    return None


def model_description(nlp: Language) -> str:
    meta = nlp.meta
    return f"{meta.get('lang', '?')}_{meta.get('name', '?')} {meta.get('version', '?')}"


class PreloadedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine over pipelines loaded by `load_ner_pipeline` (its own load() may download)."""

    def __init__(self, pipelines: dict[str, Language], ner_model_configuration: NerModelConfiguration):
        super().__init__(
            models=[{"lang_code": code, "model_name": model_description(nlp)} for code, nlp in pipelines.items()],
            ner_model_configuration=ner_model_configuration,
        )
        self._pipelines = pipelines

    def load(self) -> None:
        self.nlp = dict(self._pipelines)


class NoContextEnhancement(ContextAwareEnhancer):
    """Cue words are the policy's job, applied to the raw text; Presidio's score boosts would only
    make results depend on lemmas of the whole text."""

    def __init__(self):
        super().__init__(0, 0, 0, 0)

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        return raw_results


# Presidio's e-mail regex bounds addresses with \b and Unicode \w, so in Chinese or Japanese
# text it swallows the words around an address ("我的邮箱是a@b.com") or, with a character
# after the TLD ("a@yahoo.co.jpです"), fails tldextract's check and loses the address. This one
# is bounded by the ASCII characters an address can hold (its tldextract check is kept).
EMAIL_REGEX = (
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9\-])"
)


class SecretRecognizer(PatternRecognizer):
    """One secret kind; documentation placeholders are not reported."""

    def __init__(self, kind: SecretKind, supported_language: str):
        self.kind = kind
        super().__init__(
            supported_entity=SECRET,
            name=f"secret:{kind.name}",
            supported_language=supported_language,
            patterns=[Pattern(kind.name, kind.regex, 1.0)],
            global_regex_flags=0,  # the patterns carry their own case rules
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        return looks_like_placeholder(pattern_text, self.kind)


_SECRET_REGEXES = [(kind.name, regex.compile(kind.regex)) for kind in SECRET_KINDS]


def secret_kind_of(text: str, start: int, end: int) -> str:
    """Which kind a redacted secret was, for counts (never stored with the value)."""
    for name, pattern in _SECRET_REGEXES:
        for m in pattern.finditer(text, max(0, start - 64), end):
            if m.span() == (start, end):
                return name
    return "unknown"


def build_recognizers(policy: RedactionPolicy, language: str, with_ner: bool) -> list:
    wanted = set(policy.entities)
    recognizers = []
    if EMAIL in wanted:
        recognizers.append(EmailRecognizer(supported_language=language, patterns=[Pattern("Email (ASCII)", EMAIL_REGEX, 0.5)]))
    if PHONE in wanted:
        recognizers.append(PhoneRecognizer(supported_language=language))
    if CARD in wanted:
        recognizers.append(CreditCardRecognizer(supported_language=language))
    if IP in wanted:
        recognizers.append(IpRecognizer(supported_language=language))
    if URL in wanted and policy.profile_url_prefixes:
        pattern = Pattern("profile url", profile_url_regex(policy.profile_url_prefixes), 0.9)
        recognizers.append(
            PatternRecognizer(URL, name="ProfileUrlRecognizer", supported_language=language, patterns=[pattern])
        )
    if SECRET in wanted:
        recognizers.extend(SecretRecognizer(kind, language) for kind in SECRET_KINDS)
    if PERSON in wanted and with_ner:
        recognizers.append(SpacyRecognizer(supported_language=language, supported_entities=[PERSON]))
    return recognizers


# --- the redactor -------------------------------------------------------------


@dataclass(frozen=True)
class RedactorConfig:
    """Everything needed to rebuild the redactor in a worker process."""

    policy: RedactionPolicy = field(default_factory=RedactionPolicy)
    spacy_models: tuple[tuple[str, str], ...] = ()  # (ISO code, package name or path)


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
        recognizers = [r for code in codes for r in build_recognizers(self.policy, code, code in self.ner_codes)]
        self.analyzer = AnalyzerEngine(
            registry=RecognizerRegistry(recognizers=recognizers, supported_languages=codes),
            nlp_engine=self.nlp_engine,
            supported_languages=codes,
            context_aware_enhancer=NoContextEnhancement(),
        )
        self.anonymizer = AnonymizerEngine()
        self.operators = {
            t: OperatorConfig("replace", {"new_value": PLACEHOLDER.format(t)}) for t in ENTITY_PRIORITY
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
            for i, persons in zip(indexes, found):
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
        for (i, window), doc in zip(jobs, docs):
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
        if not chosen:
            return text, []
        results = [RecognizerResult(c.entity_type, c.start, c.end, 1.0) for c in chosen]
        out = self.anonymizer.anonymize(text=text, analyzer_results=results, operators=self.operators)
        return out.text, [item.entity_type for item in sorted(out.items, key=lambda item: item.start)]


class PersonWindow(NamedTuple):
    """Tokens [start, end) of a text's tokenization, NER-ed alone.

    Exactness argument (spaCy greedy NER, receptive field `reach` tokens): the
    window starts `reach` tokens before the line start of each cue it holds
    (or at the text start). A line start is a sentence start
    (`mark_line_starts`), so both the window and the whole text have no entity
    open there; from there on every token's features are the same in both
    (its tok2vec inputs lie inside the window), so every decision is the same
    until `reach` tokens before the window's end. Entities starting after a
    cue and ending by then are exactly the whole text's.
    """

    doc: Doc
    offset: int  # character offset of the window in the text
    end: int  # token index (exclusive) in the whole text
    text_tokens: int
    reach: int
    start: int

    def exact_until(self, end_token_in_window: int) -> bool:
        """Whether an entity ending (exclusive) at this window token is the whole-text one."""
        return self.end == self.text_tokens or self.start + end_token_in_window + self.reach <= self.end


def person_windows(tokens: Doc, cues: regex.Pattern, reach: int) -> list[PersonWindow]:
    """Merged token windows around every person cue of a tokenized text."""
    text = tokens.text
    starts = [t.idx for t in tokens]
    n = len(tokens)
    spans: list[list[int]] = []
    for m in cues.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_token = bisect.bisect_left(starts, line_start)
        at_line_start = line_token == 0 or (
            tokens[line_token - 1].is_space and "\n" in tokens[line_token - 1].text
        )
        first = max(0, line_token - reach) if at_line_start else 0
        cue_end_token = bisect.bisect_left(starts, m.end())
        last = min(n, cue_end_token + NAME_TOKENS + reach)
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    windows = []
    for first, last in spans:
        span = tokens[first:last]
        windows.append(PersonWindow(span.as_doc(), span.start_char, last, n, reach, first))
    return windows


# --- a month: two passes --------------------------------------------------------


class TextToRedact(NamedTuple):
    conversation_id: str
    text: str | None
    language: str | None  # WildChat language name, e.g. "English"


class RedactedText(NamedTuple):
    text: str | None
    redacted: bool
    entities: list[str]


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


ProgressFn = Callable[[str], None]


def redact_texts(
    items: Sequence[TextToRedact],
    redactor: PresidioRedactor,
    *,
    workers: int = 1,
    parallel_min_texts: int = 20_000,
    progress: ProgressFn | None = None,
) -> tuple[list[RedactedText], RedactionReport]:
    """The fast path over a month's texts."""
    started = time.perf_counter()
    report = RedactionReport(texts=len(items))
    keys = [(it.text, redactor.analysis_code(it.language)) for it in items if it.text and not it.text.isspace()]
    distinct = list(dict.fromkeys(keys))
    report.distinct_texts = len(distinct)
    report.cache_hits = len(keys) - len(distinct)
    proposals = _propose_distinct(distinct, redactor, workers, parallel_min_texts, report, progress)
    candidates = {
        key: accept_candidates(key[0], key[1], props, redactor.policy) for key, props in zip(distinct, proposals)
    }
    outputs = _finish(items, lambda it: candidates.get(_key(it, redactor), []), redactor, report, cache=True)
    report.seconds = time.perf_counter() - started
    return outputs, report


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
    by_position = iter(per_item)
    outputs = _finish(items, lambda it: next(by_position), redactor, report, cache=False)
    report.seconds = time.perf_counter() - started
    return outputs, report


def _key(item: TextToRedact, redactor: PresidioRedactor) -> tuple[str, str]:
    return item.text, redactor.analysis_code(item.language)


def _finish(
    items: Sequence[TextToRedact],
    candidates_of: Callable[[TextToRedact], list[Candidate]],
    redactor: PresidioRedactor,
    report: RedactionReport,
    cache: bool,
) -> list[RedactedText]:
    """Pass 2: the allow-list from pass 1's counts, then overlaps and placeholders."""
    item_candidates = [candidates_of(it) for it in items]
    conversations: dict[tuple[str, str], set[str]] = defaultdict(set)
    for it, cands in zip(items, item_candidates):
        for c in cands:
            conversations[public_key(c, it.text)].add(it.conversation_id)
    public = public_strings({k: len(v) for k, v in conversations.items()}, redactor.policy)
    for entity_type, _ in public:
        report.allow_listed_strings[entity_type] += 1
    done: dict[tuple[str, str], tuple[str, list[str], int, list[str]]] = {}
    outputs = []
    for it, cands in zip(items, item_candidates):
        if not cands:
            outputs.append(RedactedText(it.text, False, []))
            continue
        key = (it.text, redactor.analysis_code(it.language))
        if not cache or key not in done:
            chosen = choose_redactions(it.text, cands, public)
            new_text, types = redactor.anonymize(it.text, chosen)
            allowed = sum(1 for c in cands if public_key(c, it.text) in public)
            secrets = [secret_kind_of(it.text, c.start, c.end) for c in chosen if c.entity_type == SECRET]
            done[key] = (new_text, types, allowed, secrets)
        new_text, types, allowed, secrets = done[key]
        report.allow_listed_occurrences += allowed
        report.entities.update(types)
        report.secret_kinds.update(secrets)
        report.texts_redacted += bool(types)
        outputs.append(RedactedText(new_text, bool(types), types))
    return outputs


# --- worker processes -----------------------------------------------------------

_worker_redactor: PresidioRedactor | None = None


def _start_worker(config: RedactorConfig) -> None:
    global _worker_redactor
    _worker_redactor = PresidioRedactor(config)


def _propose_in_worker(items: list[tuple[str, str]]) -> tuple[list[list[Proposal]], ProposalStats]:
    assert _worker_redactor is not None
    return _worker_redactor.propose_fast(items)


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver, with this module (Presidio, spaCy: seconds to import) imported once in the
    server so every worker forks with it loaded; spawn where forkserver does not exist."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _propose_distinct(
    distinct: list[tuple[str, str]],
    redactor: PresidioRedactor,
    workers: int,
    parallel_min_texts: int,
    report: RedactionReport,
    progress: ProgressFn | None,
) -> list[list[Proposal]]:
    """Proposals for every distinct text, in this process or, when there is enough work to
    pay the workers' start-up, in a pool fed only the texts that pass the prefilter."""
    proposals: list[list[Proposal]] = [[] for _ in distinct]
    todo = list(range(len(distinct)))
    pooled = workers > 1 and len(distinct) >= parallel_min_texts
    if pooled:
        ner = redactor.ner_codes
        todo = [i for i, (text, code) in enumerate(distinct) if redactor.prefilter.possible_types(text, code, code in ner)]
        report.proposals.texts += len(distinct) - len(todo)
        pooled = len(todo) >= parallel_min_texts
    # Several batches per worker keep both busy to the end.
    chunk = min(2000, max(25, -(-len(todo) // (workers * 4)))) if pooled else 2000
    batches = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
    if pooled:
        report.workers_used = workers
        with ProcessPoolExecutor(
            workers, mp_context=_pool_context(), initializer=_start_worker, initargs=(redactor.config,)
        ) as pool:
            results = pool.map(_propose_in_worker, [[distinct[i] for i in batch] for batch in batches])
            for n, (batch, (found, stats)) in enumerate(zip(batches, results), 1):
                _collect(batch, found, stats, proposals, report, progress, n, len(batches))
    else:
        for n, batch in enumerate(batches, 1):
            found, stats = redactor.propose_fast([distinct[i] for i in batch])
            _collect(batch, found, stats, proposals, report, progress, n, len(batches))
    return proposals


def _collect(batch, found, stats, proposals, report, progress, n, total) -> None:
    for i, props in zip(batch, found):
        proposals[i] = props
    report.proposals.add(stats)
    if progress and (n % 10 == 0 or n == total):
        progress(f"analysed {n}/{total} batches of distinct texts")


# --- conversations ----------------------------------------------------------------


EARLIER_PLACEHOLDER = regex.compile(rf"<PRESIDIO_ANONYMIZED_({'|'.join(sorted(ENTITY_TYPES))})>")


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
                }
            )
        redacted_rows.append({**row, "conversation": turns, "redacted": any(t["redacted"] for t in turns)})
    return redacted_rows, report
