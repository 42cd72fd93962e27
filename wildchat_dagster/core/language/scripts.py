"""Which languages a text can be in: WildChat's names for lid.176's labels, and the scripts each is written in.

fastText's top candidates are checked against the scripts actually written, so a
two-character Chinese reply does not come back "English".
"""

from __future__ import annotations

import re
from collections import Counter

# WildChat's label for empty or whitespace-only content; also given to content
# without a single letter (digits, punctuation), which names no language.
NOLANG = "Nolang"

# Every label of fastText's lid.176, with the English names WildChat uses.
# Where WildChat (whose names come from lingua) has a spelling of its own
# ("Slovene", "Bokmal", "Nynorsk"), it is kept so counts compare with WildChat's.
LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "als": "Alemannic", "am": "Amharic", "an": "Aragonese",
    "ar": "Arabic", "arz": "Egyptian Arabic", "as": "Assamese", "ast": "Asturian",
    "av": "Avaric", "az": "Azerbaijani", "azb": "South Azerbaijani", "ba": "Bashkir",
    "bar": "Bavarian", "bcl": "Central Bikol", "be": "Belarusian", "bg": "Bulgarian",
    "bh": "Bihari", "bn": "Bengali", "bo": "Tibetan", "bpy": "Bishnupriya",
    "br": "Breton", "bs": "Bosnian", "bxr": "Buriat", "ca": "Catalan",
    "cbk": "Chavacano", "ce": "Chechen", "ceb": "Cebuano", "ckb": "Central Kurdish",
    "co": "Corsican", "cs": "Czech", "cv": "Chuvash", "cy": "Welsh",
    "da": "Danish", "de": "German", "diq": "Zazaki", "dsb": "Lower Sorbian",
    "dty": "Doteli", "dv": "Divehi", "el": "Greek", "eml": "Emilian-Romagnol",
    "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "frr": "Northern Frisian", "fy": "Western Frisian", "ga": "Irish", "gd": "Scottish Gaelic",
    "gl": "Galician", "gn": "Guarani", "gom": "Goan Konkani", "gu": "Gujarati",
    "gv": "Manx", "he": "Hebrew", "hi": "Hindi", "hif": "Fiji Hindi",
    "hr": "Croatian", "hsb": "Upper Sorbian", "ht": "Haitian Creole", "hu": "Hungarian",
    "hy": "Armenian", "ia": "Interlingua", "id": "Indonesian", "ie": "Interlingue",
    "ilo": "Iloko", "io": "Ido", "is": "Icelandic", "it": "Italian",
    "ja": "Japanese", "jbo": "Lojban", "jv": "Javanese", "ka": "Georgian",
    "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean",
    "krc": "Karachay-Balkar", "ku": "Kurdish", "kv": "Komi", "kw": "Cornish",
    "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lez": "Lezghian",
    "li": "Limburgish", "lmo": "Lombard", "lo": "Lao", "lrc": "Northern Luri",
    "lt": "Lithuanian", "lv": "Latvian", "mai": "Maithili", "mg": "Malagasy",
    "mhr": "Eastern Mari", "min": "Minangkabau", "mk": "Macedonian", "ml": "Malayalam",
    "mn": "Mongolian", "mr": "Marathi", "mrj": "Western Mari", "ms": "Malay",
    "mt": "Maltese", "mwl": "Mirandese", "my": "Burmese", "myv": "Erzya",
    "mzn": "Mazanderani", "nah": "Nahuatl", "nap": "Neapolitan", "nds": "Low German",
    "ne": "Nepali", "new": "Newari", "nl": "Dutch", "nn": "Nynorsk",
    "no": "Bokmal", "oc": "Occitan", "or": "Odia", "os": "Ossetian",
    "pa": "Punjabi", "pam": "Pampanga", "pfl": "Palatine German", "pl": "Polish",
    "pms": "Piedmontese", "pnb": "Western Punjabi", "ps": "Pashto", "pt": "Portuguese",
    "qu": "Quechua", "rm": "Romansh", "ro": "Romanian", "ru": "Russian",
    "rue": "Rusyn", "sa": "Sanskrit", "sah": "Sakha", "sc": "Sardinian",
    "scn": "Sicilian", "sco": "Scots", "sd": "Sindhi", "sh": "Serbo-Croatian",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovene", "so": "Somali",
    "sq": "Albanian", "sr": "Serbian", "su": "Sundanese", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik",
    "th": "Thai", "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish",
    "tt": "Tatar", "tyv": "Tuvinian", "ug": "Uyghur", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "vec": "Venetian", "vep": "Veps",
    "vi": "Vietnamese", "vls": "West Flemish", "vo": "Volapük", "wa": "Walloon",
    "war": "Waray", "wuu": "Wu Chinese", "xal": "Kalmyk", "xmf": "Mingrelian",
    "yi": "Yiddish", "yo": "Yoruba", "yue": "Cantonese", "zh": "Chinese",
}  # fmt: skip

