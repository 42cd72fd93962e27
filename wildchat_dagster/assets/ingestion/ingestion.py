"""raw_logs and rejected_logs: a month's landing files, split into contract-valid logs and rejections."""

from collections import Counter

import dagster as dg
import pyarrow as pa

from wildchat_dagster.core.ingestion.contract import REJECTION_REASONS
from wildchat_dagster.core.ingestion.raw_logs import DEFAULT_MAX_RECORD_BYTES, read_landing_month
from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import ROW_GROUP_ROWS, Warehouse
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import RAW_LOGS
from wildchat_dagster.stages import Stage

# raw_logs' input version (Dagster cannot see files outside assets): the runner compares it.
LANDING_FINGERPRINT = "landing_fingerprint"


class RawLogsConfig(dg.Config):
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES  # longer lines are rejected as too_large
    # A month without landing files, or whose files hold no valid log (empty, truncated, garbage), is
    # almost always a fault upstream, and writing it empty would replace a published month: only an
    # explicit request makes an empty month.
    allow_empty_month: bool = False


def _refuse_no_valid_log(store, month: str, parses) -> None:
    lines = sum(p.lines for p in parses)
    reasons = Counter(r["reason"] for p in parses for r in p.rejected)
    rejected = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "none"
    raise dg.Failure(
        f"no valid log line in {store.layout.landing_month_dir(month)} ({len(parses)} file(s), {lines} lines; "
        f"rejected: {rejected}): nothing was written. "
        "To materialize an empty month on purpose, pass --allow-empty (run config allow_empty_month: true)."
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            Stage.RAW_LOGS,
            description="Every contract-valid request log of the month's landing files, typed, headers lower-cased.",
            group_name="ingestion",
            kinds={"json", "parquet"},
        ),
        dg.AssetSpec(
            Stage.REJECTED_LOGS,
            description=(
                "Every landing line that breaks the raw-log contract, with file, line, reason code and the raw line."
            ),
            group_name="ingestion",
            kinds={"json", "parquet"},
        ),
    ],
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
)
def ingest_landing_files(context: dg.AssetExecutionContext, config: RawLogsConfig, warehouse: WarehouseResource):
    """Parse landing/<month>/*.jsonl[.gz]; nothing is dropped: a line is a log, a rejection or blank."""
    month = context.partition_key
    store = warehouse.get()
    files = store.landing_files(month)
    landing_version = store.landing_fingerprint(month)
    if not files:
        _refuse_or_warn_empty_month(context, config, store, month)
    group = ROW_GROUP_ROWS[Stage.RAW_LOGS]
    pending: list[dict] = []
    written = 0
    with store.partition_writer(Stage.RAW_LOGS, month) as write:

        def sink(rows: list[dict]) -> None:
            """Valid rows as they are parsed, written a row group at a time (the layout one table write gives)."""
            nonlocal written
            pending.extend(rows)
            while len(pending) >= group:
                write(pa.Table.from_pylist(pending[:group], schema=RAW_LOGS))
                written += group
                del pending[:group]

        parses = read_landing_month(
            store,
            month,
            config.max_record_bytes,
            progress=lambda number, total, parsed: context.log.info(
                f"[{number}/{total}] {parsed.source_file}: {parsed.lines} lines, "
                f"{parsed.valid_rows} valid, {len(parsed.rejected)} rejected"
            ),
            sink=sink,
        )
        if files and not (written or pending) and not config.allow_empty_month:
            _refuse_no_valid_log(store, month, parses)  # raised inside the writer: nothing is published
        if pending or not written:
            write(pa.Table.from_pylist(pending, schema=RAW_LOGS))
    valid = written + len(pending)
    rejected = [row for parsed in parses for row in parsed.rejected]
    lines = sum(parsed.lines for parsed in parses)
    blank = sum(parsed.blank_lines for parsed in parses)
    bytes_read = sum(parsed.bytes_read for parsed in parses)
    bytes_on_disk = sum(parsed.bytes_on_disk for parsed in parses)
    per_file = [[p.source_file, p.lines, p.valid_rows, len(p.rejected), p.bytes_on_disk] for p in parses]
    raw_path = store.partition_path(Stage.RAW_LOGS, month)
    rejected_path = store.write_records(Stage.REJECTED_LOGS, month, rejected)

    by_reason = Counter(r["reason"] for r in rejected)
    rejected_by_reason = {reason: by_reason.get(reason, 0) for reason in REJECTION_REASONS}
    files_table = markdown_table(["file", "lines", "valid", "rejected", "bytes on disk"], per_file)
    yield dg.MaterializeResult(
        asset_key=Stage.RAW_LOGS,
        data_version=dg.DataVersion(store.partition_fingerprint(Stage.RAW_LOGS, month)),
        metadata={
            "files": len(files),
            LANDING_FINGERPRINT: landing_version,
            "lines_read": lines,
            "valid": valid,
            "rejected": len(rejected),
            "blank_lines": blank,
            "rejected_by_reason": dg.MetadataValue.json(rejected_by_reason),
            "bytes_read": bytes_read,
            "bytes_on_disk": bytes_on_disk,
            "max_record_bytes": config.max_record_bytes,
            "landing_files": dg.MetadataValue.md(files_table),
            "dagster/row_count": valid,
            "path": dg.MetadataValue.path(str(raw_path)),
        },
    )
    yield _rejected_logs_result(store, month, rejected, valid, rejected_by_reason, rejected_path)


def _refuse_or_warn_empty_month(
    context: dg.AssetExecutionContext, config: RawLogsConfig, store: Warehouse, month: str
) -> None:
    """A month without landing files fails, unless empty months were asked for (then it is only logged)."""
    if not config.allow_empty_month:
        raise dg.Failure(
            f"no landing files (*.jsonl, *.jsonl.gz) in {store.layout.landing_month_dir(month)}: "
            "nothing was written. "
            "To materialize an empty month on purpose, pass --allow-empty (run config allow_empty_month: true)."
        )
    context.log.warning(
        f"no landing files in {store.layout.landing_month_dir(month)}; writing empty partitions (allow_empty_month)"
    )


def _rejected_logs_result(
    store: Warehouse,
    month: str,
    rejected: list[dict],
    valid: int,
    rejected_by_reason: dict[str, int],
    rejected_path: StoragePath,
) -> dg.MaterializeResult:
    """REJECTED_LOGS' materialization: counts and a preview of where and why, never the lines themselves."""
    # No detail or raw line here: they can hold client IPs and text, and metadata lives in the event log.
    preview = [[r["source_file"], r["line_number"], r["reason"]] for r in rejected[:10]]
    return dg.MaterializeResult(
        asset_key=Stage.REJECTED_LOGS,
        data_version=dg.DataVersion(store.partition_fingerprint(Stage.REJECTED_LOGS, month)),
        metadata={
            "rejected": len(rejected),
            "rejected_by_reason": dg.MetadataValue.json(rejected_by_reason),
            "rejected_share": round(len(rejected) / max(1, len(rejected) + valid), 6),
            "preview": dg.MetadataValue.md(markdown_table(["file", "line", "reason"], preview)),
            "dagster/row_count": len(rejected),
            "path": dg.MetadataValue.path(str(rejected_path)),
        },
    )
