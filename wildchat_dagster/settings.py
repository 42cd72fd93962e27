"""Settings read from the environment once, with the embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

from wildchat_dagster.core.storage.layout import DataLayout, is_remote

DEFAULT_START_MONTH = "2023-04"  # WildChat collection began in April 2023
DATA_DIR_ENV = "WILDCHAT_DATA_DIR"
LOCAL_DIR_ENV = "WILDCHAT_LOCAL_DIR"
DEFAULT_LOCAL_DIR = "data-local"  # for an object-store data root: catalog, caches, key, instance


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


def start_month() -> str:
    return os.environ.get("WILDCHAT_START_MONTH", DEFAULT_START_MONTH)
