"""linked_conversations and deduplicated_conversations: request logs joined into conversations.

Both assets link month M from the raw logs of M-1..M+1 with `core.linking`
(deterministic, so both see the same links); linked keeps every chain end,
deduplicated drops absorbed prefixes and folds in retries. The checks
re-derive the bookkeeping from the stored tables with DuckDB.
"""

from dataclasses import dataclass, field

import dagster as dg
import duckdb
import pyarrow as pa

from wildchat_dagster.core.linking.chains import RETRY_WINDOW, MonthLinks, link_logs_of_month
from wildchat_dagster.core.linking.conservation import cross_check_stored
from wildchat_dagster.core.linking.window import StoredTexts, read_window
from wildchat_dagster.core.months import month_window
from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions, neighbour_months
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

CONSERVATION = "conservation"
UNIQUE_IDS = "unique_conversation_ids"
TURNS_ALTERNATE = "turns_alternate"


def _check_specs(asset: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            CONSERVATION,
            asset=asset,
            blocking=True,
            description=(
                "Every valid log of the month is counted once: in a conversation of the month or as belonging to "
                "another month."
            ),
        ),
        dg.AssetCheckSpec(
            UNIQUE_IDS, asset=asset, blocking=True, description="No conversation_id occurs twice in the month."
        ),
        dg.AssetCheckSpec(
            TURNS_ALTERNATE,
            asset=asset,
            blocking=True,
            description="Every conversation alternates user/assistant from user, with 2 x turn utterances.",
        ),
    ]


def _link(context: dg.AssetExecutionContext, store: Warehouse) -> tuple[MonthLinks, dict[str, int]]:
    """Link the month from the compact keys of its window's logs, streamed from the warehouse;
    the texts stay on disk until the rows are written."""
    month = context.partition_key
    stored = []
    for m in month_window(month):
        if not store.has_partition(Stage.RAW_LOGS, m):
            if m == month and store.landing_files(m):
                # Linking without the month's own logs would publish an empty month that passes every check.
                raise RuntimeError(f"landing/{m} has files but raw_logs {m} is not materialized: materialize it first")
            if store.landing_files(m):
                context.log.warning(

                        f"landing/{m} has files but raw_logs {m} is not materialized: conversations crossing into {m} "
                        "may be split"

                )
            continue
        stored.append(m)
    read = read_window(store, month, stored)
    window = {m: read.logs_per_month.get(m, 0) for m in month_window(month)}
    if read.duplicates:
        context.log.warning(

                f"{read.duplicates} logs of neighbouring months reuse a log_id of the window; the month's own copies "
                "were used"

        )
        window["duplicate_log_ids_from_neighbours"] = read.duplicates
    context.log.info(
        f"linking {month} from {len(read.logs)} logs of {', '.join(f'{m} ({n})' for m, n in window.items())}"
    )
    links = link_logs_of_month(read.logs, month, StoredTexts(store))
    context.log.info(
        f"{month}: {links.counts[Stage.LINKED_CONVERSATIONS]} chain ends, {links.counts['conversations']} conversations"
    )
    return links, window


def conservation_result(store: Warehouse, month: str, asset: str, links: MonthLinks) -> dg.AssetCheckResult:
    """The conservation check of one stored table (core.linking.conservation does the counting)."""
    found = cross_check_stored(store, month, asset, links)
    return dg.AssetCheckResult(check_name=CONSERVATION, asset_key=asset, passed=found.passed, metadata=found.metadata)


@dataclass
class _Shape:
    """The shape checks' figures, gathered batch by batch as the rows are written."""

    ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    broken: list[str] = field(default_factory=list)

    def add(self, rows: list[dict]) -> None:
        for r in rows:
            if r["conversation_id"] in self.ids:
                self.duplicates += 1
            self.ids.add(r["conversation_id"])
            if [u["role"] for u in r["conversation"]] != ["user", "assistant"] * r["turn"] or r["turn"] < 1:
                self.broken.append(r["conversation_id"])

    def results(self, asset: str) -> list[dg.AssetCheckResult]:
        return [
            dg.AssetCheckResult(
                check_name=UNIQUE_IDS,
                asset_key=asset,
                passed=self.duplicates == 0,
                metadata={"conversations": len(self.ids) + self.duplicates, "duplicate_ids": self.duplicates},
            ),
            dg.AssetCheckResult(
                check_name=TURNS_ALTERNATE,
                asset_key=asset,
                passed=not self.broken,
                metadata={"broken_conversations": len(self.broken), "examples": ", ".join(self.broken[:5]) or "none"},
            ),
        ]


def _summary(stored: pa.Table) -> dict:
    """Per-model and per-turn-count counts of the stored partition, from DuckDB."""
    con = duckdb.connect()
    try:
        con.register("t", stored.select(["model", "turn"]))
        models = dict(con.execute("SELECT model, count(*) FROM t GROUP BY model ORDER BY 2 DESC, 1").fetchall())
        turns = con.execute(
            "SELECT CASE WHEN turn >= 10 THEN '10+' ELSE CAST(turn AS VARCHAR) END AS turns, count(*) "
            "FROM t GROUP BY turns ORDER BY min(turn)"
        ).fetchall()
    finally:
        con.close()
    return {"models": dg.MetadataValue.json(models), "turn_distribution": dg.MetadataValue.json(dict(turns))}


