"""One warm process pool per run: batches of a stage mapped through worker processes, in order.

The pipeline runs its steps one at a time in one process (the CLI's in-process
executor), so a second core idles unless the per-batch work goes elsewhere.
`run_pool(workers)` gives the process's pool, started on first need (forkserver
with the heavy modules imported once in the server; spawn where forkserver does
not exist) and kept warm across steps, stages and months until `shutdown_pools`
(the end of the run, Ctrl-C, an error; also at interpreter exit) or until it has
been idle IDLE_RELEASE_S (the month's later, single-process stages do not carry
the workers' models in memory; the next month's first sharded stage starts them again). A worker builds
each stage's batch function once (`spec.built_function`), so models load once per
process. `WarmPool.map` keeps at most `in_flight` batches submitted and not yet
handed back, so memory follows the batch size; results come back in input order.
Workers run BLAS, OpenMP, PyTorch and ONNX Runtime on one thread each: the
workers are the parallelism. A worker that dies fails the batch with `WorkerFailed`.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from wildchat_dagster.core.parallel.spec import LogFn, WorkerSpec, built_function

# Batches of a shard worth a pool: measured (bench pipeline, 4,000 conversations in 2 batches, 2 cores),
# the workers' start-up (imports, model loads) and the pickling cost ~20 CPU s over the four stages and
# ~1.4 GB of RSS, more than the second core gave on ~30 CPU s of work; so a shard of fewer than 4 batches
# or 8,000 conversations runs inline, and a WildChat month (~80,000: shards of 10 batches) in the pool.
MIN_POOLED_CONVERSATIONS = 8_000
MIN_POOLED_BATCHES = 4
BATCHES_IN_FLIGHT_PER_WORKER = 2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
_JOIN_TIMEOUT_S = 10.0
# Seconds without a batch after which the workers exit: longer than the gap between two sharded
# stages (a publish step, the next stage's plan), shorter than the later stages of a month.
IDLE_RELEASE_S = 20.0

_in_worker = False  # set in worker processes: no pool inside a pool
_log_lines: list[str] = []  # what the worker's batch function logged, sent back with the batch


class WorkerFailed(RuntimeError):
    """A worker process died (killed, out of memory, a crash in native code) while a batch was in flight."""


def _start_worker() -> None:
    global _in_worker
    _in_worker = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's: it stops the pool
    for name in THREAD_VARIABLES:
        os.putenv(name, "1")  # this worker's C environment, read by native libraries it loads later (torch)
    _one_thread()


def _one_thread() -> None:
    """One thread per native library already loaded in this worker (BLAS, OpenMP, PyTorch)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _run_batch(key: bytes, data: bytes, payload: Any) -> tuple[Any, list[str]]:
    """In a worker: this process's batch function for the spec, applied to one batch."""
    try:
        function = built_function(key, data, _log_lines.append)
        _one_thread()  # building may have loaded a model (and its thread pool)
        return function(payload), list(_log_lines)
    finally:
        _log_lines.clear()


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__, *preload])  # __main__: workers skip re-importing it
    return context


def worth_pooling(batches: int, conversations: int) -> bool:
    """Whether a stream of `batches` batches holding `conversations` is worth the workers."""
    return batches >= MIN_POOLED_BATCHES and conversations >= MIN_POOLED_CONVERSATIONS


