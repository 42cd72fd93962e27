"""The registry of PII entity types: one `EntityType` entry per kind of personal data.

An entry holds everything the stage needs to know about one kind: the
Presidio recognizers that propose it, the prefilter's necessary conditions
(a digit, a shape, a cue word), the policy's rule that accepts a proposal,
its priority when spans overlap and the rule name stored in `redactions`.
The prefilter, the recognizers, the policy and the spans read the entries
and nothing else, so a new kind is one `register_entity_type` call (the
built-in kinds are registered by `catalogue`; docs/EXTENDING.md walks
through adding one).

Entries travel to the analysis worker processes pickled inside the policy:
their hooks must be module-level functions (or `functools.partial`s of
them) in a module those processes can import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import regex

from wildchat_dagster.schema import placeholder_regex

if TYPE_CHECKING:
    from wildchat_dagster.core.redaction.policy import RedactionPolicy

_DIGIT = regex.compile(r"\d")  # Unicode \d, as in the recognizers' regexes
_NAME = regex.compile(r"[A-Z_]+")  # what `schema.placeholder_regex()` reads back as a type


def _word_regex(words: Iterable[str]) -> regex.Pattern:
    """Whole words, any case, longest first; a space matches any run of blanks; 'SSN#' counts."""
    ordered = sorted(words, key=len, reverse=True)
    alternation = "|".join(regex.escape(w).replace(r"\ ", r"[ \t]+") for w in ordered)
    return regex.compile(r"(?i)(?<!\w)(?:" + alternation + r")#?(?!\w)")


# ASCII characters whose case-insensitive matches (`regex`'s (?i)) all case-fold to the character's own
# fold: 'K' (Kelvin sign) folds to 'k', 'ſ' to 's', but 'İ' matches 'i' and folds to 'i̇'.
_FOLD_SAFE = frozenset(chr(c) for c in range(0x20, 0x7F)) - {"i", "I"}


def folded_needle(phrase: str) -> str | None:
    """A substring that `text.casefold()` holds wherever `phrase` matches `text` case-insensitively:
    the longest run of fold-safe characters, folded; None where there is none."""
    runs = "".join(c if c in _FOLD_SAFE else "\0" for c in phrase).split("\0")
    best = max(runs, key=len)
    return best.casefold() if best else None


@dataclass(frozen=True)
class Cue:
    """Words one of which must stand within `chars` of a match: what makes a weak number personal."""

    words: tuple[str, ...]
    chars: int = 60

    @cached_property
    def regex(self) -> regex.Pattern:
        return _word_regex(self.words)

    @cached_property
    def first_words(self) -> tuple[str, ...]:
        """Each cue's first word, case-folded: a substring test cheaper than the regex."""
        return tuple({w.split()[0].casefold() for w in self.words})

    def in_text(self, view: TextView) -> bool:
        return any(w in view.folded for w in self.first_words) and self.regex.search(view.text) is not None

    def near(self, text: str, start: int, end: int) -> bool:
        return any(m.end() > start - self.chars and m.start() < end + self.chars for m in self.regex.finditer(text))


@dataclass
class TextView:
    """A text as the prefilter sees it, with what several types ask for computed once."""

    text: str
    language: str  # ISO code the text is analysed with
    has_ner: bool
    policy: RedactionPolicy

    @cached_property
    def has_digit(self) -> bool:
        return _DIGIT.search(self.text) is not None

    @cached_property
    def folded(self) -> str:
        return self.text.casefold()

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()


@dataclass
class ProposedSpan:
    """A proposal under review: the trimmed span, where the recognizer put it, the text around it."""

    text: str
    language: str
    policy: RedactionPolicy
    proposed_start: int
    start: int
    end: int
    per_text: dict[str, Any]  # what a rule computes once per text (the name cues), shared by its spans

    @property
    def value(self) -> str:
        return self.text[self.start : self.end]


@dataclass(frozen=True)
class RecognizerSetup:
    """What a recognizer factory gets: the policy, the analysis language, the offline domain check."""

    policy: RedactionPolicy
    language: str
    domain_extractor: Any  # tldextract.TLDExtract (e-mail recognizer)


