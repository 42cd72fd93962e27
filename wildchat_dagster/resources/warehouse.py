"""The data root as a Dagster resource."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """Data root (a folder or s3://…, gs://…, az://…): landing/, warehouse/<asset>/<YYYY-MM>.parquet, release/, reports/."""

    data_dir: str
    local_dir: str | None = Field(
        default=None, description="Local folder for the catalog, caches and key; required for an object-store data root."
    )

    def get(self) -> Warehouse:
        return Warehouse(DataLayout(self.data_dir, self.local_dir))
