"""A month's flagged prompts, kept on local disk while the index decides their clusters.

The month's rows (no text, signatures included: 100 MB for 200,000 prompts)
go batch by batch to an Arrow IPC file in a temporary folder; memory holds
what the index needs (band keys, and for a moment prompt and exact keys).
The rows are read back in prompt-key order a piece at a time, each with its
cluster, to be written: never a copy of the whole month in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from wildchat_dagster.schema import TEMPLATE_PROMPTS

PIECE_ROWS = 5_000  # rows read back, sorted and written at a time (a row group each)
_DECIDED = ("cluster_id", "cluster_size", "is_template")  # not in the spilled rows: the index gives them


class SpilledRows:
    """Tables appended to a local Arrow IPC file, read back by column or by row positions."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="template_prompts-")
        self.path = Path(self._folder.name) / "rows.arrow"
        self._sink: pa.NativeFile | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self.starts = [0]  # where each record batch starts

    def append(self, table: pa.Table) -> None:
        if self._writer is None:
            self._sink = pa.OSFile(str(self.path), "wb")
            self._writer = pa.ipc.new_file(self._sink, table.schema)
        for batch in table.to_batches():
            self._writer.write_batch(batch)
            self.starts.append(self.starts[-1] + batch.num_rows)

    def finish(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = None

    def _reader(self, columns: list[str] | None) -> pa.ipc.RecordBatchFileReader:
        """Over a memory map: a record batch read is no copy, so taking a piece's rows from every batch
        costs those rows, not the month's bytes again for every piece (which grew with the month squared)."""
        schema = pa.ipc.open_file(pa.memory_map(str(self.path))).schema
        fields = [schema.get_field_index(c) for c in columns] if columns else []
        return pa.ipc.open_file(pa.memory_map(str(self.path)), options=pa.ipc.IpcReadOptions(included_fields=fields))

    def column(self, name: str) -> pa.ChunkedArray:
        """One column of every row, copied out of each record batch read (a slice would hold the batch)."""
        reader = self._reader([name])
        chunks = []
        for i in range(reader.num_record_batches):
            column = reader.get_batch(i).column(0)
            chunks.append(column.take(pa.array(np.arange(len(column)))))
        return pa.chunked_array(chunks, reader.schema.field(name).type)

    def matrix_in_order(self, name: str, order: np.ndarray) -> np.ndarray:
        """A fixed-size-list column as an (n, width) array in `order`, read a record batch at a time
        into its place: one copy in memory."""
        reader = self._reader([name])
        width = reader.schema.field(name).type.list_size
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        placed = np.empty((len(order), width), reader.schema.field(name).type.value_type.to_pandas_dtype())
        for i in range(reader.num_record_batches):
            values = reader.get_batch(i).column(0).flatten().to_numpy()
            placed[rank[self.starts[i]:self.starts[i + 1]]] = values.reshape(-1, width)
        return placed

    def take(self, positions: np.ndarray, columns: list[str] | None = None) -> pa.Table:
        """The rows at `positions`, in that order (each record batch holding some read once)."""
        reader = self._reader(columns)
        batch_of = np.searchsorted(np.array(self.starts), positions, side="right") - 1
        parts, where = [], []
        for b in np.unique(batch_of).tolist():
            mine = np.flatnonzero(batch_of == b)
            parts.append(pa.Table.from_batches([reader.get_batch(b).take(pa.array(positions[mine] - self.starts[b]))]))
            where.append(mine)
        if not parts:
            return reader.schema.empty_table()
        return pa.concat_tables(parts).take(pa.array(np.argsort(np.concatenate(where), kind="stable")))

    def close(self) -> None:
        self.finish()
        self._folder.cleanup()


class FlaggedMonth:
    """A month's flagged prompts: their rows (spilled), and in prompt-key order their cluster."""

    def __init__(self, rows: SpilledRows, order: np.ndarray, cluster_id: pa.Array, cluster_size: np.ndarray):
        self.rows, self.order, self.cluster_id, self.cluster_size = rows, order, cluster_id, cluster_size

    def __enter__(self) -> FlaggedMonth:
        return self

    def __exit__(self, *exc) -> None:
        self.rows.close()

    def take(self, start: int, stop: int, columns: list[str] | None = None) -> pa.Table:
        """Rows [start, stop) in prompt-key order (TEMPLATE_PROMPTS' columns, or these)."""
        names = columns or [name for name in TEMPLATE_PROMPTS.names if name not in _DECIDED]
        return self.rows.take(self.order[start:stop], names)

    def pieces(self, rows: int = PIECE_ROWS) -> Iterator[pa.Table]:
        """The month in prompt-key order with cluster_id and cluster_size, `rows` at a time."""
        for start in range(0, max(len(self.order), 1), rows):
            piece = self.take(start, start + rows)
            yield piece.append_column(TEMPLATE_PROMPTS.field("cluster_id"), self.cluster_id[start:start + rows]) \
                .append_column(TEMPLATE_PROMPTS.field("cluster_size"),
                               pa.array(self.cluster_size[start:start + rows], pa.int64()))

    def table(self) -> pa.Table:
        """The whole month at once (tests, small months)."""
        return pa.concat_tables(self.pieces())
