"""What counts as personal data in a chat turn: the WildChat authors' redaction policy, configurable.

The WildChat authors (redact_PII.py) ran Presidio but kept only what their
policy accepted: e-mail addresses (role and placeholder addresses exempt),
phone numbers with a cue word nearby, Luhn-valid card numbers, names right
after an introduction or salutation cue, LinkedIn profile URLs; a string
seen in many conversations is public and kept. This module holds that
policy as plain data and pure functions: the Presidio engine proposes
candidates, the policy decides. Everything here is a function of the text
alone (never of Presidio's scores), so a fast path and a plain loop that
propose the same candidates redact the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import regex

from wildchat_dagster.core.language.scripts import LANGUAGE_NAMES
from wildchat_dagster.core.redaction.cues import PHONE_CUES, name_cues
from wildchat_dagster.core.redaction.identifiers import NATIONAL_ID_TYPES, is_card_number, is_national_id
from wildchat_dagster.core.redaction.names import NameCue, not_a_person

EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
CARD = "CREDIT_CARD"
IP = "IP_ADDRESS"
PERSON = "PERSON"
URL = "URL"
SECRET = "SECRET"

# When two accepted candidates overlap, the earlier type in this order wins:
# a key inside a URL is a secret; a card or ID number is not also a phone number.
ENTITY_PRIORITY = (SECRET, CARD, *NATIONAL_ID_TYPES, EMAIL, URL, IP, PHONE, PERSON)
ENTITY_TYPES = frozenset(ENTITY_PRIORITY)

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

    entities: tuple[str, ...] = ENTITY_PRIORITY
    # A string detected in at least this many distinct conversations of the month is public.
    person_public_threshold: int = 50
    default_public_threshold: int = 10
    # Never allow-listed: a pasted key stays secret however often it recurs, and a heavy
    # user's own IP would otherwise survive (and fail the blocking raw-IP check).
    never_public: tuple[str, ...] = (SECRET, IP)
    phone_cue_chars_before: int = 60
    phone_cue_chars_after: int = 24
    role_email_local_parts: tuple[str, ...] = ROLE_EMAIL_LOCAL_PARTS
    placeholder_email_domains: tuple[str, ...] = PLACEHOLDER_EMAIL_DOMAINS
    profile_url_prefixes: tuple[str, ...] = ("linkedin.com/in/",)

    def __post_init__(self):
        unknown = set(self.entities) - ENTITY_TYPES
        if unknown:
            raise ValueError(f"unknown entity types {sorted(unknown)}; known: {sorted(ENTITY_TYPES)}")
        if self.person_public_threshold < 1 or self.default_public_threshold < 1:
            raise ValueError("public thresholds must be >= 1 conversation")

    def public_threshold(self, entity_type: str) -> int | None:
        """Distinct conversations from which a string is public; None = never."""
        if entity_type in self.never_public:
            return None
        return self.person_public_threshold if entity_type == PERSON else self.default_public_threshold


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


# A name ends before a tab, a line break, a run of spaces or a field separator: in forms
# ("First Name: John        Last Name: Smith") NER runs on across the gap.
_NAME_END = regex.compile(r"\t|\r|\n|  |[:|;]")


def exact_span(text: str, entity_type: str, start: int, end: int) -> tuple[int, int]:
    """The candidate without surrounding whitespace and, for a name, without what follows the name:
    a replacement never swallows a neighbouring label, separator or line break."""
    if entity_type == PERSON and (cut := _NAME_END.search(text, start, end)):
        end = cut.start()
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or (entity_type == PERSON and text[end - 1] in ",.!?")):
        end -= 1
    return start, end


def accept_candidates(
    text: str, language: str, proposals: Iterable[tuple[str, int, int]], policy: RedactionPolicy
) -> list[Candidate]:
    """The proposals (entity_type, start, end) the policy redacts, sorted and de-duplicated.

    `language` is the ISO code the text was analysed with; PERSON proposals
    only come from languages with an NER model.
    """
    accepted: set[Candidate] = set()
    cues: dict[int, NameCue] | None = None
    for entity_type, start, end in proposals:
        if entity_type not in policy.entities:
            continue
        cue = None
        if entity_type == PERSON:
            if cues is None:
                cues = name_cues(text, language)
            if (cue := cues.get(start)) is None:
                continue
        start, end = exact_span(text, entity_type, start, end)
        if start >= end:
            continue
        value = text[start:end]
        if entity_type == EMAIL and is_exempt_email(value, policy):
            continue
        if entity_type == IP and not is_personal_ip(value):
            continue
        if entity_type == PHONE and not has_phone_cue(text, start, end, policy):
            continue
        if entity_type == CARD and not is_card_number(text, start, end):
            continue
        if entity_type in NATIONAL_ID_TYPES and not is_national_id(entity_type, text, start, end):
            continue
        if cue is not None and not_a_person(text, start, end, cue):
            continue
        accepted.add(Candidate(entity_type, start, end))
    return sorted(accepted, key=lambda c: (c.start, c.end, c.entity_type))


# --- the month's allow-list and the final choice ------------------------------


def public_key(candidate: Candidate, text: str) -> tuple[str, str]:
    """What the allow-list counts: the detected string (case-folded where case is meaningless)."""
    value = text[candidate.start : candidate.end]
    if candidate.entity_type in (EMAIL, URL):
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
    rank = {t: i for i, t in enumerate(ENTITY_PRIORITY)}
    kept.sort(key=lambda c: (rank[c.entity_type], -(c.end - c.start), c.start))
    chosen: list[Candidate] = []
    for c in kept:
        if all(c.end <= o.start or c.start >= o.end for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)
