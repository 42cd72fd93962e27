"""The analysts' DuckDB catalog: views over every stored asset and the published release."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from wildchat_dagster.core.release.splits import PUBLISHED_FOLDERS
from wildchat_dagster.core.storage.catalog import parquet_view, resolve_relative_to
from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import duckdb_readable
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage


def _has_parquet(folder: StoragePath) -> bool:
    return folder.is_dir() and any(folder.glob("*.parquet"))


def catalog_views(layout: DataLayout, base: Path) -> dict[str, str]:
    """View name -> SQL over the Parquet files that exist now, their paths relative to `base`."""
    views: dict[str, str] = {}
    warehouse_dir = layout.warehouse_dir
    for folder in (
        sorted((p for p in warehouse_dir.iterdir() if p.is_dir()), key=lambda p: p.name)
        if warehouse_dir.is_dir()
        else []
    ):
        if _has_parquet(folder):
            views[folder.name] = parquet_view(folder, base)
    published = []
    for split in PUBLISHED_FOLDERS:
        folder = layout.release_split_dir(split)
        if _has_parquet(folder):
            views[f"release_{split}"] = parquet_view(folder, base)
            published.append(f"SELECT *, '{split}' AS split FROM release_{split}")
    if published:
        views["release_all"] = " UNION ALL ".join(published)
    return views


@dg.asset(
    deps=[
        Stage.RELEASE_NONTOXIC,
        Stage.RELEASE_TOXIC,
        Stage.RELEASE_UNSCREENED,
        Stage.RELEASE_MANIFEST,
        Stage.DATASET_REPORT,
    ],
    group_name="publication",
    kinds={"duckdb"},
)
def duckdb_catalog(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, catalog: DuckDBResource
) -> dg.MaterializeResult:
    """wildchat.duckdb: one view per stored asset, plus release_nontoxic/_toxic/_all over the published files;
    file paths relative to the catalog, so the data folder can move (open it with `wildchat-dagster sql`)."""
    layout = warehouse.get().layout
    database = Path(catalog.database)
    database.parent.mkdir(parents=True, exist_ok=True)
    views = catalog_views(layout, database.resolve().parent)
    rows = {}
    with catalog.get_connection() as con:
        resolve_relative_to(con, database)
        duckdb_readable(con, [layout.root])  # an object-store root: this connection reads it through fsspec
        existing = {
            name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
        for stale in sorted(existing - set(views)):
            con.execute(f'DROP VIEW "{stale}"')
        # The warehouse's own release_* views are shadowed by the published ones of the same name:
        # they hold the same rows (the published file is a byte copy of the warehouse partition).
        for name, sql in views.items():
            con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')
        for name in views:
            rows[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    context.log.info(f"catalog {catalog.database}: {len(views)} views")
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(catalog.database),
            "views": len(views),
            "rows_per_view": dg.MetadataValue.json(rows),
        }
    )
