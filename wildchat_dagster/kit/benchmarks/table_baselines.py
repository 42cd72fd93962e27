"""pandas baselines for the release and statistics stages (`bench pipeline --compare`).

What one would write first: the whole month in a DataFrame, a Python function
applied row by row, boolean masks for the splits; for the statistics, the
release exploded to one row per utterance and grouped in pandas. Each runs on
the benchmark month's own files beside the stage's core, and its output is
compared with the stage's (identical rows; identical summary figures).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.stages import Stage


def compare_release(store: Warehouse, month: str) -> dict:
    """The stage's streamed splits against a whole-month pandas split of the same moderated file."""
    from wildchat_dagster.core.release.deletions import DeletionRequests
    from wildchat_dagster.core.release.month import write_month_splits
    from wildchat_dagster.core.release.splits import PUBLISHED_FOLDERS, RELEASE_SCHEMA, release_folder, to_release_row
    from wildchat_dagster.settings import DEFAULT_BATCH_ROWS

    with tempfile.TemporaryDirectory() as work:
        scratch = Warehouse(Path(work) / "data")
        source = store.partition_path(Stage.MODERATED_CONVERSATIONS, month)
        target = scratch.partition_path(Stage.MODERATED_CONVERSATIONS, month)
        target.parent.mkdir(parents=True)
        target.write_bytes(source.read_bytes())
        started = time.perf_counter()
        write_month_splits(scratch, month, RELEASE_SCHEMA, DeletionRequests(), batch_rows=DEFAULT_BATCH_ROWS)
        ours_s = time.perf_counter() - started

        started = time.perf_counter()
        df = pd.DataFrame(pq.read_table(source).to_pylist())
        kept = df[df["excluded_reason"].isna()]
        released = kept.apply(lambda row: to_release_row(row.to_dict()), axis=1)
        # The same rule as the stage: toxic; not toxic but a turn no moderator screened (held); non-toxic.
        folder = kept.apply(lambda row: release_folder(row.to_dict(), hold_unscreened=True), axis=1)
        tables = {split: pa.Table.from_pylist(list(released[folder == split]), schema=RELEASE_SCHEMA)
                  for split in PUBLISHED_FOLDERS}
        for split, table in tables.items():
            pq.write_table(table, Path(work) / f"pandas_{split}.parquet", compression="zstd")
        pandas_s = time.perf_counter() - started
        identical = all(scratch.read_table(f"release_{split}", month).equals(table) for split, table in tables.items())
    return {
        "conversations": len(df),
        "stage_s": round(ours_s, 2),
        "pandas_s": round(pandas_s, 2),
        "ratio": round(pandas_s / ours_s, 2) if ours_s else None,
        "identical_rows": identical,
    }


def compare_statistics(store: Warehouse, month: str) -> dict:
    """The stage's DuckDB statistics against pandas on the exploded release (summary figures)."""
    from dataclasses import replace

    from wildchat_dagster.core.reporting.statistics import compute_statistics, release_sources
    from wildchat_dagster.core.reporting.tokens import cl100k_token_counter

    tokens = cl100k_token_counter()
    started = time.perf_counter()
    # Both sides count the tokens (not the counts monthly_stats kept).
    summary = compute_statistics(replace(release_sources(store.layout, [month]), token_counts=[]), tokens)["summary"]
    ours_s = time.perf_counter() - started
    ours = summary[summary["month"] == "all"].iloc[0]

    started = time.perf_counter()
    files = [store.layout.published(split, month) for split in ("nontoxic", "toxic")]
    conversations = pd.concat([pq.read_table(f).to_pandas() for f in files if f.exists()], ignore_index=True)
    utterances = pd.json_normalize(conversations.explode("conversation")["conversation"].tolist())
    utterances["tokens"] = tokens.count(utterances["content"].tolist())
    by_role = utterances.groupby("role")["tokens"]
    theirs = {
        "conversations": len(conversations),
        "rounds": int(conversations["turn"].sum()),
        "users": int(utterances.loc[utterances["role"] == "user", "hashed_ip"].nunique()),
        "user_tokens_mean": float(by_role.mean()["user"]),
        "assistant_tokens_mean": float(by_role.mean()["assistant"]),
    }
    pandas_s = time.perf_counter() - started
    same = all(abs(float(ours[k]) - v) <= 1e-6 * max(1.0, abs(v)) for k, v in theirs.items())
    return {
        "conversations": theirs["conversations"],
        "stage_s": round(ours_s, 2),
        "pandas_s": round(pandas_s, 2),
        "ratio": round(pandas_s / ours_s, 2) if ours_s else None,
        "identical_summary": same,
    }