class WarmPool:
    """`workers` processes started on first use and kept until `shutdown`."""

    def __init__(self, workers: int, preload: Sequence[str] = (), idle_release_s: float | None = None):
        self.workers = workers
        self.preload = tuple(preload)
        self.idle_release_s = IDLE_RELEASE_S if idle_release_s is None else idle_release_s
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._maps = 0  # maps under way: the workers are not idle
        self._idle_timer: threading.Timer | None = None

    @property
    def started(self) -> bool:
        return self._executor is not None

    def _started(self) -> ProcessPoolExecutor:
        """The executor (started if needed), counted busy until `_done`."""
        with self._lock:
            self._maps += 1
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=_context(self.preload), initializer=_start_worker
                )
            return self._executor

    def _done(self) -> None:
        """A map ended: when none is left, the workers go after `idle_release_s` without a new one."""
        with self._lock:
            self._maps -= 1
            if self._maps == 0 and self._executor is not None:
                self._idle_timer = threading.Timer(self.idle_release_s, self._release_if_idle)
                self._idle_timer.daemon = True
                self._idle_timer.start()

    def _release_if_idle(self) -> None:
        with self._lock:
            if self._maps or self._executor is None:
                return
            executor, self._executor, self._idle_timer = self._executor, None, None
        _stop(executor, kill=False)

    def map(
        self,
        spec: WorkerSpec,
        items: Iterable[Any],
        payload: Callable[[Any], Any] = lambda item: item,
        in_flight: int | None = None,
        log: LogFn | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """(item, result of the spec's batch function on `payload(item)`) for each item, in order,
        with at most `in_flight` batches (default: two per worker) submitted and not yet handed back."""
        key, data = spec.pickled()
        limit = in_flight or BATCHES_IN_FLIGHT_PER_WORKER * self.workers
        pending: deque[tuple[Any, Future]] = deque()
        executor = self._started()
        try:
            for item in items:
                pending.append((item, self._submit(executor, key, data, payload(item))))
                if len(pending) >= limit:
                    yield self._result(*pending.popleft(), log)
            while pending:
                yield self._result(*pending.popleft(), log)
        finally:
            for _, future in pending:
                future.cancel()
            self._done()

    def _submit(self, executor: ProcessPoolExecutor, key: bytes, data: bytes, payload: Any) -> Future:
        try:
            return executor.submit(_run_batch, key, data, payload)
        except BrokenProcessPool as error:
            raise self._failed(error) from error

    def _result(self, item: Any, future: Future, log: LogFn | None) -> tuple[Any, Any]:
        try:
            result, lines = future.result()
        except BrokenProcessPool as error:
            raise self._failed(error) from error
        for line in lines if log else ():
            log(line)
        return item, result

    def _failed(self, error: BaseException) -> WorkerFailed:
        self.shutdown(kill=True)  # the next use starts fresh workers
        return WorkerFailed(
            f"a worker process died while processing a batch ({error}); the step fails and nothing "
            "of the batch was written. Out of memory? Lower WILDCHAT_WORKERS or WILDCHAT_BATCH_ROWS."
        )

    def shutdown(self, kill: bool = False) -> None:
        """Stop the workers: after their current batch, or at once (`kill`: Ctrl-C, a failed step)."""
        with self._lock:
            executor, self._executor = self._executor, None
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        if executor is not None:
            _stop(executor, kill)


def _stop(executor: ProcessPoolExecutor, kill: bool) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())
    if kill:
        for process in processes:
            if process.is_alive():
                process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        process.join(_JOIN_TIMEOUT_S)


_pool: WarmPool | None = None
_pool_lock = threading.Lock()


def run_pool(workers: int, preload: Sequence[str] = ()) -> WarmPool | None:
    """This process's warm pool of `workers` processes (None: one worker, or inside a worker)."""
    global _pool
    workers = min(workers, os.cpu_count() or 1)
    if workers <= 1 or _in_worker:
        return None
    with _pool_lock:
        if _pool is not None and _pool.workers != workers:
            _pool.shutdown()
            _pool = None
        if _pool is None:
            _pool = WarmPool(workers, preload)
        return _pool


def shutdown_pools(kill: bool = False) -> None:
    """Stop this process's pool and the forkserver it started: no child outlives the run."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(kill=kill)
    _stop_helpers()


def _stop_helpers() -> None:
    """The forkserver and the resource tracker, multiprocessing's helper processes, exit with this
    process; a CLI or test process that goes on stops them here once no worker is left (their `_stop`,
    CPython's own way; where absent, they go with the process). Only helpers this process started: a
    spawned child inherits its parent's tracker (a descriptor, no process id of its own to wait for)."""
    if _in_worker or multiprocessing.active_children():
        return
    gc.collect()  # the pool's queues release their semaphores before the tracker goes
    from multiprocessing import forkserver, resource_tracker

    helpers = ((getattr(forkserver, "_forkserver", None), "_forkserver_pid"),
               (getattr(resource_tracker, "_resource_tracker", None), "_pid"))
    for helper, pid in helpers:
        stop = getattr(helper, "_stop", None)
        if stop is not None and getattr(helper, pid, None) is not None:
            stop()


atexit.register(shutdown_pools)
