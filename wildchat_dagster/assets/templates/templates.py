"""template_prompts (near-duplicate user prompts, an LSH index growing month by month) and the
derived split that down-samples the largest template clusters."""

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wildchat_dagster.assets.shared.checks import no_raw_ips_file_result, no_raw_ips_result, no_raw_ips_spec
from wildchat_dagster.core.release.templates_split import DERIVED_SPLIT, cap_template_clusters
from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.core.reporting.template_index import TemplateIndex
from wildchat_dagster.core.reporting.template_month import PIECE_ROWS, FlaggedMonth
from wildchat_dagster.core.reporting.template_signatures import BANDS, NUM_PERM, ROWS, THRESHOLD
from wildchat_dagster.core.reporting.templates import flag_month, index_for, largest_clusters, user_prompts
from wildchat_dagster.core.storage.warehouse import (
    atomic_write_bytes,
    file_fingerprint,
    file_writer,
    iter_file_batches,
)
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import TEMPLATE_PROMPTS
from wildchat_dagster.stages import Stage

DEFAULT_MIN_CLUSTER_SIZE = 5
BATCH_CONVERSATIONS = 2_000  # conversations read and signed at a time: the month's text is never all in memory


class TemplateConfig(dg.Config):
    min_cluster_size: int = DEFAULT_MIN_CLUSTER_SIZE  # prompts in a cluster before its prompts count as a template


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[Stage.REDACTED_CONVERSATIONS],
    group_name="enrichment",
    kinds={"rensa", "numpy", "parquet"},
    # One month at a time updates the shared index file.
    pool="template_index",
    check_specs=[no_raw_ips_spec(Stage.TEMPLATE_PROMPTS)],
)
def template_prompts(context: dg.AssetExecutionContext, config: TemplateConfig, warehouse: WarehouseResource):
    """Every user prompt of the month with its near-duplicate cluster across all months so far (MinHash LSH),
    flagged as a template when its cluster is large; the flags stay out of the release schema."""
    store = warehouse.get()
    month = context.partition_key
    earlier = [m for m in store.stored_months(Stage.TEMPLATE_PROMPTS) if m < month]
    index, mode = index_for(
        TemplateIndex.load(store.layout.template_index),
        earlier,
        lambda m: iter_file_batches(store.layout.partition(Stage.TEMPLATE_PROMPTS, m), PIECE_ROWS),
    )
    context.log.info(f"template index: {mode}")
    batches = store.iter_records(Stage.REDACTED_CONVERSATIONS, month, BATCH_CONVERSATIONS)
    path = store.layout.partition(Stage.TEMPLATE_PROMPTS, month)
    with (flag_month(index, month, (user_prompts(rows, month) for rows in batches)) as month_prompts,
          file_writer(path, TEMPLATE_PROMPTS) as write):  # in prompt-key order, a piece at a time
        for piece in month_prompts.pieces():
            write(piece.append_column("is_template", pc.greater_equal(piece.column("cluster_size"),
                                                                      config.min_cluster_size)))
        top = largest_clusters(_template_rows(month_prompts, config.min_cluster_size), config.min_cluster_size,
                               limit=10)
    index.save(store.layout.template_index)
    prompts = len(month_prompts.order)
    flagged = int((month_prompts.cluster_size >= config.min_cluster_size).sum())
    return dg.MaterializeResult(
        data_version=dg.DataVersion(store.partition_fingerprint(Stage.TEMPLATE_PROMPTS, month)),
        metadata={
            "prompts": prompts,
            "prompts_flagged_as_template": flagged,
            "template_share": round(flagged / prompts, 4) if prompts else 0.0,
            "clusters_touched": pc.count_distinct(month_prompts.cluster_id).as_py(),
            "index_months": ", ".join(index.months),
            "index_mode": mode,
            "lsh": (f"rensa RMinHash ({NUM_PERM} permutations) over word 3-gram shingles; numpy LSH index, "
                    f"{BANDS} bands of {ROWS} (threshold {THRESHOLD})"),
            "min_cluster_size": config.min_cluster_size,
            "largest_clusters_this_month": dg.MetadataValue.md(markdown_table(
                ["prompts this month", "months", "example (redacted, first 80 chars)"],
                [[c["size"], ", ".join(c["months"]), c["example"][:80].replace("\n", " ")] for c in top])),
            "dagster/row_count": prompts,
            "path": dg.MetadataValue.path(str(path)),
        },
        check_results=[no_raw_ips_file_result(store, month, Stage.TEMPLATE_PROMPTS, path, PIECE_ROWS)],
    )


