"""Publishing never shrinks silently: no landing files, a shrunken month, a failed month, an empty manifest."""

from __future__ import annotations

import dagster as dg
import pytest
from click.testing import CliRunner
from test_release import MONTH, materialize_month, month_rows

from wildchat_dagster.assets.release import provenance_path, release_splits
from wildchat_dagster.assets.reports import release_manifest
from wildchat_dagster.cli import main
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.warehouse import WarehouseResource


def published_bytes(root) -> dict[str, bytes]:
    return {split: (root / "release" / split / f"{MONTH}.parquet").read_bytes() for split in ("nontoxic", "toxic")}


def republish(root, rows, **config) -> dg.ExecuteInProcessResult:
    Warehouse(root).write_records("moderated_conversations", MONTH, rows)
    return dg.materialize(
        [release_splits], partition_key=MONTH, raise_on_error=False,
        resources={"warehouse": WarehouseResource(data_dir=str(root))},
        run_config={"ops": {"release_splits": {"config": config}}} if config else None,
    )


def shrink_checks(result) -> list[dg.AssetCheckEvaluation]:
    return [e for e in result.get_asset_check_evaluations() if e.check_name == "no_silent_shrink"]


def test_a_republished_month_that_shrinks_fails_and_keeps_the_published_files(data_dir):
    assert materialize_month(data_dir, month_rows()).success  # 4 conversations published
    before, provenance = published_bytes(data_dir), provenance_path(Warehouse(data_dir), MONTH).read_bytes()

    result = republish(data_dir, month_rows()[:3])  # 2 released conversations: half of them gone

    checks = shrink_checks(result)
    assert len(checks) == 3 and not any(e.passed for e in checks)  # one per published folder
    assert checks[0].metadata["published_conversations"].value == 4 and checks[0].metadata["new_conversations"].value == 3
    assert not result.success  # blocking: nothing downstream of the splits runs
    assert published_bytes(data_dir) == before
    assert provenance_path(Warehouse(data_dir), MONTH).read_bytes() == provenance


def test_allow_shrink_publishes_the_smaller_month(data_dir):
    assert materialize_month(data_dir, month_rows()).success
    result = republish(data_dir, month_rows()[:3], allow_shrink=True)
    assert result.success and all(e.passed for e in shrink_checks(result))
    import pyarrow.parquet as pq

    rows = sum(pq.read_metadata(data_dir / "release" / s / f"{MONTH}.parquet").num_rows for s in ("nontoxic", "toxic"))
    assert rows == 3


def test_a_drop_within_the_configured_fraction_passes(data_dir):
    assert materialize_month(data_dir, month_rows()).success
    assert not republish(data_dir, month_rows()[1:]).success  # 4 -> 3 is 25% fewer
    assert republish(data_dir, month_rows()[1:], max_shrink_fraction=0.3).success


def test_the_manifest_is_never_written_empty(data_dir):
    with pytest.raises(dg.Failure, match="no month is published"):
        dg.materialize([release_manifest], resources={"warehouse": WarehouseResource(data_dir=str(data_dir))})
    assert not (data_dir / "release" / "manifest.json").exists()


def cli(data_dir) -> CliRunner:
    return CliRunner(env={"DAGSTER_HOME": str(data_dir / "dagster_home")})


def test_run_without_landing_files_is_refused_before_anything_is_written(data_dir):
    (data_dir / "landing" / "2023-04").mkdir(parents=True)  # a month whose files were moved away
    result = cli(data_dir).invoke(main, ["run", "--months", "2023-04"])
    assert result.exit_code == 1, result.output
    assert "no landing files" in result.output and "--allow-empty" in result.output
    assert not (data_dir / "warehouse").exists() and not (data_dir / "release").exists()
    assert "Traceback" not in result.output


def test_allow_empty_makes_an_empty_month_on_request(data_dir):
    result = cli(data_dir).invoke(main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs", "--allow-empty"])
    assert result.exit_code == 0, result.output
    assert Warehouse(data_dir).read_table("raw_logs", "2023-04").num_rows == 0


def test_publication_does_not_run_after_a_failed_month(data_dir):
    (data_dir / "landing" / "2023-04" / "requests-000.jsonl").mkdir(parents=True)  # unreadable
    result = cli(data_dir).invoke(main, ["run", "--months", "2023-04"])
    assert result.exit_code == 1, result.output
    assert "== publication: FAILED" in result.output and "skipped: 2023-04 ingestion, 2023-04 failed" in result.output
    assert not (data_dir / "release").exists()
