"""Conversation rows in the linked/deduplicated schema, built from a chain of logs.

Linking decides a conversation from compact keys only (a `RowPlan`); the texts
come from the end log's request (its history, prompt and response hold the
whole conversation) when the row is built, a batch at a time, so a month's
texts are never all in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wildchat_dagster.core.linking.decisions import conversation_decisions
from wildchat_dagster.core.linking.logs import LinkLog

# The end log's messages: its history, then the prompt and the response.
Messages = list[dict]


def log_messages(row: dict) -> Messages:
    """A raw log's whole conversation: history, prompt, response."""
    return list(row["history"] or []) + [
        {"role": "user", "content": row["prompt"]},
        {"role": "assistant", "content": row["response"]},
    ]


def _header(log: LinkLog) -> dict:
    return {"accept-language": log.row.get("accept_language"), "user-agent": log.row.get("user_agent")}


def _given_location(row: dict) -> dict | None:
    """The hashed IP and place a published release gave (imported logs only)."""
    if row["ip"] is not None:
        return None
    return {"hashed_ip": row.get("hashed_ip"), "country": row.get("country"), "state": row.get("state")}


def _utterances(messages: Messages, by_round: list[LinkLog | None]) -> list[dict]:
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


@dataclass(slots=True)
class RowPlan:
    """One conversation as linking decided it, without its texts.

    `absorbed` is None for a linked_conversations row (no deduplication columns)."""

    end: LinkLog
    by_round: list[LinkLog | None]
    members: list[LinkLog]
    own_chain: list[LinkLog] = field(default_factory=list)
    absorbed: list[LinkLog] | None = None
    came_with: dict[int, LinkLog] = field(default_factory=dict)
    retries: list[LinkLog] = field(default_factory=list)

    @property
    def conversation_id(self) -> str:
        return self.end.row["log_id"]

    @property
    def order(self) -> tuple:
        return (self.end.rts, self.end.row["log_id"])

    @property
    def lost_turns(self) -> bool:
        return any(log is None for log in self.by_round)

    def row(self, messages: Messages, retries_by_log: dict[int, list[LinkLog]]) -> dict:
        row = conversation_row(self.end, self.by_round, self.members, messages)
        if self.absorbed is not None:
            row["absorbed_conversation_ids"] = [prefix.row["log_id"] for prefix in self.absorbed]
            row["retry_log_ids"] = [r.row["log_id"] for r in self.retries]
            row["link_decisions"] = conversation_decisions(self.own_chain, self.came_with, self.members, retries_by_log)
        return row


def conversation_row(end: LinkLog, by_round: list[LinkLog | None], logs: list[LinkLog], messages: Messages) -> dict:
    return {
        "conversation_id": end.row["log_id"],
        "model": end.model,
        "timestamp": end.rts,
        "fingerprint": end.fp,
        "turn": end.round + 1,
        "conversation": _utterances(messages, by_round),
        "log_ids": [log.row["log_id"] for log in logs],
    }


def build_rows(plans: list[RowPlan], texts: Callable[[list[LinkLog]], list[Messages]],
               retries_by_log: dict[int, list[LinkLog]]) -> list[dict]:
    """The rows of `plans`, with the messages `texts` gives for their end logs (in order)."""
    return [
        plan.row(messages, retries_by_log) for plan, messages in zip(plans, texts([p.end for p in plans]), strict=True)
    ]