# --- scripts --------------------------------------------------------------------

_SCRIPT_CHARS = {
    "Latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "Cyrillic": "\u0400-\u052f",
    "Greek": "\u0370-\u03ff\u1f00-\u1fff",
    "Armenian": "\u0530-\u058f",
    "Hebrew": "\u0590-\u05ff",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "Thaana": "\u0780-\u07bf",
    "Devanagari": "\u0900-\u097f",
    "Bengali": "\u0980-\u09ff",
    "Gurmukhi": "\u0a00-\u0a7f",
    "Gujarati": "\u0a80-\u0aff",
    "Oriya": "\u0b00-\u0b7f",
    "Tamil": "\u0b80-\u0bff",
    "Telugu": "\u0c00-\u0c7f",
    "Kannada": "\u0c80-\u0cff",
    "Malayalam": "\u0d00-\u0d7f",
    "Sinhala": "\u0d80-\u0dff",
    "Thai": "\u0e00-\u0e7f",
    "Lao": "\u0e80-\u0eff",
    "Tibetan": "\u0f00-\u0fff",
    "Myanmar": "\u1000-\u109f",
    "Georgian": "\u10a0-\u10ff",
    "Hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
    "Ethiopic": "\u1200-\u139f",
    "Khmer": "\u1780-\u17ff",
    "Kana": "\u3040-\u30ff\u31f0-\u31ff",
    "Han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
}
_SCRIPT_PATTERNS = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPT_CHARS.items()}
_ANY_SCRIPT_RUN = re.compile("|".join(f"(?P<{n}>[{c}]+)" for n, c in _SCRIPT_CHARS.items()))
# Per script, any character of the others (the ranges do not overlap): one scan.
_OTHER_SCRIPTS = {
    name: re.compile("[" + "".join(c for other, c in _SCRIPT_CHARS.items() if other != name) + "]")
    for name in _SCRIPT_CHARS
}
LETTER = re.compile(r"[^\W\d_]")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_CJK = re.compile(f"[{_SCRIPT_CHARS['Han']}{_SCRIPT_CHARS['Kana']}{_SCRIPT_CHARS['Hangul']}]")
# A Han, kana or Hangul character carries about a word; a Latin letter a fifth of one.
_CJK_WEIGHT = 3

# Scripts each language is written in; every other lid.176 language is Latin-script.
_NON_LATIN = {
    "Cyrillic": "ru uk be bg mk sr kk ky tg tt ba cv ce av krc kv lez mhr mrj myv os sah tyv xal mn bxr rue",
    "Arabic": "ar arz fa ur ps ckb azb mzn lrc pnb sd ug",
    "Hebrew": "he yi",
    "Greek": "el",
    "Armenian": "hy",
    "Georgian": "ka xmf",
    "Devanagari": "hi mr ne sa mai new bh dty gom",
    "Bengali": "bn as bpy",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Oriya": "or",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Thai": "th",
    "Lao": "lo",
    "Tibetan": "bo",
    "Myanmar": "my",
    "Ethiopic": "am",
    "Khmer": "km",
    "Thaana": "dv",
    "Han": "zh wuu yue",
}
LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {code: ("Latin",) for code in LANGUAGE_NAMES}
for _script, _codes in _NON_LATIN.items():
    for _code in _codes.split():
        LANGUAGE_SCRIPTS[_code] = (_script,)
