"""Why each log sits where it does in its conversation: stored as `link_decisions`, read by `explain`.

The decision is read off the links `chains` made (parent, retry, a refused
other-IP candidate), so it names the rule that produced the conversation
without re-running it.
"""

from __future__ import annotations

from wildchat_dagster.core.linking.logs import LinkLog

LINKS: dict[str, str] = {
    "first_request": "opens the conversation (no history)",
    "same_ip": (
        "continues parent_log_id: same client fingerprint, model and IP; its history is the parent's conversation"
    ),
    "other_ip": (
        "continues parent_log_id from another IP (rule 2: a client that changed IP, same fingerprint and model)"
    ),
    "history_only": "no earlier log of this client holds its history (lost, or outside the three-month window): "
    "its earlier rounds come from its own history",
    "other_client_refused": "parent_log_id from another IP held its history, but this IP sent an earlier round "
    "more recently (rule 2): another client with the same opening, not linked",
    "retry": "a duplicate of parent_log_id (same client, request and response within the retry window), counted once",
}


def link_decision(log: LinkLog, absorbed_from: LinkLog | None = None) -> dict:
    """One LINK_DECISION row; `absorbed_from` is the end log of the absorbed prefix the log came with."""
    if log.kept is not None:
        link, parent = "retry", log.kept
    elif log.parent is not None:
        link, parent = ("same_ip" if log.parent.ip == log.ip else "other_ip"), log.parent
    elif log.refused is not None:
        link, parent = "other_client_refused", log.refused
    else:
        link, parent = ("history_only" if log.round else "first_request"), None
    return {
        "log_id": log.row["log_id"],
        "round": log.round,
        "link": link,
        "parent_log_id": parent.row["log_id"] if parent else None,
        "absorbed_from": absorbed_from.row["log_id"] if absorbed_from else None,
    }


def conversation_decisions(own: list[LinkLog], absorbed: dict[int, LinkLog], members: list[LinkLog],
                           retries: dict[int, list[LinkLog]]) -> list[dict]:
    """The decisions of a conversation's member logs, then of their retries.

    `own` is the conversation's own chain; `absorbed` maps the index of every
    other member to the end log of the absorbed prefix it came with.
    """
    mine = {log.index for log in own}
    return [link_decision(log, None if log.index in mine else absorbed.get(log.index)) for log in members] + [
        link_decision(r) for log in members for r in retries.get(log.index, [])
    ]
