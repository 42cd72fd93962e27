"""A two-month backfill on Celery workers, data on S3 (moto), the instance on PostgreSQL, all on 127.0.0.1.

Two worker processes, each with its own local folder (as on two machines), share
only the bucket, the PostgreSQL instance and the Redis broker. Months are the
unit of distribution: each month's run is one Celery task, so the months of a
backfill run on different workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import s3fs
from celery import Celery
from servers import postgres_server, redis_server, s3_server

from wildchat_dagster.cli.instance import CELERY_BROKER_ENV, POSTGRES_URL_ENV, instance_yaml
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.kit.synthetic.generator import generate_landing
from wildchat_dagster.stages import Stage

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
MONTHS = ["2023-04", "2023-05"]
ROOT = "s3://distributed/pipeline"
SHARDED_ROOT = "s3://sharded/pipeline"  # its own bucket: the object store may outlive the backfill's fixture
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
# Workers take one run at a time and acknowledge it when done, so a busy worker holds no second month.
CELERY_CONFIG = """\
broker_url = {broker!r}
result_backend = {broker!r}
worker_prefetch_multiplier = 1
task_acks_late = True
broker_connection_retry_on_startup = True
"""


def _wait_for_workers(broker: str, workers: list[subprocess.Popen], count: int, timeout: float = 240) -> None:
    app = Celery(broker=broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a Celery worker exited")
        if len(app.control.ping(timeout=1.0)) >= count:
            return
        time.sleep(1)
    raise RuntimeError(f"{count} Celery workers did not answer within {timeout} s")


def _backfill(env: dict, job: str, instance: dg.DagsterInstance, timeout: float = 600) -> list[dg.DagsterRun]:
    """`dagster job backfill` of both months; returns the runs once all finished."""
    subprocess.run([sys.executable, "-m", "dagster", "job", "backfill", "-m", "wildchat_dagster.definitions", "-j", job,
                    "--partitions", ",".join(MONTHS), "--noprompt"], env=env, cwd=REPO, check=True, capture_output=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job))
        if len(runs) == len(MONTHS) and all(r.status in FINISHED for r in runs):
            return runs
        time.sleep(2)
    raise TimeoutError(f"{job} backfill did not finish within {timeout} s")


def _pools() -> list[str]:
    from wildchat_dagster.definitions import defs

    # Every op, also those inside graph-backed (sharded) assets: a pool left out is created by racing runs.
    op_defs = defs.resolve_job_def("monthly_pipeline").graph.iterate_op_defs()
    pools = sorted({op_def.pool for op_def in op_defs if op_def.pool})
    assert "openai_moderation" in pools, pools
    return pools


def _step_pids(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    return {e.dagster_event.pid for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)}


def _prepare_launcher(mp: pytest.MonkeyPatch, env: dict, work: Path, broker: str, s3_env: dict) -> None:
    """This process launches the runs: the instance's variables, its dagster.yaml and the Celery config."""
    for key in (POSTGRES_URL_ENV, "DAGSTER_HOME", *s3_env):
        mp.setenv(key, env[key])
    (work / "dagster_home").mkdir()
    (work / "dagster_home" / "dagster.yaml").write_text(instance_yaml(env))
    (work / "celery").mkdir()
    (work / "celery" / "dagster_celery_config.py").write_text(CELERY_CONFIG.format(broker=broker))


@pytest.fixture(scope="module")
def backfill(tmp_path_factory):
    work = tmp_path_factory.mktemp("distributed")
    with (
        s3_server() as s3_env,
        postgres_server() as pg_url,
        redis_server() as broker,
        pytest.MonkeyPatch.context() as mp,
    ):
        env = {
            **os.environ, **s3_env,
            POSTGRES_URL_ENV: pg_url, CELERY_BROKER_ENV: broker,
            "DAGSTER_HOME": str(work / "dagster_home"),
            "WILDCHAT_DATA_DIR": ROOT, "WILDCHAT_LOCAL_DIR": str(work / "launcher"),
            "WILDCHAT_IP_HASH_KEY": "distributed-test-key-not-secret",
            "PYTHONPATH": os.pathsep.join([str(REPO), str(work / "celery")]),
        }
        env.pop("OPENAI_API_KEY", None)
        _prepare_launcher(mp, env, work, broker, s3_env)

        generate_landing(work / "generated", MONTHS, 60, seed=5)
        fs = s3fs.S3FileSystem()
        fs.mkdir("distributed")
        fs.put(str(work / "generated" / "landing"), "distributed/pipeline/landing", recursive=True)

        workers, logs = [], []
        for name in ("w1", "w2"):
            logs.append((work / f"{name}.log").open("wb"))
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "dagster_celery.app",
                        "worker",
                        "--pool=solo",
                        "--concurrency=1",
                        "-n",
                        f"{name}@%h",
                        "-Q",
                        "dagster",
                        "--loglevel=INFO",
                    ],
                    env={**env, "WILDCHAT_LOCAL_DIR": str(work / name)},
                    cwd=REPO,
                    stdout=logs[-1],
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            _wait_for_workers(broker, workers, 2)
            # Set every pool's limit once, before runs race to create it (docs/DEPLOY.md): two workers
            # initialising one together hit a unique-key violation in dagster-postgres.
            for pool in _pools():
                subprocess.run([sys.executable, "-m", "dagster", "instance", "concurrency", "set", pool, "1"],
                               env=env, cwd=REPO, check=True, capture_output=True)
            with dg.DagsterInstance.get() as instance:
                ingestion = _backfill(env, "monthly_ingestion", instance)
                processing = _backfill(env, "monthly_processing", instance)
                yield instance, ingestion, processing, {w.pid for w in workers}, pg_url, work
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            for log in logs:
                log.close()


