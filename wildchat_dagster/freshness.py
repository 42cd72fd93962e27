"""Which asset partitions a run must materialize, and why: a rerun of an unchanged month does nothing.

Dagster's own staleness decides first: never materialized, a new code version,
or an upstream partition whose data version (the fingerprint of its stored
file, see `Warehouse.partition_fingerprint`) changed. Dagster cannot see what
an asset reads from outside the asset graph, so the runner also compares, per
asset partition: the stored file against the data version recorded for it (a
file deleted or replaced by hand), the run that wrote it (a failed run is
redone), and the outside inputs recorded in that run's tags (landing files for
ingestion, deletion requests for the release, the WILDCHAT_* settings for
every asset). Anything due also makes every asset downstream of it due.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._time import get_current_datetime

from wildchat_dagster import settings
from wildchat_dagster.core.release.deletions import request_files
from wildchat_dagster.core.release.templates_split import DERIVED_SPLIT
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, file_fingerprint, file_sha256
from wildchat_dagster.stages import Stage

INPUTS_TAG = "wildchat/outside_inputs"  # run tag: {asset: fingerprint of what it read from outside Dagster}
DATA_VERSION_TAG = "dagster/data_version"
INGESTION = {Stage.RAW_LOGS, Stage.REJECTED_LOGS}
READS_DELETION_REQUESTS = {Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED, Stage.RELEASE_MANIFEST, Stage.DATASET_REPORT}
PUBLISHED_SPLITS = {Stage.RELEASE_NONTOXIC: "nontoxic", Stage.RELEASE_TOXIC: "toxic", Stage.RELEASE_UNSCREENED: "unscreened"}
# Settings that only say where things are, or hold secrets (never fingerprinted into run tags).
_NOT_FINGERPRINTED = {settings.DATA_DIR_ENV, settings.LOCAL_DIR_ENV}
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def _short(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def settings_fingerprint(environ: Mapping[str, str] = os.environ) -> str:
    """The WILDCHAT_* settings a stage may read (release schema, engines, thresholds), secrets left out."""
    return _short([f"{k}={v}" for k, v in sorted(environ.items()) if k.startswith("WILDCHAT_")
                   and k not in _NOT_FINGERPRINTED and not any(word in k for word in _SECRET_WORDS)])


def outside_inputs(store: Warehouse, asset: str, month: str | None) -> str:
    """A fingerprint of what `asset` reads for `month` that Dagster does not track."""
    parts = [settings_fingerprint()]
    if asset in INGESTION and month:
        parts.append(store.landing_fingerprint(month))
    if asset in READS_DELETION_REQUESTS:
        parts += [f"{path.name}:{file_sha256(path)}" for path in request_files(store.layout)]
    return _short(parts)


def stored_files(store: Warehouse, asset: str, month: str) -> list[StoragePath]:
    """The files whose bytes an asset partition's data version is the fingerprint of (the first),
    and copies of them that must match it (the published release)."""
    layout = store.layout
    if asset == Stage.MONTHLY_STATS:
        return [layout.partition(asset, month, ".json")]
    if asset == Stage.RELEASE_TEMPLATE_CAPPED:
        return [layout.derived(DERIVED_SPLIT, month)]
    if asset in PUBLISHED_SPLITS:
        return [layout.partition(asset, month), layout.published(PUBLISHED_SPLITS[asset], month)]
    return [layout.partition(asset, month)]


@dataclass
class Plan:
    """What one run will materialize (asset -> why) and what it skips as fresh."""

    due: dict[str, str]
    fresh: list[str]

    def inputs_tag(self, store: Warehouse, month: str | None) -> dict[str, str]:
        return {INPUTS_TAG: json.dumps({asset: outside_inputs(store, asset, month) for asset in sorted(self.due)})}


def _stale_reason(resolver: CachingStaleStatusResolver, key: dg.AssetKey, month: str | None) -> str | None:
    status = resolver.get_status(key, month)
    if status == StaleStatus.MISSING:
        return "never materialized"
    if status == StaleStatus.STALE:
        causes = resolver.get_stale_root_causes(key, month) or resolver.get_stale_causes(key, month)
        return "; ".join(sorted({
            (f"{c.dependency_asset_key.to_user_string()}"
             + (f" {c.dependency_partition_key}" if c.dependency_partition_key else "") + f" {c.reason}")
            if c.dependency and c.asset_key != key else c.reason
            for c in causes
        })) or "stale"
    return None


def _outside_reason(instance: dg.DagsterInstance, store: Warehouse, asset: str, month: str | None,
                    partitioned: bool) -> str | None:
    """Why the latest materialization no longer describes what is stored or what it read (None: it does)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[month] if month else None), limit=1
    ).records
    if not records:
        return "never materialized"
    record = records[0]
    run = instance.get_run_by_id(record.run_id)
    if run is None or run.status != dg.DagsterRunStatus.SUCCESS:
        return "its last run did not succeed"
    recorded = (record.asset_materialization.tags or {}).get(DATA_VERSION_TAG) if record.asset_materialization else None
    if partitioned and recorded:
        first, *copies = stored_files(store, asset, month)
        current = file_fingerprint(first)
        if current != recorded:
            return "its stored file is missing" if current == "missing" else "its stored file changed"
        if any(file_fingerprint(copy) != current for copy in copies):
            return "its published copy is missing or differs"
    try:
        inputs = json.loads(run.tags.get(INPUTS_TAG, "{}"))
    except json.JSONDecodeError:
        inputs = {}
    if inputs.get(asset) != outside_inputs(store, asset, month):
        return "its inputs outside Dagster changed (landing files, deletion requests or settings)" if asset in inputs \
            else "launched without a record of its outside inputs"
    return None


def plan_run(defs: dg.Definitions, instance: dg.DagsterInstance, store: Warehouse, assets: set[str],
             month: str | None, *, force: bool = False, also_due: set[str] = frozenset()) -> Plan:
    """Which of `assets` (one partition, or unpartitioned for None) are due, each with its reason.

    `also_due`: assets already known to change (upstream of these, in an earlier run of this command).
    Non-subsettable multi-assets are kept whole; whatever is due makes its descendants due.
    """
    graph = defs.resolve_asset_graph()
    if force:
        return Plan({asset: "forced (--force)" for asset in assets}, [])
    view = AssetGraphView(temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
                          instance=instance, asset_graph=graph)
    resolver = CachingStaleStatusResolver(instance=instance, asset_graph=graph, loading_context=view)
    due: dict[str, str] = {}
    for asset in sorted(assets):
        key = dg.AssetKey(asset)
        reason = _stale_reason(resolver, key, month) or _outside_reason(
            instance, store, asset, month, graph.get(key).is_partitioned)
        if reason:
            due[asset] = reason
    changing = set(due) | set(also_due)
    for asset in sorted(assets - set(due)):
        upstream = {k.to_user_string() for k in graph.get_ancestor_asset_keys(dg.AssetKey(asset))} & changing
        if upstream:
            due[asset] = f"downstream of {', '.join(sorted(upstream))}, which will be rematerialized"
    for asset in sorted(assets - set(due)):  # a multi-asset that cannot run part of itself runs whole
        siblings = {k.to_user_string() for k in defs.get_assets_def(asset).keys}
        if not defs.get_assets_def(asset).can_subset and siblings & set(due):
            due[asset] = f"made with {', '.join(sorted(siblings & set(due)))} in one step"
    return Plan(due, sorted(assets - set(due)))
