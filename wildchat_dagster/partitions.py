"""Monthly partitions and the neighbour-month mapping linking needs."""

import warnings

import dagster as dg

from wildchat_dagster.core.months import shift_month
from wildchat_dagster.settings import partition_end_month, partition_start_month


def _monthly_partitions(start: str, end: str | None) -> dg.MonthlyPartitionsDefinition:
    """Keys look like "2023-04". Open-ended (end None), end_offset=1 includes the current, incomplete
    month and the partitions grow with the calendar; else they stop at `end` (end_date is exclusive)."""
    if end is None:
        return dg.MonthlyPartitionsDefinition(start_date=start, fmt="%Y-%m", end_offset=1)
    return dg.MonthlyPartitionsDefinition(start_date=start, end_date=shift_month(end, 1), fmt="%Y-%m")


monthly_partitions = _monthly_partitions(partition_start_month(), partition_end_month())

# A conversation belongs to the month of its last turn, so linking month M
# reads the logs of M-1 and M+1 too; a missing neighbour month is fine.
# (The flag is marked beta in Dagster 1.13; we rely on it and test it, so its warning is noise.)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    neighbour_months = dg.TimeWindowPartitionMapping(
        start_offset=-1, end_offset=1, allow_nonexistent_upstream_partitions=True
    )

# Backfills run one month per run at every monthly stage. A month is the unit of work
# everywhere (each stage reads its month, linking also its neighbours' logs, and writes
# one partition), so months run in parallel as separate runs and a failure names one
# month. Batching the cheap stages (ingestion, linking, release) into one run would
# save only run start-up, a few seconds a month, and would need range-aware assets.
MONTH_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
# `backfill_policy=` on @asset is marked beta in 1.13 (stable on multi_asset); the policy is tested.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy` of function `asset`", category=dg.BetaWarning)
