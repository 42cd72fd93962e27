"""The name of every stored stage: asset keys, warehouse folders and count keys are these strings.

Plain `str` constants rather than an Enum: Dagster serializes asset keys and accepts only plain strings.
"""

from __future__ import annotations


class Stage:
    """One attribute per asset."""

    RAW_LOGS = "raw_logs"
    REJECTED_LOGS = "rejected_logs"
    LINKED_CONVERSATIONS = "linked_conversations"
    DEDUPLICATED_CONVERSATIONS = "deduplicated_conversations"
    GEOTAGGED_CONVERSATIONS = "geotagged_conversations"
    LANGUAGE_TAGGED_CONVERSATIONS = "language_tagged_conversations"
    REDACTED_CONVERSATIONS = "redacted_conversations"
    MODERATED_CONVERSATIONS = "moderated_conversations"
    TEMPLATE_PROMPTS = "template_prompts"
    RELEASE_NONTOXIC = "release_nontoxic"
    RELEASE_TOXIC = "release_toxic"
    RELEASE_UNSCREENED = "release_unscreened"
    LINEAGE_INDEX = "lineage_index"
    RELEASE_TEMPLATE_CAPPED = "release_nontoxic_template_capped"
    MONTHLY_STATS = "monthly_stats"
    RELEASE_MANIFEST = "release_manifest"
    DATASET_REPORT = "dataset_report"
    DUCKDB_CATALOG = "duckdb_catalog"


def all_stages() -> list[str]:
    """Every stage name, in pipeline order."""
    return [value for name, value in vars(Stage).items() if name.isupper()]
