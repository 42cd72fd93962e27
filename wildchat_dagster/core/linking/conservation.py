"""Conservation: every log of the month gets exactly one fate, and the stored tables agree.

`month_counts` tallies link_month's dispositions; `conservation_identity_holds`
asserts the identities of chains.py's docstring on them; `cross_check_stored`
re-derives the same bookkeeping from the stored Parquet tables with DuckDB, so
a table that lost or gained rows after linking fails the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import duckdb
import pyarrow as pa

from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.stages import Stage

if TYPE_CHECKING:
    from wildchat_dagster.core.linking.chains import MonthLinks

FATES = ("ends_conversation", "ancestor", "absorbed_prefix", "retry", "belongs_to_other_month")


class Disposition(NamedTuple):
    """What became of one log of the month: its fate and the conversation it is counted in."""

    fate: str
    conversation_id: str


def month_counts(month, ordered, linked, deduplicated, dispositions, linked_dispositions) -> dict[str, int]:
    """The figures of one linked month (row plans of both tables): fates of its logs, conversations,
    absorbed prefixes, retries."""
    month_ids = {log.row["log_id"] for log in ordered if log.month == month}
    counts = {"window_logs": len(ordered), "logs_in": len(dispositions)}
    for fate in FATES:
        counts[fate] = sum(1 for d in dispositions.values() if d.fate == fate)
    for fate in FATES:
        if fate != "absorbed_prefix":
            counts[f"linked_{fate}"] = sum(1 for d in linked_dispositions.values() if d.fate == fate)
    counts["conversations"] = len(deduplicated)
    counts[Stage.LINKED_CONVERSATIONS] = len(linked)
    counts["ends_from_previous_month"] = sum(1 for p in deduplicated if p.conversation_id not in month_ids)
    counts["linked_ends_from_previous_month"] = sum(1 for p in linked if p.conversation_id not in month_ids)
    counts["prefixes_absorbed"] = sum(len(p.absorbed) for p in deduplicated)
    counts["retry_logs"] = sum(len(p.retries) for p in deduplicated)
    counts["cross_month_in"] = sum(1 for p in deduplicated if any(log.month != month for log in p.members + p.retries))
    counts["cross_month_out"] = counts["belongs_to_other_month"]
    counts["conversations_with_lost_turns"] = sum(1 for p in deduplicated if p.lost_turns)
    return counts


def conservation_identity_holds(counts: dict[str, int], stage: str = "deduplicated") -> bool:
    """The module docstring's identities on link_month's counts."""
    if stage == "linked":
        fates = [f"linked_{f}" for f in FATES if f != "absorbed_prefix"]
        return (
            counts["logs_in"] == sum(counts[f] for f in fates)
            and counts[Stage.LINKED_CONVERSATIONS]
            == counts["linked_ends_conversation"] + counts["linked_ends_from_previous_month"]
        )
    return (
        counts["logs_in"] == sum(counts[f] for f in FATES)
        and counts["conversations"] == counts["ends_conversation"] + counts["ends_from_previous_month"]
    )


@dataclass
class StoredConservation:
    """The conservation check on a stored table: passed, and the figures that show why."""

    passed: bool
    metadata: dict


def cross_check_stored(store: Warehouse, month: str, asset: str, links: MonthLinks) -> StoredConservation:
    """Cross-checks link_month's dispositions against the stored table and the month's raw logs."""
    linked = asset == Stage.LINKED_CONVERSATIONS
    dispositions = links.linked_dispositions if linked else links.dispositions
    fates = pa.table(
        {
            "log_id": list(dispositions),
            "fate": [d.fate for d in dispositions.values()],
            "conversation_id": [d.conversation_id for d in dispositions.values()],
        },
        schema=pa.schema([("log_id", pa.string()), ("fate", pa.string()), ("conversation_id", pa.string())]),
    )
    raw = store.read_table(Stage.RAW_LOGS, month, ["log_id"])  # that column only: the texts are most of the month
    stored = store.read_table(asset, month, ["conversation_id", "log_ids"] + ([] if linked else ["retry_log_ids"]))
    refs_sql = "SELECT conversation_id, unnest(log_ids) AS log_id FROM stored"
    if not linked:
        refs_sql += " UNION ALL SELECT conversation_id, unnest(retry_log_ids) AS log_id FROM stored"
    # In linked_conversations a retry is not listed; it is counted in its kept log's conversation.
    listed = "fate = 'retry' AND conversation_id IN (SELECT conversation_id FROM stored)" if linked else "FALSE"
    con = duckdb.connect()
    try:
        con.register("fates", fates)
        con.register("raw", raw)
        con.register("stored", stored)
        found = con.execute(
            f"""
            WITH refs AS ({refs_sql})
            SELECT
              (SELECT count(*) FROM raw) AS logs_in,
              (SELECT count(*) FROM fates) AS logs_with_a_fate,
              (SELECT count(*) FROM raw ANTI JOIN fates USING (log_id)) AS logs_without_fate,
              (SELECT count(*) FROM fates f WHERE fate <> 'belongs_to_other_month' AND NOT ({listed})
                 AND NOT EXISTS (SELECT 1 FROM refs
                                 WHERE refs.conversation_id = f.conversation_id AND refs.log_id = f.log_id)
              ) AS logs_missing_from_their_conversation,
              (SELECT count(*) FROM fates WHERE fate = 'belongs_to_other_month'
                 AND conversation_id IN (SELECT conversation_id FROM stored)) AS other_month_logs_stored_here,
              (SELECT count(*) FROM stored WHERE conversation_id IN (SELECT log_id FROM raw))
                AS conversations_ending_on_month_logs
            """
        ).fetchone()
    finally:
        con.close()
    names = ["logs_in", "logs_with_a_fate", "logs_without_fate", "logs_missing_from_their_conversation",
             "other_month_logs_stored_here", "conversations_ending_on_month_logs"]
    figures = dict(zip(names, (int(v) for v in found), strict=True))
    prefix = "linked_" if linked else ""
    ends = links.counts[f"{prefix}ends_conversation"]
    passed = (
        figures["logs_in"] == figures["logs_with_a_fate"] == links.counts["logs_in"]
        and figures["logs_without_fate"] == 0
        and figures["logs_missing_from_their_conversation"] == 0
        and figures["other_month_logs_stored_here"] == 0
        and figures["conversations_ending_on_month_logs"] == ends
        and conservation_identity_holds(links.counts, "linked" if linked else "deduplicated")
    )
    fate_names = (
        ["ends_conversation", "ancestor"]
        + ([] if linked else ["absorbed_prefix"])
        + ["retry", "belongs_to_other_month"]
    )
    identity = f"logs_in {links.counts['logs_in']} = " + " + ".join(
        f"{f} {links.counts[prefix + f]}" for f in fate_names
    )
    metadata = {**figures, "identity": identity, "ends_conversation": ends,
                "ends_from_previous_month": links.counts[f"{prefix}ends_from_previous_month"]}
    return StoredConservation(passed, metadata)
