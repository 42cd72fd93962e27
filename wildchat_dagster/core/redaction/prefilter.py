"""Cheap tests that rule out entity types before any recognizer runs.

Each test is a necessary condition for the policy to accept a candidate of
that type, derived from the recognizer's own regex or from the policy rule:
when the test fails, the recognizer may still fire but the policy would drop
every result, so skipping it cannot change the output. Most chat turns fail
every test and cost one pass of a few regexes.

| type          | necessary condition                 | why                                                   |
|---------------|-------------------------------------|-------------------------------------------------------|
| EMAIL_ADDRESS | '@' in text                         | the e-mail regex (EMAIL_REGEX) contains a literal @   |
| CREDIT_CARD   | the card regex's digit groups       | its first group is 4 digits, whatever they are        |
| IP_ADDRESS    | a dotted quad, '::' or 7 'hex:'     | each IPv4/IPv6 alternative contains one of them       |
| PHONE_NUMBER  | a digit and a phone cue word        | the policy keeps a number only near a cue (PHONE_CUES)|
| PERSON        | an NER model and a person cue       | the policy keeps a name only right after a cue        |
| URL           | a profile prefix (any case)         | the profile regex contains the prefix literally       |
| SECRET        | a secret trigger                    | each secret regex is built around its trigger        |
| national IDs  | a digit, the type's shape, its cue  | the policy wants a digit and, for most, a cue; the   |
|               | (if needed)                         | shapes come from the patterns (`NATIONAL_IDS`)       |
"""

from __future__ import annotations

import regex

from wildchat_dagster.core.redaction.cues import PHONE_CUES, person_cues
from wildchat_dagster.core.redaction.identifiers import ID_CUE_WORDS, ID_CUES, ID_SHAPES, NATIONAL_ID_TYPES
from wildchat_dagster.core.redaction.policy import (
    CARD,
    EMAIL,
    IP,
    PERSON,
    PHONE,
    SECRET,
    URL,
    RedactionPolicy,
)
from wildchat_dagster.core.redaction.secrets import SECRET_TRIGGERS

# Same `regex` engine and Unicode \d as the recognizers (phonenumbers also reads
# non-ASCII digits, so ASCII-only tests would not be conservative).
_DIGIT = regex.compile(r"\d")
# Presidio's card regex without its leading-digit alternatives (4\d{3}|5[0-5]\d{2}|...).
_CARD_SHAPE = regex.compile(r"\d{4}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}")
# Every IPv4 alternative holds a dotted quad of 1-3 digit groups; every compressed IPv6 a '::'.
_IP_SHAPE = regex.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|::|(?:[0-9A-Fa-f]{1,4}:){7}")


class Prefilter:
    """Which entity types a text can yield under a policy."""

    def __init__(self, policy: RedactionPolicy):
        self.policy = policy
        self.wanted = frozenset(policy.entities)
        self._profile_prefixes = tuple(p.lower() for p in policy.profile_url_prefixes)
        self._national_ids = tuple(t for t in NATIONAL_ID_TYPES if t in self.wanted)

    def possible_types(self, text: str, language: str, has_ner: bool) -> frozenset[str]:
        """Entity types worth analysing `text` for (analysed with ISO code `language`)."""
        found = set()
        wanted = self.wanted
        if EMAIL in wanted and "@" in text:
            found.add(EMAIL)
        if IP in wanted and _IP_SHAPE.search(text):
            found.add(IP)
        digit = _DIGIT.search(text) is not None
        if digit:
            if CARD in wanted and _CARD_SHAPE.search(text):
                found.add(CARD)
            if PHONE in wanted and PHONE_CUES.search(text):
                found.add(PHONE)
            folded = text.casefold() if self._national_ids else ""
            for entity_type in self._national_ids:
                cue = ID_CUES.get(entity_type)
                if cue is not None and not (any(w in folded for w in ID_CUE_WORDS[entity_type]) and cue.search(text)):
                    continue
                if ID_SHAPES[entity_type].search(text):
                    found.add(entity_type)
        if PERSON in wanted and has_ner and person_cues(language).search(text):
            found.add(PERSON)
        if URL in wanted and self._profile_prefixes:
            lowered = text.lower()
            if any(p in lowered for p in self._profile_prefixes):
                found.add(URL)
        if SECRET in wanted and SECRET_TRIGGERS.search(text):
            found.add(SECRET)
        return frozenset(found)
