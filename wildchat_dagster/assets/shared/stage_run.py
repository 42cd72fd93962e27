"""The skeleton the conversation stages share: read -> core -> write -> checks -> metadata, in batches.

A stage streams its upstream partition (or one shard of it: a contiguous
range of rows, see `sharded_asset.py`) in record batches through its core
function, writes each batch as it comes (one Parquet row group per batch,
renamed into place at the end) and evaluates its checks batch by batch, so
its peak memory depends on the batch size, not on the month. A stage that gives
its batch function as a `WorkerSpec` too has its batches mapped through the
run's warm worker pool (`core/parallel`) when the shard holds enough work; they
come back in order and are written and checked here exactly as inline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pyarrow as pa

from wildchat_dagster.core.parallel.pool import WarmPool, run_pool, worth_pooling
from wildchat_dagster.core.parallel.spec import WorkerSpec
from wildchat_dagster.core.stats import StageResult
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, file_writer
from wildchat_dagster.resources.step_outputs import step_output_value
from wildchat_dagster.schema import STAGE_SCHEMAS

# Imported once in the workers' forkserver. Only the light modules: Presidio, spaCy and Dagster preloaded
# there (one import for all workers) put ~0.5 GB more in the forkserver and in every worker's RSS; the
# bench measures the process tree by RSS, and its peak went 1.2 -> 3.0 GB on 4,000 conversations.
WORKER_PRELOAD = ("pyarrow", "wildchat_dagster.core.stats")
BatchFn = Callable[[Any], tuple[list[dict], StageResult]]


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Pooled:
    """A stage's batch function as a pool worker builds it (`spec`: the same function as the inline one)
    and the workers wanted (the setting WILDCHAT_WORKERS). In this process, either way: `inputs` turns a
    batch's upstream rows into what the function takes (the rows, or the rows with what the stage kept
    for them), `outputs` what it gives into (rows, result)."""

    spec: WorkerSpec | None  # None: never in the pool (inputs and outputs still apply)
    workers: int
    inputs: Callable[[list[dict]], Any] = _same
    outputs: Callable[[Any], tuple[list[dict], StageResult]] = _same


@dataclass(frozen=True)
class Batch:
    """One batch as a check sees it: the upstream rows, the stage's rows, and those rows as stored."""

    source: list[dict]
    rows: list[dict]
    table: pa.Table


@dataclass(frozen=True)
class BatchCheck:
    """A partition check computed batch by batch: `count` gives a typed result whose figures add
    up over the batches (`core/stats.py`), `passed` judges the month's totals."""

    name: str
    count: Callable[[Batch], StageResult]
    passed: Callable[[Any], bool] = lambda totals: not any(totals.figures().values())
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


@step_output_value
@dataclass
class StageRun:
    """What streaming a partition through a stage gave: the core's result and the checks' totals, merged.

    `result` is None only before the first batch. `to_dict`/`from_dict` are the JSON-able form the
    shard steps pass on (the preview rows stay behind: rows stay in files).
    """

    conversations: int = 0
    batches: int = 0
    result: StageResult | None = None
    check_totals: dict[str, StageResult] = field(default_factory=dict)
    preview_rows: list[dict] = field(default_factory=list)  # the first rows, for the metadata preview
    seconds: float = 0.0
    workers: int = 1  # processes the batches ran in (stays behind, like the preview)

    def add(self, result: StageResult | None, check_totals: dict[str, StageResult]) -> None:
        """Merge one part (a batch's, a shard's or a survey's) into the totals."""
        self.result = merge(self.result, result)
        for name, totals in check_totals.items():
            self.check_totals[name] = merge(self.check_totals.get(name), totals)

    def merged(self, other: StageRun) -> StageRun:
        """This run followed by `other` (a later shard): figures merged, times added."""
        run = StageRun(self.conversations + other.conversations, self.batches + other.batches,
                       self.result, dict(self.check_totals), seconds=self.seconds + other.seconds)
        run.add(other.result, other.check_totals)
        return run

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations, "batches": self.batches, "seconds": self.seconds,
            "result": None if self.result is None else self.result.to_dict(),
            "check_totals": {name: totals.to_dict() for name, totals in self.check_totals.items()},
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> StageRun:
        return StageRun(
            data["conversations"], data["batches"],
            None if data["result"] is None else StageResult.from_dict(data["result"]),
            {name: StageResult.from_dict(totals) for name, totals in data["check_totals"].items()},
            seconds=data["seconds"],
        )

    def check_results(self, asset: str, checks: list[BatchCheck]) -> list[dg.AssetCheckResult]:
        return [
            dg.AssetCheckResult(
                check_name=check.name,
                asset_key=asset,
                passed=bool(check.passed(self.check_totals[check.name])),
                severity=check.severity,
                metadata=figures_metadata(self.check_totals[check.name]),
            )
            for check in checks
        ]


def merge(totals: StageResult | None, more: StageResult | None) -> StageResult | None:
    """`totals` and `more` merged by their declared kinds; None stands for nothing yet."""
    if totals is None or more is None:
        return more if totals is None else totals
    return totals.merged(more)


