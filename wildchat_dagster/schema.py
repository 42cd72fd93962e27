"""Arrow schemas of every stored stage: the contract between stages.

Each stage reads the previous stage's table, adds its own fields and writes
its table with the schema below, so a reader can see in one place what every
asset in the warehouse holds. Utterance structs grow stage by stage; the
release schema at the bottom is exactly WildChat-1M's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyarrow as pa

from wildchat_dagster.stages import Stage

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

# --- raw request logs -----------------------------------------------------

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])

RAW_LOGS = pa.schema(
    [
        ("log_id", pa.string()),
        ("timestamp", UTC_TIMESTAMP),
        ("response_timestamp", UTC_TIMESTAMP),
        ("model", pa.string()),
        ("ip", pa.string()),  # null only for a log imported from a published release:
        ("hashed_ip", pa.string()),  # ... which gives the release's keyed hash,
        ("country", pa.string()),  # country
        ("state", pa.string()),  # and state instead
        ("user_agent", pa.string()),
        ("accept_language", pa.string()),
        ("headers_json", pa.string()),  # every header, names lower-cased
        ("history", pa.list_(MESSAGE)),
        ("prompt", pa.string()),
        ("response", pa.string()),
        ("extra_json", pa.string()),  # unknown extra fields, kept, ignored downstream
        ("source_file", pa.string()),  # relative to the data root
        ("line_number", pa.int64()),  # 1-based
    ]
)

REJECTED_LOGS = pa.schema(
    [
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("reason", pa.string()),  # a code from ingestion.contract.REJECTION_REASONS
        ("detail", pa.string()),
        ("log_id", pa.string()),  # when it could be read
        ("raw_line", pa.string()),  # truncated
    ]
)

# --- conversations --------------------------------------------------------

# WildChat's header struct: field names are the HTTP header names.
HEADER = pa.struct([("accept-language", pa.string()), ("user-agent", pa.string())])

# One utterance of a linked conversation. A user utterance's timestamp is when
# its request arrived; an assistant utterance's is when the reply was received.
# ip and header are set on user utterances only. All per-turn metadata is null
# for a round whose own request log was lost (its content came from a later
# request's history).
LINKED_UTTERANCE_FIELDS = [
    ("role", pa.string()),
    ("content", pa.string()),
    ("log_id", pa.string()),
    ("timestamp", UTC_TIMESTAMP),
    ("model", pa.string()),
    ("ip", pa.string()),
    ("header", HEADER),
    # Set on user utterances of logs imported from a published release (no raw IP).
    ("given_location", pa.struct([("hashed_ip", pa.string()), ("country", pa.string()), ("state", pa.string())])),
]

CONVERSATION_FIELDS = [
    # Stable id: the log_id of the request that ends the conversation.
    ("conversation_id", pa.string()),
    ("model", pa.string()),
    ("timestamp", UTC_TIMESTAMP),  # the last turn's (last reply's) time
    ("fingerprint", pa.string()),  # sha256 of user-agent + accept-language
    ("turn", pa.int64()),  # user-assistant rounds
]

LINKED_CONVERSATIONS = pa.schema(
    CONVERSATION_FIELDS
    + [
        ("conversation", pa.list_(pa.struct(LINKED_UTTERANCE_FIELDS))),
        ("log_ids", pa.list_(pa.string())),  # the chain's logs, oldest first
    ]
)

# Why each log of a conversation is where it is (read by `explain`): `link` is a
# code from linking.decisions.LINKS; parent_log_id the log it continues (for a
# retry: the kept copy); absorbed_from the absorbed prefix it came with, if any.
LINK_DECISION = pa.struct(
    [
        ("log_id", pa.string()),
        ("round", pa.int64()),  # 0-based: the rounds its history held
        ("link", pa.string()),
        ("parent_log_id", pa.string()),
        ("absorbed_from", pa.string()),
    ]
)

DEDUPLICATED_CONVERSATIONS = pa.schema(
    list(LINKED_CONVERSATIONS)
    + [
        # What this conversation stands for besides itself, so nothing is lost:
        ("absorbed_conversation_ids", pa.list_(pa.string())),  # strict prefixes it absorbed
        ("retry_log_ids", pa.list_(pa.string())),  # duplicate requests counted once
        ("link_decisions", pa.list_(LINK_DECISION)),  # one per log and retry; not carried further
    ]
)

# From geotagging on, no raw IP exists: `ip` is replaced by its keyed hash.
GEO_UTTERANCE_FIELDS = [f for f in LINKED_UTTERANCE_FIELDS if f[0] not in ("ip", "given_location")] + [
    ("hashed_ip", pa.string()),
    ("country", pa.string()),
    ("state", pa.string()),
    ("geoip_snapshot", pa.string()),  # the GeoIP snapshot that placed the turn (its date, or file name)
]
GEO_CONVERSATION_FIELDS = [
    ("hashed_ip", pa.string()),
    ("country", pa.string()),
    ("state", pa.string()),
    ("header", HEADER),
]


def _stage(utterance_fields: list, conversation_fields: list) -> pa.Schema:
    base = [f for f in DEDUPLICATED_CONVERSATIONS if f.name not in ("conversation", "link_decisions")]
    return pa.schema(
        base
        + [pa.field("conversation", pa.list_(pa.struct(utterance_fields)))]
        + conversation_fields
    )


GEOTAGGED_CONVERSATIONS = _stage(GEO_UTTERANCE_FIELDS, GEO_CONVERSATION_FIELDS)

LANGUAGE_UTTERANCE_FIELDS = GEO_UTTERANCE_FIELDS + [("language", pa.string())]
LANGUAGE_CONVERSATION_FIELDS = GEO_CONVERSATION_FIELDS + [("language", pa.string())]
LANGUAGE_TAGGED_CONVERSATIONS = _stage(LANGUAGE_UTTERANCE_FIELDS, LANGUAGE_CONVERSATION_FIELDS)


def placeholder(entity_type: str) -> str:
    """What replaces a redacted value in the text, as in WildChat-1M: <PRESIDIO_ANONYMIZED_PERSON>."""
    return f"<PRESIDIO_ANONYMIZED_{entity_type}>"


def placeholder_regex(entity_types: Iterable[str] | None = None) -> re.Pattern:
    """Finds placeholders; group 1 is the entity type (any upper-case name, or only the given ones)."""
    types = "|".join(sorted(entity_types)) if entity_types is not None else "[A-Z_]+"
    return re.compile(placeholder(f"({types})"))


# Where each placeholder sits in the redacted content and the rule that put it there (never the value).
REDACTION = pa.struct(
    [("entity_type", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("rule", pa.string())]
)
REDACTED_UTTERANCE_FIELDS = LANGUAGE_UTTERANCE_FIELDS + [
    ("redacted", pa.bool_()),
    ("redacted_entities", pa.list_(pa.string())),  # entity type of every replacement
    ("redactions", pa.list_(REDACTION)),  # the same replacements, in text order, with offsets and rule
]
REDACTED_CONVERSATION_FIELDS = LANGUAGE_CONVERSATION_FIELDS + [("redacted", pa.bool_())]
REDACTED_CONVERSATIONS = _stage(REDACTED_UTTERANCE_FIELDS, REDACTED_CONVERSATION_FIELDS)

# --- moderation -----------------------------------------------------------

OPENAI_CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "harassment_threatening",
    "hate",
    "hate/threatening",
    "hate_threatening",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "self_harm",
    "self_harm_instructions",
    "self_harm_intent",
    "sexual",
    "sexual/minors",
    "sexual_minors",
    "violence",
    "violence/graphic",
    "violence_graphic",
]
DETOXIFY_SCORES = [
    "identity_attack",
    "insult",
    "obscene",
    "severe_toxicity",
    "sexual_explicit",
    "threat",
    "toxicity",
]

OPENAI_MODERATION = pa.struct(
    [
        ("categories", pa.struct([(c, pa.bool_()) for c in OPENAI_CATEGORIES])),
        ("category_scores", pa.struct([(c, pa.float64()) for c in OPENAI_CATEGORIES])),
        ("flagged", pa.bool_()),
    ]
)
DETOXIFY_MODERATION = pa.struct([(s, pa.float64()) for s in DETOXIFY_SCORES])

# Each moderator's columns (core/moderation/registry.py: one entry per moderator). A moderator's
# result is null when it did not run (disabled, no key, no weights, a language it does not support)
# or the content was empty; it never holds invented values.
OPENAI_COLUMNS = (
    pa.field("openai_moderation", OPENAI_MODERATION),
    # The full API result (extra categories, category_applied_input_types), JSON.
    pa.field("openai_moderation_raw", pa.string()),
)
DETOXIFY_COLUMNS = (pa.field("detoxify_moderation", DETOXIFY_MODERATION),)
PROFANITY_COLUMNS = (pa.field("profanity_score", pa.float64()),)  # the offline moderator (alt-profanity-check)
MODERATED_UTTERANCE_DECISION = [
    ("toxic", pa.bool_()),
    ("toxic_reasons", pa.list_(pa.string())),  # each moderator rule that made the turn toxic
]
MODERATED_CONVERSATION_FIELDS = REDACTED_CONVERSATION_FIELDS + [
    ("toxic", pa.bool_()),
    # Excluded from every release (WildChat: any sexual/minors flag); reason or null.
    ("excluded_reason", pa.string()),
]
MODERATED_BASE_FIELD_NAMES = frozenset(
    [name for name, _ in REDACTED_UTTERANCE_FIELDS] + [name for name, _ in MODERATED_UTTERANCE_DECISION]
)


def moderated_conversations_schema(moderator_columns: Iterable[pa.Field]) -> pa.Schema:
    """moderated_conversations with these moderators' columns between the redacted fields and the decision."""
    columns = [(f.name, f.type) for f in moderator_columns]
    return _stage(REDACTED_UTTERANCE_FIELDS + columns + MODERATED_UTTERANCE_DECISION, MODERATED_CONVERSATION_FIELDS)


