"""The release schema registry: each schema the release can be written in, by name.

An entry is the Arrow schema of the published files, the Hugging Face dataset
whose card features it reproduces, and the row builder that turns the
WildChat-1M rows the splits produce into its rows. Settings validation, the
release asset, the manifest and the CLI's `--release-schema` choices read this
registry, so a new schema is one `register_release_schema` call (docs/EXTENDING.md).
"""

from __future__ import annotations

from collections.abc import Callable, KeysView
from dataclasses import dataclass

import pyarrow as pa

from wildchat_dagster.core.release.wildchat_4_8m import rows_4_8m
from wildchat_dagster.schema import WILDCHAT_1M, WILDCHAT_4_8M

# (moderated row, its WildChat-1M release row) -> the row in this schema.
RowConverter = Callable[[dict, dict], dict]
# (warehouse, month, log) -> the month's converter; None: the WildChat-1M rows as they are.
RowBuilder = Callable[..., RowConverter | None]

DEFAULT_RELEASE_SCHEMA = "wildchat-1m"


def wildchat_1m_rows(store, month: str, log: Callable[[str], None]) -> RowConverter | None:
    """The splits build WildChat-1M rows already: nothing to convert."""
    return None


@dataclass(frozen=True)
class ReleaseSchema:
    name: str  # the setting's value (WILDCHAT_RELEASE_SCHEMA, `run --release-schema`)
    dataset: str  # the Hugging Face dataset whose card features the files reproduce
    schema: pa.Schema  # of every published split file
    rows: RowBuilder = wildchat_1m_rows


_SCHEMAS: dict[str, ReleaseSchema] = {}


def register_release_schema(entry: ReleaseSchema) -> ReleaseSchema:
    if entry.name in _SCHEMAS:
        raise ValueError(f"release schema {entry.name!r} is already registered")
    _SCHEMAS[entry.name] = entry
    return entry


def unregister_release_schema(name: str) -> None:
    _SCHEMAS.pop(name)


def release_schema(name: str) -> ReleaseSchema:
    if name not in _SCHEMAS:
        raise ValueError(f"unknown release schema {name!r}: expected one of {', '.join(_SCHEMAS)}")
    return _SCHEMAS[name]


def release_schema_names() -> KeysView[str]:
    """The registered names, a live view: a schema registered later is valid in the settings too."""
    return _SCHEMAS.keys()


register_release_schema(ReleaseSchema(DEFAULT_RELEASE_SCHEMA, "allenai/WildChat-1M", WILDCHAT_1M))
register_release_schema(ReleaseSchema("wildchat-4.8m", "allenai/WildChat-4.8M", WILDCHAT_4_8M, rows_4_8m))
