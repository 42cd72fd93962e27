"""Publishing never shrinks silently: no landing files, a shrunken month, a failed month, an empty manifest."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from test_release import MONTH, materialize_month, moderated, month_rows

from wildchat_dagster.assets.publication.reports import release_manifest
from wildchat_dagster.assets.release.release import provenance_path, release_splits
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
    assert (
        checks[0].metadata["published_conversations"].value == 4 and checks[0].metadata["new_conversations"].value == 3
    )
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


NEXT = "2023-05"
RAW_IP = "203.0.113.99"


def publish_manifest(root, **config) -> dg.ExecuteInProcessResult:
    return dg.materialize([release_manifest], raise_on_error=False,
                          resources={"warehouse": WarehouseResource(data_dir=str(root))},
                          run_config={"ops": {"release_manifest": {"config": config}}} if config else None)


def withdraw_month(root) -> None:
    """Republish MONTH with a raw client IP in a text: a blocking check fails and the month's files are removed."""
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    Warehouse(root).write_records("raw_logs", MONTH, [{
        "log_id": "L1", "timestamp": t, "response_timestamp": t, "model": "gpt-4o", "ip": RAW_IP, "history": [],
        "prompt": "hi", "response": "hello", "line_number": 1, "source_file": "landing/x.jsonl", "extra_json": "{}"}])
    leaked = month_rows() + [moderated([("user", f"my address is {RAW_IP}"), ("assistant", "noted")])]
    result = republish(root, leaked)
    assert not result.success and "no_raw_client_ips" in {
        e.check_name for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert not (root / "release" / "nontoxic" / f"{MONTH}.parquet").exists()


def test_a_withdrawn_month_is_compared_with_its_last_published_counts(data_dir):
    assert materialize_month(data_dir, month_rows()).success  # 4 conversations published
    provenance = provenance_path(Warehouse(data_dir), MONTH).read_bytes()
    withdraw_month(data_dir)
    assert provenance_path(Warehouse(data_dir), MONTH).read_bytes() == provenance  # it describes what was published

    result = republish(data_dir, month_rows()[:3])  # 3 conversations, nothing published to compare with on disk
    checks = shrink_checks(result)
    assert not result.success and checks and not any(e.passed for e in checks)
    assert checks[0].metadata["published_conversations"].value == 4
    assert not (data_dir / "release" / "nontoxic" / f"{MONTH}.parquet").exists()


def test_publication_never_drops_a_withdrawn_month_without_the_allowance(data_dir):
    assert materialize_month(data_dir, month_rows()).success
    assert materialize_month(data_dir, month_rows(), month=NEXT).success
    assert publish_manifest(data_dir).success
    manifest = (data_dir / "release" / "manifest.json").read_bytes()
    card = (data_dir / "release" / "README.md").read_bytes()
    withdraw_month(data_dir)

    refused = publish_manifest(data_dir)  # as the publication schedule would run it
    [check] = [e for e in refused.get_asset_check_evaluations() if e.check_name == "no_silent_shrink"]
    assert not refused.success and not check.passed
    assert (
        f"{MONTH} dropped (4 conversations last published, 0 now)" in check.metadata["months_dropped_or_shrunk"].value
    )
    assert (data_dir / "release" / "manifest.json").read_bytes() == manifest
    assert (data_dir / "release" / "README.md").read_bytes() == card

    assert publish_manifest(data_dir, allow_shrink=True).success  # on purpose: published without the month, recorded
    assert json.loads((data_dir / "release" / "manifest.json").read_text())["months"] == [NEXT]
    assert json.loads(provenance_path(Warehouse(data_dir), MONTH).read_text())["shrink_allowed"]["last_published"] == 4
    assert publish_manifest(data_dir).success  # the allowance is the month's anchor from now on


def write_request(root, conversation_hash: str) -> None:
    (root / "deletion_requests").mkdir(exist_ok=True)
    (root / "deletion_requests" / "r.jsonl").write_text(
        json.dumps({"request_id": "DR-1", "conversation_hash": conversation_hash, "reason": "PII"}) + "\n")


def test_manifest_and_card_are_written_only_when_published_files_honour_every_deletion_request(data_dir):
    assert materialize_month(data_dir, month_rows()).success
    assert publish_manifest(data_dir).success
    manifest, card = (
        (data_dir / "release" / "manifest.json").read_bytes(),
        (data_dir / "release" / "README.md").read_bytes(),
    )
    published = pq.read_table(data_dir / "release" / "nontoxic" / f"{MONTH}.parquet").column("conversation_hash")
    write_request(data_dir, published[0].as_py())  # the month is not re-released yet

    result = publish_manifest(data_dir)
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "deletion_requests_honoured"]
    assert not result.success and not check.passed and check.metadata["request_ids_still_present"].value == "DR-1"
    assert (data_dir / "release" / "manifest.json").read_bytes() == manifest
    assert (data_dir / "release" / "README.md").read_bytes() == card


