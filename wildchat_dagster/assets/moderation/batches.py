"""The moderation stage's batch function, as the step builds it inline and as a pool worker builds it
once: the moderators' engines (Detoxify, the profanity model) load once per process.

Each batch's result carries the moderators' statuses and the work they did for that batch (usage
deltas, which add up), so a month's figures are the same whichever processes moderated it; the
enabled moderators' languages travel beside it for the stored-counts check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wildchat_dagster.core.moderation.cache import ModerationCache
from wildchat_dagster.core.moderation.moderators import (
    DETOXIFY,
    OPENAI,
    PROFANITY,
    LoadedModerator,
    describe_languages,
)
from wildchat_dagster.core.moderation.policy import ModerationThresholds
from wildchat_dagster.core.moderation.registry import LoadContext, moderator_entries, supported_languages
from wildchat_dagster.core.moderation.run import moderate_conversations
from wildchat_dagster.core.moderation.stats import ModerationResult, ModeratorStatus
from wildchat_dagster.core.parallel.spec import Shared

LogFn = Callable[[str], None]
Languages = dict[str, frozenset[str] | None]  # enabled moderator -> the languages it may score
BUILTIN_MODERATORS = (OPENAI, DETOXIFY, PROFANITY)


def load_moderators(resources: Mapping[str, Any], cache_dir: Path) -> dict[str, LoadedModerator]:
    """Every registered moderator's engine from its resource (by moderator name), or why none:
    fallbacks after the others, returned in registry order."""
    entries = moderator_entries()
    loaded: dict[str, LoadedModerator] = {}
    for entry in sorted(entries, key=lambda e: e.fallback):
        available = frozenset(name for name, status in loaded.items() if status.available)
        loaded[entry.name] = entry.load(resources[entry.name], LoadContext(cache_dir, available))
    return {entry.name: loaded[entry.name] for entry in entries}


def enabled_languages(loaded: dict[str, LoadedModerator]) -> Languages:
    return {name: supported_languages(status.moderator) for name, status in loaded.items() if status.moderator}


def described(loaded: dict[str, LoadedModerator], since: Mapping[str, Mapping[str, Any]]) -> ModerationResult:
    """The moderators as the metadata shows them, with the work each did since `since` (its usage then)."""
    statuses = {}
    for name, status in loaded.items():
        engine = status.moderator
        if engine is None:
            statuses[name] = ModeratorStatus(status.available, status.reason)
            continue
        before = since.get(name, {})
        usage = {key: value - before.get(key, 0) for key, value in engine.usage().items()}
        statuses[name] = ModeratorStatus(
            status.available, status.reason, engine.version, describe_languages(supported_languages(engine)), usage
        )
    return ModerationResult(moderators=statuses)


def moderation_batches(
    loaded: dict[str, LoadedModerator], cache: ModerationCache, thresholds: ModerationThresholds,
    log: LogFn | None = None,
) -> Callable[[list[dict]], tuple[list[dict], ModerationResult, Languages]]:
    """rows -> moderated rows, the batch's figures (moderators and their work included), enabled languages."""
    moderators = [status.moderator for status in loaded.values() if status.available]
    enabled = enabled_languages(loaded)

    def process(rows: list[dict]) -> tuple[list[dict], ModerationResult, Languages]:
        before = {name: status.moderator.usage() for name, status in loaded.items() if status.moderator}
        out, result = moderate_conversations(rows, moderators, cache, thresholds, log=log)
        return out, result.merged(described(loaded, before)), enabled

    return process


def pooled_moderation(
    resources: tuple[tuple[str, Shared], ...], thresholds: ModerationThresholds, cache_dir: str, cache_file: str,
    log: LogFn | None = None,
) -> Callable[[list[dict]], tuple[list[dict], ModerationResult, Languages]]:
    """`moderation_batches` in a pool worker: engines loaded from the resources' configurations, its
    own connection to the moderation cache (SQLite in WAL mode: processes share it safely)."""
    loaded = load_moderators({name: shared.get() for name, shared in resources}, Path(cache_dir))
    for name, status in loaded.items():
        if log:
            log(f"{name}: {status.reason}" if status.available else f"{name} not used: {status.reason}")
    return moderation_batches(loaded, ModerationCache(cache_file), thresholds, log)


def poolable(resources: Any) -> bool:
    """Whether worker processes may moderate: only the built-in moderators are registered (a worker's
    registry has no others) and OpenAI is off (its requests budget is one process's)."""
    names = tuple(entry.name for entry in moderator_entries())
    return names == BUILTIN_MODERATORS and not getattr(getattr(resources, "openai_moderation", None), "api_key", None)

