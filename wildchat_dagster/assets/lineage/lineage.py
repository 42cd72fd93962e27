"""lineage_index, and column lineage on every stage: the UI's way back from a released record.

`explain` (the CLI) reads the same index; the column lineage comes from
`core.lineage.columns` and is attached to every stage's asset definition.
"""

import dagster as dg
import duckdb

from wildchat_dagster.assets.shared.checks import no_raw_ips_result, no_raw_ips_spec
from wildchat_dagster.core.lineage.columns import UPSTREAM, column_sources
from wildchat_dagster.core.lineage.index import lineage_index_table
from wildchat_dagster.core.release.splits import PUBLISHED_FOLDERS
from wildchat_dagster.core.storage.warehouse import duckdb_readable
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage

ASSET = Stage.LINEAGE_INDEX
RELEASED_ROWS_INDEXED = "released_rows_indexed"
PREVIEW_COLUMNS = ["conversation_hash", "turn_identifier", "conversation_id", "round", "log_id", "split"]


def column_lineage(stage: str) -> dg.TableColumnLineage:
    """Dagster's column lineage of one stage, from core.lineage.columns."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=dg.AssetKey(asset), column_name=name) for asset, name in sources]
            for column, sources in column_sources(stage).items()
        }
    )


def with_column_lineage(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec with `dagster/column_lineage` when its stage reads another stage's table."""
    stage = spec.key.to_user_string()
    if stage not in UPSTREAM:
        return spec
    return spec.merge_attributes(metadata={"dagster/column_lineage": column_lineage(stage)})


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[Stage.MODERATED_CONVERSATIONS, Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED],
    group_name="release",
    kinds={"parquet"},
    check_specs=[
        no_raw_ips_spec(ASSET),
        dg.AssetCheckSpec(
            RELEASED_ROWS_INDEXED, asset=ASSET, blocking=True,
            description="Every conversation_hash of the month's published folders (the splits and unscreened) is "
                        "in the index, with its folder.",
        )
    ],
)
def lineage_index(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per round of every moderated conversation: conversation_hash and turn_identifier
    back to the conversation_id and log_id that key every stored stage, and the split it went to."""
    store = warehouse.get()
    month = context.partition_key
    # Rows stream by in batches: the index keeps hashes and ids, never the texts.
    table = lineage_index_table((row for batch in store.iter_records(Stage.MODERATED_CONVERSATIONS, month,
                                                                     warehouse.batch_rows) for row in batch),
                                hold_unscreened=warehouse.unscreened == "hold")
    path = store.write_table(ASSET, month, table)
    con = duckdb.connect()
    try:
        con.register("ix", table)
        splits = dict(
            con.execute("SELECT split, count(DISTINCT conversation_id) FROM ix GROUP BY 1 ORDER BY 1").fetchall()
        )
        unindexed = 0
        for split in PUBLISHED_FOLDERS:
            file = store.layout.published(split, month)
            if file.exists():
                [(missing,)] = con.execute(
                    "SELECT count(*) FROM read_parquet(?) r WHERE NOT EXISTS "
                    "(SELECT 1 FROM ix WHERE ix.conversation_hash = r.conversation_hash AND ix.split = ?)",
                    [duckdb_readable(con, [file])[0], split],
                ).fetchall()
                unindexed += missing
    finally:
        con.close()
    preview = table.select(PREVIEW_COLUMNS).slice(0, 10).to_pylist()
    return dg.MaterializeResult(
        data_version=dg.DataVersion(store.partition_fingerprint(ASSET, month)),
        metadata={
            "rounds": table.num_rows,
            "conversations_by_split": dg.MetadataValue.json(splits),
            "dagster/row_count": table.num_rows,
            "path": dg.MetadataValue.path(str(path)),
            "preview": dg.MetadataValue.table(
                # Every record keeps every column (Dagster requires the same fields): a lost log's
                # log_id or an excluded conversation's split is a null cell, not a missing one.
                records=[dg.TableRecord(r) for r in preview],
                schema=dg.TableSchema(
                    columns=[dg.TableColumn(c, "string" if c != "round" else "int") for c in PREVIEW_COLUMNS]
                ),
            ),
        },
        check_results=[
            no_raw_ips_result(store, month, ASSET, table),
            dg.AssetCheckResult(
                check_name=RELEASED_ROWS_INDEXED,
                passed=unindexed == 0,
                metadata={"released_rows_not_indexed": unindexed},
            ),
        ],
    )
