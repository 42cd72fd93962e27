"""Check results shared by several stages."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from wildchat_dagster.assets.shared.stage_run import Batch, BatchCheck
from wildchat_dagster.core.geo.client_ips import canonical_ips, find_raw_ips
from wildchat_dagster.core.months import month_window
from wildchat_dagster.core.release.deletions import DeletionRequests, published_matches
from wildchat_dagster.core.stats import StageResult, total, union
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, iter_file_batches
from wildchat_dagster.stages import Stage

NO_RAW_IPS = "no_raw_client_ips"
DELETIONS_CHECK = "deletion_requests_honoured"


def deletions_spec(asset: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(DELETIONS_CHECK, asset=asset, blocking=True, description=description)


def deletions_result(asset: str, files: list[StoragePath], requests: DeletionRequests) -> dg.AssetCheckResult:
    """Scan files for any requested hash, turn identifier or hashed IP (request ids reported, never values)."""
    remaining = published_matches(files, requests)
    return dg.AssetCheckResult(
        check_name=DELETIONS_CHECK,
        asset_key=asset,
        passed=not remaining,
        metadata={
            "files_scanned": len(files),
            "requests_on_file": len(requests.requests),
            "files_still_holding_requested_items": len(remaining),
            # Request ids only: the matched values and content never reach the event log.
            "request_ids_still_present": ", ".join(sorted({i for ids in remaining.values() for i in ids})) or "none",
        },
    )


def no_raw_ips_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        NO_RAW_IPS,
        asset=asset,
        blocking=True,
        description="No raw client IP of the month (or its neighbours) occurs in any text field.",
    )


def month_client_ips(warehouse: Warehouse, month: str) -> set[str]:
    """Raw client IPs of every log that can belong to the month's conversations."""
    ips: set[str] = set()
    for m in month_window(month):
        ips |= canonical_ips(warehouse.read_table(Stage.RAW_LOGS, m, columns=["ip"]).column("ip").to_pylist())
    return ips


def no_raw_ips_result(warehouse: Warehouse, month: str, asset: str, table: pa.Table) -> dg.AssetCheckResult:
    """Fails (never printing the IPs themselves) when a raw client IP is found."""
    found = find_raw_ips(table, month_client_ips(warehouse, month))
    return dg.AssetCheckResult(
        check_name=NO_RAW_IPS,
        asset_key=asset,
        passed=not found,
        metadata={"occurrences_found": len(found), "columns": sorted({c for c, _ in found}) or ["none"]},
    )


def no_raw_ips_file_result(warehouse: Warehouse, month: str, asset: str, path: StoragePath,
                           batch_rows: int, raw_ips: set[str] | None = None) -> dg.AssetCheckResult:
    """`no_raw_ips_result` over a written Parquet file, read a batch at a time (`raw_ips`: the
    month's, when the caller already read them for another file)."""
    raw_ips = month_client_ips(warehouse, month) if raw_ips is None else raw_ips
    found: list[tuple[str, str]] = []
    for table in iter_file_batches(path, batch_rows):
        found += find_raw_ips(table, raw_ips)
    return dg.AssetCheckResult(
        check_name=NO_RAW_IPS,
        asset_key=asset,
        passed=not found,
        metadata={"occurrences_found": len(found), "columns": sorted({c for c, _ in found}) or ["none"]},
    )


@dataclass(slots=True)
class RawIpsFound(StageResult):
    occurrences_found: int = total()
    columns: set[str] = union()  # where, never the IPs themselves


def no_raw_ips_check(warehouse: Warehouse, month: str, ips: set[str] | None = None) -> BatchCheck:
    """`no_raw_client_ips` batch by batch for streamed stages (the month's raw IPs are read once,
    at the first batch: a step that only judges the totals reads nothing)."""
    raw_ips: list[set[str]] = [] if ips is None else [ips]

    def count(batch: Batch) -> RawIpsFound:
        if not raw_ips:
            raw_ips.append(month_client_ips(warehouse, month))
        found = find_raw_ips(batch.table, raw_ips[0])
        return RawIpsFound(len(found), {c for c, _ in found})

    return BatchCheck(NO_RAW_IPS, count, passed=lambda totals: totals.occurrences_found == 0)
