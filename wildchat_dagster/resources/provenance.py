"""What a resource reports about the systems it wraps: package versions, file digests, fingerprints."""

from __future__ import annotations

import functools
import os
from importlib import metadata
from pathlib import Path

from wildchat_dagster.core.storage.warehouse import file_sha256

__all__ = ["file_digest", "file_sha256", "package_version"]


def package_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def file_digest(path: str | Path, length: int = 16) -> str:
    """A short sha256 of a model file's bytes, "missing" when there is none; hashed once per
    process while its size and modification time stay the same (engine fingerprints are taken
    at every definitions load, and a checkpoint is a gigabyte)."""
    try:
        stat = os.stat(path)
    except OSError:
        return "missing"
    return _digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)[:length]


@functools.lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))