def _template_rows(month_prompts: FlaggedMonth, min_size: int) -> list[dict]:
    """The rows of clusters with at least `min_size` prompts this month (the only ones largest_clusters
    reports), each cluster's first non-empty example kept and the others dropped: not a dict and an
    example per prompt of the month."""
    counts = pc.value_counts(month_prompts.cluster_id)
    large = pc.filter(counts.field("values"), pc.greater_equal(counts.field("counts"), min_size))
    kept = np.flatnonzero(pc.is_in(month_prompts.cluster_id, value_set=large).to_numpy(zero_copy_only=False))
    rows = month_prompts.rows.take(month_prompts.order[kept], ["prompt_key", "month", "example"])
    rows = rows.append_column("cluster_id", month_prompts.cluster_id.take(pa.array(kept)))
    with_example = np.flatnonzero(pc.fill_null(pc.not_equal(rows.column("example"), ""), False))
    _, first = np.unique(rows.column("cluster_id").take(pa.array(with_example)).to_numpy(zero_copy_only=False),
                         return_index=True)
    shown = np.zeros(len(rows), bool)
    shown[with_example[first]] = True
    examples = pc.if_else(pa.array(shown), rows.column("example"), pa.nulls(len(rows), pa.string()))
    return rows.set_column(rows.schema.get_field_index("example"), "example", examples).to_pylist()


class CappedSplitConfig(dg.Config):
    max_per_cluster: int = 20  # conversations kept per template cluster and month (the rest are sampled out)
    min_cluster_size: int = DEFAULT_MIN_CLUSTER_SIZE  # only clusters flagged as templates are capped


@dg.asset(
    name=Stage.RELEASE_TEMPLATE_CAPPED,
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[Stage.RELEASE_NONTOXIC, Stage.TEMPLATE_PROMPTS],
    group_name="release",
    kinds={"parquet"},
    check_specs=[no_raw_ips_spec(Stage.RELEASE_TEMPLATE_CAPPED)],
)
def release_nontoxic_template_capped(context: dg.AssetExecutionContext, config: CappedSplitConfig,
                                     warehouse: WarehouseResource) -> dg.MaterializeResult:
    """A derived split: the month's non-toxic release with each template cluster (by the conversation's
    first prompt) down-sampled to max_per_cluster, published as release/derived/nontoxic_template_capped/."""
    store = warehouse.get()
    month = context.partition_key
    release = store.read_table(Stage.RELEASE_NONTOXIC, month)
    prompts = store.read_table(
        Stage.TEMPLATE_PROMPTS, month, ["conversation_hash", "round", "cluster_id", "cluster_size"]
    )
    kept, dropped = cap_template_clusters(release, prompts.to_pylist(), config.max_per_cluster, config.min_cluster_size)
    target = store.layout.derived(DERIVED_SPLIT, month)
    sink = pa.BufferOutputStream()
    pq.write_table(kept, sink, compression="zstd")
    atomic_write_bytes(target, sink.getvalue().to_pybytes(), shared=True)  # published: readable like the release
    return dg.MaterializeResult(
        data_version=dg.DataVersion(file_fingerprint(target)),
        metadata={
            "rows": kept.num_rows,
            "nontoxic_rows": release.num_rows,
            "sampled_out": dropped,
            "max_per_cluster": config.max_per_cluster,
            "published": str(target),
        },
        check_results=[no_raw_ips_result(store, month, Stage.RELEASE_TEMPLATE_CAPPED, kept)],
    )