# The built-in moderators' schema; the registry keeps STAGE_SCHEMAS[moderated_conversations] in step
# with the registered moderators (the same schema unless one is added).
MODERATED_CONVERSATIONS = moderated_conversations_schema(OPENAI_COLUMNS + DETOXIFY_COLUMNS + PROFANITY_COLUMNS)

# --- template prompts (near-duplicates, MinHash LSH) -------------------------
# One row per user prompt of the month; flags stay here and in the report, never in the release.
TEMPLATE_PROMPTS = pa.schema(
    [
        ("prompt_key", pa.string()),  # month/conversation_id/round: the earliest key names a cluster
        ("month", pa.string()),
        ("conversation_id", pa.string()),
        ("round", pa.int64()),
        ("conversation_hash", pa.string()),  # as released, so deletion requests and splits can find it
        ("turn_identifier", pa.int64()),
        ("hashed_ip", pa.string()),
        ("exact_key", pa.string()),  # hash of the normalized text: exact repeats
        ("words", pa.int64()),
        ("minhash", pa.list_(pa.uint32())),  # rensa RMinHash values; null for prompts too short to be templates
        ("cluster_id", pa.string()),
        ("cluster_size", pa.int64()),  # prompts in the cluster up to and including this month
        ("is_template", pa.bool_()),  # cluster_size >= the asset's min_cluster_size
        ("example", pa.string()),  # the redacted prompt's first 200 characters
    ]
)