def strip_blanks(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without surrounding whitespace: a placeholder never swallows a line break."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass(frozen=True)
class EntityType:
    """One kind of personal data (its Presidio entity type is `name`, its placeholder
    `schema.placeholder(name)`): how it is found, admitted, accepted and named."""

    name: str
    # (RecognizerSetup) -> Presidio recognizers proposing `name` in setup.language.
    recognizers: Callable[[RecognizerSetup], list]
    # Overlapping accepted spans: the lower priority wins (built-ins: SECRET 10 ... PERSON 80).
    priority: int
    # The accepting rule's name, stored per placeholder in `redactions` (`explain` shows it).
    rule: str
    # Necessary conditions for a recognizer match, tested by the prefilter before Presidio runs:
    shape: str | None = None  # a regex some part of every match contains
    needs_digit: bool = False  # every match holds a digit (tested on the text and on the span)
    cue: Cue | None = None  # a cue word near the span is required (prefilter: anywhere in the text)
    could_match: Callable[[TextView], bool] | None = None  # any further necessary condition
    # The policy's judgement of a span that passed the cue (None: every span is accepted).
    accept: Callable[[ProposedSpan], bool] | None = None
    # The exact span: whitespace trimmed, and whatever else the type must not swallow.
    trim: Callable[[str, int, int], tuple[int, int]] = strip_blanks
    needs_ner: bool = False  # proposed by the NER model (only languages with one)
    case_insensitive: bool = False  # the allow-list counts the string case-folded
    person_threshold: bool = False  # public from `policy.person_public_threshold`, not the default one
    kind_of: Callable[[str, int, int], str] | None = None  # sub-kind counted and appended to the rule

    @cached_property
    def shape_regex(self) -> regex.Pattern | None:
        return regex.compile(self.shape) if self.shape else None

    def could_occur(self, view: TextView) -> bool:
        """The prefilter: False only where no recognizer of this type can match and be accepted."""
        if (self.needs_ner and not view.has_ner) or (self.needs_digit and not view.has_digit):
            return False
        if self.cue is not None and not self.cue.in_text(view):
            return False
        if self.shape_regex is not None and self.shape_regex.search(view.text) is None:
            return False
        return self.could_match is None or self.could_match(view)

    def accepts(self, span: ProposedSpan) -> bool:
        """The policy: this (trimmed, non-empty) span is personal data of this type."""
        if self.needs_digit and _DIGIT.search(span.text, span.start, span.end) is None:
            return False
        if self.cue is not None and not self.cue.near(span.text, span.start, span.end):
            return False
        return self.accept is None or self.accept(span)

    def rule_name(self, kind: str | None = None) -> str:
        return f"{self.rule}_{kind}" if kind else self.rule


@dataclass
class _Registry:
    entries: dict[str, EntityType] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # registration order: ties in priority
    builtins_loaded: bool = False


_REGISTRY = _Registry()


def _loaded() -> _Registry:
    if not _REGISTRY.builtins_loaded:
        _REGISTRY.builtins_loaded = True
        importlib.import_module("wildchat_dagster.core.redaction.catalogue")  # registers the built-in types
    return _REGISTRY


def register_entity_type(entry: EntityType, *, replace: bool = False) -> EntityType:
    """Adds a kind of personal data to every policy built from now on (and to the default one)."""
    registry = _loaded()
    if not _NAME.fullmatch(entry.name):
        raise ValueError(f"entity type names are upper-case letters and underscores: {entry.name!r}")
    if entry.needs_ner and entry.name != "PERSON":
        # The fast path's NER windows are built around person cues (`windows`): another NER type
        # would be found by the plain loop and missed by the fast path.
        raise ValueError("only PERSON is proposed by the NER model; give other types pattern recognizers")
    if entry.name in registry.entries and not replace:
        raise ValueError(f"entity type {entry.name} is already registered")
    if entry.name not in registry.entries:
        registry.order.append(entry.name)
    registry.entries[entry.name] = entry
    return entry


def unregister_entity_type(name: str) -> None:
    registry = _loaded()
    del registry.entries[name]
    registry.order.remove(name)


def entity_types() -> tuple[EntityType, ...]:
    """Every registered type, highest priority first (registration order breaks ties)."""
    registry = _loaded()
    rank = {name: i for i, name in enumerate(registry.order)}
    return tuple(sorted(registry.entries.values(), key=lambda e: (e.priority, rank[e.name])))


def entity_type_names() -> tuple[str, ...]:
    return tuple(e.name for e in entity_types())


def get_entity_type(name: str) -> EntityType:
    try:
        return _loaded().entries[name]
    except KeyError:
        raise KeyError(f"unknown entity type {name}; known: {sorted(_REGISTRY.entries)}") from None


def known_placeholders():
    """Finds the placeholders of the registered types (group 1: the type)."""
    return _placeholders(frozenset(_loaded().entries))


@lru_cache(maxsize=8)
def _placeholders(names: frozenset[str]):
    return placeholder_regex(names)