def test_every_month_ran_to_success_on_a_worker(backfill):
    instance, ingestion, processing, worker_pids, _, work = backfill
    for run in ingestion + processing:
        assert run.status == dg.DagsterRunStatus.SUCCESS, (work / "w1.log").read_text()[-3000:]
        assert run.tags.get("dagster/backfill") and run.tags["dagster/partition"] in MONTHS
    assert {run.tags["dagster/partition"] for run in processing} == set(MONTHS)


def test_months_execute_on_different_workers(backfill):
    instance, ingestion, processing, worker_pids, *_ = backfill
    for runs in (ingestion, processing):
        pids = [_step_pids(instance, run.run_id) for run in runs]
        assert all(len(p) == 1 for p in pids)  # a month runs whole on one worker
        assert pids[0] != pids[1] and pids[0] | pids[1] == worker_pids  # and the two months on the two workers


def test_the_openai_pool_holds_across_workers(backfill):
    """The moderation shard steps (the ops that hold the OpenAI pool) of the two months never overlap,
    though the months ran on two workers at once."""
    instance, _, processing, *_ = backfill
    spans: dict[tuple[str, str], dict] = {}
    for run in processing:
        for e in instance.all_logs(run.run_id):
            if (
                e.is_dagster_event
                and e.step_key
                and f"shard_{Stage.MODERATED_CONVERSATIONS}" in e.step_key
                and e.dagster_event.event_type in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS)
            ):
                spans.setdefault((run.run_id, e.step_key), {})[e.dagster_event.event_type] = e.timestamp
    assert {run_id for run_id, _ in spans} == {run.run_id for run in processing}
    ordered = sorted((t[dg.DagsterEventType.STEP_START], t[dg.DagsterEventType.STEP_SUCCESS]) for t in spans.values())
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(ordered))


def test_runs_materializations_and_checks_are_in_postgresql(backfill):
    *_, pg_url, _ = backfill
    with psycopg2.connect(pg_url.replace("+psycopg2", "")) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
        assert cur.fetchone()[0] == 4
        cur.execute("SELECT count(DISTINCT asset_key), count(DISTINCT partition) FROM event_logs "
                    "WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        assets, partitions = cur.fetchone()
        assert assets >= 11 and partitions == 2
        cur.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_CHECK_EVALUATION'")
        assert cur.fetchone()[0] >= 20


def test_the_release_is_in_the_bucket_and_nothing_in_the_workers_folders_but_caches(backfill):
    *_, work = backfill
    warehouse = Warehouse(DataLayout(ROOT, local_dir=work / "launcher"))
    for month in MONTHS:
        released = sum(warehouse.read_table(s, month).num_rows
                       for s in (Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED))
        assert released == warehouse.read_table(Stage.MODERATED_CONVERSATIONS, month).num_rows > 20
        assert warehouse.layout.published("nontoxic", month).exists()
    for name in ("w1", "w2"):
        assert {p.name for p in (work / name).iterdir()} <= {"cache"}


# --- one month's shards as Celery steps on two workers ------------------------------------------

SHARDED_MONTH = "2023-05"
# Every partition a shard step writes or a sharded stage feeds, and the release files.
COMPARED = [Stage.GEOTAGGED_CONVERSATIONS, Stage.LANGUAGE_TAGGED_CONVERSATIONS, Stage.REDACTED_CONVERSATIONS,
            Stage.MODERATED_CONVERSATIONS, Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED,
            Stage.LINEAGE_INDEX]
# The project's definitions with each step a Celery task (docs/DEPLOY.md, a step-distributed deployment).
CELERY_DEFS = """\
import dagster as dg
from dagster_celery import celery_executor

from wildchat_dagster import definitions as project

broker = {"env": "WILDCHAT_CELERY_BROKER"}
# The project's Definitions read through its module: one Definitions object at this module's scope.
defs = dg.Definitions(assets=project.defs.assets, asset_checks=project.defs.asset_checks, jobs=project.defs.jobs,
                      resources=project.defs.resources,
                      executor=celery_executor.configured({"broker": broker, "backend": broker}))
"""


def _start_workers(env: dict, work: Path) -> tuple[list[subprocess.Popen], list]:
    workers, logs = [], []
    for name in ("s1", "s2"):
        logs.append((work / f"{name}.log").open("wb"))
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dagster_celery.app", "worker", "--pool=solo", "--concurrency=1",
             "-n", f"{name}@%h", "-Q", "dagster", "--loglevel=INFO"],
            env={**env, "WILDCHAT_LOCAL_DIR": str(work / name)}, cwd=REPO, stdout=logs[-1], stderr=subprocess.STDOUT,
        ))
    return workers, logs


