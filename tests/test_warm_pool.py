"""The warm worker pool: a month's sharded stages give the same bytes pooled as inline, the workers die
with the run, a worker's error or death fails the step instead of hanging it."""

from __future__ import annotations

import os
import re
import time

import dagster as dg
import psutil
import pytest

from wildchat_dagster.core.moderation.cache import CACHE_FILE_NAME
from wildchat_dagster.core.parallel import pool as warm_pool
from wildchat_dagster.core.parallel.pool import WarmPool, WorkerFailed, shutdown_pools
from wildchat_dagster.core.parallel.spec import Shared, WorkerSpec
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.definitions import ASSET_MODULES
from wildchat_dagster.kit.synthetic.generator import generate_landing
from wildchat_dagster.resources.defaults import default_resources
from wildchat_dagster.settings import Settings
from wildchat_dagster.stages import Stage

from factories import materialized_outcome

MONTH = "2023-04"
SHARDED = [
    Stage.GEOTAGGED_CONVERSATIONS, Stage.LANGUAGE_TAGGED_CONVERSATIONS,
    Stage.REDACTED_CONVERSATIONS, Stage.MODERATED_CONVERSATIONS,
]
# Figures that follow timing or the order batches reach the moderation cache, not the data.
VARYING = ("seconds", "per_second", "cache_hits", "cache_misses", "model_runs", "workers_used")


_EARLIER: set[int] = set()  # children an earlier test left (e.g. the resource tracker of a spawned executor)


@pytest.fixture(autouse=True)
def _earlier_children():
    _EARLIER.clear()
    _EARLIER.update(p.pid for p in psutil.Process().children(recursive=True))
    yield


def _children() -> list[psutil.Process]:
    """This test's child processes (what was there before it is not its to stop)."""
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in _EARLIER]


def _workers() -> list[psutil.Process]:
    """The pool's workers: the forkserver's children (they keep its command line). The forkserver may
    be an earlier test's: it lives as long as the process unless `shutdown_pools` stops it."""
    everything = psutil.Process().children(recursive=True)
    servers = {p.pid for p in everything if "forkserver import main" in " ".join(p.cmdline())}
    return [p for p in everything if p.ppid() in servers]


def _materialize(layout, selection: dg.AssetSelection, workers: int) -> tuple[dg.ExecuteInProcessResult, str]:
    """The run's result and its log messages."""
    settings = Settings.from_environ(workers=workers)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [*dg.load_assets_from_modules(ASSET_MODULES), *dg.load_asset_checks_from_modules(ASSET_MODULES)],
        selection=selection, partition_key=MONTH, resources=default_resources(layout, settings), instance=instance,
    )
    assert result.success
    return result, "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))


def _outcome(result: dg.ExecuteInProcessResult, store: Warehouse) -> dict:
    """Per sharded asset: the file's bytes (as a digest), the metadata less what varies, the checks."""
    return {asset: materialized_outcome(result, store, asset, MONTH, VARYING) for asset in SHARDED}


@pytest.mark.slow
def test_a_month_pooled_gives_the_bytes_of_the_month_inline(data_dir, monkeypatch):
    """Batches of 10: each stage's 6+ batches go through two warm workers, in order, written here."""
    generate_landing(data_dir, [MONTH], 60, seed=7, short=True)
    store = Warehouse(data_dir)
    monkeypatch.setenv("WILDCHAT_BATCH_ROWS", "10")
    monkeypatch.setattr(warm_pool, "MIN_POOLED_CONVERSATIONS", 1)
    monkeypatch.setattr(warm_pool, "MIN_POOLED_BATCHES", 2)
    everything = dg.AssetSelection.all() - dg.AssetSelection.groups("publication")
    result, log = _materialize(store.layout, everything, workers=1)
    inline = _outcome(result, store)
    assert not _children() and "worker processes" not in log

    store.layout.cache(CACHE_FILE_NAME).unlink()  # the moderation cache would answer from the first run
    sharded = dg.AssetSelection.assets(*SHARDED)
    result, log = _materialize(store.layout, sharded, workers=2)
    pooled = _outcome(result, store)
    # Each stage's batches (redaction's two passes) went to the workers.
    assert len(re.findall(r"conversations in [5-6] batches over 2 worker processes", log)) == 5, log
    assert len(_workers()) == 2  # warm after the run, for the next steps of a command
    shutdown_pools()
    assert not _children()  # workers and forkserver gone

    assert store.partition_rows(Stage.MODERATED_CONVERSATIONS, MONTH) >= 50
    for asset in SHARDED:
        assert pooled[asset]["file"] == inline[asset]["file"], asset  # the same bytes
        assert pooled[asset]["checks"] == inline[asset]["checks"], asset
        assert pooled[asset]["metadata"] == inline[asset]["metadata"], asset


def _double(log=None):
    return lambda n: 2 * n


def _fail_on(bad: int, log=None):
    def process(n: int) -> int:
        if n == bad:
            raise ValueError(f"batch {n} is bad")
        return n
    return process


def _die_on(bad: int, log=None):
    def process(n: int) -> int:
        if n == bad:
            os._exit(3)
        return n
    return process


def _counter(log=None):
    state = {"builds": 1, "calls": 0}

    def process(n: int) -> tuple[int, int]:
        state["calls"] += 1
        log(f"batch {n}")
        return os.getpid(), state["builds"]
    return process


