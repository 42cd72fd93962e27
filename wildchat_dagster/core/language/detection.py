"""Language of every utterance and conversation, with WildChat's English names.

fastText's lid.176 reads one line and is misled by code, URLs and very long
inputs, so each text is first reduced to a bounded, single-line sample of its
prose. Its top candidates are then checked against the scripts actually
written (a two-character Chinese reply must not come back "English"). The
conversation's language is its most frequent turn language, as in WildChat.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from wildchat_dagster.schema import LANGUAGE_TAGGED_CONVERSATIONS, LANGUAGE_UTTERANCE_FIELDS

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
_LETTER = re.compile(r"[^\W\d_]")
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


# --- samples ----------------------------------------------------------------------

# fastText's answer is settled long before this: on 4,800 real WildChat texts,
# samples of 1,500 and 3,000 characters give the same language for 99.98 %,
# at half the cost.
MAX_SAMPLE_CHARS = 1500
_MAX_RAW_CHARS = 12000  # long pastes are cut before any regex runs over them

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_CODE_LINE = re.compile(
    r"""
    [;{}]\s*$                                    # statement or block ends
    | ^\s*(?:\#include|\#define|\#!|//|/\*|\*/|<\?|<!--|</?[A-Za-z][\w-]*[\s>/])
    | ^\s*(?:import\s+[\w.]+|from\s+[\w.]+\s+import|def\s+\w+\s*\(|class\s+\w+\s*[:(]
         |function\b|(?:const|let|var)\s+\w+\s*=|return\b|print\(|console\.|System\.|std::)
    | ^\s*[\w.\[\]'"]+\s*[-+*/]?=\s*[^=\s]        # assignment
    | \)\s*:\s*$                                 # python block header
    """,
    re.X,
)
_SYMBOL = re.compile(r"[^\w\s]")
# Only text holding one of these can have a line that _CODE_LINE flags, so
# plain prose (and Markdown) skips the line-by-line check.
_CODE_HINT = re.compile(
    r"[;{}=<>]|/[/*]|\*/|\#(?:include|define|!)|::|\)\s*:\s*$"
    r"|^\s*(?:import|from|def|class|return|function|print|console|System)\b",
    re.M,
)


def _looks_like_code(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _CODE_LINE.search(line):
        return True
    # Mostly symbols: separators, tables, minified code, emoticon walls.
    letters_and_symbols = stripped.replace(" ", "")
    return len(letters_and_symbols) >= 8 and len(_SYMBOL.findall(stripped)) >= 0.3 * len(letters_and_symbols)


def _head_middle_tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    part = (limit - 2) // 3  # two separators
    middle = (len(text) - part) // 2
    return "\n".join((text[:part], text[middle : middle + part], text[-part:]))


def prose_of(text: str) -> tuple[str, bool]:
    """The text without code blocks, code-like lines, URLs and e-mail addresses,
    and whether any code was left out."""
    fenced = inline = 0
    if "`" in text or "~~~" in text:
        text, fenced = _FENCED_CODE.subn("\n", text)
        text, inline = _INLINE_CODE.subn(" ", text)
    # The membership tests skip a regex pass over most texts.
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if not _CODE_HINT.search(text):
        return text, bool(fenced or inline)
    lines = text.split("\n")
    kept = [line for line in lines if not _looks_like_code(line)]
    return "\n".join(kept), bool(fenced or inline or len(kept) < len(lines))


def prediction_sample(text: str | None) -> tuple[str | None, bool]:
    """A single-line sample of at most MAX_SAMPLE_CHARS characters to predict on, and
    whether code was left out; (None, False) when there is nothing to identify
    (empty, whitespace, or not one letter).
    When nothing but code remains, the code itself is the sample."""
    if text is None or not _LETTER.search(text):
        return None, False
    raw = _head_middle_tail(text, _MAX_RAW_CHARS)
    prose, code_removed = prose_of(raw)
    if _LETTER.search(prose):
        raw = prose
    else:
        code_removed = False
    sample = " ".join(raw.split())
    return _head_middle_tail(sample, MAX_SAMPLE_CHARS).replace("\n", " "), code_removed


# --- conversations ------------------------------------------------------------------

_UTTERANCE_NAMES = [name for name, _ in LANGUAGE_UTTERANCE_FIELDS]
_ROW_NAMES = LANGUAGE_TAGGED_CONVERSATIONS.names

Predict = Callable[[list[str]], list[list[tuple[str, float]]]]


def language_name(code: str) -> str:
    """WildChat's name for a lid.176 code; a code outside the table (another
    model's label) is kept as it is rather than guessed."""
    return LANGUAGE_NAMES.get(code, code)


def conversation_language(utterances: list[dict]) -> str:
    """Most frequent turn language, Nolang ignored unless every turn is Nolang.
    Ties: the language of more user turns, then the earliest."""
    counts: dict[str, list[int]] = {}  # language -> [turns, user turns, -first index]
    for i, u in enumerate(utterances):
        language = u["language"]
        if language == NOLANG:
            continue
        entry = counts.get(language)
        if entry is None:
            entry = counts[language] = [0, 0, -i]
        entry[0] += 1
        entry[1] += u.get("role") == "user"
    if not counts:
        return NOLANG
    return max(counts, key=counts.__getitem__)


def tag_languages(
    rows: Iterable[dict],
    predict: Predict,
    batch_size: int = 4096,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[dict], dict]:
    """GEOTAGGED_CONVERSATIONS rows -> LANGUAGE_TAGGED_CONVERSATIONS rows, and counts.

    `predict(samples)` returns, per sample, the model's candidates as
    (ISO code, probability), best first. Identical samples are predicted once.
    `progress(done, total)` is called after each batch of samples.
    """
    rows = list(rows)
    samples: list[list[str | None]] = []
    distinct: dict[str, str | None] = {}
    code_stripped = 0
    for row in rows:
        per_turn = []
        for u in row["conversation"] or []:
            sample, stripped = prediction_sample(u.get("content"))
            code_stripped += stripped
            per_turn.append(sample)
            if sample is not None:
                distinct.setdefault(sample, None)
        samples.append(per_turn)

    pending = list(distinct)
    script_overrides = 0
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        for sample, candidates in zip(batch, predict(batch), strict=True):
            code = choose_language(sample, candidates)
            script_overrides += code != candidates[0][0]
            distinct[sample] = code
        if progress:
            progress(start + len(batch), len(pending))

    languages: Counter = Counter()
    conversation_languages: Counter = Counter()
    unmapped: Counter = Counter()
    out = []
    for row, per_turn in zip(rows, samples, strict=True):
        conversation = []
        for u, sample in zip(row["conversation"] or [], per_turn, strict=True):
            tagged = {name: u.get(name) for name in _UTTERANCE_NAMES}
            if sample is None:
                tagged["language"] = NOLANG
            else:
                code = distinct[sample]
                tagged["language"] = language_name(code)
                if code not in LANGUAGE_NAMES:
                    unmapped[code] += 1
            languages[tagged["language"]] += 1
            conversation.append(tagged)
        tagged_row = {name: row.get(name) for name in _ROW_NAMES}
        tagged_row.update(conversation=conversation, language=conversation_language(conversation))
        conversation_languages[tagged_row["language"]] += 1
        out.append(tagged_row)

    counts = {
        "conversations": len(out),
        "utterances": sum(languages.values()),
        "nolang_utterances": languages[NOLANG],
        "distinct_samples_predicted": len(distinct),
        "code_stripped_utterances": code_stripped,
        "script_overrides": script_overrides,
        "languages": dict(languages.most_common()),
        "conversation_languages": dict(conversation_languages.most_common()),
        "unmapped_codes": dict(unmapped),
    }
    return out, counts
