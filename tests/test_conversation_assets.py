"""raw_logs, rejected_logs, linked_conversations and deduplicated_conversations through a real dg.materialize."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
import pytest

from wildchat_dagster.assets.ingestion.ingestion import ingest_landing_files
from wildchat_dagster.assets.linking.linking import conservation_result, link_conversations
from wildchat_dagster.core.linking.chains import link_month
from wildchat_dagster.core.months import month_window
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.warehouse import WarehouseResource

UTC = dt.UTC
UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.4 "
    "Safari/605.1.15"
)
ASSETS = [ingest_landing_files, link_conversations]
STORED = ["raw_logs", "rejected_logs", "linked_conversations", "deduplicated_conversations"]


def line(log_id, rounds, prompt, response, sent: dt.datetime, ip="192.0.2.44", ua=UA, **extra) -> dict:
    """One landing line (JSON-ready) in the raw-log contract."""
    history = [m for u, a in rounds for m in ({"role": "user", "content": u}, {"role": "assistant", "content": a})]
    return {
        "log_id": log_id,
        "timestamp": sent.isoformat(),
        "response_timestamp": (sent + dt.timedelta(seconds=8)).isoformat(),
        "model": "gpt-4-0314",
        "ip": ip,
        "headers": {"User-Agent": ua, "Accept-Language": "pt-BR,pt;q=0.9"},
        "history": history,
        "prompt": prompt,
        "response": response,
        **extra,
    }


def conversation_lines(prefix, rounds, start: dt.datetime, every=dt.timedelta(minutes=4), **kwargs) -> list[dict]:
    return [line(f"{prefix}-{i + 1}", rounds[:i], u, a, start + i * every, **kwargs) for i, (u, a) in enumerate(rounds)]


ROUNDS = [("olá", "Olá! Como posso ajudar?"), ("um poema", "As folhas caem..."), ("outro", "A neve derrete...")]


def write_landing(root: Path, month: str, name: str, records: list) -> None:
    path = root / "landing" / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join((json.dumps(r, ensure_ascii=False).encode() if isinstance(r, dict) else r) + b"\n" for r in records)
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)


@pytest.fixture
def two_months(data_dir: Path) -> Path:
    april = dt.datetime(2023, 4, 14, 15, tzinfo=UTC)
    crossing = conversation_lines("cross", ROUNDS, dt.datetime(2023, 4, 30, 23, 52, tzinfo=UTC))  # 23:52, 23:56, 00:00
    write_landing(data_dir, "2023-04", "part-000.jsonl", [
        *conversation_lines("apr", ROUNDS, april),
        line("apr-1-retry", [], *ROUNDS[0], april + dt.timedelta(seconds=2)),
        *crossing[:2],
        b'{"log_id": "broken", ',
        line("wrong-month", [], "hi", "hello", dt.datetime(2023, 5, 2, tzinfo=UTC)),
    ])
    lost = conversation_lines("lost", ROUNDS, dt.datetime(2023, 5, 9, 8, tzinfo=UTC), ip="2001:db8:1::9")
    write_landing(
        data_dir,
        "2023-05",
        "part-000.jsonl.gz",
        [crossing[2], lost[0], lost[2], line("apr-2", [], "x", "y", dt.datetime(2023, 5, 3, tzinfo=UTC), ip="bad-ip")],
    )
    return data_dir


def run(data_dir: Path, month: str, selection=None, run_config=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        ASSETS,
        partition_key=month,
        resources={"warehouse": WarehouseResource(data_dir=str(data_dir))},
        selection=selection,
        run_config=run_config,
    )


def materialize_both(data_dir: Path) -> dict[str, dg.ExecuteInProcessResult]:
    """raw logs of both months first (linking April reads May), then the conversations."""
    for month in ("2023-04", "2023-05"):
        assert run(data_dir, month, selection=["raw_logs", "rejected_logs"]).success
    return {
        month: run(data_dir, month, selection=["linked_conversations", "deduplicated_conversations"])
        for month in ("2023-04", "2023-05")
    }


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_two_months_through_dagster(two_months):
    results = materialize_both(two_months)
    store = Warehouse(two_months)
    april, may = (store.read_records("deduplicated_conversations", m) for m in ("2023-04", "2023-05"))
    assert [r["conversation_id"] for r in april] == ["apr-3"]
    assert [r["conversation_id"] for r in may] == ["cross-3", "lost-3"]
    assert april[0]["retry_log_ids"] == ["apr-1-retry"]
    cross = may[0]
    assert cross["log_ids"] == ["cross-1", "cross-2", "cross-3"]
    assert cross["conversation"][0]["timestamp"] == dt.datetime(2023, 4, 30, 23, 52, tzinfo=UTC)
    assert cross["conversation"][0]["header"] == {"accept-language": "pt-BR,pt;q=0.9", "user-agent": UA}
    lost = may[1]
    assert lost["absorbed_conversation_ids"] == ["lost-1"] and lost["conversation"][2]["log_id"] is None
    # linked_conversations keeps the absorbed prefix as its own chain end.
    assert sorted(store.read_table("linked_conversations", "2023-05").column("conversation_id").to_pylist()) == [
        "cross-3",
        "lost-1",
        "lost-3",
    ]

    for result in results.values():
        assert result.success
        evaluations = result.get_asset_check_evaluations()
        assert len(evaluations) == 6
        assert all(e.passed for e in evaluations), [(e.asset_key, e.check_name) for e in evaluations if not e.passed]

    april_meta = metadata(results["2023-04"], "deduplicated_conversations")
    assert april_meta["logs_in"] == 6  # apr-1..3, apr-1-retry, cross-1, cross-2
    assert april_meta["conversations"] == 1 and april_meta["retries"] == 1 and april_meta["cross_month_out"] == 2
    assert april_meta["rejected"] == 2
    assert april_meta["window_logs"] == {"2023-03": 0, "2023-04": 6, "2023-05": 3}
    may_meta = metadata(results["2023-05"], "deduplicated_conversations")
    assert may_meta["cross_month_in"] == 1 and may_meta["prefixes_absorbed"] == 1 and may_meta["conversations"] == 2
    assert (
        "| cross-3 |" in may_meta["preview"] and "As folhas" not in may_meta["preview"]
    )  # no raw text before redaction


def test_rejected_logs_and_ingestion_metadata(two_months):
    result = run(two_months, "2023-04", selection=["raw_logs", "rejected_logs"])
    rejected = Warehouse(two_months).read_records("rejected_logs", "2023-04")
    assert [(r["reason"], r["line_number"], r["log_id"]) for r in rejected] == [
        ("invalid_json", 7, "broken"), ("wrong_month", 8, "wrong-month"),
    ]
    meta = metadata(result, "raw_logs")
    assert meta["files"] == 1 and meta["lines_read"] == 8 and meta["valid"] == 6 and meta["rejected"] == 2
    assert meta["rejected_by_reason"]["invalid_json"] == 1 and meta["rejected_by_reason"]["too_large"] == 0
    assert metadata(result, "rejected_logs")["rejected"] == 2
    # The size limit is run configuration (this one rejects every line: an empty month, on purpose).
    small = run(
        two_months,
        "2023-04",
        selection=["raw_logs", "rejected_logs"],
        run_config={"ops": {"ingest_landing_files": {"config": {"max_record_bytes": 300, "allow_empty_month": True}}}},
    )
    assert metadata(small, "raw_logs")["rejected_by_reason"]["too_large"] > 0


def data_version(result: dg.ExecuteInProcessResult, asset: str) -> str:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]
    return event.materialization.tags["dagster/data_version"]


def test_rematerializing_gives_identical_files_and_data_versions(two_months):
    first_runs = materialize_both(two_months)
    store = Warehouse(two_months)
    first = {(a, m): store.layout.partition(a, m).read_bytes() for a in STORED for m in ("2023-04", "2023-05")}
    second_runs = materialize_both(two_months)
    second = {(a, m): store.layout.partition(a, m).read_bytes() for a in STORED for m in ("2023-04", "2023-05")}
    assert first == second
    # The data version is the stored file's fingerprint: the same bytes, the same version,
    # so nothing downstream goes stale.
    for asset in ("linked_conversations", "deduplicated_conversations"):
        version = data_version(second_runs["2023-05"], asset)
        assert version == data_version(first_runs["2023-05"], asset) == store.partition_fingerprint(asset, "2023-05")
    assert data_version(first_runs["2023-04"], "deduplicated_conversations") != data_version(
        first_runs["2023-05"], "deduplicated_conversations"
    )


def test_conservation_check_fails_when_a_conversation_is_missing(two_months):
    materialize_both(two_months)
    store = Warehouse(two_months)
    logs = [row for m in month_window("2023-04") for row in store.read_records("raw_logs", m)]
    links = link_month(logs, "2023-04")
    assert conservation_result(store, "2023-04", "deduplicated_conversations", links).passed
    table = store.read_table("deduplicated_conversations", "2023-04")
    store.write_table("deduplicated_conversations", "2023-04", table.filter(pc.field("conversation_id") != "apr-3"))
    failed = conservation_result(store, "2023-04", "deduplicated_conversations", links)
    assert not failed.passed
    assert failed.metadata["logs_missing_from_their_conversation"].value == 4  # apr-1..3 and the retry


def test_a_month_without_landing_files_fails_before_writing(data_dir):
    with pytest.raises(dg.Failure, match="no landing files"):
        run(data_dir, "2023-06", selection=["raw_logs", "rejected_logs"])
    assert not Warehouse(data_dir).has_partition("raw_logs", "2023-06")


NO_VALID_LOG = {"empty file": [], "garbage only": [b"not json", b'{"log_id": "x"}', b"\xff\xfe"]}


@pytest.mark.parametrize("lines", NO_VALID_LOG.values(), ids=NO_VALID_LOG.keys())
def test_a_month_without_a_valid_log_fails_unless_allowed(data_dir, lines):
    """What a UI backfill runs: the asset itself refuses, and the stored month stays as it was."""
    write_landing(
        data_dir,
        "2023-06",
        "requests-000.jsonl",
        [line("kept", [], "hi", "hello", dt.datetime(2023, 6, 2, tzinfo=UTC))],
    )
    run(data_dir, "2023-06", selection=["raw_logs", "rejected_logs"])
    before = Warehouse(data_dir).layout.partition("raw_logs", "2023-06").read_bytes()
    write_landing(data_dir, "2023-06", "requests-000.jsonl", lines)
    with pytest.raises(dg.Failure, match="no valid log line .* --allow-empty"):
        run(data_dir, "2023-06", selection=["raw_logs", "rejected_logs"])
    assert Warehouse(data_dir).layout.partition("raw_logs", "2023-06").read_bytes() == before
    allowed = run(data_dir, "2023-06", selection=["raw_logs", "rejected_logs"],
                  run_config={"ops": {"ingest_landing_files": {"config": {"allow_empty_month": True}}}})
    assert allowed.success and Warehouse(data_dir).read_table("raw_logs", "2023-06").num_rows == 0
    assert Warehouse(data_dir).read_table("rejected_logs", "2023-06").num_rows == len(lines)


def test_an_empty_month_only_on_request(data_dir):
    result = run(
        data_dir, "2023-06", run_config={"ops": {"ingest_landing_files": {"config": {"allow_empty_month": True}}}}
    )
    assert result.success
    assert Warehouse(data_dir).read_table("deduplicated_conversations", "2023-06").num_rows == 0
    assert all(e.passed for e in result.get_asset_check_evaluations())


def test_linking_a_month_whose_logs_were_not_ingested_fails(two_months):
    with pytest.raises(Exception, match="raw_logs 2023-04 is not materialized"):
        run(two_months, "2023-04", selection=["linked_conversations"])
    assert not Warehouse(two_months).has_partition("linked_conversations", "2023-04")
