"""The data root as a Dagster resource, with the settings for how stages stream and release it."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.release.schemas import DEFAULT_RELEASE_SCHEMA
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.settings import (
    DEFAULT_BATCH_ROWS,
    DEFAULT_LICENSE,
    DEFAULT_SHARD_ROWS,
    UNSCREENED_POLICIES,
    Settings,
)


class WarehouseResource(dg.ConfigurableResource):
    """Data root (a folder or s3://…, gs://…, az://…).

    Holds landing/, warehouse/<asset>/<YYYY-MM>.parquet, release/ and reports/.
    """

    data_dir: str
    local_dir: str | None = Field(
        default=None,
        description="Local folder for the catalog, caches and key; required for an object-store data root.",
    )
    batch_rows: int = Field(default=DEFAULT_BATCH_ROWS, ge=1, description="Conversations per batch a stage streams.")
    shard_rows: int = Field(
        default=DEFAULT_SHARD_ROWS, ge=1, description="Conversations per shard step (whole batches)."
    )
    workers: int = Field(
        default=1, ge=1, description="Worker processes for the sharded stages' batches, warm for the run (1: inline)."
    )
    release_schema: str = Field(
        default=DEFAULT_RELEASE_SCHEMA,
        description="a registered release schema: wildchat-1m (default), wildchat-4.8m, ...",
    )
    release_license: str = Field(default=DEFAULT_LICENSE, description="The license the dataset card states.")
    unscreened: str = Field(default=UNSCREENED_POLICIES[0], description="Where not-toxic conversations with a turn no "
                            "moderator screened go: hold (release/unscreened/) or nontoxic (the non-toxic split).")

    @classmethod
    def from_settings(cls, settings: Settings, layout: DataLayout | None = None) -> WarehouseResource:
        """The data root of `layout` (default: the settings'), streamed and released as `settings` say."""
        layout = settings.layout if layout is None else layout
        return cls(
            data_dir=str(layout.root), local_dir=None if layout.local == layout.root else str(layout.local),
            batch_rows=settings.batch_rows, shard_rows=settings.shard_rows, workers=settings.workers,
            release_schema=settings.release_schema, release_license=settings.release_license,
            unscreened=settings.unscreened,
        )

    def get(self) -> Warehouse:
        return Warehouse(DataLayout(self.data_dir, self.local_dir))