# --- release: exactly WildChat-1M's features ------------------------------

RELEASE_UTTERANCE = pa.struct(
    [
        ("content", pa.string()),
        ("country", pa.string()),
        ("hashed_ip", pa.string()),
        ("header", HEADER),
        ("language", pa.string()),
        ("redacted", pa.bool_()),
        ("role", pa.string()),
        ("state", pa.string()),
        ("timestamp", UTC_TIMESTAMP),
        ("toxic", pa.bool_()),
        ("turn_identifier", pa.int64()),
    ]
)

WILDCHAT_1M = pa.schema(
    [
        ("conversation_hash", pa.string()),
        ("model", pa.string()),
        ("timestamp", UTC_TIMESTAMP),
        ("conversation", pa.list_(RELEASE_UTTERANCE)),
        ("turn", pa.int64()),
        ("language", pa.string()),
        ("openai_moderation", pa.list_(OPENAI_MODERATION)),
        ("detoxify_moderation", pa.list_(DETOXIFY_MODERATION)),
        ("toxic", pa.bool_()),
        ("redacted", pa.bool_()),
        ("state", pa.string()),
        ("country", pa.string()),
        ("hashed_ip", pa.string()),
        ("header", HEADER),
    ]
)

# --- lineage: the release's keys back to the stored stages ------------------