def test_results_come_back_in_order_with_bounded_look_ahead():
    pool = WarmPool(2)
    fed: list[int] = []

    def items():
        for n in range(40):
            fed.append(n)
            yield n

    try:
        results = pool.map(WorkerSpec(_double), items(), in_flight=3)
        for n, (item, doubled) in enumerate(results):
            assert (item, doubled) == (n, 2 * n)
            assert len(fed) <= n + 3 + 1  # never more than 3 batches ahead of what was handed back
        lines: list[str] = []
        pids = {pid for _, (pid, _) in pool.map(WorkerSpec(_counter), range(20), log=lines.append)}
        assert len(pids) <= 2 and sorted(lines) == sorted(f"batch {n}" for n in range(20))  # logs come back
    finally:
        pool.shutdown()


def test_a_worker_error_fails_the_batch_and_the_pool_goes_on():
    pool = WarmPool(2)
    try:
        with pytest.raises(ValueError, match="batch 5 is bad"):
            list(pool.map(WorkerSpec(_fail_on, (5,)), range(10)))
        assert [r for _, r in pool.map(WorkerSpec(_double), range(4))] == [0, 2, 4, 6]
    finally:
        pool.shutdown()


def test_a_dead_worker_fails_the_batch_instead_of_hanging():
    pool = WarmPool(2)
    try:
        with pytest.raises(WorkerFailed, match="worker process died"):
            list(pool.map(WorkerSpec(_die_on, (3,)), range(10)))
        assert [r for _, r in pool.map(WorkerSpec(_double), range(3))] == [0, 2, 4]  # fresh workers
    finally:
        pool.shutdown()
    shutdown_pools()
    assert not _children()


def test_idle_workers_exit_and_the_next_map_starts_fresh_ones():
    """The month's later single-process stages do not carry the workers: they go once idle."""
    pool = WarmPool(2, idle_release_s=0.3)

    def slowly(n: int):  # slower than the idle release: a map under way keeps its workers
        for item in range(n):
            time.sleep(0.4)
            yield item

    try:
        first = {pid for _, (pid, _) in pool.map(WorkerSpec(_counter), slowly(4))}
        deadline = time.monotonic() + 15
        while pool.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pool.started
        psutil.wait_procs([psutil.Process(pid) for pid in first if psutil.pid_exists(pid)], timeout=10)
        assert not any(psutil.pid_exists(pid) for pid in first)
        assert [r for _, r in pool.map(WorkerSpec(_double), range(3))] == [0, 2, 4]  # fresh workers
        assert pool.started
    finally:
        pool.shutdown()


def _shut_down_in_a_spawned_child() -> str:
    shutdown_pools()  # its resource tracker is the parent's: not its own to stop
    return "ok"


def test_a_spawned_child_leaves_its_parents_helpers_alone():
    """`run` inside a spawned process (the linearity benchmark's sizes, an executor's child) ends cleanly."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # the parent's tracker: its descriptor goes to the child
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        assert child.submit(_shut_down_in_a_spawned_child).result(timeout=120) == "ok"


def test_shared_objects_are_built_once_per_process():
    first = Shared.of(dict, a=1).get()
    assert Shared.of(dict, a=1).get() is first and Shared.of(dict, a=2).get() is not first


def test_one_worker_or_a_worker_itself_means_inline(monkeypatch):
    assert warm_pool.run_pool(1) is None
    monkeypatch.setattr(warm_pool, "_in_worker", True)
    assert warm_pool.run_pool(2) is None
    assert not warm_pool.worth_pooling(1, 10_000) and not warm_pool.worth_pooling(4, 100)
    assert not warm_pool.worth_pooling(2, 4_000)  # the bench's 4,000 conversations: start-up outweighs the gain
    assert warm_pool.worth_pooling(10, 20_000)  # a shard of a WildChat month


@pytest.mark.slow
def test_a_run_leaves_no_worker_behind_even_when_it_fails(data_dir, monkeypatch):
    """`run` starts the warm workers for its stages and stops them (and multiprocessing's helpers) at
    the end, also when the command fails part-way."""
    from wildchat_dagster.cli.runner import run_months

    generate_landing(data_dir, [MONTH], 40, seed=5, short=True)
    monkeypatch.setenv("WILDCHAT_BATCH_ROWS", "10")
    monkeypatch.setenv("WILDCHAT_WORKERS", "2")
    monkeypatch.setattr(warm_pool, "IDLE_RELEASE_S", 600.0)  # warm until the run's end, however slow the machine
    monkeypatch.setattr(warm_pool, "MIN_POOLED_CONVERSATIONS", 1)
    monkeypatch.setattr(warm_pool, "MIN_POOLED_BATCHES", 2)
    seen: list[int] = []

    def report(outcome) -> None:
        seen.append(len(_workers()))
        if outcome.label == MONTH:
            raise RuntimeError("the command fails after the month")

    with pytest.raises(RuntimeError, match="fails after the month"):
        run_months([MONTH], selection=set(SHARDED) | {"raw_logs", "rejected_logs", "linked_conversations",
                                                     "deduplicated_conversations"}, report=report)
    assert max(seen) >= 2  # the month's stages ran on the warm workers
    assert not _children()


def test_the_workers_setting():
    cores = os.cpu_count()
    assert Settings.from_environ({}).workers == cores
    assert Settings.from_environ({"WILDCHAT_WORKERS": "1"}).workers == 1
    assert Settings.from_environ({"WILDCHAT_EXECUTOR": "multiprocess"}).workers == 1  # the steps use the cores
    with pytest.raises(ValueError, match="WILDCHAT_WORKERS"):
        Settings.from_environ({"WILDCHAT_WORKERS": "0"})
    # How many processes do the work changes no output: it is no part of the run's settings fingerprint.
    assert Settings.from_environ({"WILDCHAT_WORKERS": "1"}).fingerprint_items() == Settings.from_environ(
        {}).fingerprint_items()
