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

from wildchat_dagster.core.language.detection import LANGUAGE_NAMES

EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
CARD = "CREDIT_CARD"
IP = "IP_ADDRESS"
PERSON = "PERSON"
URL = "URL"
SECRET = "SECRET"

# When two accepted candidates overlap, the earlier type in this order wins:
# a key inside a URL is a secret; a card number is not also a phone number.
ENTITY_PRIORITY = (SECRET, CARD, EMAIL, URL, IP, PHONE, PERSON)
ENTITY_TYPES = frozenset(ENTITY_PRIORITY)

# The language stage's names ("English", "Chinese") -> ISO codes, as spaCy names its
# pipelines (spaCy says "nb" where fastText says "no").
LANGUAGE_CODES = {name: code for code, name in LANGUAGE_NAMES.items()} | {"Bokmal": "nb"}

# Words that make a nearby digit run a phone number rather than an id, a
# price or a year (WildChat required one). Matched case-insensitively: words
# whole, stems of inflected languages with any ending (телефона, Telefonnummer,
# هاتفي), and scripts without word spaces anywhere.
PHONE_CUE_WORDS = (
    "phone", "telephone", "tel", "call", "mobile", "cell", "cellphone", "wechat", "viber",
    "telegram", "fax", "sms", "my number", "contact number", "phone number", "hotline",
    "teléfono", "móvil", "movil", "celular", "llamar", "llámame", "téléphone", "portable",
    "appelez", "anrufen", "telemóvel", "тел", "звоните", "позвоните", "điện thoại", "sđt",
    "फ़ोन", "फोन",
)  # fmt: skip
PHONE_CUE_STEMS = (
    "whatsapp", "telefon", "handy", "rufnummer", "telepon", "телефон", "мобильн", "номер тел",
    "هاتف", "جوال", "تلفن", "موبایل",
)  # fmt: skip
PHONE_CUE_CJK = ("电话", "電話", "手机", "手機", "微信", "联系方式", "携帯", "電話番号", "전화", "휴대폰", "핸드폰")

# Phrases after which a capitalised word is likely the writer's or addressee's
# name. Introductions match anywhere; salutations only at the start of a line
# ("Dear X," opens a letter, "my dear Watson" mid-sentence is fiction);
# sign-offs only on a line of their own with the name on the next line, or
# for formal ones also after a comma on the same line ("Kind regards, Ann").
PERSON_INTRO_CUES: dict[str, tuple[str, ...]] = {
    "en": ("my name is", "my name's", "i am", "i'm", "i’m", "name:", "full name:", "signed:"),
    "es": ("me llamo", "mi nombre es", "nombre:"),
    "fr": ("je m'appelle", "je m’appelle", "mon nom est", "nom:", "nom :"),
    "de": ("ich heiße", "ich heisse", "mein name ist", "name:"),
    "it": ("mi chiamo", "il mio nome è", "nome:"),
    "pt": ("meu nome é", "me chamo", "nome:"),
    "nl": ("mijn naam is", "naam:"),
    "ru": ("меня зовут", "моё имя", "мое имя", "имя:"),
    "uk": ("мене звати", "ім'я:"),
    "pl": ("nazywam się", "mam na imię", "imię:"),
    "zh": ("我叫", "我是", "我的名字是", "我的名字叫", "姓名：", "姓名:"),
    "ja": ("私の名前は", "私は", "僕は", "氏名：", "名前："),
    "ko": ("제 이름은", "저는", "이름:"),
}  # fmt: skip
PERSON_SALUTATION_CUES: dict[str, tuple[str, ...]] = {
    "en": ("dear",),
    "es": ("estimado", "estimada", "querido", "querida"),
    "fr": ("cher", "chère"),
    "de": ("lieber", "liebe", "sehr geehrter", "sehr geehrte"),
    "it": ("caro", "cara", "gentile"),
    "pt": ("prezado", "prezada", "querido", "querida"),
    "nl": ("beste", "geachte"),
    "ru": ("уважаемый", "уважаемая", "дорогой", "дорогая"),
    "uk": ("шановний", "шановна"),
    "pl": ("szanowny", "szanowna", "drogi", "droga"),
    "zh": ("尊敬的", "亲爱的"),
}  # fmt: skip
PERSON_SIGNOFF_CUES: dict[str, tuple[str, ...]] = {
    "en": (
        "best", "best wishes", "all the best", "thanks", "thank you", "many thanks",
        "thanks again", "cheers", "warmly", "love", "with love", "yours", "take care",
    ),
    "es": ("saludos", "un saludo", "un abrazo", "gracias"),
    "fr": ("amicalement", "bises", "merci"),
    "de": ("viele grüße", "liebe grüße", "danke"),
    "it": ("saluti", "un saluto", "grazie"),
    "pt": ("abraços", "obrigado", "obrigada"),
    "nl": ("groeten",),
    "ru": ("всего доброго", "спасибо"),
    "pl": ("pozdrawiam",),
    "zh": ("此致", "敬上"),
}  # fmt: skip
PERSON_FORMAL_SIGNOFF_CUES: dict[str, tuple[str, ...]] = {
    "en": (
        "regards", "best regards", "kind regards", "warm regards", "warmest regards",
        "with regards", "sincerely", "yours sincerely", "sincerely yours", "yours truly",
        "yours faithfully", "faithfully", "respectfully", "yours respectfully", "cordially",
    ),
    "es": ("atentamente", "cordialmente"),
    "fr": ("cordialement", "bien à vous", "sincèrement", "bien cordialement"),
    "de": ("mit freundlichen grüßen", "beste grüße", "herzliche grüße"),
    "it": ("cordiali saluti", "distinti saluti"),
    "pt": ("atenciosamente", "cumprimentos", "saudações"),
    "nl": ("met vriendelijke groet", "hartelijke groet"),
    "ru": ("с уважением",),
    "uk": ("з повагою",),
    "pl": ("z poważaniem",),
}  # fmt: skip
UNCASED_LANGUAGES = frozenset({"zh", "ja", "ko"})
_UNSPACED_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
HONORIFIC = regex.compile(
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta)\.?[ \t]+"
)

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


