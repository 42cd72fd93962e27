"""Settings read from the environment once, with the embedded defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from wildchat_dagster.core.storage.layout import DataLayout, is_remote

DEFAULT_START_MONTH = "2023-04"  # WildChat collection began in April 2023
DATA_DIR_ENV = "WILDCHAT_DATA_DIR"
LOCAL_DIR_ENV = "WILDCHAT_LOCAL_DIR"
DEFAULT_LOCAL_DIR = "data-local"  # for an object-store data root: catalog, caches, key, instance
START_MONTH_ENV = "WILDCHAT_START_MONTH"
RELEASE_SCHEMA_ENV = "WILDCHAT_RELEASE_SCHEMA"
RELEASE_SCHEMA_NAMES = ("wildchat-1m", "wildchat-4.8m")
RELEASE_LICENSE_ENV = "WILDCHAT_RELEASE_LICENSE"
BATCH_ROWS_ENV = "WILDCHAT_BATCH_ROWS"
DEFAULT_BATCH_ROWS = 2_000  # conversations: ~10,000 utterances of real-length text, tens of MB as Python rows
SHARD_ROWS_ENV = "WILDCHAT_SHARD_ROWS"
DEFAULT_SHARD_ROWS = 20_000  # conversations: a WildChat month (~80,000) is 4 shards, a small month one
EXECUTOR_ENV = "WILDCHAT_EXECUTOR"
EXECUTORS = ("in_process", "multiprocess")
MAX_CONCURRENT_ENV = "WILDCHAT_MAX_CONCURRENT"
UNSCREENED_ENV = "WILDCHAT_UNSCREENED"
UNSCREENED_POLICIES = ("hold", "nontoxic")


def data_root() -> str:
    """Root of landing/, warehouse/, release/, reports/: a folder, or an object-store URL
    (s3://bucket/prefix; credentials and endpoint from the usual AWS_* variables)."""
    value = os.environ.get(DATA_DIR_ENV, "data")
    return value if is_remote(value) else str(Path(value).resolve())


def local_dir() -> Path | None:
    """The local folder for what must be on disk; the data root itself when that is a folder."""
    value = os.environ.get(LOCAL_DIR_ENV)
    if value:
        return Path(value).resolve()
    return Path(DEFAULT_LOCAL_DIR).resolve() if is_remote(data_root()) else None


def layout() -> DataLayout:
    return DataLayout(data_root(), local_dir())


def start_month(environ: Mapping[str, str] = os.environ) -> str:
    """The first monthly partition; a value that is not YYYY-MM is an error naming the variable."""
    value = environ.get(START_MONTH_ENV) or DEFAULT_START_MONTH
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
        raise ValueError(f"{START_MONTH_ENV}={value!r} is not a month: expected YYYY-MM, e.g. {DEFAULT_START_MONTH}")
    return value


def release_schema(environ: Mapping[str, str] = os.environ) -> str:
    """The release's schema: "wildchat-1m" (default) or "wildchat-4.8m" (schema.RELEASE_SCHEMAS)."""
    value = (environ.get(RELEASE_SCHEMA_ENV) or "wildchat-1m").strip().lower()
    if value not in RELEASE_SCHEMA_NAMES:
        raise ValueError(f"{RELEASE_SCHEMA_ENV}={value!r}: expected one of {', '.join(RELEASE_SCHEMA_NAMES)}")
    return value


def release_license(environ: Mapping[str, str] = os.environ) -> str:
    """The license the dataset card states (WildChat's own: ODC-BY)."""
    return environ.get(RELEASE_LICENSE_ENV) or "odc-by"


def unscreened_policy(environ: Mapping[str, str] = os.environ) -> str:
    """Where a not-toxic conversation with a turn no moderator screened is published: "hold" (default:
    release/unscreened/, outside the splits) or "nontoxic" (in the non-toxic split, said in the card)."""
    value = (environ.get(UNSCREENED_ENV) or "hold").strip().lower()
    if value not in UNSCREENED_POLICIES:
        raise ValueError(f"{UNSCREENED_ENV}={value!r}: expected one of {', '.join(UNSCREENED_POLICIES)}")
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a positive whole number")
    return int(value)


def batch_rows(environ: Mapping[str, str] = os.environ) -> int:
    """Conversations per batch a stage streams: its peak memory, not the month's size."""
    return _positive_int(environ, BATCH_ROWS_ENV, DEFAULT_BATCH_ROWS)


def shard_rows(environ: Mapping[str, str] = os.environ) -> int:
    """Conversations per shard of an enrichment stage (rounded down to whole batches)."""
    return _positive_int(environ, SHARD_ROWS_ENV, DEFAULT_SHARD_ROWS)


def executor(environ: Mapping[str, str] = os.environ) -> tuple[str, int | None]:
    """The step executor (WILDCHAT_EXECUTOR) and, for multiprocess, its concurrency
    (WILDCHAT_MAX_CONCURRENT, default the machine's cores)."""
    name = (environ.get(EXECUTOR_ENV) or "in_process").strip().lower().replace("-", "_")
    if name not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_ENV}={name!r}: expected one of {', '.join(EXECUTORS)}")
    if name == "in_process":
        return name, None
    return name, _positive_int(environ, MAX_CONCURRENT_ENV, os.cpu_count() or 1)
