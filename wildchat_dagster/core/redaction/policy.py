"""What counts as personal data in a chat turn: the WildChat authors' redaction policy, configurable.

The WildChat authors (redact_PII.py) ran Presidio but kept only what their
policy accepted: e-mail addresses (role and placeholder addresses exempt),
phone numbers with a cue word nearby, Luhn-valid card numbers, names right
after an introduction or salutation cue, LinkedIn profile URLs; a string
seen in many conversations is public and kept. This module holds that
policy as plain data and pure functions: the Presidio engine proposes
candidates, the policy decides, each type by the rule of its registry entry
(`entities`; the built-in entries and their rules are in `catalogue`). Everything here is a function of the text
alone (never of Presidio's scores), so a fast path and a plain loop that
propose the same candidates redact the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import regex

from wildchat_dagster.core.language.scripts import LANGUAGE_NAMES
from wildchat_dagster.core.redaction.cues import PHONE_CUES
from wildchat_dagster.core.redaction.entities import (
    EntityType,
    ProposedSpan,
    entity_type_names,
    entity_types,
    get_entity_type,
)

# The language stage's names ("English", "Chinese") -> ISO codes, as spaCy names its
# pipelines (spaCy says "nb" where fastText says "no").
LANGUAGE_CODES = {name: code for code, name in LANGUAGE_NAMES.items()} | {"Bokmal": "nb"}

ROLE_EMAIL_LOCAL_PARTS = (
    "info", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "support",
    "admin", "administrator", "contact", "sales", "hello", "help", "helpdesk", "webmaster",
    "postmaster", "hostmaster", "abuse", "press", "media", "privacy", "security", "billing",
    "careers", "jobs", "hr", "marketing", "team", "office", "feedback", "service",
    "customerservice", "enquiries", "inquiries", "test", "testing", "example", "user",
    "username", "yourname", "your.name", "your_name", "youremail", "your.email",
    "your_email", "name", "email", "someone", "somebody", "john.doe", "jane.doe",
    "johndoe", "janedoe", "foo", "bar", "mail",
)  # fmt: skip
PLACEHOLDER_EMAIL_DOMAINS = (
    "example.com", "example.org", "example.net", "example.edu", "test.com", "domain.com",
    "yourdomain.com", "mydomain.com", "email.com", "company.com", "yourcompany.com",
    "website.com", "yourwebsite.com", "sample.com",
)  # fmt: skip
# Reserved TLDs (RFC 2606 / 6761): never a real mailbox.
PLACEHOLDER_EMAIL_TLDS = (".example", ".test", ".invalid", ".localhost", ".local")

# Addresses that cannot identify a client on the public internet: private,
# loopback, link-local, CGNAT, multicast, reserved (netmasks), unspecified.
# Documentation ranges (TEST-NET) are NOT exempt: test data uses them as client IPs.
NON_PERSONAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    )
)  # fmt: skip


@dataclass(frozen=True)
class RedactionPolicy:
    """The knobs of the policy; defaults follow the WildChat authors."""

    # The registered types (`entities`) to redact; by default all of them, at construction.
    entities: tuple[str, ...] = field(default_factory=entity_type_names)
    # A string detected in at least this many distinct conversations of the month is public.
    person_public_threshold: int = 50
    default_public_threshold: int = 10
    # Never allow-listed: a pasted key stays secret however often it recurs, and a heavy
    # user's own IP would otherwise survive (and fail the blocking raw-IP check).
    never_public: tuple[str, ...] = ("SECRET", "IP_ADDRESS")
    phone_cue_chars_before: int = 60
    phone_cue_chars_after: int = 24
    role_email_local_parts: tuple[str, ...] = ROLE_EMAIL_LOCAL_PARTS
    placeholder_email_domains: tuple[str, ...] = PLACEHOLDER_EMAIL_DOMAINS
    profile_url_prefixes: tuple[str, ...] = ("linkedin.com/in/",)

    # The registry entries of `entities`, highest priority first: resolved at construction and
    # carried with the policy (so worker processes need no registration of their own).
    types: tuple[EntityType, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        known = {e.name: e for e in entity_types()}
        unknown = set(self.entities) - set(known)
        if unknown:
            raise ValueError(f"unknown entity types {sorted(unknown)}; known: {sorted(known)}")
        if self.person_public_threshold < 1 or self.default_public_threshold < 1:
            raise ValueError("public thresholds must be >= 1 conversation")
        wanted = set(self.entities)
        object.__setattr__(self, "types", tuple(e for e in known.values() if e.name in wanted))

    def entity_type(self, name: str) -> EntityType:
        """The entry of a type this policy redacts (or, for stored candidates, any registered one)."""
        return next((e for e in self.types if e.name == name), None) or get_entity_type(name)

    def public_threshold(self, entity_type: str) -> int | None:
        """Distinct conversations from which a string is public; None = never."""
        if entity_type in self.never_public:
            return None
        person = self.entity_type(entity_type).person_threshold
        return self.person_public_threshold if person else self.default_public_threshold


class Candidate(NamedTuple):
    """A span some recognizer proposed and the policy accepted (offsets into the text)."""

    entity_type: str
    start: int
    end: int


def profile_url_regex(prefixes: Iterable[str]) -> str:
    """A personal profile URL: optional scheme and subdomain, a known prefix, then the handle."""
    alternation = "|".join(regex.escape(p) for p in prefixes)
    return rf"(?i)(?<![\w.])(?:https?://)?(?:[a-z]{{2,3}}\.)?(?:{alternation})[\w\-%.]*\w/?"


# --- per-candidate rules ----------------------------------------------------


def is_exempt_email(address: str, policy: RedactionPolicy) -> bool:
    local, _, domain = address.lower().rpartition("@")
    if local in policy.role_email_local_parts:
        return True
    if any(domain == d or domain.endswith("." + d) for d in policy.placeholder_email_domains):
        return True
    return domain.endswith(PLACEHOLDER_EMAIL_TLDS)


def is_personal_ip(value: str) -> bool:
    try:
        ip = ipaddress.ip_interface(value).ip
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not any(ip in net for net in NON_PERSONAL_NETWORKS if net.version == ip.version)


def has_phone_cue(text: str, start: int, end: int, policy: RedactionPolicy) -> bool:
    """A cue word (found in the whole text) overlapping the window around the number."""
    lo, hi = start - policy.phone_cue_chars_before, end + policy.phone_cue_chars_after
    return any(m.end() > lo and m.start() < hi for m in PHONE_CUES.finditer(text))


def exact_span(text: str, entity_type: str, start: int, end: int) -> tuple[int, int]:
    """The candidate without surrounding whitespace and what its type must not swallow (a name
    stops before a neighbouring label, separator or line break)."""
    return get_entity_type(entity_type).trim(text, start, end)


def accept_candidates(
    text: str, language: str, proposals: Iterable[tuple[str, int, int]], policy: RedactionPolicy
) -> list[Candidate]:
    """The proposals (entity_type, start, end) the policy redacts, sorted and de-duplicated.

    `language` is the ISO code the text was analysed with; each type's registry
    entry trims the span and judges it (`EntityType.accepts`).
    """
    accepted: set[Candidate] = set()
    types = {e.name: e for e in policy.types}
    per_text: dict = {}  # shared by the text's spans: what a rule computes once per text
    for entity_type, proposed_start, proposed_end in proposals:
        entry = types.get(entity_type)
        if entry is None:
            continue
        start, end = entry.trim(text, proposed_start, proposed_end)
        if start >= end:
            continue
        if entry.accepts(ProposedSpan(text, language, policy, proposed_start, start, end, per_text)):
            accepted.add(Candidate(entity_type, start, end))
    return sorted(accepted, key=lambda c: (c.start, c.end, c.entity_type))


# --- the month's allow-list and the final choice ------------------------------


def public_key(candidate: Candidate, text: str) -> tuple[str, str]:
    """What the allow-list counts: the detected string (case-folded where case is meaningless)."""
    value = text[candidate.start : candidate.end]
    if get_entity_type(candidate.entity_type).case_insensitive:
        value = value.casefold()
    return candidate.entity_type, value


def public_strings(
    conversation_counts: dict[tuple[str, str], int], policy: RedactionPolicy
) -> set[tuple[str, str]]:
    """The (type, string) keys seen in enough distinct conversations to count as public."""
    public = set()
    for key, count in conversation_counts.items():
        threshold = policy.public_threshold(key[0])
        if threshold is not None and count >= threshold:
            public.add(key)
    return public


def choose_redactions(
    text: str, candidates: Iterable[Candidate], public: set[tuple[str, str]]
) -> list[Candidate]:
    """Drop public strings, then resolve overlaps by type priority, longer span, earlier start."""
    kept = [c for c in candidates if public_key(c, text) not in public]
    rank = {t: i for i, t in enumerate(entity_type_names())}
    kept.sort(key=lambda c: (rank[c.entity_type], -(c.end - c.start), c.start))
    chosen: list[Candidate] = []
    for c in kept:
        if all(c.end <= o.start or c.start >= o.end for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)
