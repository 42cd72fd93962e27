"""The moderator registry: one entry per moderator, read by every part of the moderation stage.

An entry says everything the pipeline needs to know about a moderator: the
languages it supports, how its engine is loaded from its Dagster resource, the
columns it stores per utterance, how its stored result decides the toxic flag
(with its threshold), and how statistics and `explain` read it. The run, the
policy, coverage, the stored schema, the statistics and the moderation asset
iterate the registry, so a new moderator is one `register_moderator` call
(docs/EXTENDING.md); the three built-ins are entries like any other
(builtin_moderators.py). Dagster-free: the resource is named by its key and
made by a factory, never imported here.
"""

from __future__ import annotations

import inspect
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from wildchat_dagster import schema
from wildchat_dagster.core.moderation.moderators import LoadedModerator
from wildchat_dagster.stages import Stage


@dataclass(frozen=True)
class LoadContext:
    """What a loader may use: the local cache folder (model files) and the moderators already loaded."""

    cache_dir: Path
    available: frozenset[str] = frozenset()  # names of the non-fallback moderators that loaded


@dataclass(frozen=True)
class ModeratorEntry:
    """One moderator, as the pipeline sees it."""

    name: str
    # WildChat's language names it may score; None: any. An engine whose languages depend on its model
    # (Detoxify's checkpoint) says so by its own `languages`, which then decides.
    languages: frozenset[str] | None
    columns: tuple[pa.Field, ...]  # per-utterance columns stored in moderated_conversations
    store: Callable[[Any], dict[str, Any]]  # engine result -> {column: value}
    flagged: Callable[[dict, float | None], bool]  # stored utterance, threshold -> this moderator's verdict
    reason: Callable[[float | None], str]  # the `toxic_reasons` label of that verdict
    resource_key: str  # the Dagster resource the engine comes from
    resource: str | Callable[[], Any]  # its default: a factory, or "module:attr" to one (core imports no resource)
    load: Callable[[Any, LoadContext], LoadedModerator]  # resource, context -> engine or why none
    threshold: float | None = None  # default score threshold (None: the verdict needs none)
    threshold_name: str = ""  # its name in figures and metadata ("<threshold_name>_threshold"); default: name
    title: str = ""  # how the report names it; default: name
    fallback: bool = False  # loaded after the others: may run only when they are unavailable
    # DuckDB expressions over the unnested stored utterance `u`, for the statistics (Table 6, screening).
    scored_sql: str = ""
    flagged_sql: Callable[[float | None], str] | None = None
    explain: Callable[[dict], Any] | None = None  # stored utterance -> what `explain` shows (None: not scored)
    explain_key: str = ""  # its key in `explain --json`
    explain_text: Callable[[Any], str] | None = None  # that value in `explain`'s text
    # Model file/version known without loading it (e.g. "keywords-v2"): it enters the moderation asset's
    # code version, so changing it marks every moderated month stale for `run`. The built-ins leave it
    # empty: their engines' `version` (a digest of the model files) keys the moderation cache instead.
    fingerprint: str = ""

    @property
    def result_column(self) -> str:
        """The column that is non-null exactly when the moderator scored the utterance (coverage is data)."""
        return self.columns[0].name

    @property
    def threshold_key(self) -> str:
        return self.threshold_name or self.name

    @property
    def display_name(self) -> str:
        return self.title or self.name

    def default_resource(self, settings: Any = None) -> Any:
        """The resource on the embedded defaults; a factory with a `settings` parameter gets the run's settings."""
        factory = pkgutil.resolve_name(self.resource) if isinstance(self.resource, str) else self.resource
        try:
            takes_settings = "settings" in inspect.signature(factory).parameters
        except (TypeError, ValueError):
            takes_settings = False
        return factory(settings=settings) if takes_settings else factory()


_ENTRIES: dict[str, ModeratorEntry] = {}
_BUILTINS_LOADED = False


def _ensure_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True  # before the import: its registrations call back here
        try:
            from wildchat_dagster.core.moderation import builtin_moderators  # noqa: F401 - registers on import
        except BaseException:
            _BUILTINS_LOADED = False
            _ENTRIES.clear()
            raise


def register_moderator(entry: ModeratorEntry) -> ModeratorEntry:
    """Add a moderator (after the built-ins); its columns join the moderated_conversations schema."""
    _ensure_builtins()
    if not entry.name.isidentifier():  # it names SQL columns and metadata keys
        raise ValueError(f"moderator name {entry.name!r} must be a Python identifier (letters, digits, _)")
    if entry.name in _ENTRIES:
        raise ValueError(f"moderator {entry.name!r} is already registered")
    taken = {f.name for e in _ENTRIES.values() for f in e.columns} | set(schema.MODERATED_BASE_FIELD_NAMES)
    clashes = sorted(taken & {f.name for f in entry.columns})
    if not entry.columns:
        raise ValueError(f"moderator {entry.name!r} declares no stored column")
    if clashes:
        raise ValueError(f"moderator {entry.name!r}: columns {', '.join(clashes)} are taken")
    _ENTRIES[entry.name] = entry
    _sync_schema()
    return entry


def unregister_moderator(name: str) -> None:
    """Remove a registered moderator (tests register toy moderators reversibly)."""
    _ENTRIES.pop(name)
    _sync_schema()


@contextmanager
def registered(entry: ModeratorEntry) -> Iterator[ModeratorEntry]:
    """The entry registered for the duration of the block."""
    register_moderator(entry)
    try:
        yield entry
    finally:
        unregister_moderator(entry.name)


def moderator_entries() -> list[ModeratorEntry]:
    """Every registered moderator, in registration order (the built-ins first: OpenAI, Detoxify, profanity)."""
    _ensure_builtins()
    return list(_ENTRIES.values())


def moderator_entry(name: str) -> ModeratorEntry:
    _ensure_builtins()
    if name not in _ENTRIES:
        raise ValueError(f"unknown moderator {name!r}: registered are {', '.join(_ENTRIES)}")
    return _ENTRIES[name]


def moderator_names() -> tuple[str, ...]:
    return tuple(e.name for e in moderator_entries())


def supported_languages(moderator) -> frozenset[str] | None:
    """The languages an engine may score: its own `languages`, else its entry's."""
    return getattr(moderator, "languages", moderator_entry(moderator.name).languages)


def moderators_fingerprint() -> str:
    """Each fingerprinted moderator's name and fingerprint: part of the moderation stage's code version
    (`ModerationPolicyResource.fingerprint`), so months moderated without a moderator are stale for `run`."""
    return ",".join(f"{e.name}:{e.fingerprint}" for e in moderator_entries() if e.fingerprint) or "builtin"


def _sync_schema() -> None:
    """Keep the stored schema of moderated_conversations in step with the registered moderators."""
    columns = [f for e in _ENTRIES.values() for f in e.columns]
    schema.STAGE_SCHEMAS[Stage.MODERATED_CONVERSATIONS] = schema.moderated_conversations_schema(columns)

