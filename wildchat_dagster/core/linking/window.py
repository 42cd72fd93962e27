"""A month's linking window (raw logs of M-1..M+1) read from the warehouse in record batches.

Linking needs every log of the window at once, but only its compact keys
(hashes, ids, timestamps, client fields): each batch is hashed and its texts
dropped as it streams by. The texts of the conversations' end logs are read
back later, a batch of rows at a time, from the row groups that hold them
(raw logs are stored in row groups of a few thousand rows, warehouse.ROW_GROUP_ROWS,
in the order requests completed, so a batch of conversations, sorted by time,
touches few row groups).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from wildchat_dagster.core.linking.logs import TEXT_FIELDS, LinkLog
from wildchat_dagster.core.linking.rows import Messages, log_messages
from wildchat_dagster.core.storage.warehouse import Warehouse, open_parquet
from wildchat_dagster.schema import RAW_LOGS
from wildchat_dagster.stages import Stage

READ_BATCH = 2_048
KEY_COLUMNS = [name for name in RAW_LOGS.names if name not in ("headers_json", "extra_json")]
CACHED_ROW_GROUPS = 4


@dataclass
class Window:
    """The window's logs as compact LinkLogs, and how many logs each month gave."""

    logs: list[LinkLog] = field(default_factory=list)
    logs_per_month: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0  # neighbour rows dropped because the window already had their log_id


def _batches(store: Warehouse, month: str, columns: list[str], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The month's raw logs in batches; none for a neighbour month that was never ingested."""
    path = store.partition_path(Stage.RAW_LOGS, month)
    if not path.exists():
        return
    with open_parquet(path) as parquet:
        yield from parquet.iter_batches(batch_size=batch_rows, columns=columns)


def read_window(store: Warehouse, month: str, months: list[str], batch_rows: int = READ_BATCH) -> Window:
    """Compact LinkLogs of the stored raw logs of `months`, one per log_id: the month's own copy
    wins (a neighbour's copy is linked in its own month), then the earlier month's.
    Each log's `at` is (month, row number) in its month's partition."""
    window = Window()
    fingerprints: dict = {}
    ips: dict = {}
    seen: set[str] = set()
    for m in [month] + sorted(m for m in months if m != month):
        position = 0
        for batch in _batches(store, m, KEY_COLUMNS, batch_rows):
            for row in batch.to_pylist():
                if row["log_id"] in seen:
                    window.duplicates += 1
                else:
                    seen.add(row["log_id"])
                    window.logs.append(LinkLog(row, -1, fingerprints, ips, at=(m, position)))
                position += 1
        window.logs_per_month[m] = position
    return window


class StoredTexts:
    """Reads end logs' messages back from the raw_logs partitions by (month, row number)."""

    def __init__(self, store: Warehouse):
        self.store = store
        self._files = ExitStack()
        self._parquet: dict[str, pq.ParquetFile] = {}
        self._starts: dict[str, list[int]] = {}
        self._cache: OrderedDict[tuple[str, int], pa.Table] = OrderedDict()

    def _row_group(self, month: str, row: int) -> tuple[int, int]:
        if month not in self._parquet:
            parquet = self._parquet[month] = self._files.enter_context(
                open_parquet(self.store.partition_path(Stage.RAW_LOGS, month)))
            starts, total = [], 0
            for i in range(parquet.metadata.num_row_groups):
                starts.append(total)
                total += parquet.metadata.row_group(i).num_rows
            self._starts[month] = starts
        starts = self._starts[month]
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # the last row group starting at or before `row`
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if starts[mid] <= row else (lo, mid - 1)
        return lo, row - starts[lo]

    def _texts(self, month: str, group: int) -> pa.Table:
        key = (month, group)
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            self._cache[key] = self._parquet[month].read_row_group(group, columns=list(TEXT_FIELDS))
            if len(self._cache) > CACHED_ROW_GROUPS:
                self._cache.popitem(last=False)
        return self._cache[key]

    def __call__(self, ends: list[LinkLog]) -> list[Messages]:
        wanted: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for i, end in enumerate(ends):
            month, row = end.at
            group, offset = self._row_group(month, row)
            wanted.setdefault((month, group), []).append((i, offset))
        found: list[Messages | None] = [None] * len(ends)
        for (month, group), places in sorted(wanted.items()):
            rows = self._texts(month, group).take([offset for _, offset in places]).to_pylist()
            for (i, _), row in zip(places, rows, strict=True):
                found[i] = log_messages(row)
        return found

    def close(self) -> None:
        self._files.close()
        self._cache.clear()
