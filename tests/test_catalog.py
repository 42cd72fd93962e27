"""Publication through Dagster: splits and stats per month, then manifest, report and DuckDB catalog."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner
from dagster_duckdb import DuckDBResource
from test_statistics import APRIL, MAY, known_conversations

from wildchat_dagster.assets.publication.catalog import duckdb_catalog
from wildchat_dagster.assets.publication.reports import dataset_report, release_manifest
from wildchat_dagster.assets.release.release import release_splits
from wildchat_dagster.assets.statistics.statistics import monthly_stats
from wildchat_dagster.cli import main
from wildchat_dagster.core.storage.catalog import open_catalog
from wildchat_dagster.core.storage.warehouse import Warehouse, atomic_write_bytes
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
        assert dg.materialize(
            [release_splits, monthly_stats], partition_key=month, instance=instance, resources=resources
        ).success
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
    assert (totals["nontoxic"], totals["toxic"], totals["conversations"], totals["moderated_conversations"]) == (
        2,
        2,
        4,
        5,
    )
    assert totals["excluded"] == {"sexual/minors": 1}
    assert (totals["rejected_logs"], totals["retries"], totals["absorbed_prefixes"]) == (0, 0, 0)
    assert manifest["pipeline_version"] == "0.1.0"
    assert manifest["systems"]["moderated_conversations"] == {
        "detoxify_model": "multilingual (local checkpoint)", "openai_model": "omni-moderation-latest"}
    assert manifest["settings"]["moderated_conversations"] == {"detoxify_threshold": 0.04, "profanity_threshold": 0.5}
    assert "cl100k_base" in manifest["systems"]["release"]["tokenizer (statistics)"]
    assert "sexual/minors" in manifest["settings"]["release"]["exclusion"]
    assert manifest["months_without_provenance"] == []
    screening = manifest["toxicity_screening"]
    # April's excluded conversation has a reply no moderator scored: the month is named, the language too.
    assert screening["months_fully_screened"] == [MAY]
    assert screening["months_partly_screened"][APRIL].startswith("10% of 10 non-empty utterances (1) were not screened")
    april = screening["by_month"][APRIL]
    assert (april["utterances"], april["unscreened"], april["screened_by"]["profanity"]) == (10, 1, 8)
    assert {(g["language"], g["role"]) for g in april["by_language"]} >= {("Chinese", "user"), ("English", "assistant")}


def test_monthly_stats_use_the_configured_thresholds(published):
    root, _, _ = published
    april = json.loads((root / "warehouse" / "monthly_stats" / f"{APRIL}.json").read_text())
    assert april["thresholds"] == {"detoxify_toxicity": 0.04, "profanity": 0.5}
    assert april["thresholds_source"] == "moderation_policy configuration"
    assert april["tables"]["summary"][0]["conversations"] == 3
    assistant = next(r for r in april["tables"]["moderation"] if r["role"] == "assistant")
    assert assistant["detoxify_flagged_share"] == pytest.approx(
        1 / 4
    )  # the 0.05 assistant turn: flagged at 0.04, not at the default 0.1
    may = json.loads((root / "warehouse" / "monthly_stats" / f"{MAY}.json").read_text())
    assert may["thresholds"] == april["thresholds"]  # one policy for every month, not each month's event log
    assert (root / "reports" / "index.html").exists()


def test_catalog_views_over_the_warehouse_and_the_release(published):
    root, result, _ = published
    with open_catalog(root / "wildchat.duckdb") as con:
        views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        # The unscreened folder is published beside the splits (empty here: every conversation was screened).
        assert views == {
            "moderated_conversations",
            "release_nontoxic",
            "release_toxic",
            "release_unscreened",
            "release_all",
        }
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
    Warehouse(root).write_records(
        "rejected_logs", APRIL, [{"source_file": "landing/x.jsonl", "line_number": 1, "reason": "invalid_json"}]
    )
    assert dg.materialize([duckdb_catalog], resources=resources).success
    with open_catalog(root / "wildchat.duckdb") as con:
        views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert "moderated_conversations" not in views and "rejected_logs" in views
        assert con.execute("SELECT reason FROM rejected_logs").fetchall() == [("invalid_json",)]


def test_the_data_folder_moves_with_its_catalog(published, tmp_path, monkeypatch):
    """Views name their files relative to the catalog: a moved copy answers from its own files."""
    moved = tmp_path / "elsewhere" / "shared data"
    shutil.copytree(published[0], moved)
    with open_catalog(moved / "wildchat.duckdb") as con:
        definitions = [sql for (sql,) in con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()]
        assert definitions and not any(str(published[0]) in sql for sql in definitions)
        assert con.execute("SELECT count(*) FROM release_all").fetchone() == (4,)
    # The DuckDB CLI's way: started in the data folder, plain connect.
    monkeypatch.chdir(moved)
    with duckdb.connect("wildchat.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM moderated_conversations").fetchone() == (5,)


def test_sql_command_queries_the_catalog(published, tmp_path):
    runner = CliRunner()
    root = published[0]
    query = "SELECT split, count(*) AS n FROM release_all GROUP BY split ORDER BY split"
    result = runner.invoke(main, ["sql", "--data-dir", str(root), "--csv", query])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["split,n", "nontoxic,2", "toxic,2"]
    table = runner.invoke(
        main, ["sql", "--data-dir", str(root)], input="SELECT count(*) AS conversations FROM release_toxic;"
    )
    assert table.exit_code == 0 and "conversations" in table.output and "2" in table.output
    bad = runner.invoke(main, ["sql", "--data-dir", str(root), "SELECT * FROM no_such_view"])
    assert bad.exit_code == 1 and "no_such_view" in bad.output
    missing = runner.invoke(main, ["sql", "--data-dir", str(tmp_path / "empty"), "SELECT 1"])
    assert missing.exit_code == 1 and "no catalog" in missing.output


def test_published_files_are_shareable_and_stages_owner_only(published):
    root = published[0]
    umask = os.umask(0o022)
    os.umask(umask)
    shared = 0o666 & ~umask
    published_files = [*(root / "release").rglob("*.parquet"), root / "release" / "manifest.json",
                       *(root / "reports").iterdir()]
    assert published_files and {p: stat.S_IMODE(p.stat().st_mode) for p in published_files} == dict.fromkeys(
        published_files, shared
    )
    private = [p for p in (root / "warehouse").rglob("*") if p.is_file()]
    assert private and {stat.S_IMODE(p.stat().st_mode) for p in private} == {0o600}


def test_shared_files_follow_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "shared.txt", b"x", shared=True)
        atomic_write_bytes(tmp_path / "private.txt", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "private.txt").stat().st_mode) == 0o600
