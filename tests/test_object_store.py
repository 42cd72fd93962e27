"""Two months end to end with the data root on an S3 endpoint (moto, 127.0.0.1), read back three ways."""

from __future__ import annotations

import json

import dagster as dg
import datasets
import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
import s3fs
from servers import s3_server

from wildchat_dagster.cli.commands import _echo_published
from wildchat_dagster.cli.runner import run_months
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import Warehouse, duckdb_readable, file_sha256
from wildchat_dagster.kit.synthetic.generator import generate_landing
from wildchat_dagster.resources.step_outputs import remove_run_outputs
from wildchat_dagster.schema import WILDCHAT_1M
from wildchat_dagster.stages import Stage

pytestmark = pytest.mark.slow
MONTHS = ["2023-04", "2023-05"]
BUCKET = "wildchat-release"
ROOT = f"s3://{BUCKET}/pipeline"


@pytest.fixture(scope="module")
def s3_run(tmp_path_factory):
    """Landing files uploaded to the bucket, then every asset of both months run against it."""
    work = tmp_path_factory.mktemp("s3")
    with s3_server() as env, pytest.MonkeyPatch.context() as mp:
        for key, value in {**env, "DAGSTER_HOME": str(work / "dagster_home"),
                           "WILDCHAT_IP_HASH_KEY": "object-store-test-key-not-secret"}.items():
            mp.setenv(key, value)
        mp.delenv("OPENAI_API_KEY", raising=False)
        generate_landing(work / "generated", MONTHS, 120, seed=11)
        fs = s3fs.S3FileSystem()
        fs.mkdir(BUCKET)
        fs.put(str(work / "generated" / "landing"), f"{BUCKET}/pipeline/landing", recursive=True)
        layout = DataLayout(ROOT, local_dir=work / "local")
        outcomes = run_months(MONTHS, layout=layout, log_level="WARNING")
        yield layout, outcomes, env, work


def test_every_run_succeeds_and_nothing_is_written_outside_the_bucket_but_local_state(s3_run):
    layout, outcomes, _, work = s3_run
    assert [o.label for o in outcomes if not o.ok] == []
    assert [p.name for p in sorted((work / "local").iterdir())] == ["cache", "wildchat.duckdb"]
    warehouse = Warehouse(layout)
    for month in MONTHS:
        for stage in (Stage.RAW_LOGS, Stage.MODERATED_CONVERSATIONS, Stage.RELEASE_NONTOXIC):
            assert warehouse.has_partition(stage, month)
    assert layout.report_file("index.html").exists()
    # The sharded stages' step outputs went to the bucket too, where a step on another machine reads them;
    # once each run had finished, its step outputs were removed.
    instance = dg.DagsterInstance.get()
    handed_over = [str(event.dagster_event.event_specific_data.metadata["path"].value)
                   for o in outcomes if o.run_id != "not run"
                   for event in instance.all_logs(o.run_id, of_type=dg.DagsterEventType.HANDLED_OUTPUT)
                   if "path" in event.dagster_event.event_specific_data.metadata]
    assert any("step_outputs" in p and "shard_redacted_conversations" in p for p in handed_over), handed_over[:5]
    assert not layout.step_outputs_dir.exists() or not list(layout.step_outputs_dir.iterdir())


def test_release_reads_back_with_pyarrow_duckdb_and_datasets(s3_run, tmp_path, monkeypatch):
    layout, _, env, _ = s3_run
    # The suite keeps the HF hub offline; `datasets` applies that to every remote URL, this loopback one too.
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    manifest = json.loads(layout.manifest.read_text())
    expected = manifest["totals"]["conversations"]
    assert expected > 100 and manifest["months"] == MONTHS
    for split, by_month in manifest["files"].items():
        for month, entry in by_month.items():
            assert entry["path"] == f"release/{split}/{month}.parquet"
            assert entry["sha256"] == file_sha256(layout.published(split, month))

    # pyarrow's own S3 filesystem (no fsspec), as an analyst would read it.
    s3 = pafs.S3FileSystem(endpoint_override=env["AWS_ENDPOINT_URL"], access_key="testing", secret_key="testing",
                           region="us-east-1")
    # Every published folder the manifest lists: the two splits and the conversations held unscreened.
    listed = [entry["path"] for by_month in manifest["files"].values() for entry in by_month.values()]
    release = pq.ParquetDataset([f"{BUCKET}/pipeline/{path}" for path in listed], filesystem=s3).read()
    assert release.num_rows == expected and release.schema.equals(WILDCHAT_1M, check_metadata=False)

    con = duckdb.connect()
    files = duckdb_readable(con, [layout.root / path for path in listed])
    assert con.execute(
        "SELECT count(*), count(DISTINCT conversation_hash) FROM read_parquet(?)", [files]
    ).fetchone() == (expected, len(set(release.column("conversation_hash").to_pylist())))

    loaded = datasets.load_dataset("parquet", data_files={"train": f"{ROOT}/release/*/*.parquet"}, split="train",
                                   cache_dir=str(tmp_path / "hf"))
    assert loaded.num_rows == expected
    assert sorted(loaded["conversation_hash"]) == sorted(release.column("conversation_hash").to_pylist())


def test_catalog_views_read_the_bucket(s3_run):
    layout, *_ = s3_run
    con = duckdb.connect(str(layout.catalog), read_only=True)
    con.register_filesystem(s3fs.S3FileSystem())  # views name s3:// files; this connection needs the filesystem too
    (rows,) = con.execute("SELECT count(*) FROM release_all").fetchone()
    assert rows == json.loads(layout.manifest.read_text())["totals"]["conversations"]


def test_a_finished_runs_step_outputs_are_removed_and_the_summary_survives_a_stopped_store(
    tmp_path, monkeypatch, capsys
):
    with s3_server() as env:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        # moto's buckets live in the process, shared with the module's server: a bucket of this test's own.
        s3fs.S3FileSystem().mkdir("wildchat-step-outputs")
        layout = DataLayout("s3://wildchat-step-outputs/pipeline", local_dir=tmp_path / "local")
        finished, other = (
            layout.step_outputs_dir / "run-1" / "shard_step" / "result.pickle",
            layout.step_outputs_dir / "run-2" / "x.pickle",
        )
        for path in (finished, other):
            path.write_bytes(b"step output")
        remove_run_outputs(layout, "run-1")
        assert not (layout.step_outputs_dir / "run-1").exists() and other.exists()
        (layout.release_dir / "manifest.json").write_text("{}")
    # The store is gone now: the CLI's closing lines say so in one line instead of a traceback.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    capsys.readouterr()
    _echo_published(layout)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "could not be read" in lines[0], lines
