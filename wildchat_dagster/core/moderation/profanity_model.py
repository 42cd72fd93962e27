"""The offline moderator: alt-profanity-check's linear model, shipped in its wheel.

It needs no key and no download, so the embedded demo still has a meaningful
toxic split. Its probabilities are stored in their own field (`profanity_score`),
never in the OpenAI or Detoxify fields, and count in the toxic decision only
when it is enabled: by default, only when neither OpenAI nor Detoxify can run.
It is an English bag-of-words model: it finds profanity and insults, not
threats or hate phrased politely, and not toxicity in other languages.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

from wildchat_dagster.core.moderation.moderators import ENGLISH, PROFANITY, LoadedModerator

PACKAGE = "alt-profanity-check"


class ProfanityModerator:
    """Profanity probabilities, always predicted in batches (one text at a time is ~30x slower)."""

    name = PROFANITY
    languages = ENGLISH  # an English bag-of-words model: German "die" reads as a threat

    def __init__(self, predict_prob, version: str, batch_size: int):
        self._predict_prob = predict_prob
        self.version = version
        self.batch_size = batch_size
        self.model_runs = 0

    def usage(self) -> dict[str, int]:
        return {"model_runs": self.model_runs}

    def moderate(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[float]]]:
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            probabilities = self._predict_prob(batch)
            self.model_runs += 1
            yield list(range(start, start + len(batch))), [float(p) for p in probabilities]


def model_version() -> str | None:
    """Package version plus a digest of the shipped model files: the cache key and the engine
    fingerprint. Found without importing the package (which imports scikit-learn); None when
    it is not installed."""
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or not spec.submodule_search_locations:
        return None
    digest = hashlib.sha256()
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    for name in ("vectorizer.joblib", "model.joblib"):
        digest.update((data / name).read_bytes())
    return f"{PACKAGE}=={importlib.metadata.version(PACKAGE)}+{digest.hexdigest()[:12]}"


def load_profanity(batch_size: int) -> LoadedModerator:
    """The shipped model ready to score, or why it is unavailable (package not installed)."""
    try:
        from profanity_check import predict_prob
    except ImportError as error:
        return LoadedModerator(None, f"{PACKAGE} not installed ({error.name})")
    version = model_version()
    return LoadedModerator(ProfanityModerator(predict_prob, version, batch_size), f"enabled ({version})")
