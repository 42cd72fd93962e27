"""Cue words: what makes a digit run a phone number and a capitalised word a name.

WildChat kept a phone number only near a cue word and a name only right
after an introduction, salutation or sign-off; these tables and the regexes
built from them are that policy's vocabulary, per language.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from wildchat_dagster.core.redaction.names import NameCue

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


def _alternation(phrases: Iterable[str]) -> str:
    """Longest first, so 'best regards' wins over 'best'; spaces match any run of blanks."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in ordered)


PHONE_CUES = regex.compile(
    rf"(?i:(?<!\w)(?:{_alternation(PHONE_CUE_WORDS)})(?!\w)|(?<!\w)(?:{_alternation(PHONE_CUE_STEMS)}))"
    rf"|{_alternation(PHONE_CUE_CJK)}"
)


def person_cue_parts(language: str, split_intros: bool = False) -> list[str]:
    """The alternatives of `person_cue_regex`: an introduction, a salutation, two kinds of sign-off
    (with `split_intros`, one introduction part per phrase: the same matches, found faster alone).

    Cue phrases (the language's and English ones) end where a name may begin.
    For cased scripts the next character must be an upper-case letter, which
    drops the frequent 'I am a ...' and keeps the regex cheap to run everywhere.
    """
    codes = ["en"] if language == "en" else [language, "en"]

    def cues(table: dict[str, tuple[str, ...]]) -> list[str]:
        return [c for code in codes for c in table.get(code, ())]

    def phrase(phrases: list[str]) -> str:
        # Chinese and Japanese write no spaces: their cues are not whole words.
        spaced = [c for c in phrases if not _UNSPACED_SCRIPT.search(c)]
        unspaced = [c for c in phrases if _UNSPACED_SCRIPT.search(c)]
        alternatives = [rf"(?i:(?<!\w)(?:{_alternation(spaced)})(?!\w))"] if spaced else []
        alternatives += [f"(?:{_alternation(unspaced)})"] if unspaced else []
        return "(?:" + "|".join(alternatives) + ")"

    name_ahead = "" if language in UNCASED_LANGUAGES else r"(?=\p{Lu})"
    blank = r"[ \t]*"
    line_start = r"(?m:^)[ \t]*"
    next_line = r"[ \t]*[,!.\-–—]?(?:[ \t]*\r?\n){1,2}[ \t]*"
    intros = [[c] for c in dict.fromkeys(cues(PERSON_INTRO_CUES))] if split_intros else [cues(PERSON_INTRO_CUES)]
    return [
        *(rf"(?P<intro>{phrase(group)}){blank}(?:\r?\n{blank})?{name_ahead}" for group in intros),
        rf"{line_start}(?P<salutation>{phrase(cues(PERSON_SALUTATION_CUES))}){blank},?{blank}{name_ahead}",
        rf"{line_start}(?P<signoff>{phrase(cues(PERSON_SIGNOFF_CUES))}){next_line}{name_ahead}",
        rf"{line_start}(?P<signoff>{phrase(cues(PERSON_FORMAL_SIGNOFF_CUES))})(?:{next_line}|{blank},{blank}){name_ahead}",
    ]


def person_cue_regex(language: str) -> regex.Pattern:
    """Every person cue of a language (`person_cue_parts`), one group per kind of cue."""
    return regex.compile("|".join(person_cue_parts(language)))


_PERSON_CUES: dict[str, regex.Pattern] = {}
_PERSON_CUE_PARTS: dict[str, list[regex.Pattern]] = {}


def person_cues(language: str) -> regex.Pattern:
    if language not in _PERSON_CUES:
        _PERSON_CUES[language] = person_cue_regex(language)
    return _PERSON_CUES[language]


def has_person_cue(text: str, language: str) -> bool:
    """`person_cues(language).search(text) is not None`, a part at a time: `regex` tries the joint
    alternation at every position; a single phrase or a line start it finds faster."""
    if language not in _PERSON_CUE_PARTS:
        parts = person_cue_parts(language, split_intros=True)
        _PERSON_CUE_PARTS[language] = [regex.compile(part) for part in parts]
    return any(part.search(text) is not None for part in _PERSON_CUE_PARTS[language])


def name_cues(text: str, language: str) -> dict[int, NameCue]:
    """Offsets where a PERSON span must begin to be redacted (right after a cue or its honorific),
    with the cue: 'label' for a form field ("Name:"), else the cue's group."""
    cues = {}
    for m in person_cues(language).finditer(text):
        kind = m.lastgroup or "intro"
        cue_start, cue_end = m.span(kind)
        if kind == "intro" and text[cue_start:cue_end].rstrip().endswith((":", "：")):
            kind = "label"
        cue = NameCue(kind, cue_start, cue_end)
        cues[m.end()] = cue
        if h := HONORIFIC.match(text, m.end()):
            cues[h.end()] = cue
    return cues


def name_start_positions(text: str, language: str) -> set[int]:
    """Offsets where a PERSON span must begin to be redacted: right after a cue (or its honorific)."""
    return set(name_cues(text, language))
