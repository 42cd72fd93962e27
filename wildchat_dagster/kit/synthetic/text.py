"""Text banks for the synthetic raw logs: natural sentences per language.

Messages are assembled from these sentences so that a language identifier
(fastText lid.176) recognises every turn, and so that nothing outside the
planted values looks like personal data: no names after cue words, no
phone-like digit runs, no addresses. Shares and countries follow WildChat-1M
(Zhao et al., 2024, Tables 3 and 5) closely enough for demos and tests.

The banks live in banks_*.py, the shared templates in templates.py; this module
gathers them under one name (`text.ENGLISH`, `text.LANGUAGES`, `text.CODE_BLOCKS`...).
"""

from __future__ import annotations

from wildchat_dagster.kit.synthetic.banks_chinese_russian import CHINESE, RUSSIAN
from wildchat_dagster.kit.synthetic.banks_english import ENGLISH
from wildchat_dagster.kit.synthetic.banks_european import FRENCH, GERMAN, ITALIAN, POLISH, PORTUGUESE, SPANISH
from wildchat_dagster.kit.synthetic.banks_other import (
    ARABIC,
    INDONESIAN,
    JAPANESE,
    KOREAN,
    PERSIAN,
    TURKISH,
    VIETNAMESE,
)
from wildchat_dagster.kit.synthetic.language_bank import LanguageBank
from wildchat_dagster.kit.synthetic.templates import (
    CARD_TEMPLATES,
    CODE_ANSWERS,
    CODE_BLOCKS,
    CODE_FOLLOWUPS,
    CODE_FOOTER,
    CODE_HEADER,
    CODE_INTROS,
    COUNTRY_OFFSETS_MINUTES,
    FIRST_NAMES,
    IP_TEMPLATES,
    LAST_NAMES,
    LOOKALIKE_TEMPLATES,
    PERSON_TEMPLATES,
    URL_TEMPLATES,
    USER_AGENTS,
)

LANGUAGES: tuple[LanguageBank, ...] = (
    ENGLISH, CHINESE, RUSSIAN, FRENCH, SPANISH, PORTUGUESE, GERMAN, ARABIC,
    ITALIAN, TURKISH, JAPANESE, KOREAN, VIETNAMESE, POLISH, INDONESIAN, PERSIAN,
)

__all__ = [
    "LanguageBank",
    "LANGUAGES",
    "ENGLISH",
    "CHINESE",
    "RUSSIAN",
    "FRENCH",
    "SPANISH",
    "PORTUGUESE",
    "GERMAN",
    "ARABIC",
    "ITALIAN",
    "TURKISH",
    "JAPANESE",
    "KOREAN",
    "VIETNAMESE",
    "POLISH",
    "INDONESIAN",
    "PERSIAN",
    "FIRST_NAMES",
    "LAST_NAMES",
    "PERSON_TEMPLATES",
    "CARD_TEMPLATES",
    "IP_TEMPLATES",
    "URL_TEMPLATES",
    "LOOKALIKE_TEMPLATES",
    "CODE_INTROS",
    "CODE_FOLLOWUPS",
    "CODE_ANSWERS",
    "CODE_BLOCKS",
    "CODE_HEADER",
    "CODE_FOOTER",
    "USER_AGENTS",
    "COUNTRY_OFFSETS_MINUTES",
]
