"""Which asset partitions a run must materialize, and why: a rerun of an unchanged month does nothing.

Dagster's own staleness decides first (asked through `dagster_private`, so `run`
and the UI agree): never materialized, a new code version (`code_versions`: the
digest of the source the asset runs and its engines' fingerprints; the reason
names the part that moved), or an upstream partition whose data version (the
fingerprint of its stored file, see `Warehouse.partition_fingerprint`) changed.
Dagster calls a partition stale only for its own new code version, not for an
upstream one, and cannot see what an asset reads from outside the asset graph, so the runner also compares, per
asset partition: the stored file against the data version recorded for it (a
file deleted or replaced by hand), the run that wrote it (a failed run is
redone), and the outside inputs recorded in that run's tags (landing files for
ingestion, deletion requests for the release, the WILDCHAT_* settings for
every asset). Anything due also makes every asset downstream of it due.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import dagster as dg

from wildchat_dagster.assets.shared.code_versions import changes
from wildchat_dagster.cli.dagster_private import CODE_VERSION_TAG, DATA_VERSION_TAG, StaleStatusReader
from wildchat_dagster.core.release.deletions import request_files
from wildchat_dagster.core.release.publication import publication_mismatch
from wildchat_dagster.core.release.templates_split import DERIVED_SPLIT
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, file_fingerprint, file_sha256
from wildchat_dagster.settings import Settings
from wildchat_dagster.stages import Stage

INPUTS_TAG = "wildchat/outside_inputs"  # run tag: {asset: fingerprint of what it read from outside Dagster}
INGESTION = {Stage.RAW_LOGS, Stage.REJECTED_LOGS}
READS_DELETION_REQUESTS = {
    Stage.RELEASE_NONTOXIC,
    Stage.RELEASE_TOXIC,
    Stage.RELEASE_UNSCREENED,
    Stage.RELEASE_MANIFEST,
    Stage.DATASET_REPORT,
}
PUBLISHED_SPLITS = {
    Stage.RELEASE_NONTOXIC: "nontoxic",
    Stage.RELEASE_TOXIC: "toxic",
    Stage.RELEASE_UNSCREENED: "unscreened",
}


def _short(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def settings_fingerprint(settings: Settings | None = None) -> str:
    """The WILDCHAT_* settings a stage may read (release schema, engines, thresholds), secrets left out
    (default: the environment's settings)."""
    return _short((Settings.from_environ() if settings is None else settings).fingerprint_items())


def outside_inputs(store: Warehouse, asset: str, month: str | None, settings: Settings | None = None) -> str:
    """A fingerprint of what `asset` reads for `month` that Dagster does not track."""
    parts = [settings_fingerprint(settings)]
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

    def inputs_tag(self, store: Warehouse, month: str | None, settings: Settings | None = None) -> dict[str, str]:
        return {
            INPUTS_TAG: json.dumps({asset: outside_inputs(store, asset, month, settings) for asset in sorted(self.due)})
        }


def _latest(instance: dg.DagsterInstance, asset: str, month: str | None) -> dg.EventLogRecord | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[month] if month else None), limit=1
    ).records
    return records[0] if records else None


def _tags(record: dg.EventLogRecord) -> dict[str, str]:
    return dict(record.asset_materialization.tags or {}) if record.asset_materialization else {}


def _code_changes(instance: dg.DagsterInstance, defs: dg.Definitions, asset: str, month: str | None) -> list[str]:
    """What moved in `asset`'s code version (source, engines) since its last materialization in `month`."""
    record = _latest(instance, asset, month)
    if record is None:
        return []
    current = defs.get_assets_def(asset).code_versions_by_key[dg.AssetKey(asset)] or ""
    return changes(asset, _tags(record).get(CODE_VERSION_TAG), current)


def _stale_reason(stale: StaleStatusReader, instance: dg.DagsterInstance, defs: dg.Definitions, key: dg.AssetKey,
                  month: str | None) -> str | None:
    status = stale.status(key, month)
    if status == "missing":
        return "never materialized"
    if status != "stale":
        return None
    said: set[str] = set()
    for cause in stale.causes(key, month):
        if cause.code_changed:  # say which part of the code version moved: the source or an engine
            said.update(_code_changes(instance, defs, cause.asset, cause.partition) or [cause.reason])
        elif cause.asset != key.to_user_string():  # a root cause upstream: name it
            said.add(f"{cause.asset}{f' {cause.partition}' if cause.partition else ''} {cause.reason}")
        elif cause.dependency:
            partition = f" {cause.dependency_partition}" if cause.dependency_partition else ""
            said.add(f"{cause.dependency}{partition} {cause.reason}")
        else:
            said.add(cause.reason)
    return "; ".join(sorted(said)) or "stale"


def _outside_reason(instance: dg.DagsterInstance, store: Warehouse, asset: str, month: str | None,
                    partitioned: bool, settings: Settings | None = None) -> str | None:
    """Why the latest materialization no longer describes what is stored or what it read (None: it does)."""
    record = _latest(instance, asset, month)
    if record is None:
        return "never materialized"
    run = instance.get_run_by_id(record.run_id)
    if run is None or run.status != dg.DagsterRunStatus.SUCCESS:
        return "its last run did not succeed"
    recorded = _tags(record).get(DATA_VERSION_TAG)
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
    if inputs.get(asset) != outside_inputs(store, asset, month, settings):
        return "its inputs outside Dagster changed (landing files, deletion requests or settings)" if asset in inputs \
            else "launched without a record of its outside inputs"
    return None


def plan_run(defs: dg.Definitions, instance: dg.DagsterInstance, store: Warehouse, assets: set[str],
             month: str | None, *, force: bool = False, also_due: set[str] = frozenset(),
             settings: Settings | None = None) -> Plan:
    """Which of `assets` (one partition, or unpartitioned for None) are due, each with its reason.

    `also_due`: assets already known to change (upstream of these, in an earlier run of this command).
    Non-subsettable multi-assets are kept whole; whatever is due makes its descendants due.
    """
    graph = defs.resolve_asset_graph()
    if force:
        return Plan({asset: "forced (--force)" for asset in assets}, [])
    stale = StaleStatusReader(instance, graph)
    due: dict[str, str] = {}
    for asset in sorted(assets):
        key = dg.AssetKey(asset)
        reason = _stale_reason(stale, instance, defs, key, month) or _outside_reason(
            instance, store, asset, month, graph.get(key).is_partitioned, settings) \
            or publication_mismatch(store.layout, asset)
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
