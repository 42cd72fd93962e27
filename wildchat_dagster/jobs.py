"""Jobs and schedules: monthly partitions of the pipeline, then publication.

A conversation belongs to the month of its last reply, and a user can continue
a conversation weeks later, so month M is final only once month M+1 has ended.
The schedules therefore ingest each month as soon as it ends, process it one
month later (when the logs of both its neighbours are in), then publish.
Separate ticks, hours apart, order the work without runs racing each other.
"""

from __future__ import annotations

import dagster as dg

from wildchat_dagster.core.months import shift_month
from wildchat_dagster.partitions import monthly_partitions
from wildchat_dagster.stages import Stage, all_stages

INGESTION = [dg.AssetKey(Stage.RAW_LOGS), dg.AssetKey(Stage.REJECTED_LOGS)]
PUBLICATION_STAGES = {Stage.RELEASE_MANIFEST, Stage.DATASET_REPORT, Stage.DUCKDB_CATALOG}
# Everything monthly after ingestion: linking through the release splits and stats.
PROCESSING = [dg.AssetKey(s) for s in all_stages() if s not in PUBLICATION_STAGES and dg.AssetKey(s) not in INGESTION]

# Every monthly-partitioned asset, from raw logs to the release splits and stats.
monthly_pipeline = dg.define_asset_job(
    "monthly_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("publication"),
)

# The same months in two waves, for backfills that run months in parallel on several workers:
# every month's raw logs first, then the rest (linking month M reads the raw logs of M-1..M+1).
monthly_ingestion = dg.define_asset_job("monthly_ingestion", selection=dg.AssetSelection.assets(*INGESTION))
monthly_processing = dg.define_asset_job(
    "monthly_processing",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("publication") - dg.AssetSelection.assets(*INGESTION),
)

# Unpartitioned assets over all months: manifest, report, DuckDB catalog.
publication = dg.define_asset_job("publication", selection=dg.AssetSelection.groups("publication"))


def _month_ago(context: dg.ScheduleEvaluationContext, months: int) -> str | None:
    """The partition `months` before the tick's month, if the partitions include it."""
    key = shift_month(context.scheduled_execution_time.strftime("%Y-%m"), -months)
    valid = monthly_partitions.get_partition_keys(current_time=context.scheduled_execution_time)
    return key if key in valid else None


@dg.schedule(job=monthly_pipeline, cron_schedule="0 1 1 * *", execution_timezone="UTC")
def monthly_ingestion_schedule(context: dg.ScheduleEvaluationContext):
    """On the 1st, ingest the raw logs of the month that just ended."""
    if key := _month_ago(context, 1):
        yield dg.RunRequest(run_key=f"ingest {key}", partition_key=key, asset_selection=INGESTION)


@dg.schedule(job=monthly_pipeline, cron_schedule="0 3 2 * *", execution_timezone="UTC")
def monthly_schedule(context: dg.ScheduleEvaluationContext):
    """On the 2nd, run the whole pipeline for the month before last: the month after
    it has ended and was ingested the day before, so its conversations are final."""
    if key := _month_ago(context, 2):
        yield dg.RunRequest(run_key=f"process {key}", partition_key=key)


@dg.schedule(job=publication, cron_schedule="0 3 3 * *", execution_timezone="UTC")
def publication_schedule(context: dg.ScheduleEvaluationContext):
    """On the 3rd, refresh the manifest, the report and the DuckDB catalog."""
    yield dg.RunRequest(run_key=f"publish {context.scheduled_execution_time:%Y-%m}")


schedules = [monthly_ingestion_schedule, monthly_schedule, publication_schedule]
