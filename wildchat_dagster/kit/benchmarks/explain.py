"""explain's lookup time on a large month: keys resolved from the stored Parquet files with DuckDB.

Builds a temporary warehouse from the linking benchmark's synthetic logs
(`size` conversations over three months, short random-word messages):
raw_logs of every month and the middle month's deduplicated_conversations.
Then times `explain` on sampled keys: a conversation's last log_id and the
landing `file:line` of its first log. The later stages are absent, so this
measures the scans every explain makes over a month: raw_logs by log_id or
line, deduplicated_conversations by log (list_contains over log_ids) and by
opening (the related-conversations query).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections import defaultdict

from wildchat_dagster.core.lineage.explain import explain
from wildchat_dagster.core.linking.chains import link_month
from wildchat_dagster.core.linking.logs import utc_month
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.kit.benchmarks.linking import MONTHS, synthetic_logs
from wildchat_dagster.stages import Stage

KEYS = 10


def _figures(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_s": round(statistics.median(ordered), 3), "max_s": round(ordered[-1], 3)}


def _cpu_median(seconds: list[float]) -> float:
    """CPU seconds of this process (DuckDB's threads included): on a shared machine, wall time also counts waiting."""
    return round(statistics.median(seconds), 3)


def run(size: int) -> dict:
    logs = synthetic_logs(size)
    month = MONTHS[1]
    by_month: dict[str, list[dict]] = defaultdict(list)
    for log in logs:
        by_month[utc_month(log["timestamp"])].append(log)
    for m, rows in by_month.items():
        for line, row in enumerate(rows, start=1):
            row["source_file"], row["line_number"] = f"landing/{m}/requests-000.jsonl", line
    deduplicated = link_month(logs, month).deduplicated
    rng = random.Random(0)
    sample = rng.sample(deduplicated, min(KEYS, len(deduplicated)))
    first_logs = {row["log_ids"][0] for row in sample}
    lines = {log["log_id"]: f"{log['source_file']}:{log['line_number']}" for log in logs if log["log_id"] in first_logs}
    timings: dict[str, list[float]] = {"log_id": [], "landing_line": []}
    cpu: dict[str, list[float]] = {"log_id": [], "landing_line": []}
    with tempfile.TemporaryDirectory() as root:
        store = Warehouse(root)
        for m, rows in by_month.items():
            store.write_records(Stage.RAW_LOGS, m, rows)
        store.write_records(Stage.DEDUPLICATED_CONVERSATIONS, month, deduplicated)
        for row in sample:
            for kind, key in (("log_id", row["conversation_id"]), ("landing_line", lines[row["log_ids"][0]])):
                started, cpu_started = time.perf_counter(), time.process_time()
                result = explain(store, key)
                timings[kind].append(time.perf_counter() - started)
                cpu[kind].append(time.process_time() - cpu_started)
                assert row["conversation_id"] in {c["conversation_id"] for c in result.conversations}, key
    figures = {
        "conversations_generated": size,
        "logs": len(logs),
        "month": month,
        "month_conversations": len(deduplicated),
        "keys_per_kind": len(sample),
        **{f"{kind}_{name}": value for kind, seconds in timings.items() for name, value in _figures(seconds).items()},
        **{f"{kind}_cpu_median_s": _cpu_median(seconds) for kind, seconds in cpu.items()},
    }
    print(
        f"explain over {len(logs):,} logs ({len(deduplicated):,} conversations in {month}): "
        f"by log_id median {figures['log_id_median_s']} s (max {figures['log_id_max_s']}, "
        f"CPU {figures['log_id_cpu_median_s']} s), by file:line median {figures['landing_line_median_s']} s "
        f"(max {figures['landing_line_max_s']}, CPU {figures['landing_line_cpu_median_s']} s)"
    )
    print(figures)
    return figures


if __name__ == "__main__":
    import sys

    run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
