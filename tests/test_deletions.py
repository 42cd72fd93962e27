"""Deletion requests: matched by hash, turn or hashed IP; the sensor re-releases only the affected months."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pyarrow.parquet as pq
import pytest

from wildchat_dagster.core.release.deletions import apply_deletions, load_deletion_requests, published_matches
from wildchat_dagster.core.release.splits import release_table, to_release_row
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.sensors import DELETIONS_TAG, deletion_requests_sensor
from wildchat_dagster.stages import Stage

from factories import conversation_record

T = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)


def _row(text: str, ip: str = "203.0.113.7", start: dt.datetime = T) -> dict:
    turns = [("user", text), ("assistant", "ok"), ("user", text + " again"), ("assistant", "ok")]
    return to_release_row(conversation_record(Stage.MODERATED_CONVERSATIONS, turns, start=start, ip=ip))


def _write_requests(root, csv_rows: list[str], jsonl: list[dict] = ()) -> None:
    folder = root / "deletion_requests"
    folder.mkdir(exist_ok=True)
    (folder / "requests.csv").write_text(
        "\n".join(["request_id,conversation_hash,turn_identifier,hashed_ip,reason,date", *csv_rows]) + "\n"
    )
    if jsonl:
        (folder / "more.jsonl").write_text("".join(json.dumps(r) + "\n" for r in jsonl))


def test_requests_match_by_hash_turn_identifier_or_hashed_ip(tmp_path):
    a, b, c, d = (
        _row("alpha"),
        _row("beta", ip="198.51.100.1"),
        _row("gamma", ip="198.51.100.2"),
        _row("delta", ip="198.51.100.3"),
    )
    _write_requests(tmp_path, [f"R1,{a['conversation_hash']},,,PII report,2024-01-02",
                               f"R2,,{b['conversation'][2]['turn_identifier']},,user asked,2024-01-03"],
                    [{"request_id": "R3", "hashed_ip": c["conversation"][0]["hashed_ip"], "reason": "user asked"}])
    requests = load_deletion_requests(DataLayout(tmp_path))
    assert set(requests.requests) == {"R1", "R2", "R3"}
    assert requests.matches(a) == {"R1"} and requests.matches(b) == {"R2"} and requests.matches(c) == {"R3"}
    removal = apply_deletions([a, b, c, d], requests)
    assert removal.kept == [d] and removal.removed == 3 and removal.request_ids == {"R1", "R2", "R3"}


def test_a_request_must_have_an_id_and_name_something(tmp_path):
    _write_requests(tmp_path, [",abc,,,reason,2024-01-01"])
    with pytest.raises(ValueError, match="without request_id"):
        load_deletion_requests(DataLayout(tmp_path))
    _write_requests(tmp_path, ["R9,,,,reason,2024-01-01"])
    with pytest.raises(ValueError, match="names no conversation_hash"):
        load_deletion_requests(DataLayout(tmp_path))


def _publish(root, month: str, rows: list[dict]) -> None:
    for split, part in (("nontoxic", rows), ("toxic", [])):
        path = DataLayout(root).published(split, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(release_table(part), path)


def test_published_files_are_scanned_for_requested_items(tmp_path):
    april, may = _row("alpha"), _row("beta", ip="198.51.100.1", start=T + dt.timedelta(days=30))
    _publish(tmp_path, "2023-04", [april])
    _publish(tmp_path, "2023-05", [may])
    _write_requests(tmp_path, [f"R1,,,{may['hashed_ip']},user asked,2024-01-02"])
    files = sorted((tmp_path / "release").glob("*/*.parquet"))
    assert published_matches(files, load_deletion_requests(DataLayout(tmp_path))) == {
        str(DataLayout(tmp_path).published("nontoxic", "2023-05")): {"R1"}}


def test_sensor_re_releases_only_affected_months_with_the_shrink_allowance_then_publishes(tmp_path):
    april, may = _row("alpha"), _row("beta", ip="198.51.100.1", start=T + dt.timedelta(days=30))
    _publish(tmp_path, "2023-04", [april])
    _publish(tmp_path, "2023-05", [may])
    instance = dg.DagsterInstance.ephemeral()
    resources = {"warehouse": WarehouseResource(data_dir=str(tmp_path))}

    def evaluate(cursor):
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
        return list(deletion_requests_sensor(context)), context.cursor

    assert evaluate(None)[0] == []  # no requests yet
    _write_requests(tmp_path, [f"R1,{april['conversation_hash']},,,PII report,2024-01-02"])
    requests, cursor = evaluate(None)
    assert [(r.partition_key, r.job_name) for r in requests] == [("2023-04", "monthly_pipeline")]
    assert requests[0].run_config == {"ops": {"release_splits": {"config": {"allow_shrink": True}}}}
    assert {k.to_user_string() for k in requests[0].asset_selection} == {
        Stage.RELEASE_NONTOXIC,
        Stage.RELEASE_TOXIC,
        Stage.RELEASE_UNSCREENED,
        Stage.RELEASE_TEMPLATE_CAPPED,
        Stage.MONTHLY_STATS,
    }
    again, cursor = evaluate(cursor)
    assert again == []  # same requests, runs not finished (none launched here): nothing new

    # Once the month's run has finished, the manifest is refreshed (its check proves the removal).
    @dg.op
    def release_month():
        pass

    @dg.job
    def stand_in():
        release_month()

    assert stand_in.execute_in_process(instance=instance, tags={DELETIONS_TAG: json.loads(cursor)["pending"]}).success
    publish, cursor = evaluate(cursor)
    assert [r.job_name for r in publish] == ["publication"]
    assert evaluate(cursor)[0] == []


def test_an_edited_request_that_keeps_its_id_is_applied_again(tmp_path):
    april, may = _row("alpha"), _row("beta", ip="198.51.100.1", start=T + dt.timedelta(days=30))
    _publish(tmp_path, "2023-04", [april])
    _publish(tmp_path, "2023-05", [may])
    instance = dg.DagsterInstance.ephemeral()
    resources = {"warehouse": WarehouseResource(data_dir=str(tmp_path))}

    def evaluate(cursor):
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
        return list(deletion_requests_sensor(context)), context.cursor

    _write_requests(tmp_path, [f"R1,{april['conversation_hash']},,,PII report,2024-01-02"])
    first, cursor = evaluate(None)
    assert [r.partition_key for r in first] == ["2023-04"]
    # The requester meant the May conversation: the same request id now names another hash.
    _write_requests(tmp_path, [f"R1,{may['conversation_hash']},,,PII report,2024-01-02"])
    edited, _ = evaluate(cursor)
    assert [r.partition_key for r in edited] == ["2023-05"]
