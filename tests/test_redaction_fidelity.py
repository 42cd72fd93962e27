"""Redaction fidelity: exact span boundaries (property-based), the name rules, cards that need a cue
or an issuer, national ID numbers with checksums, per-type switches, the offline domain check."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wildchat_dagster.core.redaction.cues import name_cues
from wildchat_dagster.core.redaction.identifiers import (
    NATIONAL_ID_TYPES,
    card_issuer,
    gb11643_check_character,
    is_card_number,
    is_valid_cn_resident_id,
)
from wildchat_dagster.core.redaction.names import (
    NameCue,
    field_label,
    in_character_sheet,
    in_quoted_speech,
    in_screenplay,
    inside_code,
    not_a_person,
    organisation_signoff,
)
from wildchat_dagster.core.redaction.policy import RedactionPolicy, accept_candidates, choose_redactions, exact_span
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.schema import placeholder


def redact_one(redactor, text: str, language: str = "English") -> str:
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts

    return redact_texts([TextToRedact("c0", text, language)], redactor)[0][0].text


# --- exact span boundaries ---------------------------------------------------------

NAMES = ["John Smith", "Emily Watson", "Nahian Rahman", "Erin Black", "Daniel Okafor", "Greta Lindqvist"]
EMAILS = ["john1989@gmail.com", "erin.black@comcast.net", "d.okafor77@yahoo.co.uk"]
PLANTED = NAMES + EMAILS + ["+1 415-555-2671", "81.2.69.142", "4111 1111 1111 1111", "11010519491231002X"]
LABELS = ["First Name:", "Last Name:", "Name:", "Email:", "Phone:", "My name is", "Dear", "Student ID:", "IP:",
          "Card:", "身份证号:", "| Name |", "Age: 20", "Race:", "My card is", "Call me at"]  # fmt: skip
SEPARATORS = [" ", "  ", "        ", "\t", "\n", "\n\n", " | ", ", ", "\r\n"]
CODE = ['x = "hello"\n', "```python\nprint(name)\n```\n", "`value`", "|---|---|\n", "std::cout << id;\n"]
# Lower-case filler: a capitalised word right after "My name is" is a name by policy, not a boundary error.
WORDS = ["hello", "thanks", "the report", "a1", "2023", "days in course: {30, 35}", "(with enthusiasm)"]

# A field is a label, a value or a word, each followed by a separator, so that no two values touch.
field = st.tuples(
    st.one_of(st.sampled_from(LABELS), st.sampled_from(PLANTED), st.sampled_from(WORDS), st.sampled_from(CODE)),
    st.sampled_from(SEPARATORS),
).map("".join)
form_text = st.lists(field, min_size=2, max_size=16).map("".join)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_text)
def test_replacements_cover_exactly_the_entity(redactor, text):
    """Outside the replaced spans the text is unchanged byte for byte, and every replaced span
    lies inside a planted value: no label, separator, whitespace or line break is eaten."""
    proposals = redactor.propose_plain(text, "en")
    chosen = choose_redactions(text, accept_candidates(text, "en", proposals, redactor.policy), set())
    expected, last = [], 0
    for c in chosen:
        value = text[c.start : c.end]
        assert value and value == value.strip(), value
        assert any(value in planted for planted in PLANTED), (value, text)
        expected += [text[last : c.start], placeholder(c.entity_type)]
        last = c.end
    expected.append(text[last:])
    assert redact_one(redactor, text) == "".join(expected)


def test_form_fields_keep_their_labels(redactor):
    text = "First Name: John        Last Name: Smith        Email: john1989@gmail.com"
    out = redact_one(redactor, text)
    assert out.startswith(f"First Name: {placeholder('PERSON')}        Last Name: ")
    assert out.endswith(f"        Email: {placeholder('EMAIL_ADDRESS')}")
    assert redact_one(redactor, "First Name: John\tLast Name: Smith").startswith(
        f"First Name: {placeholder('PERSON')}\tLast Name:"
    )


def test_exact_span_trims_names_at_separators():
    text = "Name: Zaelar Nyx\n\nRace: x"
    assert exact_span(text, "PERSON", 6, len(text)) == (6, 16)
    assert exact_span("Name: John\tLast", "PERSON", 6, 15) == (6, 10)
    assert exact_span("Name: Ann Lee, hi", "PERSON", 6, 14) == (6, 13)
    assert exact_span(" a@b.com ", "EMAIL_ADDRESS", 0, 9) == (1, 8)


# --- the name rules ------------------------------------------------------------------


def _cue(text: str, name: str) -> tuple[int, int, NameCue]:
    start = text.index(name)
    return start, start + len(name), name_cues(text, "en")[start]


@pytest.mark.parametrize(
    ("rule", "text", "name", "applies"),
    [
        (
            inside_code,
            'response = openai.Completion.create(\n    prompt="Hello, my name is John and I\'m",\n)',
            "John",
            True,
        ),
        (inside_code, "```\nName: Nahian Rahman\n```", "Nahian", True),
        (inside_code, 'std::cout << "Name: Nahian Rahman\\n";', "Nahian", True),
        (inside_code, "Use `my name is Bob` as the prompt.", "Bob", True),
        (inside_code, "Hello, my name is Emily Watson and I need a cover letter.", "Emily", False),
        (in_quoted_speech, 'She said, "Greetings, humans. I am Seraphina, a fairy."', "Seraphina", True),
        (in_quoted_speech, "He said “I’m John Smith, that’s all”", "John", True),
        (in_quoted_speech, 'My name is Emily Watson. "Hi" to all.', "Emily", False),
        (in_character_sheet, "Name: Aiden Grayson\n\nPersonality: calm\nAppearance: tall", "Aiden", True),
        (in_character_sheet, "Character Name: Zaelar Nyx\n\nRace: Tiefling\n\nClass: Warlock", "Zaelar", True),
        (in_character_sheet, "Name: Nahian Rahman\nStudent ID: 012096094", "Nahian", False),
        (in_character_sheet, "My name is Ann Lee.\nRace: x\nClass: y", "Ann", False),  # not a Name: field
        (
            in_screenplay,
            "INT. SCHOOL HALLWAY - DAY\n\nJULIA\nHello, everyone! I'm Julia Fairbanks.",
            "Julia Fairbanks",
            True,
        ),
        (in_screenplay, "JANE\nHi.\n\nSAM\nHey.\n\nJULIA (V.O.)\nI'm Julia Fairbanks.", "Julia Fairbanks", True),
        (in_screenplay, "Hello, I'm Julia Fairbanks and I need help.", "Julia", False),
        (organisation_signoff, "Keep going!\n\nBest wishes,\n\nThe Ultra Kids Team", "The Ultra", True),
        (organisation_signoff, "Thanks,\nAcme Support", "Acme", True),
        (organisation_signoff, "Best regards,\nMickael", "Mickael", False),
        (field_label, "First Name:\tPhone: 555", "Phone", True),
        (field_label, "First Name: Ann\tPhone: 555", "Ann", False),
    ],
)
def test_each_name_rule(rule, text, name, applies):
    start, end, cue = _cue(text, name)
    assert rule(text, start, end, cue) is applies


def test_name_rules_keep_real_introductions_and_letters(redactor):
    assert redact_one(redactor, "Dear Irene,\n\nThank you so much for your support.") == (
        f"Dear {placeholder('PERSON')},\n\nThank you so much for your support."
    )
    kept = "Best wishes,\n\nThe Ultra Kids Team"
    assert redact_one(redactor, kept) == kept
    start, end, cue = _cue("Best regards,\nMickael", "Mickael")
    assert not_a_person("Best regards,\nMickael", start, end, cue) is None


# --- cards ----------------------------------------------------------------------------


def test_card_needs_a_cue_or_an_issuer():
    assert card_issuer("4111 1111 1111 1111") == "visa" and card_issuer("3782 822463 10005") == "amex"
    assert card_issuer("5555-5555-5555-4444") == "mastercard" and card_issuer("6011111111111117") == "discover"
    assert card_issuer("3102024020766862") is None  # a coupon id that passes Luhn by chance
    coupon = "优惠id:3102024020766862\r2024年民生银行滨惠卡银卡达标礼"
    start = coupon.index("3102")
    assert not is_card_number(coupon, start, start + 16)
    text = "my credit card 3102024020766862"
    assert is_card_number(text, 15, 31)


def test_coupon_numbers_are_kept_and_real_cards_redacted(redactor):
    coupon = '{"coupon_id": "3102024020766862", "time": "2024-1-1 ~ 2024-12-31"}'
    assert redact_one(redactor, coupon) == coupon
    assert redact_one(redactor, "ref 4111111111111111 here") == f"ref {placeholder('CREDIT_CARD')} here"


# --- national IDs ------------------------------------------------------------------------


def test_gb11643_checksum():
    assert gb11643_check_character("11010519491231002") == "X"
    assert is_valid_cn_resident_id("11010519491231002X") and is_valid_cn_resident_id("11010519491231002x")
    assert not is_valid_cn_resident_id("110105194912310021")


VALID_IDS = [
    ("CN_RESIDENT_ID", "ID Number: 11010519491231002X", "ID Number: {}"),
    ("CN_RESIDENT_ID", "我的身份证号是11010519491231002X，谢谢", "我的身份证号是{}，谢谢"),
    ("US_SSN", "My SSN is 536-22-8714.", "My SSN is {}."),
    ("UK_NHS", "NHS number 943 476 5919", "NHS number {}"),
    ("ES_NIF", "Mi NIF es 12345678Z.", "Mi NIF es {}."),
    ("ES_NIE", "NIE X1234567L por favor", "NIE {} por favor"),
    ("IT_FISCAL_CODE", "codice fiscale RSSMRA85T10A562S grazie", "codice fiscale {} grazie"),
    ("PL_PESEL", "mój PESEL 44051401359", "mój PESEL {}"),
    ("AU_TFN", "TFN 123 456 782 attached", "TFN {} attached"),
    ("AU_ABN", "ABN 51 824 753 556", "ABN {}"),
    ("IN_AADHAAR", "Aadhaar 4991 1866 5246", "Aadhaar {}"),
    ("IN_PAN", "my PAN is ABCPE1234F", "my PAN is {}"),
    ("SG_NRIC_FIN", "NRIC S1234567D", "NRIC {}"),
    ("KR_RRN", "주민등록번호 900101-1234568", "주민등록번호 {}"),
]


@pytest.mark.parametrize(("entity_type", "text", "expected"), VALID_IDS)
def test_valid_national_ids_are_redacted(redactor, entity_type, text, expected):
    language = "English" if text.isascii() else "Chinese"
    assert redact_one(redactor, text, language) == expected.format(placeholder(entity_type))


INVALID_OR_UNCUED = [
    "ID Number: 110105194912310021",  # GB 11643 check character wrong
    "ID Number: 110105194913310028",  # month 13
    "NHS number 943 476 5918",  # mod-11 check fails
    "Mi NIF es 12345678A.",  # check letter wrong
    "codice fiscale RSSMRA85T10A562X",  # check letter wrong
    "mój PESEL 44051401358",  # check digit wrong
    "TFN 123 456 789 attached",  # checksum fails
    "Order 536-22-8714 shipped.",  # SSN-shaped but no cue
    "Ticket 943 476 5919 is open.",  # NHS-valid but no cue
    "Invoice 4991 1866 5246 paid",  # Verhoeff-valid but no cue
]


@pytest.mark.parametrize("text", INVALID_OR_UNCUED)
def test_invalid_or_uncued_national_ids_are_kept(redactor, text):
    assert redact_one(redactor, text) == text


def test_every_national_id_type_has_a_recognizer_and_a_priority():
    from wildchat_dagster.core.redaction.entities import entity_type_names
    from wildchat_dagster.core.redaction.recognizers import NATIONAL_ID_RECOGNIZERS

    assert set(NATIONAL_ID_RECOGNIZERS) == set(NATIONAL_ID_TYPES) and set(NATIONAL_ID_TYPES) <= set(entity_type_names())


def test_a_type_can_be_switched_off_in_the_resource(tmp_path):
    resource = PIIRedactor(
        entities=[t for t in RedactionPolicy().entities if t != "US_SSN"], tldextract_cache_dir=str(tmp_path)
    )
    redactor = resource.get_redactor()
    assert redact_one(redactor, "My SSN is 536-22-8714, NHS number 943 476 5919") == (
        f"My SSN is 536-22-8714, NHS number {placeholder('UK_NHS')}"
    )


# --- tldextract never fetches ---------------------------------------------------------------


def test_domain_check_is_offline_whatever_the_environment(tmp_path, monkeypatch):
    from wildchat_dagster.core.redaction.recognizers import offline_domain_extractor

    monkeypatch.setenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "http://127.0.0.1:9/public_suffix_list.dat")
    extractor = offline_domain_extractor(str(tmp_path))
    assert extractor.suffix_list_urls == ()
    result = extractor("d.okafor77@yahoo.co.uk")
    assert result.suffix == "co.uk" and result.fqdn == "yahoo.co.uk"


def test_prefilter_admits_national_ids_and_fast_path_equals_plain_loop(redactor):
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts, redact_texts_plain
    from wildchat_dagster.core.redaction.prefilter import Prefilter

    prefilter = Prefilter(redactor.policy)
    for entity_type, text, _ in VALID_IDS:
        assert entity_type in prefilter.possible_types(text, "en", True), text
    texts = [text for _, text, _ in VALID_IDS] + INVALID_OR_UNCUED + [
        "First Name: John        Last Name: Smith        Email: john1989@gmail.com",
        "Character Name: Zaelar Nyx\n\nRace: Tiefling\n\nClass: Warlock",
        '{"coupon_id": "3102024020766862"}',
        "Dear Irene,\n\nThank you.",
    ]
    items = [TextToRedact(f"c{i}", t, "English") for i, t in enumerate(texts)]
    fast, report = redact_texts(items, redactor)
    plain, _ = redact_texts_plain(items, redactor)
    assert fast == plain
    assert len(report.entities) >= 12


def test_fidelity_report_lists_replacements_and_counts_identifier_misses(redactor):
    from wildchat_dagster.kit.benchmarks.pii_fidelity import identifier_misses, replacements

    before = "Hi <PRESIDIO_ANONYMIZED_PERSON>, mail a.b@gmail.com or call"
    after = f"Hi <PRESIDIO_ANONYMIZED_PERSON>, mail {placeholder('EMAIL_ADDRESS')} or call"
    assert replacements(before, after, context=5) == [("EMAIL_ADDRESS", "mail [a.b@gmail.com] or c")]
    misses = identifier_misses(redactor, 2)
    assert misses["planted"] == 8 and misses["lookalikes"] == 6
    assert misses["planted_left"] == [] and misses["lookalikes_redacted"] == []
