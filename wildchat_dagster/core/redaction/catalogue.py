"""The built-in entity types: the WildChat authors' policy (see `policy`), one registry entry each.

| type (prio)         | prefilter: necessary condition     | accepted when                                  |
|---------------------|------------------------------------|------------------------------------------------|
| SECRET (10)         | a secret trigger                   | not a documentation placeholder (recognizer)   |
| CREDIT_CARD (20)    | a digit, the card's digit groups   | Luhn-valid with a card cue or issuer prefix    |
| national IDs (30)   | a digit, the type's shape, its cue | checksum-valid (recognizer), a digit, the cue  |
| EMAIL_ADDRESS (40)  | '@'                                | not a role or placeholder address              |
| URL (50)            | a profile prefix (any case)        | a profile URL (recognizer)                     |
| IP_ADDRESS (60)     | a dotted quad, '::' or 7 'hex:'    | not private, loopback, reserved, ...           |
| PHONE_NUMBER (70)   | a digit and a phone cue word       | a phone cue word in the window around it       |
| PERSON (80)         | an NER model and a person cue      | right after a cue; no rule of `names` objects  |

Why each condition is necessary: the e-mail regex (EMAIL_REGEX) holds a literal '@'; the card
regex's first group is 4 digits, whatever they are; each IPv4/IPv6 alternative holds a dotted quad,
'::' or 7 'hex:' groups; the profile regex holds its prefix; each secret regex is built around its
trigger (`secrets`); the ID shapes come from the recognizers' patterns (`identifiers`); the policy
keeps a phone number only near a cue and a name only right after one.

Overlapping accepted spans go to the lower priority: a key inside a URL is a secret; a card or
ID number is not also a phone number. Digit tests use Unicode \\d like the recognizers (phonenumbers
also reads non-ASCII digits, so ASCII-only tests would not be conservative).
Recognizer factories import Presidio when called: the code location loads without it.
"""

from __future__ import annotations

from functools import partial

import regex

from wildchat_dagster.core.redaction import policy as rules
from wildchat_dagster.core.redaction.cues import PHONE_CUES, has_person_cue, name_cues
from wildchat_dagster.core.redaction.entities import (
    EntityType,
    ProposedSpan,
    RecognizerSetup,
    TextView,
    register_entity_type,
)
from wildchat_dagster.core.redaction.identifiers import NATIONAL_IDS, NationalId, is_card_number
from wildchat_dagster.core.redaction.names import not_a_person
from wildchat_dagster.core.redaction.secrets import has_secret_trigger, secret_kind_of

SECRET, CARD, EMAIL, URL, IP, PHONE, PERSON = (
    "SECRET", "CREDIT_CARD", "EMAIL_ADDRESS", "URL", "IP_ADDRESS", "PHONE_NUMBER", "PERSON",
)  # fmt: skip

# Presidio's card regex without its leading-digit alternatives (4\d{3}|5[0-5]\d{2}|...).
CARD_SHAPE = r"\d{4}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}"
# Every IPv4 alternative holds a dotted quad of 1-3 digit groups; every compressed IPv6 a '::'.
IP_V4_SHAPE = r"\d\.\d{1,3}\.\d{1,3}\.\d"
IP_V6_SHAPE = r"::|(?:[0-9A-Fa-f]{1,4}:){7}"
IP_SHAPE = f"{IP_V4_SHAPE}|{IP_V6_SHAPE}"


# --- recognizer factories (Presidio imported on call) --------------------------------


def _secret_recognizers(setup: RecognizerSetup) -> list:
    from wildchat_dagster.core.redaction.recognizers import SecretRecognizer
    from wildchat_dagster.core.redaction.secrets import SECRET_KINDS

    return [SecretRecognizer(kind, setup.language) for kind in SECRET_KINDS]


def _presidio_recognizer(class_name: str, setup: RecognizerSetup) -> list:
    from presidio_analyzer import predefined_recognizers

    return [getattr(predefined_recognizers, class_name)(supported_language=setup.language)]


def _national_id_recognizer(entity_type: str, setup: RecognizerSetup) -> list:
    from wildchat_dagster.core.redaction.recognizers import NATIONAL_ID_RECOGNIZERS

    return [NATIONAL_ID_RECOGNIZERS[entity_type](supported_language=setup.language)]


def _email_recognizers(setup: RecognizerSetup) -> list:
    from wildchat_dagster.core.redaction.recognizers import OfflineEmailRecognizer

    return [OfflineEmailRecognizer(setup.language, setup.domain_extractor)]


def _profile_url_recognizers(setup: RecognizerSetup) -> list:
    from wildchat_dagster.core.redaction.recognizers import profile_url_recognizer

    prefixes = setup.policy.profile_url_prefixes
    return [profile_url_recognizer(prefixes, setup.language)] if prefixes else []


