"""The data root on disk: landing files in, one Parquet file per asset and month out.

Every write is atomic (temp file + rename) so parallel month runs and readers
never see a half-written partition.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wildchat_dagster.schema import STAGE_SCHEMAS


def file_sha256(path: Path) -> str:
    """sha256 of a (possibly large) file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes, *, shared: bool = False) -> None:
    """Write `data` to `path` atomically. Files are owner-only (0600) unless `shared`: the
    published release and report get the usual mode the umask allows (0644 under umask 022)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if shared:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (os.umask would race threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def atomic_write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Warehouse:
    """Paths and typed reads/writes under one data root."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def release_dir(self) -> Path:
        return self.root / "release"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def catalog_path(self) -> Path:
        return self.root / "wildchat.duckdb"

    def landing_files(self, month: str) -> list[Path]:
        folder = self.landing / month
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))

    def landing_months(self) -> list[str]:
        if not self.landing.is_dir():
            return []
        return sorted(p.name for p in self.landing.iterdir() if p.is_dir() and any(self.landing_files(p.name)))

    def partition_path(self, asset: str, month: str) -> Path:
        return self.root / "warehouse" / asset / f"{month}.parquet"

    def has_partition(self, asset: str, month: str) -> bool:
        return self.partition_path(asset, month).exists()

    def stored_months(self, asset: str) -> list[str]:
        folder = self.root / "warehouse" / asset
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []

    def write_table(self, asset: str, month: str, table: pa.Table) -> Path:
        schema = STAGE_SCHEMAS.get(asset)
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        path = self.partition_path(asset, month)
        atomic_write_parquet(table, path)
        return path

    def write_records(self, asset: str, month: str, records: list[dict]) -> Path:
        """Write plain dict rows with the asset's declared schema."""
        table = pa.Table.from_pylist(records, schema=STAGE_SCHEMAS[asset])
        return self.write_table(asset, month, table)

    def read_table(self, asset: str, month: str, columns: list[str] | None = None) -> pa.Table:
        """The stored partition (or some of its columns); empty, with the schema, when it does not exist."""
        path = self.partition_path(asset, month)
        if not path.exists():
            schema = STAGE_SCHEMAS.get(asset)
            if schema is None:
                raise FileNotFoundError(path)
            return schema.empty_table().select(columns or schema.names)
        return pq.read_table(path, columns=columns)

    def read_records(self, asset: str, month: str) -> list[dict]:
        return self.read_table(asset, month).to_pylist()