def _preview(rows: list[dict], absorbed: bool) -> str:
    """The first conversations without their text: content is not redacted yet."""
    header = ["conversation_id", "timestamp", "model", "turn", "logs"] + (["absorbed", "retries"] if absorbed else [])
    return markdown_table(
        header,
        [
            [
                r["conversation_id"],
                r["timestamp"].isoformat() if r["timestamp"] else None,
                r["model"],
                r["turn"],
                len(r["log_ids"] or []),
            ]
            + ([len(r["absorbed_conversation_ids"] or []), len(r["retry_log_ids"] or [])] if absorbed else [])
            for r in rows[:10]
        ],
    )


def _metadata(store: Warehouse, month: str, links: MonthLinks, window: dict[str, int], stage: str) -> dict:
    c = links.counts
    prefix = "linked_" if stage == "linked" else ""
    metadata = {
        "logs_in": c["logs_in"],
        "conversations": c[Stage.LINKED_CONVERSATIONS if stage == "linked" else "conversations"],
        "ends_conversation": c[f"{prefix}ends_conversation"],
        "ancestors": c[f"{prefix}ancestor"],
        "retries": c[f"{prefix}retry"],
        "cross_month_out": c[f"{prefix}belongs_to_other_month"],
        "ends_from_previous_month": c[f"{prefix}ends_from_previous_month"],
        "rejected": store.partition_rows(Stage.REJECTED_LOGS, month),
        "window_logs": dg.MetadataValue.json(window),
        "retry_window_seconds": RETRY_WINDOW.total_seconds(),
    }
    if stage != "linked":
        metadata |= {
            "prefixes_absorbed": c["prefixes_absorbed"],
            "absorbed_prefix_logs": c["absorbed_prefix"],
            "retry_logs_in_conversations": c["retry_logs"],
            "cross_month_in": c["cross_month_in"],
            "conversations_with_lost_turns": c["conversations_with_lost_turns"],
        }
    return metadata


def _write(store: Warehouse, month: str, asset: str, links: MonthLinks, batch_rows: int) -> tuple[_Shape, list[dict]]:
    """Write the asset's rows batch by batch (one row group each); the shape figures and a preview."""
    shape, preview = _Shape(), []
    schema = STAGE_SCHEMAS[asset]
    with store.partition_writer(asset, month) as write:
        for rows in links.batches(asset, batch_rows):
            write(pa.Table.from_pylist(rows, schema=schema))
            shape.add(rows)
            preview += rows[: 10 - len(preview)]
    return shape, preview


def _result(store: Warehouse, month: str, asset: str, links: MonthLinks, window: dict[str, int],
            batch_rows: int) -> dg.MaterializeResult:
    stage = "linked" if asset == Stage.LINKED_CONVERSATIONS else "deduplicated"
    shape, preview = _write(store, month, asset, links, batch_rows)
    path = store.partition_path(asset, month)
    metadata = (
        _metadata(store, month, links, window, stage)
        | _summary(store.read_table(asset, month, ["model", "turn"]))
        | {
            "preview": dg.MetadataValue.md(_preview(preview, absorbed=stage != "linked")),
            "dagster/row_count": store.partition_rows(asset, month),
            "path": dg.MetadataValue.path(str(path)),
        }
    )
    checks = [conservation_result(store, month, asset, links)] + shape.results(asset)
    return dg.MaterializeResult(asset_key=asset, data_version=dg.DataVersion(store.partition_fingerprint(asset, month)),
                                metadata=metadata, check_results=checks)


RAW_LOGS_WINDOW = dg.AssetDep(Stage.RAW_LOGS, partition_mapping=neighbour_months)


@dg.multi_asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    specs=[
        dg.AssetSpec(
            Stage.LINKED_CONVERSATIONS,
            deps=[RAW_LOGS_WINDOW],
            description="Every chain of linked request logs whose last reply falls in the month, before deduplication.",
            group_name="ingestion",
            kinds={"python", "parquet"},
        ),
        dg.AssetSpec(
            Stage.DEDUPLICATED_CONVERSATIONS,
            deps=[Stage.LINKED_CONVERSATIONS, RAW_LOGS_WINDOW],
            description="One row per conversation of the month: prefixes absorbed, retries counted once, "
            "per-turn metadata kept.",
            group_name="ingestion",
            kinds={"python", "parquet"},
        ),
    ],
    check_specs=_check_specs(Stage.LINKED_CONVERSATIONS) + _check_specs(Stage.DEDUPLICATED_CONVERSATIONS),
    can_subset=True,
)
def link_conversations(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Links the month's window of logs once and writes both tables (or the one selected)."""
    month = context.partition_key
    store = warehouse.get()
    links, window = _link(context, store)
    try:
        for asset in (Stage.LINKED_CONVERSATIONS, Stage.DEDUPLICATED_CONVERSATIONS):
            if dg.AssetKey(asset) in context.selected_asset_keys:
                yield _result(store, month, asset, links, window, warehouse.batch_rows)
    finally:
        links.texts.close()
