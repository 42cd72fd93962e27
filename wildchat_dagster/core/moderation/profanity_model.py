"""The offline moderator: alt-profanity-check's linear model, shipped in its wheel.

It needs no key and no download, so the embedded demo still has a meaningful
toxic split. Its probabilities are stored in their own field (`profanity_score`),
never in the OpenAI or Detoxify fields, and count in the toxic decision only
when it is enabled: by default, only when neither OpenAI nor Detoxify can run.
It is an English bag-of-words model: it finds profanity and insults, not
threats or hate phrased politely, and not toxicity in other languages.

Most of its cost is splitting text into words (scikit-learn's regex); for ASCII
turns `fast_predict_prob` splits them with a byte table instead, giving the same
words, so the same matrix and the same probabilities, bit for bit.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from wildchat_dagster.core.moderation.moderators import ENGLISH, PROFANITY, LoadedModerator

PACKAGE = "alt-profanity-check"
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's default: maximal runs of 2+ word characters
# ASCII word characters (what \w matches below 128) lower-cased, every other byte a space.
_WORD_BYTES = frozenset(c for c in range(128) if chr(c).isalnum() or chr(c) == "_")
_ASCII_WORDS = bytes(ord(chr(c).lower()) if c in _WORD_BYTES else ord(" ") for c in range(256))


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


def fast_predict_prob(vectorizer: Any, model: Any) -> Callable[[list[str]], Any] | None:
    """The package's `predict_prob` with ASCII turns split by a byte table, or None where the
    vectorizer is not the plain lower-cased word tokenizer this reproduces.

    For an ASCII turn scikit-learn's words are the runs of [a-z0-9_] of 2+ characters after
    lower-casing, stop words removed; words outside the vocabulary (stop words among them: none
    is in it) never count, so keeping the vocabulary's words of the byte split gives the same
    counts. Other turns go through scikit-learn's own analyzer.
    """
    params = vectorizer.get_params()
    plain = (params["analyzer"], params["input"], params["lowercase"], params["preprocessor"], params["tokenizer"],
             params["token_pattern"], tuple(params["ngram_range"]), params["strip_accents"])
    vocabulary = vectorizer.vocabulary_
    if plain != ("word", "content", True, None, None, _TOKEN_PATTERN, (1, 1), None):
        return None
    if set(vectorizer.get_stop_words() or ()) & vocabulary.keys():
        return None
    slow = vectorizer.build_analyzer()

    def words(text: str) -> list[str]:
        if not text.isascii():
            return slow(text)
        return [w for w in text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split() if w in vocabulary]

    fast = copy.copy(vectorizer)  # shares the fitted vocabulary and idf weights
    fast.analyzer = words
    return lambda texts: model.predict_proba(fast.transform(texts))[:, 1]


def load_profanity(batch_size: int) -> LoadedModerator:
    """The shipped model ready to score, or why it is unavailable (package not installed)."""
    try:
        from profanity_check import predict_prob
        from profanity_check.profanity_check import model, vectorizer
    except ImportError as error:
        return LoadedModerator(None, f"{PACKAGE} not installed ({error.name})")
    version = model_version()
    predict = fast_predict_prob(vectorizer, model) or predict_prob
    return LoadedModerator(ProfanityModerator(predict, version, batch_size), f"enabled ({version})")