def figures_metadata(figures: StageResult) -> dict[str, Any]:
    """A check's figures as check metadata: numbers as they are, sets as sorted lists ("none" if empty)."""
    return {name: sorted(value) or ["none"] if isinstance(value, set) else value
            for name, value in figures.figures().items()}


@step_output_value
@dataclass(frozen=True)
class Shard:
    """Upstream rows [start, stop) of a month: a contiguous range, starting at a batch boundary."""

    index: int
    start: int
    stop: int
    batch_rows: int  # conversations per batch (the setting WILDCHAT_BATCH_ROWS)

    @property
    def name(self) -> str:
        return f"shard_{self.index:05d}"


def plan_shards(rows: int, shard_rows: int, batch_rows: int) -> list[Shard]:
    """ceil(rows / size) shards of `size` rows, `size` being `shard_rows` rounded down to whole
    batches (at least one): every shard starts where a batch of the unsharded run starts."""
    size = max(batch_rows, shard_rows // batch_rows * batch_rows)
    count = max(1, -(-rows // size))
    return [Shard(i, i * size, min(rows, (i + 1) * size), batch_rows) for i in range(count)]


def run_stage(
    store: Warehouse,
    asset: str,
    upstream: str,
    month: str,
    process: Callable[[list[dict]], tuple[list[dict], StageResult]],
    checks: list[BatchCheck],
    batch_rows: int | None,
    log: Callable[[str], None] | None = None,
    preview_rows: int = 10,
    shard: Shard | None = None,
    pooled: Pooled | None = None,
) -> StageRun:
    """Stream `upstream`'s partition (or `shard`'s rows of it) through `process`
    (rows -> (rows, result)) into `asset`'s partition (or the shard's file).

    `batch_rows=None` processes the month as one batch. The written table is
    the one a single write of every row would give (same rows, same order,
    same schema); only the row groups follow the batches. With `pooled`, the
    batches may run in worker processes instead (`_batches`): the same table.
    """
    if shard is None:
        target, start, stop = store.partition_path(asset, month), 0, None
    else:
        target, start, stop = store.layout.shard(asset, month, shard.name), shard.start, shard.stop
    return _stream(
        store, asset, upstream, month, target, start, stop, process, checks, batch_rows, log, preview_rows, pooled
    )


def _stream(
    store: Warehouse,
    asset: str,
    upstream: str,
    month: str,
    target: StoragePath,
    start: int,
    stop: int | None,
    process: Callable[[list[dict]], tuple[list[dict], StageResult]],
    checks: list[BatchCheck],
    batch_rows: int | None,
    log: Callable[[str], None] | None,
    preview_rows: int,
    pooled: Pooled | None = None,
) -> StageRun:
    schema = STAGE_SCHEMAS[asset]
    run = StageRun()
    started = time.perf_counter()
    total = (store.partition_rows(upstream, month) if stop is None else stop) - start
    sources = store.iter_records(upstream, month, batch_rows, start, stop)
    pool = pool_for(pooled, total, batch_rows, log)
    run.workers = min(pool.workers, -(-total // batch_rows)) if pool and batch_rows else 1
    processed = batch_results(sources, process, pooled, pool, log)
    with file_writer(target, schema) as write, closing(processed):
        for source, (rows, result) in processed:
            table = pa.Table.from_pylist(rows, schema=schema)
            write(table)
            batch = Batch(source, rows, table)
            run.add(result, {check.name: check.count(batch) for check in checks})
            if len(run.preview_rows) < preview_rows:
                run.preview_rows += rows[: preview_rows - len(run.preview_rows)]
            run.conversations += len(rows)
            run.batches += 1
            if log and total:
                log(f"{asset} {month}: {run.conversations}/{total} conversations")
    run.seconds = time.perf_counter() - started
    return run


def pool_for(
    pooled: Pooled | None, total: int, batch_rows: int | None, log: Callable[[str], None] | None = None
) -> WarmPool | None:
    """The run's warm pool when the stream holds enough work for it (`worth_pooling`), else None."""
    batches = -(-total // batch_rows) if batch_rows else 1
    wanted = pooled is not None and pooled.spec is not None and worth_pooling(batches, total)
    pool = run_pool(pooled.workers, WORKER_PRELOAD) if wanted else None
    if pool and log:
        log(f"{total} conversations in {batches} batches over {min(pool.workers, batches)} worker processes")
    return pool


def batch_results(
    sources: Iterator[list[dict]],
    process: BatchFn,
    pooled: Pooled | None,
    pool: WarmPool | None,
    log: Callable[[str], None] | None = None,
) -> Iterator[tuple[list[dict], Any]]:
    """(upstream rows, what the batch function gave) per batch, in order: here, or in `pool`."""
    inputs, outputs = (pooled.inputs, pooled.outputs) if pooled else (_same, _same)
    if pool is None:
        for source in sources:
            yield source, outputs(process(inputs(source)))
        return
    with closing(pool.map(pooled.spec, sources, inputs, log=log)) as results:
        for source, output in results:
            yield source, outputs(output)
