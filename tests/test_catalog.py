"""Publication through Dagster: splits and stats per month, then manifest, report and DuckDB catalog."""

from __future__ import annotations

import hashlib
import json
import shutil

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource
from test_statistics import APRIL, MAY, known_conversations

from wildchat_dagster.assets.catalog import duckdb_catalog
from wildchat_dagster.assets.release import monthly_stats, release_splits
from wildchat_dagster.assets.reports import dataset_report, release_manifest
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.partitions import monthly_partitions
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource

MODERATION_METADATA = {
    "detoxify_model": "multilingual (local checkpoint)",
    "openai_model": "omni-moderation-latest",
    "detoxify_threshold": 0.04,
    "profanity_threshold": 0.5,
    "cache_hits": 12,
}


@dg.asset(name="moderated_conversations", partitions_def=monthly_partitions)
def moderation_stand_in() -> dg.MaterializeResult:
    """Records what the real moderation stage records: its systems and thresholds."""
    return dg.MaterializeResult(metadata=MODERATION_METADATA)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Both months through the release assets, then every publication asset, in one instance (once)."""
    data_dir = tmp_path_factory.mktemp("publication") / "data"
    warehouse = Warehouse(data_dir)
    for month, rows in known_conversations().items():
        warehouse.write_records("moderated_conversations", month, rows)
    resources = {"warehouse": WarehouseResource(data_dir=str(data_dir)),
                 "catalog": DuckDBResource(database=str(data_dir / "wildchat.duckdb")),
                 "moderation_policy": ModerationPolicyResource(detoxify_threshold=0.04, profanity_threshold=0.5)}
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([moderation_stand_in], partition_key=APRIL, instance=instance)
    for month in (APRIL, MAY):
        assert dg.materialize([release_splits, monthly_stats], partition_key=month, instance=instance, resources=resources).success
    result = dg.materialize([release_manifest, dataset_report, duckdb_catalog], instance=instance, resources=resources)
    assert result.success
    return data_dir, result, resources


def test_manifest_checksums_counts_and_provenance(published):
    root, result, _ = published
    manifest = json.loads((root / "release" / "manifest.json").read_text())
    assert manifest["months"] == [APRIL, MAY]
    for split, expected_rows in (("nontoxic", {APRIL: 1, MAY: 1}), ("toxic", {APRIL: 2, MAY: 0})):
        for month, entry in manifest["files"][split].items():
            path = root / entry["path"]
            assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            assert entry["rows"] == expected_rows[month] and entry["bytes"] == path.stat().st_size
    totals = manifest["totals"]
    assert (totals["nontoxic"], totals["toxic"], totals["conversations"], totals["moderated_conversations"]) == (2, 2, 4, 5)
    assert totals["excluded"] == {"sexual/minors": 1}
    assert (totals["rejected_logs"], totals["retries"], totals["absorbed_prefixes"]) == (0, 0, 0)
    assert manifest["pipeline_version"] == "0.1.0"
    assert manifest["systems"]["moderated_conversations"] == {
        "detoxify_model": "multilingual (local checkpoint)", "openai_model": "omni-moderation-latest"}
    assert manifest["settings"]["moderated_conversations"] == {"detoxify_threshold": 0.04, "profanity_threshold": 0.5}
    assert "cl100k_base" in manifest["systems"]["release"]["tokenizer (statistics)"]
    assert "sexual/minors" in manifest["settings"]["release"]["exclusion"]
    assert manifest["months_without_provenance"] == []


def test_monthly_stats_use_the_configured_thresholds(published):
    root, _, _ = published
    april = json.loads((root / "warehouse" / "monthly_stats" / f"{APRIL}.json").read_text())
    assert april["thresholds"] == {"detoxify_toxicity": 0.04, "profanity": 0.5}
    assert april["thresholds_source"] == "moderation_policy configuration"
    assert april["tables"]["summary"][0]["conversations"] == 3
    assistant = next(r for r in april["tables"]["moderation"] if r["role"] == "assistant")
    assert assistant["detoxify_flagged_share"] == pytest.approx(1 / 4)  # the 0.05 assistant turn: flagged at 0.04, not at the default 0.1
    may = json.loads((root / "warehouse" / "monthly_stats" / f"{MAY}.json").read_text())
    assert may["thresholds"] == april["thresholds"]  # one policy for every month, not each month's event log
    assert (root / "reports" / "index.html").exists()


def test_catalog_views_over_the_warehouse_and_the_release(published):
    root, result, _ = published
    with duckdb.connect(str(root / "wildchat.duckdb"), read_only=True) as con:
        views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert views == {"moderated_conversations", "release_nontoxic", "release_toxic", "release_all"}
        assert con.execute("SELECT count(*) FROM moderated_conversations").fetchone() == (5,)
        assert con.execute("SELECT split, count(*) FROM release_all GROUP BY split ORDER BY split").fetchall() == [
            ("nontoxic", 2), ("toxic", 2)]
        assert con.execute("SELECT count(*) FROM release_toxic WHERE toxic").fetchone() == (2,)
    metadata = result.asset_materializations_for_node("duckdb_catalog")[0].metadata
    assert metadata["rows_per_view"].value["release_all"] == 4


def test_catalog_follows_the_stored_files(published, tmp_path):
    """A stage whose files are gone loses its view; a new stage gets one."""
    root = tmp_path / "data"
    shutil.copytree(published[0], root)
    resources = {"warehouse": WarehouseResource(data_dir=str(root)),
                 "catalog": DuckDBResource(database=str(root / "wildchat.duckdb"))}
    for path in (root / "warehouse" / "moderated_conversations").glob("*.parquet"):
        path.unlink()
    Warehouse(root).write_records("rejected_logs", APRIL, [{"source_file": "landing/x.jsonl", "line_number": 1, "reason": "invalid_json"}])
    assert dg.materialize([duckdb_catalog], resources=resources).success
    with duckdb.connect(str(root / "wildchat.duckdb"), read_only=True) as con:
        views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert "moderated_conversations" not in views and "rejected_logs" in views
        assert con.execute("SELECT reason FROM rejected_logs").fetchall() == [("invalid_json",)]