def test_a_staged_split_holding_a_requested_conversation_is_not_published(data_dir, monkeypatch):
    import wildchat_dagster.core.release.month as month_module
    from wildchat_dagster.core.release.deletions import Removal
    from wildchat_dagster.core.release.splits import to_release_row

    rows = month_rows()
    write_request(data_dir, to_release_row(rows[0])["conversation_hash"])
    # A release bug: the requests are not applied while the splits are written.
    monkeypatch.setattr(month_module, "apply_deletions", lambda kept, requests: Removal(list(kept), 0, set()))
    result = republish(data_dir, rows)
    failed = {
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert not result.success and ("release_nontoxic", "deletion_requests_honoured") in failed
    assert not (data_dir / "release" / "nontoxic" / f"{MONTH}.parquet").exists()
    assert not provenance_path(Warehouse(data_dir), MONTH).exists()


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


@pytest.mark.parametrize("content", [b"", b"garbage\n{}\n"], ids=["empty file", "garbage only"])
def test_run_without_a_valid_log_line_is_refused_like_a_month_without_files(data_dir, content):
    (data_dir / "landing" / "2023-04").mkdir(parents=True)
    (data_dir / "landing" / "2023-04" / "requests-000.jsonl").write_bytes(content)
    result = cli(data_dir).invoke(main, ["run", "--months", "2023-04"])
    assert result.exit_code == 1, result.output
    assert "no valid log line" in result.output and "--allow-empty" in result.output
    assert not (data_dir / "warehouse").exists() and not (data_dir / "release").exists()
    assert "Traceback" not in result.output
    allowed = cli(data_dir).invoke(
        main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs", "--allow-empty"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert Warehouse(data_dir).read_table("raw_logs", "2023-04").num_rows == 0


def test_allow_empty_makes_an_empty_month_on_request(data_dir):
    result = cli(data_dir).invoke(
        main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs", "--allow-empty"]
    )
    assert result.exit_code == 0, result.output
    assert Warehouse(data_dir).read_table("raw_logs", "2023-04").num_rows == 0


def test_publication_does_not_run_after_a_failed_month(data_dir):
    (data_dir / "landing" / "2023-04" / "requests-000.jsonl").mkdir(parents=True)  # unreadable
    result = cli(data_dir).invoke(main, ["run", "--months", "2023-04"])
    assert result.exit_code == 1, result.output
    assert "== publication: FAILED" in result.output and "skipped: 2023-04 ingestion, 2023-04 failed" in result.output
    assert not (data_dir / "release").exists()


def test_the_dagster_home_databases_are_owner_only(data_dir):
    import os
    import stat

    old = os.umask(0o022)
    try:
        result = cli(data_dir).invoke(
            main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs", "--allow-empty"]
        )
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    home = data_dir / "dagster_home"
    modes = {
        str(p.relative_to(home)): stat.S_IMODE(p.stat().st_mode) for p in [home, *home.rglob("*")] if not p.is_symlink()
    }
    assert any(name.endswith(".db") for name in modes), modes  # SQLite run and event storage
    assert {n: m for n, m in modes.items() if m != (0o700 if (home / n).is_dir() else 0o600)} == {}