def _person_recognizers(setup: RecognizerSetup) -> list:
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    return [SpacyRecognizer(supported_language=setup.language, supported_entities=[PERSON])]


# --- prefilter conditions and acceptance rules ------------------------------------------


def _has_secret_trigger(view: TextView) -> bool:
    return has_secret_trigger(view.text, view.folded)


def _is_card(span: ProposedSpan) -> bool:
    return is_card_number(span.text, span.start, span.end)


def _in_form(form: str, span: ProposedSpan) -> bool:
    return regex.fullmatch(form, span.text, pos=span.start, endpos=span.end) is not None


def _has_profile_prefix(view: TextView) -> bool:
    return any(p.lower() in view.lowered for p in view.policy.profile_url_prefixes)


def _is_personal_email(span: ProposedSpan) -> bool:
    return not rules.is_exempt_email(span.value, span.policy)


def _is_personal_ip(span: ProposedSpan) -> bool:
    return rules.is_personal_ip(span.value)


_IP_V4 = regex.compile(IP_V4_SHAPE)
_IP_V6 = regex.compile(IP_V6_SHAPE)


def _has_ip_shape(view: TextView) -> bool:
    """IP_SHAPE's search by parts, each behind a cheap test it implies: a digit for the IPv4
    shape, a colon for the IPv6 ones (the joint regex ran at every position of every turn)."""
    if view.has_digit and _IP_V4.search(view.text) is not None:
        return True
    return ":" in view.text and _IP_V6.search(view.text) is not None


def _has_phone_cue_word(view: TextView) -> bool:
    return PHONE_CUES.search(view.text) is not None


def _is_phone_with_cue(span: ProposedSpan) -> bool:
    return rules.has_phone_cue(span.text, span.start, span.end, span.policy)


def _has_person_cue(view: TextView) -> bool:
    return has_person_cue(view.text, view.language)


def _is_named_person(span: ProposedSpan) -> bool:
    """A name right after a cue (or its honorific) that no rule of `names` rules out."""
    if "name_cues" not in span.per_text:
        span.per_text["name_cues"] = name_cues(span.text, span.language)
    cue = span.per_text["name_cues"].get(span.proposed_start)
    return cue is not None and not not_a_person(span.text, span.start, span.end, cue)


# A name ends before a tab, a line break, a run of spaces or a field separator: in forms
# ("First Name: John        Last Name: Smith") NER runs on across the gap.
_NAME_END = regex.compile(r"\t|\r|\n|  |[:|;]")


def trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """A name without what follows it (the next label, a separator, trailing punctuation)."""
    if cut := _NAME_END.search(text, start, end):
        end = cut.start()
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",.!?"):
        end -= 1
    return start, end


# --- the entries ------------------------------------------------------------------


def _national_id(entry: NationalId) -> EntityType:
    return EntityType(
        entry.entity_type,
        partial(_national_id_recognizer, entry.entity_type),
        priority=30,
        rule=f"{entry.entity_type.lower()}_validated",
        shape=entry.shape,
        needs_digit=True,
        cue=entry.cue,
        accept=partial(_in_form, entry.form) if entry.form else None,
    )


BUILTIN_ENTITY_TYPES = (
    EntityType(SECRET, _secret_recognizers, priority=10, rule="secret", could_match=_has_secret_trigger,
               kind_of=secret_kind_of),
    EntityType(CARD, partial(_presidio_recognizer, "CreditCardRecognizer"), priority=20,
               rule="card_number_luhn_valid_with_cue_or_issuer", shape=CARD_SHAPE, needs_digit=True, accept=_is_card),
    *(_national_id(entry) for entry in NATIONAL_IDS),
    EntityType(EMAIL, _email_recognizers, priority=40, rule="email_address_not_role_or_placeholder",
               shape="@", accept=_is_personal_email, case_insensitive=True),
    EntityType(URL, _profile_url_recognizers, priority=50, rule="profile_url", could_match=_has_profile_prefix,
               case_insensitive=True),
    EntityType(IP, partial(_presidio_recognizer, "IpRecognizer"), priority=60, rule="personal_ip_address",
               could_match=_has_ip_shape, accept=_is_personal_ip),
    EntityType(PHONE, partial(_presidio_recognizer, "PhoneRecognizer"), priority=70,
               rule="phone_number_with_cue_word", needs_digit=True, could_match=_has_phone_cue_word,
               accept=_is_phone_with_cue),
    EntityType(PERSON, _person_recognizers, priority=80, rule="name_after_cue", needs_ner=True,
               could_match=_has_person_cue, accept=_is_named_person, trim=trim_name, person_threshold=True),
)  # fmt: skip

for _entry in BUILTIN_ENTITY_TYPES:
    register_entity_type(_entry)
