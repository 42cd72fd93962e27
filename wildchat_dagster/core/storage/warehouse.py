"""The data root's files: landing files in, one Parquet file per asset and month out.

Every write is atomic, so parallel month runs and readers never see a half-written
file. On a local disk: a temp file in the same folder, then `os.replace`. On an
object store: the bytes are prepared locally and sent in one PUT (a multipart
upload for big files); S3, GCS and Azure Blob make an object visible only when
its upload completes, and since 2020 S3 gives strong read-after-write
consistency, so a reader sees the old object or the new one, never a part.
"""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from wildchat_dagster.core.storage.layout import LANDING_SUFFIXES, DataLayout, StoragePath
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

# Row groups of partitions read back a few rows at a time (linking reads end logs' texts by row group).
ROW_GROUP_ROWS = {Stage.RAW_LOGS: 1_024}


def file_sha256(path: StoragePath) -> str:
    """sha256 of a (possibly large) file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") if hasattr(path, "open") else open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_fingerprint(path: StoragePath) -> str:
    """A short hash of a file's bytes, "missing" when there is none (an asset's data version)."""
    return file_sha256(path)[:24] if path.exists() else "missing"


def _is_local(path: StoragePath) -> bool:
    return type(path).__module__.startswith("pathlib") or getattr(path, "protocol", "file") in ("", "file", "local")


def _upload(local_file: str, path: StoragePath) -> None:
    """One atomic PUT of a local file to an object-store path."""
    path.fs.put_file(local_file, path.path)
    path.fs.invalidate_cache(path.parent.path)


    return True


def _temp_sibling(path: Path) -> tuple[int, str]:
    """A new temp file beside local `path`, named with this process's pid, after removing the temp
    files of writes to `path` whose process is gone (killed mid-write: nothing else cleans them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        owner = stale.name[len(path.name) + 2 :].split(".", 1)[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)):
            stale.unlink(missing_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")


def atomic_write_bytes(path: StoragePath, data: bytes, *, shared: bool = False) -> None:
    """Write `data` to `path` atomically. Local files are owner-only (0600) unless `shared`: the
    published release and report get the usual mode the umask allows (0644 under umask 022).
    On an object store access is the bucket's policy, not a file mode."""
    if not _is_local(path):
        path.fs.pipe_file(path.path, data)  # one PUT: visible whole or not at all
        path.fs.invalidate_cache(path.parent.path)
        return
    path = Path(path)
    fd, tmp = _temp_sibling(path)
    try:
        if shared:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def restrict_to_owner(root: Path) -> None:
    """Make a local tree owner-only: folders 0700, files 0600 (SQLite databases are created as the
    umask allows, 0644 by default; their -wal/-shm files follow the database's mode)."""
    if not root.is_dir():
        return
    os.chmod(root, 0o700)
    for folder, subfolders, files in os.walk(root):
        for name in subfolders:
            if not os.path.islink(path := os.path.join(folder, name)):
                os.chmod(path, 0o700)
        for name in files:
            if not os.path.islink(path := os.path.join(folder, name)):
                os.chmod(path, 0o600)


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


@contextmanager
def staged(path: StoragePath) -> Iterator[str]:
    """A local temp file to write `path`'s bytes into, published when the block ends without error:
    renamed into place locally, or sent in one PUT to an object store (nothing half-written is ever
    visible there). Removed in every case."""
    local = _is_local(path)
    fd, tmp = _temp_sibling(Path(path)) if local else tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        if local:
            os.replace(tmp, path)
        else:
            _upload(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_parquet(table: pa.Table, path: StoragePath, row_group_rows: int | None = None) -> None:
    with staged(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_rows)


def atomic_copy(source: StoragePath, target: StoragePath, *, shared: bool = False) -> None:
    """Publish a copy of `source` at `target`: a server-side copy (S3 CopyObject, atomic
    like a PUT) on one object store, else bytes through this process."""
    if not _is_local(source) and not _is_local(target) and source.fs is target.fs:
        target.fs.copy(source.path, target.path)
        target.fs.invalidate_cache(target.parent.path)
    else:
        atomic_write_bytes(target, source.read_bytes(), shared=shared)


def read_parquet(path: StoragePath, columns: list[str] | None = None) -> pa.Table:
    if _is_local(path):
        return pq.read_table(path, columns=columns)
    return pq.read_table(path.path, columns=columns, filesystem=path.fs)


@contextmanager
def open_parquet(path: StoragePath) -> Iterator[pq.ParquetFile]:
    """A Parquet file to read in row groups or batches (local or on an object store)."""
    with open(path, "rb") if _is_local(path) else path.open("rb") as f:
        yield pq.ParquetFile(f)


def read_parquet_schema(path: StoragePath) -> pa.Schema:
    if _is_local(path):
        return pq.read_schema(path)
    with path.open("rb") as f:
        return pq.read_schema(f)


def parquet_rows(path: StoragePath) -> int:
    with path.open("rb") as f:
        return pq.ParquetFile(f).metadata.num_rows


class Warehouse:
    """Typed reads and writes of the files of one data root (paths from its DataLayout)."""

    def __init__(self, root: str | os.PathLike | DataLayout, local_dir: str | os.PathLike | None = None):
        self.layout = root if isinstance(root, DataLayout) else DataLayout(root, local_dir)

    @property
    def root(self) -> StoragePath:
        return self.layout.root

    def partition_path(self, asset: str, month: str) -> StoragePath:
        return self.layout.partition(asset, month)

    @property
    def catalog_path(self) -> Path:
        return self.layout.catalog

    def landing_files(self, month: str) -> list[StoragePath]:
        folder = self.layout.landing_month_dir(month)
        if not folder.is_dir():
            return []
        return sorted((p for p in folder.iterdir() if p.name.endswith(LANDING_SUFFIXES)), key=lambda p: p.name)

    def landing_months(self) -> list[str]:
        landing = self.layout.landing_dir
        if not landing.is_dir():
            return []
        return sorted(p.name for p in landing.iterdir() if p.is_dir() and any(self.landing_files(p.name)))

    def has_partition(self, asset: str, month: str) -> bool:
        return self.layout.partition(asset, month).exists()

    def stored_months(self, asset: str, suffix: str = ".parquet") -> list[str]:
        folder = self.layout.asset_dir(asset)
        return (
            sorted(p.name.removesuffix(suffix) for p in folder.iterdir() if p.name.endswith(suffix))
            if folder.is_dir()
            else []
        )

    def write_table(self, asset: str, month: str, table: pa.Table, schema: pa.Schema | None = None) -> StoragePath:
        """Write the partition cast to `schema`, by default the asset's declared one (the release's
        schema is selectable: WildChat-1M or WildChat-4.8M)."""
        schema = schema or STAGE_SCHEMAS.get(asset)
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        path = self.layout.partition(asset, month)
        atomic_write_parquet(table, path, ROW_GROUP_ROWS.get(asset))
        return path

    def write_records(self, asset: str, month: str, records: list[dict]) -> StoragePath:
        """Write plain dict rows with the asset's declared schema."""
        table = pa.Table.from_pylist(records, schema=STAGE_SCHEMAS[asset])
        return self.write_table(asset, month, table)

    def read_table(self, asset: str, month: str, columns: list[str] | None = None) -> pa.Table:
        """The stored partition (or some of its columns); empty, with the schema, when it does not exist."""
        path = self.layout.partition(asset, month)
        if not path.exists():
            schema = STAGE_SCHEMAS.get(asset)
            if schema is None:
                raise FileNotFoundError(path)
            return schema.empty_table().select(columns or schema.names)
        return read_parquet(path, columns)

    def read_records(self, asset: str, month: str) -> list[dict]:
        return self.read_table(asset, month).to_pylist()

    def partition_fingerprint(self, asset: str, month: str, suffix: str = ".parquet") -> str:
        """A short hash of the stored partition's bytes ("missing" when there is none): the data
        version an asset reports, so Dagster sees a downstream partition go stale only when what
        it reads really changed (Parquet written from the same rows is byte-identical)."""
        return file_fingerprint(self.layout.partition(asset, month, suffix))

    def landing_fingerprint(self, month: str) -> str:
        """A short hash of the month's landing files (names and bytes): raw_logs' input version."""
        digest = hashlib.sha256()
        for path in self.landing_files(month):
            content = file_sha256(path) if path.is_file() else "not a file"  # ingestion says why it fails
            digest.update(f"{path.name}\0{content}\0".encode())
        return digest.hexdigest()[:24]

    def partition_rows(self, asset: str, month: str) -> int:
        """Rows of the stored partition (0 when missing), from the Parquet footer."""
        path = self.layout.partition(asset, month)
        return parquet_rows(path) if path.exists() else 0

    def iter_records(
        self, asset: str, month: str, batch_rows: int | None, start: int = 0, stop: int | None = None
    ) -> Iterator[list[dict]]:
        """The partition's rows [start, stop), `batch_rows` at a time (all at once for None); always at
        least one batch, empty for an empty or missing partition. Batches are cut at multiples of
        `batch_rows` from `start` whatever the file's row groups, so ranges starting at multiples of
        `batch_rows` give the same batches as the whole file."""
        path = self.layout.partition(asset, month)
        if not path.exists():
            yield self.read_records(asset, month)
            return
        yield from (batch.to_pylist() for batch in iter_file_batches(path, batch_rows, start, stop))

    @contextmanager
    def partition_writer(
        self, asset: str, month: str, schema: pa.Schema | None = None
    ) -> Iterator[Callable[[pa.Table], None]]:
        """Write a partition table by table (one row group each, the asset's schema unless given:
        the release's is selectable), published atomically (rename, or one PUT) when the block
        ends without error; a partition nobody wrote to is stored empty."""
        with file_writer(self.layout.partition(asset, month), schema or STAGE_SCHEMAS[asset]) as write:
            yield write


def iter_file_batches(
    path: StoragePath, batch_rows: int | None, start: int = 0, stop: int | None = None
) -> Iterator[pa.Table]:
    """Rows [start, stop) of a Parquet file as tables of `batch_rows` rows (the last one shorter);
    one table, maybe empty, when there are no rows. Memory: a batch, not a row group."""
    with open(path, "rb") if _is_local(path) else path.open("rb") as f:
        parquet = pq.ParquetFile(f)
        total = parquet.metadata.num_rows
        stop = total if stop is None else min(stop, total)
        size = batch_rows or max(stop - start, 1)
        pending: list[pa.Table] = []
        held = 0
        offset = 0  # of the current row group in the file
        yielded = False
        for group in range(parquet.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            first, offset = offset, offset + rows
            if offset <= start or first >= stop:
                continue
            position = first
            for batch in parquet.iter_batches(batch_size=size, row_groups=[group]):
                table = pa.Table.from_batches([batch])
                begin, end = max(start - position, 0), min(stop - position, table.num_rows)
                position += table.num_rows
                if end <= begin:
                    continue
                pending.append(table.slice(begin, end - begin))
                held += end - begin
                while held >= size:
                    joined = pa.concat_tables(pending).combine_chunks()
                    yield joined.slice(0, size)
                    yielded = True
                    pending, held = [joined.slice(size)], held - size
        if held or not yielded:
            yield pa.concat_tables(pending) if pending else parquet.schema_arrow.empty_table()


def iter_row_groups(path: StoragePath) -> Iterator[pa.Table]:
    """A Parquet file's row groups, one table each, in order."""
    with open(path, "rb") if _is_local(path) else path.open("rb") as f:
        parquet = pq.ParquetFile(f)
        for group in range(parquet.num_row_groups):
            yield parquet.read_row_group(group)


@contextmanager
def file_writer(path: StoragePath, schema: pa.Schema) -> Iterator[Callable[[pa.Table], None]]:
    """Write a Parquet file table by table (one row group each, cast to `schema`), published
    atomically (rename, or one PUT) when the block ends without error."""
    with staged(path) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:

        def write(table: pa.Table) -> None:
            writer.write_table(table.select(schema.names).cast(schema))

        yield write


def remove_tree(path: StoragePath) -> None:
    """Remove a folder and what it holds, local or on an object store; nothing when it is missing."""
    if _is_local(path):
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.fs.rm(path.path, recursive=True)
        path.fs.invalidate_cache(path.path)


def duckdb_readable(con, paths: list[StoragePath]) -> list[str]:
    """The paths as DuckDB reads them; object-store filesystems are registered on `con`
    through fsspec, so no DuckDB extension is needed."""
    for path in paths:
        if not _is_local(path):
            protocols = {path.fs.protocol} if isinstance(path.fs.protocol, str) else set(path.fs.protocol)
            if not protocols & set(con.list_filesystems()):
                con.register_filesystem(path.fs)
    return [str(p) for p in paths]
