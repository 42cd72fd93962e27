"""monthly_stats: the paper's figures for one month of the release, read back by the dataset report."""

import json

import dagster as dg
import pyarrow as pa

from wildchat_dagster.assets.shared.checks import no_raw_ips_result, no_raw_ips_spec
from wildchat_dagster.core.moderation.registry import moderator_entry
from wildchat_dagster.core.reporting.statistics import (
    compute_statistics,
    count_month_tokens,
    month_tables,
    release_sources,
)
from wildchat_dagster.core.reporting.tables import frame_markdown
from wildchat_dagster.core.reporting.tokens import cl100k_token_counter
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, atomic_write_bytes
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.moderation_policy import SOURCE as POLICY_SOURCE
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage


def _stats_path(warehouse: Warehouse, month: str) -> StoragePath:
    return warehouse.layout.partition(Stage.MONTHLY_STATS, month, ".json")


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED, Stage.MODERATED_CONVERSATIONS],
    group_name="release",
    kinds={"duckdb"},
    check_specs=[no_raw_ips_spec(Stage.MONTHLY_STATS)],
)
def monthly_stats(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, moderation_policy: ModerationPolicyResource
) -> dg.MaterializeResult:
    """The paper's figures (Tables 1, 3, 5, 6, turns, models, redaction) for one month of the release."""
    store = warehouse.get()
    month = context.partition_key
    thresholds, threshold_source = moderation_policy.thresholds(), POLICY_SOURCE
    tokens = cl100k_token_counter()
    count_month_tokens(store.layout, month, tokens)  # the report over all months reads these counts
    tables = month_tables(compute_statistics(release_sources(store.layout, [month]), tokens, thresholds), month)
    record = {
        "month": month,
        "tokenizer": tokens.name,
        "thresholds": {moderator_entry(name).threshold_key: value for name, value in thresholds.in_force().items()},
        "thresholds_source": threshold_source,
        "tables": {name: json.loads(df.to_json(orient="records")) for name, df in tables.items()},
    }
    path = _stats_path(store, month)
    text = json.dumps(record, indent=2)
    atomic_write_bytes(path, text.encode())
    # The figures are aggregates, but names (states, entities) are text: scan them like any stage.
    ip_check = no_raw_ips_result(store, month, Stage.MONTHLY_STATS, pa.table({"monthly_stats_json": [text]}))
    summary = tables["summary"].iloc[0].to_dict() if not tables["summary"].empty else {}
    return dg.MaterializeResult(
        data_version=dg.DataVersion(store.partition_fingerprint(Stage.MONTHLY_STATS, month, ".json")),
        metadata={
            "path": str(path),
            "tokenizer": tokens.name,
            **{f"{name}_threshold": value for name, value in thresholds.in_force().items()},
            "thresholds_source": threshold_source,
            "conversations": int(summary.get("conversations", 0)),
            "users": int(summary.get("users", 0)),
            **{name: dg.MetadataValue.md(frame_markdown(tables[name].head(15)))
               for name in ("summary", "turn_distribution", "model_families", "languages", "countries",
                            "moderation", "flagged_categories", "toxicity", "redaction", "redacted_entities")},
        },
        check_results=[ip_check],
    )


def read_monthly_stats(warehouse: Warehouse, month: str) -> dict | None:
    path = _stats_path(warehouse, month)
    return json.loads(path.read_text()) if path.exists() else None
