"""Every path under the data root, built in one place.

The data root is a local folder or an object-store URL (`s3://bucket/prefix`,
`gs://…`, `az://…`, through fsspec and universal-pathlib). Shared data lives
there: landing files, the warehouse's partitions, the release, its manifest and
the reports. What must sit on a local disk (the DuckDB catalog, SQLite caches,
the IP-hash key, the Dagster instance's default home) lives under `local`, which
is the data root itself when that is a folder. Nothing else in the package joins
path strings.
"""

from __future__ import annotations

import os
from pathlib import Path

from upath import UPath

# Folder names under the data root (the layout is part of the project's public contract).
LANDING = "landing"
WAREHOUSE = "warehouse"
RELEASE = "release"
REPORTS = "reports"
CACHE = "cache"
SECRETS = "secrets"
GROUND_TRUTH = "ground_truth"
IMPORTS = "imports"
DELETION_REQUESTS = "deletion_requests"
DATASET_CARD_FILE = "README.md"  # the Hugging Face dataset card
DERIVED = "derived"  # release/derived/<split>/<YYYY-MM>.parquet
TEMPLATE_INDEX = "template_index"  # warehouse/template_index/index.npz
DAGSTER_HOME = "dagster_home"
CATALOG_FILE = "wildchat.duckdb"
MANIFEST_FILE = "manifest.json"
IP_HASH_KEY_FILE = "ip_hash.key"
PROVENANCE = "release_provenance"  # warehouse/release_provenance/<YYYY-MM>.json
STATISTICS = "statistics"  # statistics/<YYYY-MM>.tokens.parquet: a month's counted utterances, for the report
SHARDS = "shards"  # shards/<asset>/<YYYY-MM>/<name>.parquet: a sharded stage's files before publication
STEP_OUTPUTS = "step_outputs"  # step_outputs/<run id>/<step>/<output>.json: what a shard step hands the next step
LANDING_SUFFIXES = (".jsonl", ".jsonl.gz")

StoragePath = Path | UPath  # a local Path or a universal-pathlib path on an object store


def _text(location: str | os.PathLike) -> str:
    return str(location) if isinstance(location, UPath) else os.fspath(location)


def is_remote(root: str | os.PathLike) -> bool:
    """True for an fsspec URL other than a local file (`s3://…`, `gs://…`, `memory://…`)."""
    text = _text(root)
    return "://" in text and not text.startswith(("file://", "local://"))


def storage_path(location: str | os.PathLike, **storage_options) -> StoragePath:
    """A local absolute Path, or a UPath for an object-store URL."""
    if is_remote(location):
        return UPath(_text(location), **storage_options)
    return Path(_text(location).removeprefix("file://")).resolve()


def relative_name(root: str | os.PathLike, path: str | os.PathLike) -> str:
    """`path` relative to `root` in POSIX form (the path itself when outside the root)."""
    if not is_remote(root) and not is_remote(path):
        try:
            return Path(path).resolve().relative_to(storage_path(root)).as_posix()
        except ValueError:
            return Path(path).as_posix()
    prefix = _text(root).rstrip("/") + "/"
    return _text(path).removeprefix(prefix)


class DataLayout:
    """Paths of every file the pipeline reads or writes under one data root."""

    def __init__(self, root: str | os.PathLike, local_dir: str | os.PathLike | None = None, **storage_options):
        self.root: StoragePath = storage_path(root, **storage_options)
        self.remote = is_remote(root)
        self._local = Path(local_dir).resolve() if local_dir is not None else None if self.remote else self.root

    @property
    def local(self) -> Path:
        """The local folder for the catalog, caches, key and instance."""
        if self._local is None:
            raise ValueError(f"data root {self.root} is an object store: set a local folder (WILDCHAT_LOCAL_DIR)")
        return self._local

    def __repr__(self) -> str:
        return f"DataLayout({str(self.root)!r}, local={str(self._local)!r})"

    # Shared data (local folder or object store)
    @property
    def landing_dir(self) -> StoragePath:
        return self.root / LANDING

    def landing_month_dir(self, month: str) -> StoragePath:
        return self.landing_dir / month

    @property
    def warehouse_dir(self) -> StoragePath:
        return self.root / WAREHOUSE

    def asset_dir(self, asset: str) -> StoragePath:
        return self.warehouse_dir / asset

    def partition(self, asset: str, month: str, suffix: str = ".parquet") -> StoragePath:
        """warehouse/<asset>/<YYYY-MM>.parquet (or .json for JSON records)."""
        return self.asset_dir(asset) / f"{month}{suffix}"

    def token_counts(self, month: str) -> StoragePath:
        """A month's released utterances with their token counts (no text), kept by monthly_stats for the report."""
        return self.root / STATISTICS / f"{month}.tokens.parquet"

    def shard_dir(self, asset: str, month: str) -> StoragePath:
        """Where a month's shards of `asset` wait for publication (shared, so any worker can write one)."""
        return self.root / SHARDS / asset / month

    def shard(self, asset: str, month: str, name: str) -> StoragePath:
        return self.shard_dir(asset, month) / f"{name}.parquet"

    @property
    def step_outputs_dir(self) -> StoragePath:
        """Where steps hand each other their (small) outputs when they may run on different machines."""
        return self.root / STEP_OUTPUTS

    def provenance(self, month: str) -> StoragePath:
        return self.partition(PROVENANCE, month, ".json")

    @property
    def release_dir(self) -> StoragePath:
        return self.root / RELEASE

    def release_split_dir(self, split: str) -> StoragePath:
        return self.release_dir / split

    def published(self, split: str, month: str) -> StoragePath:
        return self.release_split_dir(split) / f"{month}.parquet"

    def published_relative(self, split: str, month: str) -> str:
        """The published file's name inside the release, as the manifest lists it."""
        return f"{RELEASE}/{split}/{month}.parquet"

    @property
    def manifest(self) -> StoragePath:
        return self.release_dir / MANIFEST_FILE

    @property
    def dataset_card(self) -> StoragePath:
        return self.release_dir / DATASET_CARD_FILE

    def derived(self, split: str, month: str) -> StoragePath:
        """A derived split (e.g. templates down-sampled), published beside the release's two."""
        return self.release_dir / DERIVED / split / f"{month}.parquet"

    @property
    def deletion_requests_dir(self) -> StoragePath:
        """Deletion requests (*.csv, *.jsonl), applied by every release."""
        return self.root / DELETION_REQUESTS

    @property
    def template_index(self) -> StoragePath:
        return self.warehouse_dir / TEMPLATE_INDEX / "index.npz"

    @property
    def reports_dir(self) -> StoragePath:
        return self.root / REPORTS

    def report_file(self, name: str) -> StoragePath:
        return self.reports_dir / name

    def relative(self, path: StoragePath) -> str:
        """`path` relative to the data root, as records and the manifest name files."""
        return relative_name(self.root, path)

    @property
    def imports_dir(self) -> StoragePath:
        """One JSON record per imported release file (import-release)."""
        return self.root / IMPORTS

    @property
    def ground_truth_dir(self) -> StoragePath:
        return self.root / GROUND_TRUTH

    # Local disk (the data root when it is a folder)
    @property
    def catalog(self) -> Path:
        return self.local / CATALOG_FILE

    @property
    def cache_dir(self) -> Path:
        return self.local / CACHE

    def cache(self, name: str) -> Path:
        return self.cache_dir / name

    @property
    def ip_hash_key(self) -> Path:
        return self.local / SECRETS / IP_HASH_KEY_FILE

    @property
    def dagster_home(self) -> Path:
        return self.local / DAGSTER_HOME
