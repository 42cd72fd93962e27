"""What a resource reports about the systems it wraps: package versions and file digests."""

from __future__ import annotations

from importlib import metadata

from wildchat_dagster.core.storage.warehouse import file_sha256

__all__ = ["file_sha256", "package_version"]


def package_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
