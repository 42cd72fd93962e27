"""The offline moderator's threshold, chosen from measured precision and recall.

Clean side: every English user and assistant turn of the real WildChat samples the package ships
(English per the project's own language stage: fastText lid.176 through `tag_languages`; WildChat marked
none of these conversations toxic). Toxic side: the hand-written English toxic chat lines the tests ship
(tests/moderation_toxic_messages.txt, read from the source checkout). Short family words and greetings
("mom" scored 0.728 at the old 0.7) are scored too: none may be flagged. The chosen threshold is the
lowest of the grid that flags at most 0.5% of the clean turns, catches at least 90% of the toxic lines
and flags no greeting: the most recall the targets allow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.kit.samples import REAL_WILDCHAT

TOXIC_LINES = Path(__file__).resolve().parents[3] / "tests" / "moderation_toxic_messages.txt"
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
MAX_CLEAN_FLAGGED = 0.005
MIN_TOXIC_CAUGHT = 0.9
GREETINGS = ("mom", "Mom!", "MOM", "mum", "mama", "mommy", "hi mom", "hey mom", "hello mom", "thanks mom",
             "love you mom", "my mom", "hi", "hello", "hey", "hey there", "hi there", "good morning", "good night",
             "thanks", "thank you", "ok", "lol", "yes", "no")


@dataclass(frozen=True)
class Row:
    threshold: float
    toxic_caught: int
    toxic: int
    clean_flagged: int
    clean: int
    greetings_flagged: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.toxic_caught / self.toxic

    @property
    def clean_rate(self) -> float:
        return self.clean_flagged / self.clean

    @property
    def meets_targets(self) -> bool:
        return self.clean_rate <= MAX_CLEAN_FLAGGED and self.recall >= MIN_TOXIC_CAUGHT and not self.greetings_flagged


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
    """One row per threshold: toxic lines caught, clean turns and greetings flagged (score > threshold)."""
    clean_scores, toxic_scores, greeting_scores = score(clean), score(toxic), score(list(GREETINGS))
    return [Row(t, sum(s > t for s in toxic_scores), len(toxic), sum(s > t for s in clean_scores), len(clean),
                tuple(g for g, s in zip(GREETINGS, greeting_scores, strict=True) if s > t)) for t in thresholds]


def choose(rows: Sequence[Row]) -> Row | None:
    """The lowest threshold meeting every target (the most recall), None when none does."""
    return next((row for row in sorted(rows, key=lambda r: r.threshold) if row.meets_targets), None)


def markdown(rows: Sequence[Row]) -> str:
    return markdown_table(
        ["threshold", "toxic lines caught", "clean English turns flagged", "greetings flagged", "meets targets"],
        [
            [
                f"{r.threshold:g}",
                f"{r.toxic_caught}/{r.toxic} ({r.recall:.0%})",
                f"{r.clean_flagged}/{r.clean} ({r.clean_rate:.2%})",
                ", ".join(repr(g) for g in r.greetings_flagged) or "none",
                "yes" if r.meets_targets else "no",
            ]
            for r in rows
        ],
        numeric=[False] * 5,
    )


def profanity_scores(texts: list[str]) -> list[float]:
    from profanity_check import predict_prob

    return [float(p) for p in predict_prob(texts)] if texts else []


def run(size: int) -> dict:
    """Print the table behind PROFANITY_THRESHOLD; `size` caps the clean turns (all by default)."""
    from wildchat_dagster.core.moderation.policy import PROFANITY_THRESHOLD

    clean = english_turns(real_turns())[:size]
    rows = evaluate(profanity_scores, clean, toxic_lines())
    chosen = choose(rows)
    print(f"alt-profanity-check on {len(clean):,} real English WildChat turns (clean) and "
          f"{rows[0].toxic} toxic lines; targets: <= {MAX_CLEAN_FLAGGED:.1%} clean flagged, "
          f">= {MIN_TOXIC_CAUGHT:.0%} toxic caught, no greeting flagged")
    print(markdown(rows))
    print(f"chosen: {chosen.threshold if chosen else 'none meets the targets'}; in force: {PROFANITY_THRESHOLD}")
    return {"chosen": chosen.threshold if chosen else None, "in_force": PROFANITY_THRESHOLD,
            "rows": [vars(r) | {"recall": r.recall, "clean_rate": r.clean_rate} for r in rows]}
