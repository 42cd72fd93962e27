"""The Presidio recognizers that propose candidates for the policy, one list per analysis language."""

from __future__ import annotations

from wildchat_dagster.core.redaction import presidio_import  # noqa: F401  (first: see there)

# isort: split
import tldextract
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    AuAbnRecognizer,
    AuTfnRecognizer,
    EmailRecognizer,
    EsNieRecognizer,
    EsNifRecognizer,
    InAadhaarRecognizer,
    InPanRecognizer,
    ItFiscalCodeRecognizer,
    KrRrnRecognizer,
    NhsRecognizer,
    PlPeselRecognizer,
    SgFinRecognizer,
    UsSsnRecognizer,
)

from wildchat_dagster.core.redaction.entities import RecognizerSetup
from wildchat_dagster.core.redaction.identifiers import CN_RESIDENT_ID_PATTERN, is_valid_cn_resident_id
from wildchat_dagster.core.redaction.policy import RedactionPolicy, profile_url_regex
from wildchat_dagster.core.redaction.secrets import SecretKind, looks_like_placeholder

# Presidio's e-mail regex bounds addresses with \b and Unicode \w, so in Chinese or Japanese
# text it swallows the words around an address ("我的邮箱是a@b.com") or, with a character
# after the TLD ("a@yahoo.co.jpです"), fails tldextract's check and loses the address. This one
# is bounded by the ASCII characters an address can hold (its tldextract check is kept).
EMAIL_REGEX = (
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9\-])"
)


def offline_domain_extractor(cache_dir: str | None = None) -> tldextract.TLDExtract:
    """tldextract on the public-suffix snapshot it ships: no URLs, so it never fetches, whatever
    the environment says (its module-level extractor would fetch over HTTP on first use)."""
    return tldextract.TLDExtract(cache_dir=cache_dir, suffix_list_urls=(), fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer with our regex and an explicitly offline domain check."""

    def __init__(self, supported_language: str, extractor: tldextract.TLDExtract):
        super().__init__(supported_language=supported_language, patterns=[Pattern("Email (ASCII)", EMAIL_REGEX, 0.5)])
        self.extractor = extractor

    def validate_result(self, pattern_text: str) -> bool:
        return self.extractor(pattern_text).fqdn != ""


class SecretRecognizer(PatternRecognizer):
    """One secret kind; documentation placeholders are not reported."""

    def __init__(self, kind: SecretKind, supported_language: str):
        self.kind = kind
        super().__init__(
            supported_entity="SECRET",
            name=f"secret:{kind.name}",
            supported_language=supported_language,
            patterns=[Pattern(kind.name, kind.regex, 1.0)],
            global_regex_flags=0,  # the patterns carry their own case rules
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        return looks_like_placeholder(pattern_text, self.kind)


class CnResidentIdRecognizer(PatternRecognizer):
    """Chinese resident identity card number (GB 11643-1999): region, birth date, sequence, check."""

    def __init__(self, supported_language: str):
        super().__init__(
            supported_entity="CN_RESIDENT_ID",
            name="CnResidentIdRecognizer",
            supported_language=supported_language,
            patterns=[Pattern("GB 11643 resident ID", CN_RESIDENT_ID_PATTERN, 0.5)],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_cn_resident_id(pattern_text)


class ChecksumRequired:
    """Mixin: a match whose checksum Presidio does not confirm (None) is dropped, not kept at a lower score."""

    def validate_result(self, pattern_text: str) -> bool:
        return bool(super().validate_result(pattern_text))


def _checksum_required(recognizer: type) -> type:
    return type(f"Checked{recognizer.__name__}", (ChecksumRequired, recognizer), {})


# Presidio's recognizers (checksum-validating where the number has a checksum), ours where it has none.
NATIONAL_ID_RECOGNIZERS = {
    "CN_RESIDENT_ID": CnResidentIdRecognizer,
    "IT_FISCAL_CODE": _checksum_required(ItFiscalCodeRecognizer),
    "ES_NIF": _checksum_required(EsNifRecognizer),
    "ES_NIE": _checksum_required(EsNieRecognizer),
    "KR_RRN": KrRrnRecognizer,  # numbers issued since 2020 carry no check digit: Presidio keeps them
    "PL_PESEL": _checksum_required(PlPeselRecognizer),
    "UK_NHS": _checksum_required(NhsRecognizer),
    "AU_TFN": _checksum_required(AuTfnRecognizer),
    "AU_ABN": _checksum_required(AuAbnRecognizer),
    "IN_AADHAAR": _checksum_required(InAadhaarRecognizer),
    "US_SSN": UsSsnRecognizer,
    "IN_PAN": InPanRecognizer,
    "SG_NRIC_FIN": SgFinRecognizer,
}


def profile_url_recognizer(prefixes: tuple[str, ...], language: str) -> PatternRecognizer:
    pattern = Pattern("profile url", profile_url_regex(prefixes), 0.9)
    return PatternRecognizer("URL", name="ProfileUrlRecognizer", supported_language=language, patterns=[pattern])


def build_recognizers(
    policy: RedactionPolicy, language: str, with_ner: bool, extractor: tldextract.TLDExtract
) -> list:
    """The recognizers for the policy's entity types in one analysis language (NER-proposed
    types only where the language has a model)."""
    setup = RecognizerSetup(policy, language, extractor)
    return [r for entry in policy.types if with_ner or not entry.needs_ner for r in entry.recognizers(setup)]
