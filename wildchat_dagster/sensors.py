"""The landing sensor: ingest a month once its files stop changing, then rebuild the months that read it.

Two steps, because linking a month reads the raw logs of its neighbours:
1. files of month M were added, changed or removed, and every file of M kept
   its size and mtime across two evaluations -> one run ingests M (tagged
   with the version of M's files);
2. once that run has materialized raw_logs for M, the rest of the pipeline
   runs for every month whose conversations read M's logs: M-1 (its
   conversations may continue into M), M and M+1 (its conversations may
   start in M), those that have landing files.
Run keys carry the version, so a restart or a repeated evaluation never
requests the same work twice. The cursor is `LandingWatch` as JSON.

The deletion-requests sensor re-releases the months whose published files hold
an item a new request names (with the shrink allowance), then publishes.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from wildchat_dagster.core.ingestion.landing_watch import LandingWatch, landing_snapshot, month_of_file
from wildchat_dagster.core.months import month_window
from wildchat_dagster.core.release.deletions import load_deletion_requests, published_matches, requests_fingerprint
from wildchat_dagster.jobs import INGESTION, PROCESSING, monthly_pipeline, publication
from wildchat_dagster.partitions import monthly_partitions
from wildchat_dagster.resources.step_outputs import remove_run_outputs
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.settings import END_MONTH_ENV, START_MONTH_ENV
from wildchat_dagster.stages import Stage

LANDING_VERSION_TAG = "wildchat/landing_version"
EVALUATION_INTERVAL_S = 60


def _ingested_version(instance: dg.DagsterInstance, month: str) -> str | None:
    """The landing version of the run that last materialized raw_logs for `month`."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(Stage.RAW_LOGS), asset_partitions=[month]), limit=1
    ).records
    if not records:
        return None
    run = instance.get_run_by_id(records[0].run_id)
    return run.tags.get(LANDING_VERSION_TAG) if run else None


def _partition_span() -> str:
    keys = monthly_partitions.get_partition_keys()
    return f"{keys[0]} to {keys[-1]}" if keys else "none"


@dg.sensor(
    job=monthly_pipeline,
    minimum_interval_seconds=EVALUATION_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.STOPPED,  # turn on in the UI (Automation) for a live deployment
)
def landing_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    """Ingest each month of landing/ once its files are stable, then rebuild it and its neighbour months."""
    watch = LandingWatch.from_cursor(context.cursor)
    now = landing_snapshot(warehouse.get().layout.landing_dir)
    valid = set(monthly_partitions.get_partition_keys())
    landed = {month_of_file(k) for k in now}
    requests: list[dg.RunRequest] = []

    for month, version in watch.ready_months(now).items():
        if month not in valid:
            context.log.warning(
                f"landing/{month}/ is outside the monthly partitions ({_partition_span()}); not ingested: "
                f"set {START_MONTH_ENV} or {END_MONTH_ENV} to include it and reload the definitions")
            continue
        context.log.info(f"landing/{month}/ changed and is stable (version {version}): ingesting")
        watch.pending[month] = version
        requests.append(dg.RunRequest(
            run_key=f"ingest {month} {version}", partition_key=month, asset_selection=INGESTION,
            tags={LANDING_VERSION_TAG: version},
        ))

    for month, version in sorted(watch.pending.items()):
        if _ingested_version(context.instance, month) != version:
            continue  # not ingested yet (or a newer version is on its way)
        del watch.pending[month]
        for affected in month_window(month):
            if affected in landed and affected in valid:
                requests.append(dg.RunRequest(
                    run_key=f"process {affected} after {month} {version}", partition_key=affected,
                    asset_selection=PROCESSING,
                ))
    return dg.SensorResult(run_requests=requests, cursor=watch.to_cursor())


# --- deletion requests ------------------------------------------------------

DELETIONS_TAG = "wildchat/deletion_requests"
# Every published file of a month: the splits, the derived split built from them, and the month's statistics.
RELEASE = [dg.AssetKey(s) for s in (Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED,
                                    Stage.RELEASE_TEMPLATE_CAPPED,
                                    Stage.MONTHLY_STATS)]
# Removing conversations on purpose is the one shrink the release check lets through, and only when asked.
ALLOW_SHRINK = {"ops": {"release_splits": {"config": {"allow_shrink": True}}}}


@dg.sensor(
    jobs=[monthly_pipeline, publication],
    minimum_interval_seconds=EVALUATION_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.STOPPED,  # turn on in the UI (Automation)
)
def deletion_requests_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """New deletion requests re-release the months whose published files hold a requested item;
    once those runs have finished, the manifest is refreshed and its check proves the removal."""
    store = warehouse.get()
    state = json.loads(context.cursor) if context.cursor else {"seen": None, "pending": None}
    if pending := state.get("pending"):
        runs = context.instance.get_runs(filters=dg.RunsFilter(tags={DELETIONS_TAG: pending}))
        if runs and all(run.is_finished for run in runs):
            yield dg.RunRequest(job_name=publication.name, run_key=f"publish after deletions {pending}",
                                tags={DELETIONS_TAG: f"{pending} publication"})
            state["pending"] = None
    requests = load_deletion_requests(store.layout)
    fingerprint = requests_fingerprint(requests)
    if requests and fingerprint != state.get("seen"):
        files = sorted(store.layout.release_dir.rglob("*.parquet"))
        months = sorted({Path(path).stem for path in published_matches(files, requests)})
        context.log.info(
            f"{len(requests.requests)} deletion requests; months to re-release: {', '.join(months) or 'none'}"
        )
        for month in months:
            yield dg.RunRequest(job_name=monthly_pipeline.name, partition_key=month, asset_selection=RELEASE,
                                run_config=ALLOW_SHRINK, run_key=f"deletions {fingerprint} {month}",
                                tags={DELETIONS_TAG: fingerprint})
        state = {"seen": fingerprint, "pending": fingerprint if months else state.get("pending")}
    context.update_cursor(json.dumps(state))


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Removes a succeeded run's step outputs from an object-store data root (step_outputs/<run id>/): "
                "runs the UI, a schedule or a sensor launched, as `wildchat-dagster run` does for its own.",
)
def step_outputs_cleanup(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> None:
    """Only a run's own steps read its step outputs; a failed run keeps them for a re-execution from failure."""
    remove_run_outputs(warehouse.get().layout, context.dagster_run.run_id)


sensors = [landing_sensor, deletion_requests_sensor, step_outputs_cleanup]
