"""The language stage's batch function, as the step builds it inline and as a pool worker builds it once."""

from __future__ import annotations

from collections.abc import Callable

from wildchat_dagster.core.language.detection import tag_languages
from wildchat_dagster.core.language.stats import LanguageResult
from wildchat_dagster.resources.language_detector import LanguageDetector


def language_batches(
    detector: LanguageDetector, log: Callable[[str], None] | None = None
) -> Callable[[list[dict]], tuple[list[dict], LanguageResult]]:
    """rows -> rows with languages and figures (the model loads on the first batch, once per detector)."""
    predict = detector.predict
    return lambda rows: tag_languages(rows, predict)
