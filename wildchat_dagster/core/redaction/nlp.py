"""The spaCy side of redaction: NER pipelines loaded offline, cut to what NER needs, handed to Presidio."""

from __future__ import annotations

from wildchat_dagster.core.redaction import presidio_import  # noqa: F401  (first: see there)

# isort: split
import importlib.util
from pathlib import Path

import regex
import spacy
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

from wildchat_dagster.core.redaction.policy import LANGUAGE_CODES

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


class ModelNotInstalledError(RuntimeError):
    pass


def language_code(key: str) -> str:
    """'English' or 'en' -> 'en'; raises for anything else."""
    if key in LANGUAGE_CODES:
        return LANGUAGE_CODES[key]
    if regex.fullmatch(r"[a-z]{2,3}", key):
        return key
    raise ValueError(f"unknown language {key!r}: use an ISO 639-1 code or one of {sorted(LANGUAGE_CODES)}")


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