def _execute(env: dict, defs_file: Path, job: str) -> None:
    """`dagster job execute` of the month: this process coordinates, the Celery executor sends each step to a worker."""
    done = subprocess.run([sys.executable, "-m", "dagster", "job", "execute", "-f", str(defs_file), "-j", job,
                           "--tags", f'{{"dagster/partition": "{SHARDED_MONTH}"}}'],
                          env=env, cwd=REPO, capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def sharded_month(tmp_path_factory):
    """The month run twice: in one process as one shard (a local folder, SQLite), and as 3 shards per
    sharded stage through celery_executor on two workers (the bucket, PostgreSQL)."""
    work = tmp_path_factory.mktemp("sharded")
    reference = work / "reference"
    generate_landing(reference, [SHARDED_MONTH], 60, seed=7)
    common = {"WILDCHAT_IP_HASH_KEY": "distributed-test-key-not-secret", "WILDCHAT_BATCH_ROWS": "10"}
    plain = {k: v for k, v in os.environ.items() if k not in (POSTGRES_URL_ENV, CELERY_BROKER_ENV, "OPENAI_API_KEY")}
    done = subprocess.run([sys.executable, "-m", "wildchat_dagster.cli", "run", "--months", SHARDED_MONTH,
                           "--data-dir", str(reference)],
                          env={**plain, **common, "DAGSTER_HOME": str(work / "reference_home"),
                               "PYTHONPATH": str(REPO)}, cwd=REPO, capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    with (s3_server() as s3_env, postgres_server() as pg_url, redis_server() as broker,
          pytest.MonkeyPatch.context() as mp):
        env = {**plain, **s3_env, **common, POSTGRES_URL_ENV: pg_url, CELERY_BROKER_ENV: broker,
               "WILDCHAT_SHARD_ROWS": "20", "DAGSTER_HOME": str(work / "dagster_home"),
               "WILDCHAT_DATA_DIR": SHARDED_ROOT, "WILDCHAT_LOCAL_DIR": str(work / "launcher"),
               "PYTHONPATH": os.pathsep.join([str(REPO), str(work / "celery")])}
        _prepare_launcher(mp, env, work, broker, s3_env)
        (work / "celery" / "celery_defs.py").write_text(CELERY_DEFS)
        fs = s3fs.S3FileSystem()
        fs.mkdir("sharded")
        fs.put(str(reference / "landing"), "sharded/pipeline/landing", recursive=True)
        workers, logs = _start_workers(env, work)
        try:
            _wait_for_workers(broker, workers, 2)
            for job in ("monthly_ingestion", "monthly_processing"):
                _execute(env, work / "celery" / "celery_defs.py", job)
            with dg.DagsterInstance.get() as instance:
                runs = instance.get_runs(filters=dg.RunsFilter(job_name="monthly_processing"))
                step_pids = _step_pids_by_key(instance, runs[0].run_id)
            yield reference, Warehouse(DataLayout(SHARDED_ROOT, local_dir=work / "launcher")), runs, step_pids, workers
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
            for log in logs:
                log.close()


def _step_pids_by_key(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    return {e.step_key: e.dagster_event.pid
            for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)}


def test_a_months_shards_on_two_celery_workers_publish_the_one_shard_month_byte_for_byte(sharded_month):
    reference, store, runs, step_pids, workers = sharded_month
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS]
    shard_steps = {key: pid for key, pid in step_pids.items() if "[shard_" in key}
    assert len({key.split(".")[0] for key in shard_steps}) == 4  # geo, language, redaction, moderation
    assert len(shard_steps) >= 4 * 3  # 60 conversations in shards of 20
    assert set(shard_steps.values()) == {w.pid for w in workers}  # the shards ran on both workers
    local = Warehouse(reference)
    for asset in COMPARED:
        assert store.layout.partition(asset, SHARDED_MONTH).read_bytes() == \
            local.layout.partition(asset, SHARDED_MONTH).read_bytes(), asset
    for split in ("nontoxic", "toxic", "unscreened"):
        assert store.layout.published(split, SHARDED_MONTH).read_bytes() == \
            local.layout.published(split, SHARDED_MONTH).read_bytes(), split
