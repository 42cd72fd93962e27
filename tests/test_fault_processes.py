"""Faults with real processes: kill -9 mid-run, Ctrl-C, two first runs racing on a fresh instance."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from wildchat_dagster.cli.instance import instance_yaml
from wildchat_dagster.cli.instance_guard import PROCESS_TAG, PoolWaits, open_instance, reap_dead_runs, this_process

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "wildchat_dagster.cli"]


def cli_env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "WILDCHAT_DATA_DIR": str(root / "data"),
        "DAGSTER_HOME": str(root / "home"),
        "WILDCHAT_IP_HASH_KEY": "process-test-key-not-secret",
        "OPENAI_API_KEY": "",
        "PYTHONUNBUFFERED": "1",
    }


def start_run(root: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    log = root / f"run-{time.monotonic_ns()}.log"
    process = subprocess.Popen([*CLI, "run", *args], env=cli_env(root), stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return process, log


def wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the run ended (exit {process.returncode}) before {text!r}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"no {text!r} within {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    done = subprocess.run([*CLI, "generate", "--months", "2023-04", "--conversations-per-month", "12", "--seed", "3"],
                          env=cli_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return tmp_path


MODERATION_STARTED = "conversations to moderate for 2023-04"  # INFO, inside the step that holds the pool slot


@pytest.mark.slow
def test_a_run_killed_at_moderation_never_blocks_the_next(generated):
    first, log = start_run(generated, "--months", "2023-04")
    wait_for(log, MODERATION_STARTED, first)
    first.send_signal(signal.SIGKILL)
    first.wait(30)

    instance = dg.DagsterInstance.from_config(str(generated / "home"))
    (killed,) = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == "2023-04"
                 and "moderated_conversations" in str(r.asset_selection)]
    assert killed.status == dg.DagsterRunStatus.STARTED  # what kill -9 leaves behind
    held = instance.event_log_storage.get_concurrency_info("openai_moderation")
    assert killed.run_id in held.active_run_ids

    # The next run reaps the dead one and gets the pool; without that it would wait forever.
    select = "moderated_conversations,release_nontoxic,release_toxic,release_unscreened,monthly_stats"
    second = subprocess.run([*CLI, "run", "--months", "2023-04", "--select", select], env=cli_env(generated),
                            capture_output=True, text=True, timeout=1200)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"run {killed.run_id[:8]} (2023-04) was left STARTED by a process that is gone" in second.stderr
    assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    assert (generated / "data" / "release" / "nontoxic" / "2023-04.parquet").exists()
    assert not instance.event_log_storage.get_concurrency_info("openai_moderation").active_run_ids


@pytest.mark.slow
def test_ctrl_c_cancels_the_run_and_stops_the_command(generated):
    run, log = start_run(generated, "--months", "2023-04")
    wait_for(log, MODERATION_STARTED, run)
    run.send_signal(signal.SIGINT)
    assert run.wait(120) == 130
    output = log.read_text()
    assert "interrupted during 2023-04: run" in output and "marked canceled; not started: publication" in output
    instance = dg.DagsterInstance.from_config(str(generated / "home"))
    # The ingestion run and the interrupted month; no publication run was started.
    assert sorted(r.status.value for r in instance.get_runs()) == ["CANCELED", "SUCCESS"]
    assert not (generated / "data" / "release" / "manifest.json").exists()


def first_run(home: str) -> None:
    """What a CLI process does first: open the instance, then record a run in it."""
    instance = open_instance(Path(home))

    @dg.asset
    def one() -> int:
        return 1

    result = dg.materialize([one], instance=instance, tags={PROCESS_TAG: this_process()})
    os._exit(0 if result.success else 1)


@pytest.mark.slow
def test_two_first_runs_together_on_a_fresh_instance_ten_times(tmp_path):
    # Forked, not spawned: the race is in the instance's first use, and 20 fresh imports of Dagster cost minutes.
    fork = multiprocessing.get_context("fork")
    for attempt in range(10):
        home = tmp_path / f"home-{attempt}"
        home.mkdir()
        (home / "dagster.yaml").write_text(instance_yaml({}))
        pair = [fork.Process(target=first_run, args=(str(home),)) for _ in range(2)]
        for process in pair:
            process.start()
        for process in pair:
            process.join(120)
        assert [p.exitcode for p in pair] == [0, 0], f"attempt {attempt}"
        instance = open_instance(home)  # a later command still opens it (one alembic head)
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)


def test_reaping_marks_only_runs_whose_process_is_gone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    instance = open_instance(home)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    tags = {
        "dead": {PROCESS_TAG: f"{socket.gethostname()}:{gone.pid}:1"},
        "alive": {PROCESS_TAG: this_process()},
        "other_host": {PROCESS_TAG: "elsewhere:1:1"},
        "daemon": {},
    }
    runs = {name: instance.add_run(dg.DagsterRun(job_name=f"job_{name}", status=dg.DagsterRunStatus.STARTED, tags=t))
            for name, t in tags.items()}
    told: list[str] = []
    assert reap_dead_runs(instance, told.append) == [runs["dead"].run_id]
    status = {name: instance.get_run_by_id(run.run_id).status for name, run in runs.items()}
    assert status == {"dead": dg.DagsterRunStatus.FAILURE, "alive": dg.DagsterRunStatus.STARTED,
                      "other_host": dg.DagsterRunStatus.STARTED, "daemon": dg.DagsterRunStatus.STARTED}
    assert len(told) == 1 and "marked failed, its pool slots freed" in told[0]


def test_temp_files_of_a_killed_write_are_removed_at_the_next_write_of_that_partition(tmp_path):
    from wildchat_dagster.core.storage.warehouse import Warehouse

    store = Warehouse(tmp_path)
    path = store.write_records("rejected_logs", "2023-04", [])
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    stale = path.parent / f".{path.name}.{killed.pid}.k1ll3d.tmp"
    live = path.parent / f".{path.name}.{os.getpid()}.wr1t1ng.tmp"  # a write in progress
    other = path.parent / f".2023-05.parquet.{killed.pid}.0th3r.tmp"  # another partition's: its own next write
    for f in (stale, live, other):
        f.write_bytes(b"partial")
    store.write_records("rejected_logs", "2023-04", [])
    assert not stale.exists() and live.exists() and other.exists()


def test_a_step_waiting_for_a_pool_is_reported_once_with_the_holding_run(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    instance = open_instance(home)
    holder = instance.add_run(dg.DagsterRun(job_name="holder", status=dg.DagsterRunStatus.STARTED,
                                            tags={PROCESS_TAG: this_process(), "dagster/partition": "2023-04"}))
    waiter = instance.add_run(dg.DagsterRun(job_name="waiter", status=dg.DagsterRunStatus.STARTED))
    storage = instance.event_log_storage
    storage.set_concurrency_slots("openai_moderation", 1)
    assert storage.claim_concurrency_slot("openai_moderation", holder.run_id, "moderated_conversations").is_claimed
    assert not storage.claim_concurrency_slot("openai_moderation", waiter.run_id, "moderated_conversations").is_claimed
    told: list[str] = []
    waits = PoolWaits(instance, told.append)
    waits.check(waiter.run_id)
    waits.check(waiter.run_id)
    assert told == [
        f"step moderated_conversations of run {waiter.run_id[:8]} waits for pool openai_moderation (limit 1), "
        f"held by run {holder.run_id} (STARTED, 2023-04, process {this_process()})"
    ]
    waits.check(holder.run_id)
    assert len(told) == 1  # the holder waits for nothing


def test_a_ctrl_c_whose_exception_was_dropped_still_cancels_the_run():
    """The latch: Python raises KeyboardInterrupt wherever the main thread is, and one raised inside a
    `__del__` is printed and dropped; the run loop still sees the stop, cancels the run and says so."""
    from wildchat_dagster.cli.runner import STOP_REQUESTED, RunInterrupted, _execute_watched, stop_on_signals

    @dg.asset
    def slow() -> int:
        time.sleep(5)
        return 1

    job = dg.Definitions(assets=[slow], jobs=[dg.define_asset_job("slow_job")]).resolve_job_def("slow_job")
    instance = dg.DagsterInstance.ephemeral()
    before = signal.getsignal(signal.SIGINT)  # pytest-xdist workers ignore SIGINT
    with stop_on_signals():
        assert signal.getsignal(signal.SIGINT) is not before
        threading.Timer(1.0, STOP_REQUESTED.set).start()  # what the handler does; its exception was lost
        begun = time.monotonic()
        with pytest.raises(RunInterrupted, match="interrupted during demo: run .* marked canceled"):
            _execute_watched(job, instance, PoolWaits(instance, lambda message: None), "demo")
        assert time.monotonic() - begun < 4  # seen within a poll, not when the step ended
    assert not STOP_REQUESTED.is_set()  # cleared: later runs in this process are not stopped
    assert signal.getsignal(signal.SIGINT) is before  # restored
    assert [r.status.value for r in instance.get_runs()] == ["CANCELED"]