LANGUAGE_SCRIPTS["ja"] = ("Han", "Kana")
LANGUAGE_SCRIPTS["ko"] = ("Hangul", "Han")

# The language to fall back on when the model proposes none in the text's script.
_SCRIPT_DEFAULT = {"Latin": "en", "Kana": "ja", "Hangul": "ko"} | {
    script: codes.split()[0] for script, codes in _NON_LATIN.items()
}
_MIN_SCRIPT_SHARE = 0.25  # of the (weighted) letters, for a candidate to be plausible
_CONFIDENT = 0.8  # a top candidate this probable needs only to find its script in the text
_KANA_SHARE = 0.2  # of Han + kana characters: Japanese prose has far more, Chinese quoting kana less


def _weighted_letters(sample: str) -> int:
    return len(_NOT_LETTERS.sub("", sample)) + (_CJK_WEIGHT - 1) * _CJK.subn("", sample)[1]


def _script_share(sample: str, code: str, total: int) -> float:
    scripts = LANGUAGE_SCRIPTS.get(code, ("Latin",))
    n = 0
    for script in scripts:
        count = _SCRIPT_PATTERNS[script].subn("", sample)[1]
        n += count * (_CJK_WEIGHT if script in ("Han", "Kana", "Hangul") else 1)
    return n / total if total else 0.0


def dominant_script(sample: str) -> str | None:
    weights: Counter = Counter()
    for run in _ANY_SCRIPT_RUN.finditer(sample):
        script = run.lastgroup
        weights[script] += len(run.group()) * (_CJK_WEIGHT if script in ("Han", "Kana", "Hangul") else 1)
    if weights["Kana"] and weights["Han"]:  # kanji with enough kana is Japanese, else Chinese
        if weights["Kana"] >= _KANA_SHARE * (weights["Kana"] + weights["Han"]):
            weights["Kana"] += weights.pop("Han")
        else:
            weights["Han"] += weights.pop("Kana")
    return weights.most_common(1)[0][0] if weights else None


def single_script(sample: str) -> bool:
    """Whether the sample's letters are written in at most one script (ASCII is Latin)."""
    if sample.isascii():
        return True
    first = _ANY_SCRIPT_RUN.search(sample)
    return first is None or not _OTHER_SCRIPTS[first.lastgroup].search(sample)


def _japanese_if_kana(code: str, sample: str) -> str:
    """Han text with a real share of kana is Japanese (Chinese quotes kana, rarely
    writes it); lid.176.ftz sometimes says Chinese for kanji-heavy Japanese."""
    if LANGUAGE_SCRIPTS.get(code) != ("Han",):
        return code
    kana = _SCRIPT_PATTERNS["Kana"].subn("", sample)[1]
    if not kana:
        return code
    han = _SCRIPT_PATTERNS["Han"].subn("", sample)[1]
    return "ja" if kana >= _KANA_SHARE * (kana + han) else code


def choose_language(sample: str, candidates: list[tuple[str, float]]) -> str:
    """The first candidate (best first) written in a script the sample actually uses
    enough; else the most likely language of the sample's dominant script."""
    if not candidates:
        raise ValueError("the language model returned no candidate")
    if sample.isascii():  # the common case: no need to count scripts
        return next((c for c, _ in candidates if LANGUAGE_SCRIPTS.get(c) == ("Latin",)), candidates[0][0])
    top, probability = candidates[0]
    scripts = LANGUAGE_SCRIPTS.get(top, ("Latin",))
    if probability >= _CONFIDENT and any(_SCRIPT_PATTERNS[s].search(sample) for s in scripts):
        return _japanese_if_kana(top, sample)
    total = _weighted_letters(sample)
    for code, _ in candidates:
        if _script_share(sample, code, total) >= _MIN_SCRIPT_SHARE:
            return _japanese_if_kana(code, sample)
    script = dominant_script(sample)
    if script is None:
        return candidates[0][0]
    for code, _ in candidates:
        if script in LANGUAGE_SCRIPTS.get(code, ()):
            return code
    return _SCRIPT_DEFAULT.get(script, candidates[0][0])
