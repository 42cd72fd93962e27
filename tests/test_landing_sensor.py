"""The landing sensor: files written in steps are ingested once stable, then the months reading them rebuilt."""

from __future__ import annotations

import gzip
import json
import os

import dagster as dg
import pytest

from wildchat_dagster.core.ingestion.landing_watch import LandingWatch, landing_snapshot
from wildchat_dagster.jobs import INGESTION, PROCESSING
from wildchat_dagster.partitions import monthly_partitions
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.sensors import LANDING_VERSION_TAG, landing_sensor


@dg.asset(name="raw_logs", partitions_def=monthly_partitions)
def raw_logs_stand_in() -> dg.MaterializeResult:
    """Records a raw_logs materialization the way an ingestion run does."""
    return dg.MaterializeResult()


class Sensor:
    """Evaluates the sensor like the daemon: one instance, the cursor carried between evaluations."""

    def __init__(self, data_dir):
        self.instance = dg.DagsterInstance.ephemeral()
        self.resources = {"warehouse": WarehouseResource(data_dir=str(data_dir))}
        self.cursor = None

    def evaluate(self) -> list[dg.RunRequest]:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor, resources=self.resources)
        result = landing_sensor(context)
        self.cursor = result.cursor
        return result.run_requests or []

    def ingested(self, request: dg.RunRequest) -> None:
        """The ingestion run of `request` finished."""
        assert dg.materialize([raw_logs_stand_in], partition_key=request.partition_key, instance=self.instance,
                              tags=request.tags).success


def gzip_bytes(lines: int) -> bytes:
    return gzip.compress("".join(json.dumps({"log_id": str(i)}) + "\n" for i in range(lines)).encode())


def test_a_file_written_in_steps_is_ingested_once_it_is_stable(data_dir):
    sensor = Sensor(data_dir)
    assert sensor.evaluate() == []
    folder = data_dir / "landing" / "2023-05"
    folder.mkdir(parents=True)
    data = gzip_bytes(500)
    path = folder / "requests-000.jsonl.gz"
    with path.open("wb") as f:
        f.write(data[: len(data) // 3])  # the shipper has written a third of the gzip
        f.flush()
        assert sensor.evaluate() == []  # first sight: not known to be stable
        f.write(data[len(data) // 3: 2 * len(data) // 3])
        f.flush()
        assert sensor.evaluate() == []  # grew since the last evaluation
        f.write(data[2 * len(data) // 3:])
    assert sensor.evaluate() == []  # complete, but changed since the last evaluation
    [request] = sensor.evaluate()  # unchanged across two evaluations: stable
    assert request.partition_key == "2023-05" and request.asset_selection == INGESTION
    assert request.run_key == f"ingest 2023-05 {request.tags[LANDING_VERSION_TAG]}"
    assert gzip.decompress(path.read_bytes()).count(b"\n") == 500  # what it will read is whole
    assert sensor.evaluate() == [] and sensor.evaluate() == []  # the cursor remembers: never twice

    # A late file for the month: requested again, with a new version, once it is stable too.
    (folder / "requests-001.jsonl").write_text('{"log_id": "late"}\n')
    assert sensor.evaluate() == []
    [again] = sensor.evaluate()
    assert again.partition_key == "2023-05" and again.run_key != request.run_key


def test_once_a_month_is_ingested_it_and_its_neighbours_are_rebuilt(data_dir):
    sensor = Sensor(data_dir)
    for month in ("2023-05", "2023-06", "2023-07"):
        (data_dir / "landing" / month).mkdir(parents=True)
        (data_dir / "landing" / month / "requests-000.jsonl").write_text('{"log_id": "1"}\n')
    assert sensor.evaluate() == []
    ingest = {r.partition_key: r for r in sensor.evaluate()}
    assert set(ingest) == {"2023-05", "2023-06", "2023-07"}
    assert sensor.evaluate() == []  # nothing processed before its logs are in

    sensor.ingested(ingest["2023-06"])
    processing = sensor.evaluate()
    # June's logs are read by May (conversations continuing into June), June, and July (starting in June).
    assert sorted(r.partition_key for r in processing) == ["2023-05", "2023-06", "2023-07"]
    assert all(r.asset_selection == PROCESSING for r in processing)
    assert dg.AssetKey("raw_logs") not in processing[0].asset_selection
    assert sensor.evaluate() == []

    sensor.ingested(ingest["2023-05"])  # May's neighbours: April has no logs, so May and June
    assert sorted(r.partition_key for r in sensor.evaluate()) == ["2023-05", "2023-06"]


def test_an_older_ingestion_does_not_release_a_newer_version(data_dir):
    sensor = Sensor(data_dir)
    folder = data_dir / "landing" / "2023-05"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("{}\n")
    sensor.evaluate()
    [first] = sensor.evaluate()
    (folder / "a.jsonl").write_text("{}\n{}\n")
    sensor.evaluate()
    [second] = sensor.evaluate()
    sensor.ingested(first)  # the run for the old files finished after the files changed
    assert sensor.evaluate() == []
    sensor.ingested(second)
    assert len(sensor.evaluate()) == 1  # May alone: no neighbour has logs


def test_months_outside_the_partitions_and_other_files_are_ignored(data_dir):
    sensor = Sensor(data_dir)
    for name in ("2019-01/a.jsonl", "notes/a.jsonl", "2023-05/readme.txt", "2023-05/.partial.jsonl"):
        (data_dir / "landing" / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / "landing" / name).write_text("{}\n")
    assert sensor.evaluate() == [] and sensor.evaluate() == []
    assert set(landing_snapshot(data_dir / "landing")) == {"2019-01/a.jsonl"}


@pytest.mark.parametrize("removed_all", [False, True])
def test_removing_files_counts_as_a_change(data_dir, removed_all):
    watch = LandingWatch()
    folder = data_dir / "landing" / "2023-05"
    folder.mkdir(parents=True)
    for name in ("a.jsonl", "b.jsonl"):
        (folder / name).write_text("{}\n")
    watch.ready_months(landing_snapshot(data_dir / "landing"))
    assert list(watch.ready_months(landing_snapshot(data_dir / "landing"))) == ["2023-05"]
    os.remove(folder / "b.jsonl")
    if removed_all:
        os.remove(folder / "a.jsonl")
    now = landing_snapshot(data_dir / "landing")
    assert list(watch.ready_months(now)) == ([] if removed_all else ["2023-05"])
    restored = LandingWatch.from_cursor(watch.to_cursor())
    assert restored == watch
