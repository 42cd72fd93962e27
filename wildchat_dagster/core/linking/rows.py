"""Conversation rows in the linked/deduplicated schema, built from a chain of logs."""

from __future__ import annotations

from wildchat_dagster.core.linking.logs import LinkLog


def _header(log: LinkLog) -> dict:
    return {"accept-language": log.row.get("accept_language"), "user-agent": log.row.get("user_agent")}


def _given_location(row: dict) -> dict | None:
    """The hashed IP and place a published release gave (imported logs only)."""
    if row["ip"] is not None:
        return None
    return {"hashed_ip": row.get("hashed_ip"), "country": row.get("country"), "state": row.get("state")}


def _utterances(end: LinkLog, by_round: list[LinkLog | None]) -> list[dict]:
    row = end.row
    messages = list(row["history"] or []) + [
        {"role": "user", "content": row["prompt"]},
        {"role": "assistant", "content": row["response"]},
    ]
    utterances = []
    for i, message in enumerate(messages):
        log = by_round[i // 2]
        user = message["role"] == "user"
        utterances.append(
            {
                "role": message["role"],
                "content": message["content"],
                "log_id": log.row["log_id"] if log else None,
                "timestamp": (log.ts if user else log.rts) if log else None,
                "model": log.model if log else None,
                "ip": log.row["ip"] if log and user else None,
                "header": _header(log) if log and user else None,
                "given_location": _given_location(log.row) if log and user else None,
            }
        )
    return utterances


def logs_by_round(end: LinkLog, chain: list[LinkLog]) -> list[LinkLog | None]:
    by_round: list[LinkLog | None] = [None] * (end.round + 1)
    for log in chain:
        by_round[log.round] = log
    return by_round


def conversation_row(end: LinkLog, by_round: list[LinkLog | None], logs: list[LinkLog]) -> dict:
    return {
        "conversation_id": end.row["log_id"],
        "model": end.model,
        "timestamp": end.rts,
        "fingerprint": end.fp,
        "turn": end.round + 1,
        "conversation": _utterances(end, by_round),
        "log_ids": [log.row["log_id"] for log in logs],
    }


def row_order(row: dict) -> tuple:
    return (row["timestamp"], row["conversation_id"])
