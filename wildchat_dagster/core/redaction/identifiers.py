"""Numbers that identify a person: payment cards and national ID numbers.

A digit run that merely passes a checksum is not enough: Luhn passes one
random number in ten, an NHS or tax-file check one in eleven, so coupons,
order numbers and phone lists would be redacted. A card needs a card cue
nearby (as WildChat required) or a known issuer prefix with that issuer's
length. A national ID needs its recognizer's checksum (Presidio's where one
exists; GB 11643 for the Chinese resident ID, written here) and, where the
number alone is weak evidence (short checksums, no checksum at all), one of
the recognizer's own context words nearby.

| type               | recognizer            | validated by                     | cue needed |
|--------------------|-----------------------|----------------------------------|------------|
| CN_RESIDENT_ID     | CnResidentIdRecognizer| birth date + GB 11643 mod-11     | no         |
| IT_FISCAL_CODE     | Presidio              | check letter, standard form      | no         |
| ES_NIF, ES_NIE     | Presidio              | check letter                     | no         |
| KR_RRN             | Presidio              | birth date (+ check digit to 2020)| yes       |
| PL_PESEL           | Presidio              | birth date + check digit         | yes        |
| UK_NHS             | Presidio              | mod-11 check digit               | yes        |
| AU_TFN, AU_ABN     | Presidio              | weighted checksums               | yes        |
| IN_AADHAAR         | Presidio              | Verhoeff check digit             | yes        |
| US_SSN, IN_PAN, SG_NRIC_FIN | Presidio     | format only                      | yes        |
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from wildchat_dagster.core.redaction.entities import Cue

# --- payment cards --------------------------------------------------------------

CARD_CUE_WORDS = (
    "card", "credit", "debit", "visa", "mastercard", "master card", "amex", "american express",
    "discover", "maestro", "jcb", "unionpay", "union pay", "cvv", "cvc", "expiry", "expiration",
    "tarjeta", "carte", "karte", "kreditkarte", "carta", "cartão", "cartao", "kaart", "karta",
    "карта", "карты", "карту", "kart",
)  # fmt: skip
CARD_CUE_CJK = ("信用卡", "银行卡", "借记卡", "储蓄卡", "卡号", "銀行卡", "カード", "카드")
CARD_CUES = regex.compile(
    r"(?i:(?<!\w)(?:" + "|".join(regex.escape(c).replace(r"\ ", r"[ \t]+") for c in CARD_CUE_WORDS) + r")s?(?!\w))"
    + "|" + "|".join(regex.escape(c) for c in CARD_CUE_CJK)
)
CARD_CUE_CHARS = 60  # how far before or after the number a cue counts

# (prefix ranges, lengths) of the card networks (ISO/IEC 7812 issuer identification numbers).
CARD_ISSUERS = {
    "visa": ((("4", "4"),), (13, 16, 19)),
    "mastercard": ((("51", "55"), ("2221", "2720")), (16,)),
    "amex": ((("34", "34"), ("37", "37")), (15,)),
    "discover": ((("6011", "6011"), ("644", "649"), ("65", "65")), (16, 19)),
    "jcb": ((("3528", "3589"),), (16, 19)),
    "diners": ((("300", "305"), ("36", "36"), ("38", "39")), (14, 16)),
    "unionpay": ((("62", "62"),), (16, 17, 18, 19)),
    "maestro": ((("5018", "5018"), ("5020", "5020"), ("5038", "5038"), ("6304", "6304")), (12, 13, 16, 19)),
}


def card_issuer(number: str) -> str | None:
    """The network whose prefix and length this number has (separators ignored), or None."""
    digits = regex.sub(r"\D", "", number)
    for issuer, (ranges, lengths) in CARD_ISSUERS.items():
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            head = digits[: len(low)]
            if low <= head <= high:
                return issuer
    return None


def has_card_cue(text: str, start: int, end: int) -> bool:
    return any(m.end() > start - CARD_CUE_CHARS and m.start() < end + CARD_CUE_CHARS for m in CARD_CUES.finditer(text))


def is_card_number(text: str, start: int, end: int) -> bool:
    """A Luhn-valid candidate is a card if a card cue is near or its issuer prefix and length fit."""
    return has_card_cue(text, start, end) or card_issuer(text[start:end]) is not None


# --- national ID numbers ----------------------------------------------------------


GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"


def gb11643_check_character(first17: str) -> str:
    """The 18th character of a Chinese resident ID: ISO 7064 MOD 11-2 over the first 17 digits."""
    return GB11643_CHECK[sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True)) % 11]


# Region (6 digits), birth date YYYYMMDD, sequence (3), check character.
CN_RESIDENT_ID_PATTERN = (
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)


def is_valid_cn_resident_id(value: str) -> bool:
    return len(value) == 18 and gb11643_check_character(value[:17]) == value[17].upper()


@dataclass(frozen=True)
class NationalId:
    entity_type: str
    # A necessary condition for the recognizer to match (derived from its patterns, which Presidio
    # compiles case-insensitively): the prefilter's test.
    shape: str
    # Context words required near the number where the number alone is weak evidence.
    cue: Cue | None = None
    # A form the whole match must have, where the recognizer also accepts others.
    form: str | None = None


def _cue(*words: str) -> Cue:
    return Cue(words, chars=60)  # before or after the number


# Fiscal codes in their standard form: omocodic ones (letters for digits, issued to resolve rare
# duplicates) are left alone, so the prefilter can look for the digits first, which is cheap.
IT_FISCAL_CODE_STANDARD = r"(?i)[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]"

# Registered as entity types by `catalogue`, in this order.
NATIONAL_IDS = (
    NationalId("CN_RESIDENT_ID", r"\d{17}[\dXx]"),
    NationalId("IT_FISCAL_CODE", r"(?i)\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]", form=IT_FISCAL_CODE_STANDARD),
    NationalId("ES_NIF", r"(?i)\d{7}-?[A-Z]"),
    NationalId("ES_NIE", r"(?i)\d{7}-?[A-Z]"),
    NationalId("KR_RRN", r"\d{6}", _cue("rrn", "resident registration number", "주민등록번호", "주민번호")),
    NationalId("PL_PESEL", r"\d{5}", _cue("pesel")),
    NationalId("UK_NHS", r"\d{3}", _cue("nhs", "national health service", "health authority")),
    NationalId("AU_TFN", r"\d{3}", _cue("tfn", "tax file number")),
    NationalId("AU_ABN", r"\d{2}", _cue("abn", "australian business number")),
    NationalId("IN_AADHAAR", r"\d{4}", _cue("aadhaar", "aadhar", "uidai", "आधार")),
    NationalId("US_SSN", r"\d{3}", _cue("ssn", "ssns", "social security", "ssid")),
    NationalId("IN_PAN", r"\d{4}", _cue("pan", "permanent account number")),
    NationalId("SG_NRIC_FIN", r"(?i)[A-Z]\d{7}[A-Z]", _cue("nric", "fin no", "fin number")),
)
NATIONAL_ID_TYPES = tuple(n.entity_type for n in NATIONAL_IDS)
