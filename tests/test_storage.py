"""The storage layer: one layout of paths, the same reads and writes on a folder and an object store."""

from __future__ import annotations

import uuid

import duckdb
import pyarrow as pa
import pytest

from wildchat_dagster.core.storage.layout import DataLayout, is_remote, relative_name
from wildchat_dagster.core.storage.warehouse import (
    Warehouse,
    atomic_copy,
    atomic_write_bytes,
    duckdb_readable,
    file_sha256,
    read_parquet,
)
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

MONTH = "2023-04"
ROWS = [{"source_file": "landing/2023-04/a.jsonl", "line_number": 1, "reason": "invalid_json", "detail": "x"}]


@pytest.fixture(params=["folder", "object_store"])
def warehouse(request, tmp_path) -> Warehouse:
    """A folder, or fsspec's in-memory object store (the same code path as s3://)."""
    if request.param == "folder":
        return Warehouse(tmp_path / "data")
    return Warehouse(f"memory://bucket-{uuid.uuid4().hex[:8]}/prefix", local_dir=tmp_path / "local")


def test_layout_names_every_path_under_the_root(tmp_path):
    layout = DataLayout(tmp_path)
    assert layout.partition(Stage.RAW_LOGS, MONTH) == tmp_path / "warehouse" / "raw_logs" / "2023-04.parquet"
    assert layout.published("toxic", MONTH) == tmp_path / "release" / "toxic" / "2023-04.parquet"
    assert layout.manifest == tmp_path / "release" / "manifest.json"
    assert layout.provenance(MONTH) == tmp_path / "warehouse" / "release_provenance" / "2023-04.json"
    assert layout.landing_month_dir(MONTH) == tmp_path / "landing" / "2023-04"
    assert layout.local == layout.root  # a folder root keeps catalog, caches, key and instance beside the data
    assert (layout.catalog, layout.ip_hash_key, layout.dagster_home) == (
        tmp_path / "wildchat.duckdb", tmp_path / "secrets" / "ip_hash.key", tmp_path / "dagster_home")
    assert layout.relative(layout.published("toxic", MONTH)) == layout.published_relative("toxic", MONTH)


def test_an_object_store_root_keeps_local_files_local(tmp_path):
    layout = DataLayout("s3://bucket/prefix", local_dir=tmp_path)
    assert is_remote(layout.root) and str(layout.published("nontoxic", MONTH)) == "s3://bucket/prefix/release/nontoxic/2023-04.parquet"
    assert layout.catalog == tmp_path / "wildchat.duckdb" and layout.ip_hash_key.is_relative_to(tmp_path)
    assert (
        relative_name("s3://bucket/prefix", layout.partition(Stage.RAW_LOGS, MONTH))
        == "warehouse/raw_logs/2023-04.parquet"
    )
    with pytest.raises(ValueError, match="WILDCHAT_LOCAL_DIR"):
        _ = DataLayout("s3://bucket/prefix").catalog  # where would the catalog and the key go?


def test_an_object_store_root_needs_the_ip_hash_key_from_the_environment(tmp_path, monkeypatch):
    from wildchat_dagster.cli.preflight import configuration_problems
    from wildchat_dagster.resources.defaults import default_resources

    monkeypatch.delenv("WILDCHAT_IP_HASH_KEY", raising=False)
    remote = DataLayout("s3://bucket/prefix", local_dir=tmp_path)
    assert any("WILDCHAT_IP_HASH_KEY" in p for p in configuration_problems(remote, [], {}))  # refused before any stage
    assert configuration_problems(remote, [], {"WILDCHAT_IP_HASH_KEY": "k" * 32}) == []
    geoip = default_resources(remote)["geoip"]
    with pytest.raises(ValueError, match="WILDCHAT_IP_HASH_KEY"):
        geoip.hasher()
    assert not (tmp_path / "secrets").exists()  # no per-machine key was created
    assert default_resources(DataLayout(tmp_path))["geoip"].hasher().key_id  # a folder root keeps its key file


def test_writes_reads_and_listings_agree_on_folder_and_object_store(warehouse):
    path = warehouse.write_records(Stage.REJECTED_LOGS, MONTH, ROWS)
    assert warehouse.has_partition(Stage.REJECTED_LOGS, MONTH) and not warehouse.has_partition(Stage.RAW_LOGS, MONTH)
    assert warehouse.stored_months(Stage.REJECTED_LOGS) == [MONTH]
    assert warehouse.read_records(Stage.REJECTED_LOGS, MONTH)[0]["reason"] == "invalid_json"
    assert warehouse.read_table(Stage.RAW_LOGS, MONTH).num_rows == 0  # missing: empty, with the schema

    target = warehouse.layout.published("nontoxic", MONTH)
    atomic_copy(path, target)
    assert file_sha256(target) == file_sha256(path)
    assert read_parquet(target).equals(read_parquet(path))

    atomic_write_bytes(warehouse.layout.manifest, b"{}")
    assert warehouse.layout.manifest.read_bytes() == b"{}"
    atomic_write_bytes(warehouse.layout.manifest, b'{"v": 2}')  # replaced whole
    assert warehouse.layout.manifest.read_bytes() == b'{"v": 2}'
    leftovers = [p.name for p in warehouse.layout.release_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []

    landing = warehouse.layout.landing_month_dir(MONTH)
    atomic_write_bytes(landing / "b.jsonl", b"{}\n")
    atomic_write_bytes(landing / "a.jsonl.gz", b"")
    atomic_write_bytes(landing / "notes.txt", b"")
    assert [p.name for p in warehouse.landing_files(MONTH)] == ["a.jsonl.gz", "b.jsonl"]
    assert warehouse.landing_months() == [MONTH]


def test_duckdb_reads_object_store_files_through_fsspec(warehouse):
    path = warehouse.write_table(
        Stage.REJECTED_LOGS, MONTH, pa.Table.from_pylist(ROWS * 3, schema=STAGE_SCHEMAS[Stage.REJECTED_LOGS])
    )
    con = duckdb.connect()
    (readable,) = duckdb_readable(con, [path])
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [readable]).fetchone() == (3,)


def test_landing_files_parse_the_same_from_an_object_store(warehouse):
    import gzip

    from wildchat_dagster.core.ingestion.raw_logs import read_landing_month

    folder = warehouse.layout.landing_month_dir(MONTH)
    atomic_write_bytes(folder / "a.jsonl", b"not json\n\n{\n")
    atomic_write_bytes(folder / "b.jsonl.gz", gzip.compress(b"[1]\n"))
    parses = read_landing_month(warehouse, MONTH)
    assert [(p.source_file, p.lines, p.blank_lines, len(p.rejected)) for p in parses] == [
        ("landing/2023-04/a.jsonl", 3, 1, 2), ("landing/2023-04/b.jsonl.gz", 1, 0, 1)]
