"""A month's conversation stage as shards: plan -> one step per shard -> publish (a graph-backed asset).

Geotagging, language ID, redaction and moderation are per-conversation work,
so a big month is cut into shards, contiguous ranges of upstream rows that
start at batch boundaries (`plan_shards`). Each shard is its own step: the
multiprocess executor runs a month's shards on several cores, the Celery or
Kubernetes step executors on several workers. Each shard streams its rows
exactly as an unsharded run would (same batches, in order) into a shard
file under the data root; publish concatenates the files row group by row
group into the partition (atomically), so the partition is the one a single
worker writes, by construction. A stage that needs month-wide knowledge
first (redaction's allow-list) adds a survey step per shard and a prepare
step that merges their summaries before the shards proper.

Only figures travel between steps (op outputs): each stage's typed result
(`core/stats.py`) and its checks' totals, in their JSON-able `to_dict` form,
merged by their declared kinds; rows and texts stay in files under the data root.
"""

# No `from __future__ import annotations`: Dagster inspects the ops' context annotation at runtime.
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from wildchat_dagster.assets.shared.stage_run import (
    BatchCheck,
    Pooled,
    Shard,
    StageRun,
    merge,
    plan_shards,
    run_stage,
)
from wildchat_dagster.core.parallel.spec import Shared, WorkerSpec
from wildchat_dagster.core.stats import StageResult
from wildchat_dagster.core.storage.warehouse import Warehouse, iter_row_groups, remove_tree
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions

PREVIEW_ROWS = 10
# `data_version=` on Output is marked beta in 1.13 (MaterializeResult's is not); it is tested.
warnings.filterwarnings("ignore", message="Parameter `data_version` of initializer `Output", category=dg.BetaWarning)


@dataclass(frozen=True)
class ShardWork:
    """What a shard step runs: the core function over a batch (rows -> rows and the stage's result),
    and the checks counted per batch. `finish` adds figures known only at the end.

    `worker`, when given, is the same batch function as a pool worker builds it (a picklable spec:
    see core/parallel/spec.py); `process` is then the inline fallback, and `inputs`/`outputs` adapt
    a batch on its way in and out in this process, whichever runs it (see `stage_run.Pooled`).
    """

    process: Callable[[Any], Any]
    checks: list[BatchCheck]
    finish: Callable[[], StageResult | None] = lambda: None
    worker: WorkerSpec | None = None
    inputs: Callable[[list[dict]], Any] | None = None
    outputs: Callable[[Any], tuple[list[dict], StageResult]] | None = None

    def pooled(self, workers: int) -> Pooled:
        """How its batches run: in the run's warm pool of `workers` processes when it has a `worker`."""
        adapt = {"inputs": self.inputs, "outputs": self.outputs}
        return Pooled(self.worker, workers, **{name: fn for name, fn in adapt.items() if fn is not None})


def resource_spec(resource: Any) -> Shared:
    """A resource as a worker rebuilds it once from its configuration (its engine then loads there)."""
    return Shared.of(type(resource), **{name: getattr(resource, name) for name in type(resource).model_fields})


