"""The month's lookup from the release's keys back to the stored stages.

A release row carries `conversation_hash` and per-round `turn_identifier`s
but not the `conversation_id` every stored stage is keyed by; this index
(one row per round) joins them, with the folder each conversation went to
(nontoxic, toxic, unscreened when held back, or excluded).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from wildchat_dagster.core.release.splits import release_conversation_hash, release_folder, turn_identifiers
from wildchat_dagster.schema import LINEAGE_INDEX


def lineage_index_rows(moderated_rows: Iterable[dict], hold_unscreened: bool = True) -> list[dict]:
    """One LINEAGE_INDEX row per round of every moderated conversation (excluded ones included).

    The release's keys are computed as the release computes them (`turn_identifiers`,
    `release_conversation_hash`) without building the release row itself."""
    out = []
    for row in moderated_rows:
        _, identifiers = turn_identifiers(row)
        turns = row["conversation"]
        conversation_hash = release_conversation_hash(row)
        split = release_folder(row, hold_unscreened)
        excluded_reason = row.get("excluded_reason")
        # As the release numbers rounds: a round's log is its first utterance's with one.
        round_logs = [turns[i]["log_id"] or (turns[i + 1]["log_id"] if i + 1 < len(turns) else None)
                      for i in range(0, len(turns), 2)]
        user_identifiers = [i for u, i in zip(turns, identifiers, strict=True) if u["role"] == "user"]
        for round_index, (identifier, log_id) in enumerate(zip(user_identifiers, round_logs, strict=True)):
            out.append(
                {
                    "conversation_hash": conversation_hash,
                    "turn_identifier": identifier,
                    "conversation_id": row["conversation_id"],
                    "round": round_index,
                    "log_id": log_id,
                    "split": split,
                    "excluded_reason": excluded_reason,
                }
            )
    return out


def lineage_index_table(moderated_rows: Iterable[dict], hold_unscreened: bool = True) -> pa.Table:
    return pa.Table.from_pylist(lineage_index_rows(moderated_rows, hold_unscreened), schema=LINEAGE_INDEX)
