"""The one place that uses Dagster's private API: what the UI calls "stale", asked from Python.

Dagster computes an asset partition's stale status (missing, a new code version,
an upstream data version that changed) for its UI, but exposes no public Python
function for it. `run` must agree with the UI, so it asks the same resolver here
rather than re-deriving the rules (partition mappings, observable sources,
multi-assets). tests/test_dagster_private.py pins what is used, so a Dagster
upgrade that changes it fails a test instead of `run`. It also pins the
undocumented pool bookkeeping of `instance.event_log_storage` that
instance_guard.py and runner.py call (no underscore, so imported from nowhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleCauseCategory, StaleStatus

# Tags Dagster writes on every materialization (constants in dagster._core.definitions.data_version).
CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"


@dataclass(frozen=True)
class StaleCause:
    """One reason an asset partition is stale: its own code (`dependency` None) or an upstream partition."""

    asset: str
    partition: str | None
    reason: str
    dependency: str | None = None
    dependency_partition: str | None = None
    code_changed: bool = False  # the asset's own code version differs from the recorded one


class StaleStatusReader:
    """Dagster's stale status of asset partitions, as of now, for one asset graph and instance."""

    def __init__(self, instance: dg.DagsterInstance, graph) -> None:
        view = AssetGraphView(
            temporal_context=TemporalContext(effective_dt=dt.datetime.now(dt.UTC), last_event_id=None),
            instance=instance, asset_graph=graph,
        )
        self._resolver = CachingStaleStatusResolver(instance=instance, asset_graph=graph, loading_context=view)

    def status(self, key: dg.AssetKey, partition: str | None) -> str:
        """"missing", "stale" or "fresh"."""
        status = self._resolver.get_status(key, partition)
        return {StaleStatus.MISSING: "missing", StaleStatus.STALE: "stale"}.get(status, "fresh")

    def causes(self, key: dg.AssetKey, partition: str | None) -> list[StaleCause]:
        """Root causes first (an upstream code change), else the direct ones."""
        found = self._resolver.get_stale_root_causes(key, partition) or self._resolver.get_stale_causes(key, partition)
        return [
            StaleCause(
                asset=cause.asset_key.to_user_string(),
                partition=cause.partition_key,
                reason=cause.reason,
                dependency=cause.dependency_asset_key.to_user_string() if cause.dependency else None,
                dependency_partition=cause.dependency_partition_key,
                code_changed=cause.category == StaleCauseCategory.CODE and cause.dependency is None,
            )
            for cause in found
        ]
