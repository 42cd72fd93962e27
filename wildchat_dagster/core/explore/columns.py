"""The conversations' filter fields as arrays in memory: filters and facets without SQL joins.

A phrase can match a large share of a release (tens of thousands of
conversations for two common words). Joining each match to its conversation
row to filter it or count its facets is what made such a query slow, so the
low-cardinality fields (month, split, model, language, country, state, the
flags and the number of turns) are loaded once per server as one small code
per conversation: a filter is a vectorised comparison, a facet a bincount, and
both are exact for every match. hashed_ip and conversation_hash have about one
value per conversation: they stay in SQLite, looked up by its index.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

CODED = ("month", "split", "model", "language", "country", "state")
LOOKED_UP = ("hashed_ip", "conversation_hash")
FLAGS = ("toxic", "redacted")
NONE_LABEL = "(none)"


@dataclass(frozen=True)
class FilterColumns:
    """Per conversation id (0..n-1, the index's order): a code per coded field, the flags, the turns."""

    codes: dict[str, np.ndarray]
    labels: dict[str, list[str]]  # field -> label of each code (NONE_LABEL for a missing value)
    code_of: dict[str, dict[str, int]]  # field -> code of each present value (a missing one matches no filter)
    flags: dict[str, np.ndarray]
    turns: np.ndarray

    @property
    def size(self) -> int:
        return len(self.turns)

    @staticmethod
    def load(con: sqlite3.Connection) -> FilterColumns:
        fields = ", ".join((*CODED, *FLAGS, "turn"))
        rows = con.execute(f"SELECT {fields} FROM conversations ORDER BY id").fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in (*CODED, *FLAGS, "turn")]
        codes, labels, code_of = {}, {}, {}
        for name, values in zip(CODED, columns, strict=False):
            vocabulary: dict[str | None, int] = {}
            codes[name] = np.fromiter((vocabulary.setdefault(v, len(vocabulary)) for v in values),
                                      dtype=np.int32, count=len(values))
            labels[name] = [NONE_LABEL if v is None else str(v) for v in vocabulary]
            code_of[name] = {str(v): code for v, code in vocabulary.items() if v is not None}
        flags = {name: np.array(values, dtype=bool) for name, values in zip(FLAGS, columns[len(CODED):], strict=False)}
        turns = np.array([t or 0 for t in columns[-1]], dtype=np.int32)
        return FilterColumns(codes, labels, code_of, flags, turns)

    def matching(self, con: sqlite3.Connection, filters: dict[str, str], min_turns: int | None) -> np.ndarray | None:
        """A boolean mask over conversation ids for `filters` (None when there is no filter)."""
        mask = None

        def narrow(more: np.ndarray) -> None:
            nonlocal mask
            mask = more if mask is None else mask & more

        for name in CODED:
            if name in filters:
                narrow(self.codes[name] == self.code_of[name].get(filters[name], -1))
        for name in FLAGS:
            if name in filters:
                narrow(self.flags[name] == (filters[name].lower() == "true"))
        for name in LOOKED_UP:
            if name in filters:
                ids = [i for (i,) in con.execute(f"SELECT id FROM conversations WHERE {name} = ?", [filters[name]])]
                one = np.zeros(self.size, dtype=bool)
                one[np.asarray(ids, dtype=np.int64)] = True
                narrow(one)
        if min_turns:
            narrow(self.turns >= min_turns)
        return mask

    def facet(self, name: str, ids: np.ndarray, rows: int) -> list[list]:
        """The `rows` most frequent values of `name` among `ids`, exact: [[label, count], ...],
        most frequent first, ties by label."""
        counts = np.bincount(self.codes[name][ids], minlength=len(self.labels[name]))
        present = [(self.labels[name][code], int(n)) for code, n in enumerate(counts) if n]
        present.sort(key=lambda item: (-item[1], item[0]))
        return [list(item) for item in present[:rows]]