# One row per round of every moderated conversation of the month. Not in
# STAGE_SCHEMAS (the stages the release is built from): it is built after the release.
LINEAGE_INDEX = pa.schema(
    [
        ("conversation_hash", pa.string()),
        ("turn_identifier", pa.int64()),
        ("conversation_id", pa.string()),  # the key of every stage from linked_conversations on
        ("round", pa.int64()),  # 0-based
        ("log_id", pa.string()),  # the round's request log; null when it was lost
        ("split", pa.string()),  # nontoxic, toxic or excluded
        ("excluded_reason", pa.string()),
    ]
)

# --- release: WildChat-4.8M's features (selectable) -------------------------
# From the allenai/WildChat-4.8M dataset card: naive UTC timestamps, and per-turn request
# and response fields, filled from the raw logs when present, null otherwise. The openai_moderation
# struct stays the pipeline's (the card adds the `illicit` categories, kept in openai_moderation_raw).
NAIVE_UTC_TIMESTAMP = pa.timestamp("us")
USAGE_4_8M = pa.struct(
    [
        ("completion_tokens", pa.int64()),
        ("completion_tokens_details", pa.struct([
            ("reasoning_tokens", pa.int64()),
            ("text_tokens", pa.int64()),
            ("audio_tokens", pa.int64()),
            ("accepted_prediction_tokens", pa.int64()),
            ("rejected_prediction_tokens", pa.int64()),
        ])),
        ("prompt_tokens", pa.int64()),
        ("total_tokens", pa.int64()),
        ("prompt_tokens_details", pa.struct([("cached_tokens", pa.int64()), ("audio_tokens", pa.int64())])),
    ]
)
RELEASE_UTTERANCE_4_8M = pa.struct(
    [
        ("content", pa.string()),
        ("created", pa.int64()),
        ("header", HEADER),
        ("hashed_ip", pa.string()),
        ("country", pa.string()),
        ("toxic", pa.bool_()),
        ("redacted", pa.bool_()),
        ("state", pa.string()),
        ("language", pa.string()),
        ("openai_id", pa.string()),
        ("role", pa.string()),
        ("temperature", pa.float64()),
        ("timestamp", NAIVE_UTC_TIMESTAMP),
        ("token_counter", pa.int64()),
        ("top_p", pa.float64()),
        ("turn_identifier", pa.int64()),
        ("system_fingerprint", pa.string()),
        ("usage", USAGE_4_8M),
    ]
)
WILDCHAT_4_8M = pa.schema(
    [
        pa.field("conversation", pa.list_(RELEASE_UTTERANCE_4_8M)) if f.name == "conversation"
        else pa.field("timestamp", NAIVE_UTC_TIMESTAMP) if f.name == "timestamp"
        else f
        for f in WILDCHAT_1M
    ]
)
# The per-turn fields 4.8M adds, by the utterance that carries them: the request's sampling
# parameters on the user turn, the API response's fields on the assistant turn.
REQUEST_FIELDS_4_8M = ("temperature", "top_p")
RESPONSE_FIELDS_4_8M = ("created", "openai_id", "system_fingerprint", "token_counter", "usage")

STAGE_SCHEMAS: dict[str, pa.Schema] = {
    Stage.RAW_LOGS: RAW_LOGS,
    Stage.REJECTED_LOGS: REJECTED_LOGS,
    Stage.LINKED_CONVERSATIONS: LINKED_CONVERSATIONS,
    Stage.DEDUPLICATED_CONVERSATIONS: DEDUPLICATED_CONVERSATIONS,
    Stage.GEOTAGGED_CONVERSATIONS: GEOTAGGED_CONVERSATIONS,
    Stage.LANGUAGE_TAGGED_CONVERSATIONS: LANGUAGE_TAGGED_CONVERSATIONS,
    Stage.REDACTED_CONVERSATIONS: REDACTED_CONVERSATIONS,
    Stage.MODERATED_CONVERSATIONS: MODERATED_CONVERSATIONS,
    Stage.TEMPLATE_PROMPTS: TEMPLATE_PROMPTS,
    Stage.RELEASE_NONTOXIC: WILDCHAT_1M,
    Stage.RELEASE_TOXIC: WILDCHAT_1M,
    Stage.RELEASE_UNSCREENED: WILDCHAT_1M,
}
