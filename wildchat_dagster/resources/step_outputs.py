"""Step outputs beside the data: a month's shard steps may run on different machines.

The sharded stages hand small values between their steps (a shard plan, each
shard's counts and check totals); rows and texts stay in files. Dagster's
default IO manager keeps those values in the instance's local storage folder,
which a step on another machine (a Celery worker, a Kubernetes pod) cannot
read. With an object-store data root every step reaches the same bucket, so
the values are pickled there, under step_outputs/ (universal-pathlib, the same
file-system layer as the data). A local data root keeps Dagster's default.
"""

from __future__ import annotations

import pickle
from typing import Any

import dagster as dg
from upath import UPath

from wildchat_dagster.core.storage.layout import DataLayout


class PickledStepOutputs(dg.UPathIOManager):
    extension = ".pickle"

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        with path.open("wb") as file:
            pickle.dump(obj, file)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        with path.open("rb") as file:
            return pickle.load(file)


class SharedStepOutputs(dg.ConfigurableIOManagerFactory):
    """Step outputs under `<data root>/step_outputs/<run id>/<step>/`, readable by every worker."""

    data_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> PickledStepOutputs:
        return PickledStepOutputs(base_path=DataLayout(self.data_dir).step_outputs_dir)


def step_outputs_io_manager(layout: DataLayout) -> dict:
    """{"io_manager": …} for an object-store data root; nothing (Dagster's default) for a local one."""
    return {"io_manager": SharedStepOutputs(data_dir=str(layout.root))} if layout.remote else {}


def remove_run_outputs(layout: DataLayout, run_id: str) -> None:
    """Remove a finished run's step outputs (`step_outputs/<run id>/`): only its own steps read them, and
    nothing else cleans the bucket. A local root keeps Dagster's default storage, which is not touched."""
    folder = layout.step_outputs_dir / run_id
    if layout.remote and folder.exists():
        folder.fs.rm(folder.path, recursive=True)
        folder.fs.invalidate_cache(layout.step_outputs_dir.path)
