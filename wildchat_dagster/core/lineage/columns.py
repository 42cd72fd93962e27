"""Which input columns each stored stage's columns come from (column-level lineage).

A column passes through when the upstream stage has one of the same name;
`DERIVED` names the inputs of every column a stage computes. The assets
publish this as Dagster's `TableColumnLineage`; a test checks that every
stored column is covered, so a schema change without lineage fails.
"""

from __future__ import annotations

from wildchat_dagster.schema import LINEAGE_INDEX, STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

# The stage each stage reads (its columns of the same name pass through).
UPSTREAM: dict[str, str] = {
    Stage.LINKED_CONVERSATIONS: Stage.RAW_LOGS,
    Stage.DEDUPLICATED_CONVERSATIONS: Stage.LINKED_CONVERSATIONS,
    Stage.GEOTAGGED_CONVERSATIONS: Stage.DEDUPLICATED_CONVERSATIONS,
    Stage.LANGUAGE_TAGGED_CONVERSATIONS: Stage.GEOTAGGED_CONVERSATIONS,
    Stage.REDACTED_CONVERSATIONS: Stage.LANGUAGE_TAGGED_CONVERSATIONS,
    Stage.MODERATED_CONVERSATIONS: Stage.REDACTED_CONVERSATIONS,
    Stage.RELEASE_NONTOXIC: Stage.MODERATED_CONVERSATIONS,
    Stage.RELEASE_TOXIC: Stage.MODERATED_CONVERSATIONS,
    Stage.RELEASE_UNSCREENED: Stage.MODERATED_CONVERSATIONS,
    Stage.LINEAGE_INDEX: Stage.MODERATED_CONVERSATIONS,
}

_RAW_TURNS = ["history", "prompt", "response", "log_id", "timestamp", "response_timestamp", "model", "ip",
              "user_agent", "accept_language"]
_LINKING = ["log_id", "timestamp", "response_timestamp", "model", "ip", "user_agent", "accept_language", "history",
            "prompt", "response"]
_M = Stage.MODERATED_CONVERSATIONS
_RELEASE = {
    "conversation_hash": [(_M, "conversation")],
    "conversation": [(_M, "conversation"), (_M, "conversation_id")],
    "openai_moderation": [(_M, "conversation")],
    "detoxify_moderation": [(_M, "conversation")],
    "toxic": [(_M, "toxic")],
}

# Computed columns: stage -> column -> [(input stage, input column)].
DERIVED: dict[str, dict[str, list[tuple[str, str]]]] = {
    Stage.RAW_LOGS: {},  # from the landing files (source_file, line_number say where)
    Stage.REJECTED_LOGS: {},
    Stage.LINKED_CONVERSATIONS: {
        "conversation_id": [(Stage.RAW_LOGS, "log_id")],
        "model": [(Stage.RAW_LOGS, "model")],
        "timestamp": [(Stage.RAW_LOGS, "response_timestamp")],
        "fingerprint": [(Stage.RAW_LOGS, "user_agent"), (Stage.RAW_LOGS, "accept_language")],
        "turn": [(Stage.RAW_LOGS, "history")],
        "conversation": [(Stage.RAW_LOGS, c) for c in _RAW_TURNS],
        "log_ids": [(Stage.RAW_LOGS, c) for c in _LINKING],
    },
    Stage.DEDUPLICATED_CONVERSATIONS: {
        "absorbed_conversation_ids": [
            (Stage.LINKED_CONVERSATIONS, "conversation_id"),
            (Stage.LINKED_CONVERSATIONS, "conversation"),
        ],
        "retry_log_ids": [(Stage.RAW_LOGS, c) for c in _LINKING],
        "link_decisions": [(Stage.RAW_LOGS, c) for c in _LINKING],
        "conversation": [(Stage.LINKED_CONVERSATIONS, "conversation")],
        "log_ids": [(Stage.LINKED_CONVERSATIONS, "log_ids")],
    },
    Stage.GEOTAGGED_CONVERSATIONS: {
        "conversation": [(Stage.DEDUPLICATED_CONVERSATIONS, "conversation")],
        "hashed_ip": [(Stage.DEDUPLICATED_CONVERSATIONS, "conversation")],
        "country": [(Stage.DEDUPLICATED_CONVERSATIONS, "conversation")],
        "state": [(Stage.DEDUPLICATED_CONVERSATIONS, "conversation")],
        "header": [(Stage.DEDUPLICATED_CONVERSATIONS, "conversation")],
    },
    Stage.LANGUAGE_TAGGED_CONVERSATIONS: {
        "conversation": [(Stage.GEOTAGGED_CONVERSATIONS, "conversation")],
        "language": [(Stage.GEOTAGGED_CONVERSATIONS, "conversation")],
    },
    Stage.REDACTED_CONVERSATIONS: {
        "conversation": [(Stage.LANGUAGE_TAGGED_CONVERSATIONS, "conversation")],
        "redacted": [(Stage.LANGUAGE_TAGGED_CONVERSATIONS, "conversation")],
    },
    Stage.MODERATED_CONVERSATIONS: {
        "conversation": [(Stage.REDACTED_CONVERSATIONS, "conversation")],
        "toxic": [(Stage.REDACTED_CONVERSATIONS, "conversation")],
        "excluded_reason": [(Stage.REDACTED_CONVERSATIONS, "conversation")],
    },
    Stage.RELEASE_NONTOXIC: _RELEASE,
    Stage.RELEASE_TOXIC: _RELEASE,
    Stage.RELEASE_UNSCREENED: _RELEASE,
    Stage.LINEAGE_INDEX: {
        "conversation_hash": [(_M, "conversation")],
        "turn_identifier": [(_M, "conversation"), (_M, "conversation_id")],
        "round": [(_M, "conversation")],
        "log_id": [(_M, "conversation")],
        "split": [(_M, "toxic"), (_M, "excluded_reason"), (_M, "conversation")],
    },
}


def _schema(stage: str):
    return LINEAGE_INDEX if stage == Stage.LINEAGE_INDEX else STAGE_SCHEMAS[stage]


def column_sources(stage: str) -> dict[str, list[tuple[str, str]]]:
    """Every column of `stage` with the (stage, column) pairs it is computed from; [] for a source column."""
    derived = DERIVED.get(stage, {})
    upstream = UPSTREAM.get(stage)
    upstream_names = set(_schema(upstream).names) if upstream else set()
    sources = {}
    for name in _schema(stage).names:
        if name in derived:
            sources[name] = derived[name]
        elif name in upstream_names:
            sources[name] = [(upstream, name)]
        else:
            sources[name] = []
    return sources
