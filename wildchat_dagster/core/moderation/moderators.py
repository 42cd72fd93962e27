"""What the moderation stage drives: the moderator protocol and its load outcome."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

OPENAI = "openai"
DETOXIFY = "detoxify"
PROFANITY = "profanity"
MODERATOR_NAMES = (OPENAI, DETOXIFY, PROFANITY)


class Moderator(Protocol):
    """A moderation system the core can drive; results must be JSON-serialisable."""

    name: str  # one of MODERATOR_NAMES
    version: str  # model and version: part of the cache key

    def moderate(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[Any]]]:
        """Yield (indices into texts, results) as each batch returns, in any order."""
        ...

    def usage(self) -> dict[str, int]:
        """Work done so far (requests, retries, model runs...), for metadata."""
        ...


@dataclass
class LoadedModerator:
    """A moderator ready to run, or why there is none (no key, no weights, disabled)."""

    moderator: Moderator | None
    reason: str

    @property
    def available(self) -> bool:
        return self.moderator is not None


def is_empty(content: str | None) -> bool:
    """Nothing to moderate: WildChat stores an empty result for such turns (nulls here)."""
    return content is None or not content.strip()
