"""The offline moderator's threshold, chosen from measured precision and recall.

Clean side: every English user and assistant turn of the real WildChat samples the package ships
(English per the project's own language stage: fastText lid.176 through `tag_languages`; WildChat marked
none of these conversations toxic). Toxic side: the hand-written English toxic chat lines the tests ship
(tests/moderation_toxic_messages.txt, read from the source checkout). Short family words and greetings
("mom" scores 0.728) are scored too: none may be flagged; and insults diluted in a long request (the
synthetic demo's planted turns: the bag-of-words model scores them low) must be flagged. Each threshold
is evaluated alone and with the short-turn rule (turns of at most PROFANITY_SHORT_TURN_WORDS words need
more than PROFANITY_SHORT_TURN_THRESHOLD). The chosen row is the highest threshold meeting every target:
at most 0.5% of the clean turns flagged, at least 90% of the toxic lines caught, no greeting flagged,
every diluted insult caught; the highest leaves the widest margin over clean text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wildchat_dagster.core.moderation.policy import (
    PROFANITY_SHORT_TURN_THRESHOLD,
    PROFANITY_SHORT_TURN_WORDS,
    PROFANITY_THRESHOLD,
    profanity_turn_threshold,
    word_count,
)
from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.kit.samples import REAL_WILDCHAT

TOXIC_LINES = Path(__file__).resolve().parents[3] / "tests" / "moderation_toxic_messages.txt"
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
MAX_CLEAN_FLAGGED = 0.005
MIN_TOXIC_CAUGHT = 0.9
GREETINGS = ("mom", "Mom!", "MOM", "mum", "mama", "mommy", "hi mom", "hey mom", "hello mom", "thanks mom",
             "love you mom", "my mom", "hi", "hello", "hey", "hey there", "hi there", "good morning", "good night",
             "thanks", "thank you", "ok", "lol", "yes", "no")
# The synthetic demo's planted toxic turns whose insult a longer request dilutes (0.706 and 0.846).
DILUTED = ("Stop being such a dumbass and answer the damn question. Can you write a SQL query that finds the top "
           "three customers by total order value? This is for a school project due next week.",
           "Stop being such a dumbass and answer the damn question. I need an outline for a presentation on social "
           "media and mental health. Write it in the style of a newspaper article. Please include a short "
           "introduction and a conclusion.")


@dataclass(frozen=True)
class Row:
    threshold: float
    short_turn_rule: bool
    toxic_caught: int
    toxic: int
    clean_flagged: int
    clean: int
    greetings_flagged: tuple[str, ...]
    diluted_caught: int
    diluted: int

    @property
    def recall(self) -> float:
        return self.toxic_caught / self.toxic

    @property
    def clean_rate(self) -> float:
        return self.clean_flagged / self.clean

    @property
    def meets_targets(self) -> bool:
        return (self.clean_rate <= MAX_CLEAN_FLAGGED and self.recall >= MIN_TOXIC_CAUGHT
                and not self.greetings_flagged and self.diluted_caught == self.diluted)


def real_turns(folder: Path = REAL_WILDCHAT) -> list[str]:
    """Every non-empty user and assistant turn of the shipped real WildChat samples."""
    texts = []
    for name in ("convotopo_wildchat1m_187_with_metadata.jsonl", "convotopo_wildchat1m_402_messages_model_only.jsonl"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            texts += [m["content"] for m in json.loads(line)["messages"] if m["content"].strip()]
    for line in (folder / "wildchat1m_fullschema_5rows.jsonl").read_text(encoding="utf-8").splitlines():
        texts += [u["content"] for u in json.loads(line)["conversation"] if u["content"].strip()]
    return texts


def english_turns(texts: Sequence[str]) -> list[str]:
    """The turns the language stage calls English: the only ones the English model ever scores."""
    from wildchat_dagster.core.language.detection import tag_languages
    from wildchat_dagster.resources.language_detector import LanguageDetector

    rows = [{"conversation": [{"role": "user", "content": text} for text in texts]}]
    tagged, _ = tag_languages(rows, LanguageDetector.from_defaults().predict)
    return [u["content"] for u in tagged[0]["conversation"] if u["language"] == "English"]


def toxic_lines(path: Path = TOXIC_LINES) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: the toxic test lines are read from a source checkout of wildchat-dagster")
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def evaluate(score: Callable[[list[str]], Sequence[float]], clean: list[str], toxic: list[str],
             thresholds: Sequence[float] = THRESHOLDS) -> list[Row]:
    """One row per threshold, without and with the short-turn rule: toxic lines caught, clean turns and
    greetings flagged, diluted insults caught (flagged: score above the turn's threshold)."""
    sides = {"clean": clean, "toxic": toxic, "greetings": list(GREETINGS), "diluted": list(DILUTED)}
    scored = {name: list(zip(texts, score(texts), strict=True)) for name, texts in sides.items()}

    def flagged(name: str, threshold: float, rule: bool) -> list[str]:
        return [
            text for text, s in scored[name] if s > (profanity_turn_threshold(text, threshold) if rule else threshold)
        ]

    return [Row(t, rule, len(flagged("toxic", t, rule)), len(toxic), len(flagged("clean", t, rule)), len(clean),
                tuple(flagged("greetings", t, rule)), len(flagged("diluted", t, rule)), len(DILUTED))
            for t in thresholds for rule in (False, True)]


def choose(rows: Sequence[Row]) -> Row | None:
    """The highest threshold meeting every target (the widest margin over clean text), the rule
    preferred on a tie; None when none does."""
    return max((row for row in rows if row.meets_targets), key=lambda r: (r.threshold, r.short_turn_rule), default=None)


def short_turn_margin(score: Callable[[list[str]], Sequence[float]], clean: list[str], toxic: list[str]) -> str:
    """The evidence for the short-turn rule: the highest clean short turn against the lowest toxic one."""
    short = lambda texts: [t for t in texts if word_count(t) <= PROFANITY_SHORT_TURN_WORDS]  # noqa: E731
    calm, rude = short(list(clean) + list(GREETINGS)), short(toxic)
    top = max(zip(score(calm), calm, strict=True))
    low = min(zip(score(rude), rude, strict=True))
    return (f"turns of <= {PROFANITY_SHORT_TURN_WORDS} words: highest clean or greeting {top[0]:.3f} ({top[1]!r}), "
            f"lowest toxic {low[0]:.3f} ({low[1]!r}) of {len(rude)}; "
            f"short-turn threshold {PROFANITY_SHORT_TURN_THRESHOLD}")


def markdown(rows: Sequence[Row]) -> str:
    return markdown_table(
        ["threshold", "short-turn rule", "toxic lines caught", "clean English turns flagged", "greetings flagged",
         "diluted insults caught", "meets targets"],
        [
            [
                f"{r.threshold:g}",
                "yes" if r.short_turn_rule else "no",
                f"{r.toxic_caught}/{r.toxic} ({r.recall:.0%})",
                f"{r.clean_flagged}/{r.clean} ({r.clean_rate:.2%})",
                ", ".join(repr(g) for g in r.greetings_flagged) or "none",
                f"{r.diluted_caught}/{r.diluted}",
                "yes" if r.meets_targets else "no",
            ]
            for r in rows
        ],
        numeric=[False] * 7,
    )


def profanity_scores(texts: list[str]) -> list[float]:
    from profanity_check import predict_prob

    return [float(p) for p in predict_prob(texts)] if texts else []


def run(size: int) -> dict:
    """Print the table behind PROFANITY_THRESHOLD and its short-turn rule; `size` caps the clean turns
    (all by default)."""
    clean, toxic = english_turns(real_turns())[:size], toxic_lines()
    rows = evaluate(profanity_scores, clean, toxic)
    chosen = choose(rows)
    print(f"alt-profanity-check on {len(clean):,} real English WildChat turns (clean) and "
          f"{len(toxic)} toxic lines; targets: <= {MAX_CLEAN_FLAGGED:.1%} clean flagged, "
          f">= {MIN_TOXIC_CAUGHT:.0%} toxic caught, no greeting flagged, every diluted insult caught")
    print(short_turn_margin(profanity_scores, clean, toxic))
    print(markdown(rows))
    said = f"{chosen.threshold} short-turn rule {chosen.short_turn_rule}" if chosen else "none meets the targets"
    print(f"chosen: {said}"
          f"; in force: {PROFANITY_THRESHOLD} with the short-turn rule")
    return {"chosen": chosen.threshold if chosen else None,
            "chosen_short_turn_rule": chosen.short_turn_rule if chosen else None, "in_force": PROFANITY_THRESHOLD,
            "rows": [vars(r) | {"recall": r.recall, "clean_rate": r.clean_rate} for r in rows]}
