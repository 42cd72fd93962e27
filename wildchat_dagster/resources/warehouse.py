"""The data root as a Dagster resource."""

from __future__ import annotations

import dagster as dg

from wildchat_dagster.core.storage.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """Local data root: landing/, warehouse/<asset>/<YYYY-MM>.parquet, release/, reports/."""

    data_dir: str

    def get(self) -> Warehouse:
        return Warehouse(self.data_dir)
