"""The month-wide allow-list between redaction's two passes, kept in small files.

Pass 1 runs per shard and stores, per detected string that can become public,
the number of distinct conversations it occurs in; the month's sums decide
which strings are public (`month.allow_list`), and every shard's pass 2 reads
that list. The files hold detected strings (e-mails, URLs...), so they live
beside the unredacted stages under the data root and are removed at publication.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pyarrow as pa

from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import file_writer, iter_row_groups

STRING_COUNTS_SCHEMA = pa.schema(
    [pa.field("entity_type", pa.string()), pa.field("value", pa.string()), pa.field("conversations", pa.int64())]
)


def write_string_counts(path: StoragePath, counts: Counter) -> None:
    """(type, string) -> conversations, as a file (an allow-list is the same with counts dropped)."""
    with file_writer(path, STRING_COUNTS_SCHEMA) as write:
        write(pa.Table.from_pylist(
            [{"entity_type": t, "value": v, "conversations": n} for (t, v), n in counts.items()],
            schema=STRING_COUNTS_SCHEMA,
        ))


def read_string_counts(paths: Iterable[StoragePath]) -> Counter:
    """The files' counts, summed."""
    total: Counter = Counter()
    for path in paths:
        for table in iter_row_groups(path):
            for row in table.to_pylist():
                total[(row["entity_type"], row["value"])] += row["conversations"]
    return total


def write_allow_list(path: StoragePath, public: set[tuple[str, str]]) -> None:
    write_string_counts(path, Counter(dict.fromkeys(sorted(public), 0)))


def read_allow_list(path: StoragePath) -> set[tuple[str, str]]:
    return set(read_string_counts([path]))