def lazily(build: Callable[[], Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """A batch function built on its first batch: a shard whose batches all go to the pool loads no engine here."""
    built: list = []

    def process(batch: Any) -> Any:
        if not built:
            built.append(build())
        return built[0](batch)

    return process


@dataclass(frozen=True)
class StepContext:
    """What a stage's hooks get in every step."""

    context: dg.OpExecutionContext
    store: Warehouse
    month: str
    resources: Any  # context.resources: the stage's resources by key


@dataclass(frozen=True)
class ConversationStage:
    """One enrichment stage: its asset, upstream, checks and hooks (see module docstring).

    - `work(step, shard, prepared)`: a context manager giving the shard's ShardWork;
    - `publish(step, run)`: the asset's metadata and every check result, from the merged run
      (`run.preview_rows` are the partition's first rows as stored);
    - `survey(step, shard) -> result` and `prepare(step, shards, surveyed) -> (prepared, result)`:
      the optional month-wide pass before the shards; `prepared` goes to every shard, the results
      (of the stage's result type) to publish (both small: they are op outputs).
    """

    asset: str
    upstream: str
    description: str
    check_specs: list[dg.AssetCheckSpec]
    kinds: set[str]
    resource_keys: set[str]
    work: Callable[[StepContext, Shard, Any], AbstractContextManager[ShardWork]]
    publish: Callable[[StepContext, StageRun], tuple[dict, list[dg.AssetCheckResult]]]
    survey: Callable[[StepContext, Shard], StageResult] | None = None
    prepare: Callable[[StepContext, list[Shard], StageResult], tuple[Any, StageResult]] | None = None
    group_name: str = "enrichment"
    pool: str | None = None
    retry_policy: dg.RetryPolicy | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _step(context: dg.OpExecutionContext) -> StepContext:
    return StepContext(context, context.resources.warehouse.get(), context.partition_key, context.resources)


def _dynamic(shards: list[Shard], extra: Any = None):
    for shard in shards:
        yield dg.DynamicOutput((shard, extra), mapping_key=shard.name)


def _process_shard(context: dg.OpExecutionContext, stage: ConversationStage, planned: tuple) -> tuple:
    """Streams the shard's rows through the stage into its shard file."""
    shard, prepared = planned
    step = _step(context)
    with stage.work(step, shard, prepared) as work:
        run = run_stage(
            step.store, stage.asset, stage.upstream, step.month, work.process, work.checks,
            batch_rows=shard.batch_rows, log=context.log.info, shard=shard,
            pooled=work.pooled(context.resources.warehouse.workers),
        )
        run.add(work.finish(), {})
    return shard, run.to_dict()  # rows stay in files: only figures travel


def _publish_shards(context: dg.OpExecutionContext, stage: ConversationStage, parts: list, surveyed: dict | None):
    """Concatenates the shard files in order into the partition and reports the merged run."""
    asset = stage.asset
    step = _step(context)
    parts = sorted(parts, key=lambda part: part[0].index)
    run = StageRun(result=None if surveyed is None else StageResult.from_dict(surveyed))
    for _, part in parts:
        run = run.merged(StageRun.from_dict(part))
    layout = step.store.layout
    with step.store.partition_writer(asset, step.month) as write:
        for shard, _ in parts:
            for row_group in iter_row_groups(layout.shard(asset, step.month, shard.name)):
                write(row_group)
    remove_tree(layout.shard_dir(asset, step.month))
    run.preview_rows = next(step.store.iter_records(asset, step.month, PREVIEW_ROWS))
    metadata, check_results = stage.publish(step, run)
    yield dg.Output(
        None, "result", metadata={**metadata, "batches": run.batches, "shards": len(parts)},
        data_version=dg.DataVersion(step.store.partition_fingerprint(asset, step.month)),
    )
    yield from check_results


def sharded_asset(stage: ConversationStage) -> dg.AssetsDefinition:
    """The stage as a monthly graph-backed asset of plan, shard (and survey/prepare) and publish steps."""
    resources = {"warehouse", *stage.resource_keys}
    asset = stage.asset

    @dg.op(
        name=f"plan_{asset}", ins={"upstream": dg.In(dg.Nothing)}, out=dg.DynamicOut(), required_resource_keys=resources
    )
    def plan(context: dg.OpExecutionContext):
        """Cuts the upstream partition into shards of the warehouse's `shard_rows` rows (whole batches)."""
        step = _step(context)
        rows = step.store.partition_rows(stage.upstream, step.month)
        warehouse = context.resources.warehouse
        shards = plan_shards(rows, warehouse.shard_rows, warehouse.batch_rows)
        remove_tree(step.store.layout.shard_dir(asset, step.month))  # what a failed earlier run left
        context.log.info(f"{asset} {step.month}: {rows} conversations in {len(shards)} shard(s)")
        yield from _dynamic(shards)

    @dg.op(name=f"survey_{asset}", required_resource_keys=resources, tags=stage.tags)
    def survey(context: dg.OpExecutionContext, planned: tuple) -> tuple:
        shard, _ = planned
        return shard, stage.survey(_step(context), shard).to_dict()

    @dg.op(
        name=f"prepare_{asset}", out={"shards": dg.DynamicOut(), "surveyed": dg.Out()}, required_resource_keys=resources
    )
    def prepare(context: dg.OpExecutionContext, surveyed: list):
        shards = [shard for shard, _ in surveyed]
        totals = None
        for _, result in surveyed:
            totals = merge(totals, StageResult.from_dict(result))
        prepared, month_result = stage.prepare(_step(context), shards, totals)
        for shard in shards:
            yield dg.DynamicOutput((shard, prepared), output_name="shards", mapping_key=shard.name)
        yield dg.Output(merge(totals, month_result).to_dict(), output_name="surveyed")

    @dg.op(
        name=f"shard_{asset}", required_resource_keys=resources, pool=stage.pool, retry_policy=stage.retry_policy,
        tags=stage.tags,
    )
    def process_shard(context: dg.OpExecutionContext, planned: tuple) -> tuple:
        """Streams the shard's rows through the stage into its shard file."""
        return _process_shard(context, stage, planned)

    check_outs = {spec.get_python_identifier(): dg.Out(dg.Nothing) for spec in stage.check_specs}

    @dg.op(
        name=f"publish_{asset}", out={"result": dg.Out(dg.Nothing), **check_outs}, required_resource_keys=resources,
        ins={"parts": dg.In(), "surveyed": dg.In(default_value=None)},
    )
    def publish(context: dg.OpExecutionContext, parts: list, surveyed: dict | None):
        """Concatenates the shard files in order into the partition and reports the merged run."""
        yield from _publish_shards(context, stage, parts, surveyed)

    @dg.graph_asset(
        name=asset,
        description=stage.description,
        ins={"upstream": dg.AssetIn(key=stage.upstream, dagster_type=dg.Nothing)},
        partitions_def=monthly_partitions,
        backfill_policy=MONTH_PER_RUN,
        check_specs=stage.check_specs,
        group_name=stage.group_name,
        kinds=stage.kinds,
    )
    def stage_graph(upstream):
        shards = plan(upstream)
        if stage.survey is None:
            outputs = publish(shards.map(process_shard).collect())
        else:
            prepared, surveyed = prepare(shards.map(survey).collect())
            outputs = publish(prepared.map(process_shard).collect(), surveyed)
        return dict(zip(["result", *check_outs], outputs if check_outs else [outputs], strict=True))

    return stage_graph
