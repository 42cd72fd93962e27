"""Linking streamed from the warehouse gives the bytes the in-memory reference gives."""

from __future__ import annotations

import dagster as dg
import pyarrow.parquet as pq
import pytest

from wildchat_dagster.assets.ingestion.ingestion import ingest_landing_files
from wildchat_dagster.assets.linking.linking import link_conversations
from wildchat_dagster.core.linking.chains import link_month, window_logs
from wildchat_dagster.core.months import month_window
from wildchat_dagster.core.storage import warehouse as warehouse_module
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.kit.synthetic.generator import generate_landing
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.settings import DEFAULT_BATCH_ROWS
from wildchat_dagster.stages import Stage

MONTHS = ["2023-04", "2023-05", "2023-06"]
TABLES = [Stage.LINKED_CONVERSATIONS, Stage.DEDUPLICATED_CONVERSATIONS]


def _linked_month(root, month: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> Warehouse:
    resources = {"warehouse": WarehouseResource(data_dir=str(root), batch_rows=batch_rows)}
    for m in MONTHS:
        assert dg.materialize([ingest_landing_files, link_conversations], partition_key=m, resources=resources,
                              selection=["raw_logs", "rejected_logs"]).success
    assert dg.materialize([ingest_landing_files, link_conversations], partition_key=month, resources=resources,
                          selection=TABLES).success
    return Warehouse(root)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Three months of synthetic logs: retries, absorbed prefixes, conversations crossing months."""
    root = tmp_path_factory.mktemp("streamed") / "data"
    summary = generate_landing(root, MONTHS, 150, 11, short=True)
    return root, summary


def _reference(store: Warehouse, month: str, tmp_path) -> dict[str, bytes]:
    """The month as the in-memory implementation writes it: every window log read whole, one table write."""
    logs, _ = window_logs({m: store.read_records(Stage.RAW_LOGS, m) for m in month_window(month)
                           if store.has_partition(Stage.RAW_LOGS, m)}, month)
    links = link_month(logs, month)
    reference = Warehouse(tmp_path / "reference")
    return {
        asset: reference.write_records(asset, month, rows).read_bytes()
        for asset, rows in (
            (Stage.LINKED_CONVERSATIONS, links.linked),
            (Stage.DEDUPLICATED_CONVERSATIONS, links.deduplicated),
        )
    }


def test_streamed_linking_writes_the_reference_bytes(generated, tmp_path):
    root, _ = generated
    store = _linked_month(root, "2023-05")
    reference = _reference(store, "2023-05", tmp_path)
    for asset in TABLES:
        assert store.layout.partition(asset, "2023-05").read_bytes() == reference[asset], asset
    dedup = store.read_table(Stage.DEDUPLICATED_CONVERSATIONS, "2023-05")
    assert dedup.num_rows > 100
    assert any(dedup.column("absorbed_conversation_ids").to_pylist()) and any(dedup.column("retry_log_ids").to_pylist())


def test_small_batches_and_row_groups_give_the_same_rows(generated, tmp_path, monkeypatch):
    """Many output batches, and end logs' texts read back from many raw-log row groups."""
    root, _ = generated
    monkeypatch.setitem(warehouse_module.ROW_GROUP_ROWS, Stage.RAW_LOGS, 64)
    store = _linked_month(root, "2023-05", batch_rows=17)
    assert pq.ParquetFile(store.layout.partition(Stage.RAW_LOGS, "2023-05")).metadata.num_row_groups > 5
    reference = Warehouse(tmp_path / "reference")
    for asset in _reference(store, "2023-05", tmp_path):
        stored = pq.ParquetFile(store.layout.partition(asset, "2023-05"))
        assert stored.metadata.num_row_groups > 5
        assert stored.read().equals(reference.read_table(asset, "2023-05")), asset


@pytest.mark.parametrize("row_group", [50, 1_024])
def test_streamed_ingestion_writes_the_one_table_bytes(generated, tmp_path, monkeypatch, row_group):
    """raw_logs is written as landing lines are parsed, a row group at a time: the bytes of one table write."""
    from wildchat_dagster.core.ingestion.raw_logs import parse_month

    root, _ = generated
    monkeypatch.setitem(warehouse_module.ROW_GROUP_ROWS, Stage.RAW_LOGS, row_group)
    resources = {"warehouse": WarehouseResource(data_dir=str(root))}
    assert dg.materialize([ingest_landing_files, link_conversations], partition_key="2023-05", resources=resources,
                          selection=["raw_logs", "rejected_logs"]).success
    valid, rejected = parse_month(Warehouse(root), "2023-05")
    assert len(valid) > 3 * 50 and rejected
    reference = Warehouse(tmp_path / "reference").write_records(Stage.RAW_LOGS, "2023-05", valid)
    assert Warehouse(root).layout.partition(Stage.RAW_LOGS, "2023-05").read_bytes() == reference.read_bytes()
