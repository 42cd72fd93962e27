"""What the moderation stage drives: the moderator protocol, its languages and its load outcome.

Every moderator declares the languages it was built for (WildChat's English
names, as the language stage writes them; None: any language). A turn is
scored only by moderators that support its language, so an English word model
never calls a German "die" toxic, and a turn no moderator supports is counted
as unscreened rather than silently passed as clean.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The built-in moderators' names (their registry entries: builtin_moderators.py).
OPENAI = "openai"
DETOXIFY = "detoxify"
PROFANITY = "profanity"

ENGLISH = frozenset({"English"})
# Detoxify's README: `multilingual` was trained on these seven languages and should only be used on them.
DETOXIFY_MULTILINGUAL_LANGUAGES = frozenset(
    {"English", "French", "Spanish", "Italian", "Portuguese", "Turkish", "Russian"}
)


def supports(languages: frozenset[str] | None, language: str | None) -> bool:
    """Whether a moderator with these languages may score a turn in `language`."""
    return languages is None or language in languages


def describe_languages(languages: frozenset[str] | None) -> str:
    return "any language" if languages is None else ", ".join(sorted(languages))


class Moderator(Protocol):
    """A moderation system the core can drive; results must be JSON-serialisable."""

    name: str  # its registry entry's name (registry.py)
    version: str  # model and version: part of the cache key
    languages: frozenset[str] | None  # languages it may score; None: any (absent: its registry entry's)

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
    """Nothing to moderate: WildChat stores an empty result for such turns (nulls here). (`not
    content.strip()`, without copying a long turn that ends in a newline: strip removes exactly
    the characters isspace accepts.)"""
    return content is None or not content or content.isspace()
