"""The skeleton the conversation stages share: read -> core -> write -> checks -> metadata, in batches.

A stage streams its upstream partition (or one shard of it: a contiguous
range of rows, see `assets/sharded.py`) in record batches through its core
function, writes each batch as it comes (one Parquet row group per batch,
renamed into place at the end) and evaluates its checks batch by batch, so
its peak memory depends on the batch size, not on the month.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pyarrow as pa

from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, file_writer
from wildchat_dagster.resources.step_outputs import step_output_value
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.settings import DEFAULT_BATCH_ROWS

BATCH_ROWS = DEFAULT_BATCH_ROWS  # conversations; WILDCHAT_BATCH_ROWS sets it for the sharded stages


@dataclass(frozen=True)
class Batch:
    """One batch as a check sees it: the upstream rows, the stage's rows, and those rows as stored."""

    source: list[dict]
    rows: list[dict]
    table: pa.Table


@dataclass(frozen=True)
class BatchCheck:
    """A partition check computed batch by batch: `count` gives figures that add up over the
    batches (numbers add, sets unite), `passed` judges the month's totals."""

    name: str
    count: Callable[[Batch], dict[str, Any]]
    passed: Callable[[dict[str, Any]], bool] = lambda totals: not any(totals.values())
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


@step_output_value
@dataclass
class StageRun:
    """What streaming a partition through a stage gave: the core's counts and the checks' totals, summed."""

    conversations: int = 0
    batches: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    check_totals: dict[str, dict[str, Any]] = field(default_factory=dict)
    preview_rows: list[dict] = field(default_factory=list)  # the first rows, for the metadata preview
    seconds: float = 0.0

    def check_results(self, asset: str, checks: list[BatchCheck]) -> list[dg.AssetCheckResult]:
        return [
            dg.AssetCheckResult(
                check_name=check.name,
                asset_key=asset,
                passed=bool(check.passed(self.check_totals[check.name])),
                severity=check.severity,
                metadata={k: _metadata_value(v) for k, v in self.check_totals[check.name].items()},
            )
            for check in checks
        ]


class Parts(list):
    """Counts a stage merges itself (e.g. coverage tables): batches' parts are concatenated."""


@step_output_value
@dataclass(frozen=True)
class Shard:
    """Upstream rows [start, stop) of a month: a contiguous range, starting at a batch boundary."""

    index: int
    start: int
    stop: int
    batch_rows: int = BATCH_ROWS

    @property
    def name(self) -> str:
        return f"shard_{self.index:05d}"


def plan_shards(rows: int, shard_rows: int, batch_rows: int = BATCH_ROWS) -> list[Shard]:
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
    process: Callable[[list[dict]], tuple[list[dict], dict[str, Any]]],
    checks: list[BatchCheck],
    batch_rows: int | None = BATCH_ROWS,
    log: Callable[[str], None] | None = None,
    preview_rows: int = 10,
    shard: Shard | None = None,
) -> StageRun:
    """Stream `upstream`'s partition (or `shard`'s rows of it) through `process`
    (rows -> (rows, counts)) into `asset`'s partition (or the shard's file).

    `batch_rows=None` processes the month as one batch. The written table is
    the one a single write of every row would give (same rows, same order,
    same schema); only the row groups follow the batches.
    """
    if shard is None:
        target, start, stop = store.partition_path(asset, month), 0, None
    else:
        target, start, stop = store.layout.shard(asset, month, shard.name), shard.start, shard.stop
    return _stream(store, asset, upstream, month, target, start, stop, process, checks, batch_rows, log, preview_rows)


def _stream(
    store: Warehouse,
    asset: str,
    upstream: str,
    month: str,
    target: StoragePath,
    start: int,
    stop: int | None,
    process: Callable[[list[dict]], tuple[list[dict], dict[str, Any]]],
    checks: list[BatchCheck],
    batch_rows: int | None,
    log: Callable[[str], None] | None,
    preview_rows: int,
) -> StageRun:
    schema = STAGE_SCHEMAS[asset]
    run = StageRun(check_totals={check.name: {} for check in checks})
    started = time.perf_counter()
    total = (store.partition_rows(upstream, month) if stop is None else stop) - start
    with file_writer(target, schema) as write:
        for source in store.iter_records(upstream, month, batch_rows, start, stop):
            rows, counts = process(source)
            table = pa.Table.from_pylist(rows, schema=schema)
            write(table)
            batch = Batch(source, rows, table)
            for check in checks:
                merge_counts(run.check_totals[check.name], check.count(batch))
            merge_counts(run.counts, counts)
            if len(run.preview_rows) < preview_rows:
                run.preview_rows += rows[: preview_rows - len(run.preview_rows)]
            run.conversations += len(rows)
            run.batches += 1
            if log and total:
                log(f"{asset} {month}: {run.conversations}/{total} conversations")
    run.seconds = time.perf_counter() - started
    return run


def merge_counts(into: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Add one batch's counts to the totals: numbers add, dicts merge (biggest first), sets unite,
    Parts concatenate; anything else keeps its first value."""
    for key, value in more.items():
        if isinstance(value, Parts):
            into[key] = Parts([*into.get(key, []), *value])
        elif key not in into:
            into[key] = set(value) if isinstance(value, set) else (merge_counts({}, value) if isinstance(value, dict) else value)
        elif isinstance(value, bool) or not isinstance(value, (int, float, dict, set)):
            continue
        elif isinstance(value, (int, float)):
            into[key] += value
        elif isinstance(value, set):
            into[key] |= value
        else:
            merged = merge_counts(into[key], value)
            if all(isinstance(v, (int, float)) for v in merged.values()):
                merged = dict(sorted(merged.items(), key=lambda kv: -kv[1]))
            into[key] = merged
    return into


def _metadata_value(value: Any) -> Any:
    if isinstance(value, set):
        return sorted(value) or ["none"]
    return value