def _alternation(phrases: Iterable[str]) -> str:
    """Longest first, so 'best regards' wins over 'best'; spaces match any run of blanks."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in ordered)


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


# --- cues -------------------------------------------------------------------

PHONE_CUES = regex.compile(
    rf"(?i:(?<!\w)(?:{_alternation(PHONE_CUE_WORDS)})(?!\w)|(?<!\w)(?:{_alternation(PHONE_CUE_STEMS)}))"
    rf"|{_alternation(PHONE_CUE_CJK)}"
)


def person_cue_regex(language: str) -> regex.Pattern:
    """Cue phrases (the language's and English ones) ending where a name may begin.

    For cased scripts the next character must be an upper-case letter, which
    drops the frequent 'I am a ...' and keeps the regex cheap to run everywhere.
    """
    codes = ["en"] if language == "en" else [language, "en"]

    def cues(table: dict[str, tuple[str, ...]]) -> list[str]:
        return [c for code in codes for c in table.get(code, ())]

    def phrase(table: dict[str, tuple[str, ...]]) -> str:
        # Chinese and Japanese write no spaces: their cues are not whole words.
        spaced = [c for c in cues(table) if not _UNSPACED_SCRIPT.search(c)]
        unspaced = [c for c in cues(table) if _UNSPACED_SCRIPT.search(c)]
        alternatives = [rf"(?i:(?<!\w)(?:{_alternation(spaced)})(?!\w))"] if spaced else []
        alternatives += [f"(?:{_alternation(unspaced)})"] if unspaced else []
        return "(?:" + "|".join(alternatives) + ")"

    name_ahead = "" if language in UNCASED_LANGUAGES else r"(?=\p{Lu})"
    blank = r"[ \t]*"
    line_start = r"(?m:^)[ \t]*"
    next_line = r"[ \t]*[,!.\-–—]?(?:[ \t]*\r?\n){1,2}[ \t]*"
    return regex.compile(
        "|".join(
            [
                rf"{phrase(PERSON_INTRO_CUES)}{blank}(?:\r?\n{blank})?{name_ahead}",
                rf"{line_start}{phrase(PERSON_SALUTATION_CUES)}{blank},?{blank}{name_ahead}",
                rf"{line_start}{phrase(PERSON_SIGNOFF_CUES)}{next_line}{name_ahead}",
                rf"{line_start}{phrase(PERSON_FORMAL_SIGNOFF_CUES)}(?:{next_line}|{blank},{blank}){name_ahead}",
            ]
        )
    )


_PERSON_CUES: dict[str, regex.Pattern] = {}


def person_cues(language: str) -> regex.Pattern:
    if language not in _PERSON_CUES:
        _PERSON_CUES[language] = person_cue_regex(language)
    return _PERSON_CUES[language]


def name_start_positions(text: str, language: str) -> set[int]:
    """Offsets where a PERSON span must begin to be redacted: right after a cue (or its honorific)."""
    starts = set()
    for m in person_cues(language).finditer(text):
        starts.add(m.end())
        if h := HONORIFIC.match(text, m.end()):
            starts.add(h.end())
    return starts


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


def accept_candidates(
    text: str, language: str, proposals: Iterable[tuple[str, int, int]], policy: RedactionPolicy
) -> list[Candidate]:
    """The proposals (entity_type, start, end) the policy redacts, sorted and de-duplicated.

    `language` is the ISO code the text was analysed with; PERSON proposals
    only come from languages with an NER model.
    """
    accepted: set[Candidate] = set()
    name_starts: set[int] | None = None
    for entity_type, start, end in proposals:
        if entity_type not in policy.entities:
            continue
        value = text[start:end]
        if entity_type == EMAIL and is_exempt_email(value, policy):
            continue
        if entity_type == IP and not is_personal_ip(value):
            continue
        if entity_type == PHONE and not has_phone_cue(text, start, end, policy):
            continue
        if entity_type == PERSON:
            if name_starts is None:
                name_starts = name_start_positions(text, language)
            if start not in name_starts:
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
