"""What language identification did: utterances and conversations by language, model work."""

from __future__ import annotations

from dataclasses import dataclass

from wildchat_dagster.core.stats import StageResult, tally, total


@dataclass(slots=True)
class LanguageResult(StageResult):
    conversations: int = total()
    utterances: int = total()
    nolang_utterances: int = total()
    distinct_samples_predicted: int = total()  # identical samples are predicted once per batch
    code_stripped_utterances: int = total()
    script_overrides: int = total()
    languages: dict[str, int] = tally()  # utterances by language
    conversation_languages: dict[str, int] = tally()
    unmapped_codes: dict[str, int] = tally()  # model labels without a WildChat language name
