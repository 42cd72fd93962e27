"""One month's release splits, streamed: moderated rows in batches to two Parquet writers.

Only per-batch rows are in memory; what the checks need afterwards is kept
compact (counts, and each released conversation's identity: its hash and its
rounds' identifiers) or read back from the written files with DuckDB, which
projects the few columns a check looks at instead of loading the texts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa

from wildchat_dagster.core.moderation.coverage import merge_coverage, screening_coverage
from wildchat_dagster.core.release.deletions import DeletionRequests, apply_deletions
from wildchat_dagster.core.release.splits import NONTOXIC, TOXIC, UNSCREENED, release_folders, release_table
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import Warehouse, duckdb_readable
from wildchat_dagster.stages import Stage

# Each published folder's asset: the two splits, and the conversations held back unscreened beside them.
SPLIT_ASSETS = {Stage.RELEASE_NONTOXIC: NONTOXIC, Stage.RELEASE_TOXIC: TOXIC, Stage.RELEASE_UNSCREENED: UNSCREENED}


def identity(row: dict) -> tuple:
    """A release row's identity: its content hash and the requests of its rounds."""
    return (row["conversation_hash"], tuple(u["turn_identifier"] for u in row["conversation"]))


@dataclass
class MonthSplits:
    """What writing a month's splits gave: counts, and what the checks compare with the files."""

    moderated: int = 0
    excluded: Counter = field(default_factory=Counter)
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPLIT_ASSETS, 0))
    removed: int = 0
    request_ids: set[str] = field(default_factory=set)
    expected: Counter = field(default_factory=Counter)  # identities every split together must hold
    coverages: list[dict] = field(default_factory=list)

    @property
    def screening(self) -> dict:
        return merge_coverage(self.coverages)


def write_month_splits(store: Warehouse, month: str, schema: pa.Schema, requests: DeletionRequests,
                       convert: Callable[[dict, dict], dict] | None = None, *, batch_rows: int,
                       hold_unscreened: bool = True) -> MonthSplits:
    """Sort the month's moderated conversations into the release partitions (the two splits and, when
    `hold_unscreened`, the unscreened folder), `batch_rows` at a time (one row group per batch; a month of
    one batch is written exactly as one table write)."""
    done = MonthSplits()
    with (store.partition_writer(Stage.RELEASE_NONTOXIC, month, schema) as write_nontoxic,
          store.partition_writer(Stage.RELEASE_TOXIC, month, schema) as write_toxic,
          store.partition_writer(Stage.RELEASE_UNSCREENED, month, schema) as write_unscreened):
        writers = {Stage.RELEASE_NONTOXIC: write_nontoxic, Stage.RELEASE_TOXIC: write_toxic,
                   Stage.RELEASE_UNSCREENED: write_unscreened}
        for number, moderated in enumerate(store.iter_records(Stage.MODERATED_CONVERSATIONS, month, batch_rows)):
            done.moderated += len(moderated)
            done.coverages.append(screening_coverage(moderated))
            folders, excluded = release_folders(moderated, convert, hold_unscreened)
            done.excluded.update(excluded)
            for asset, folder in SPLIT_ASSETS.items():
                rows = folders[folder]
                removal = apply_deletions(rows, requests)
                done.removed += removal.removed
                done.request_ids |= removal.request_ids
                done.expected.update(identity(r) for r in removal.kept)
                done.rows[asset] += len(removal.kept)
                if removal.kept or number == 0:  # an empty month still gets its one (empty) table write
                    writers[asset](release_table(removal.kept, schema))
    done.excluded = Counter(dict(sorted(done.excluded.items())))
    return done


def _query(path: StoragePath, sql: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        [readable] = duckdb_readable(con, [path])
        return con.execute(sql.replace("{file}", "read_parquet(?)"), [readable]).df()
    finally:
        con.close()


def stored_identities(path: StoragePath, toxic: bool) -> tuple[Counter, int]:
    """The identities of a written split file's rows, and how many rows' `toxic` is not `toxic`."""
    df = _query(
        path,
        "SELECT conversation_hash, list_transform(conversation, lambda u: u.turn_identifier) AS ids, "
        "toxic IS NOT DISTINCT FROM ? AS right_flag FROM {file}".replace("?", "true" if toxic else "false"),
    )
    identities = Counter(zip(df["conversation_hash"], (tuple(int(i) for i in ids) for ids in df["ids"]), strict=True))
    return identities, int((~df["right_flag"].astype(bool)).sum())


def first_rows(path: StoragePath, rows: int, columns: list[str]) -> pd.DataFrame:
    """The first rows of a written file (a metadata preview)."""
    return _query(path, f"SELECT {', '.join(columns)} FROM {{file}} LIMIT {int(rows)}")


def stored_release_frame(path: StoragePath) -> pd.DataFrame:
    """expectations.release_frame's columns, read from a written split file without its texts."""
    df = _query(path, """SELECT conversation_hash, conversation[-1].turn_identifier AS last_turn_identifier, model,
                                strftime(timestamp, '%Y-%m') AS timestamp_month, turn,
                                language, toxic, redacted, len(conversation) AS utterances,
                                len(openai_moderation) AS openai_moderation_entries,
                                len(detoxify_moderation) AS detoxify_moderation_entries FROM {file}""")
    return df.astype({"turn": "Int64", "utterances": "Int64", "last_turn_identifier": "Int64"})
