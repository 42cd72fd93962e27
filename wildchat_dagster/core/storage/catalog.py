"""The analysts' DuckDB catalog: views over the stored Parquet files, portable with the data folder.

The views name their files relative to the catalog file's folder (the data
root), and every connection resolves them through DuckDB's
`file_search_path`, so the data folder can be moved, copied or shared whole.
The DuckDB CLI resolves them too when started in that folder
(`cd data && duckdb wildchat.duckdb`).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from wildchat_dagster.core.storage.layout import StoragePath, is_remote


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def resolve_relative_to(con: duckdb.DuckDBPyConnection, catalog_path: Path) -> None:
    """Resolve relative file names in this session against the catalog file's folder."""
    con.execute(f"SET file_search_path = {sql_string(str(Path(catalog_path).resolve().parent))}")


def open_catalog(catalog_path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the catalog whose views find their files wherever the data folder now is."""
    if read_only and not Path(catalog_path).exists():
        raise FileNotFoundError(f"no catalog at {catalog_path}: run the publication assets first")
    con = duckdb.connect(str(catalog_path), read_only=read_only)
    resolve_relative_to(con, catalog_path)
    return con


def parquet_view(folder: StoragePath, base: Path) -> str:
    """SQL over every month's Parquet file in `folder`, named relative to `base` (union_by_name across months).

    On an object store the view names the full URL (s3://…): a DuckDB that opens the
    catalog then needs the store's filesystem (`duckdb_readable`, or the httpfs extension).
    """
    pattern = (
        str(folder / "*.parquet")
        if is_remote(folder)
        else (Path(os.path.relpath(folder, base)) / "*.parquet").as_posix()
    )
    return f"SELECT * FROM read_parquet({sql_string(pattern)}, union_by_name = true)"
