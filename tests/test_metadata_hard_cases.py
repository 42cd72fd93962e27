"""Metadata built from rows never fails a stage: months whose first rows are each hard case in turn."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa
import pytest

from wildchat_dagster.assets.geo import geo
from wildchat_dagster.assets.language import language
from wildchat_dagster.assets.lineage.lineage import PREVIEW_COLUMNS, lineage_index
from wildchat_dagster.assets.linking import linking
from wildchat_dagster.assets.moderation import moderation
from wildchat_dagster.assets.redaction import redaction
from wildchat_dagster.assets.release.release import release_splits
from wildchat_dagster.assets.statistics.statistics import monthly_stats
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

from factories import conversation_record

MONTH = "2023-04"
ROUNDS = [
    ("user", "Who are you?"),
    ("assistant", "I am a chatbot."),
    ("user", "Thanks"),
    ("assistant", "You're welcome."),
]
NULL_TURN = {"log_id": None, "model": None, "header": None, "hashed_ip": None, "country": None, "state": None,
             "language": None, "openai_moderation": None, "detoxify_moderation": None, "profanity_score": None}
MINORS = {"flagged": True, "categories": {"sexual/minors": True}, "category_scores": {"sexual/minors": 0.9}}
# Each case as (turns, per-utterance overrides, conversation overrides).
HARD_CASES = {
    # The first round's request log was lost: its utterances have no log_id (lineage, turn_identifier).
    "lost_log": (ROUNDS, [{"log_id": None}, {"log_id": None}], {}),
    # Left out of every split (sexual/minors): its lineage rows have no split.
    "excluded": (
        ROUNDS[:2],
        [{"openai_moderation": MINORS, "toxic": True}],
        {"toxic": True, "excluded_reason": "sexual/minors"},
    ),
    "empty_turn": (
        [("user", ""), ("assistant", "")],
        [{"language": "Nolang"}, {"language": "Nolang"}],
        {"language": "Nolang"},
    ),
    # Every nullable field null, the model and place unknown.
    "null_fields": (
        ROUNDS[:2],
        [NULL_TURN, NULL_TURN | {"log_id": "only-reply"}],
        {"model": None, "hashed_ip": None, "country": None, "state": None, "header": None},
    ),
}


def month_rows(stage: str, case: str) -> list[dict]:
    """The hard case first, then an ordinary conversation: preview tables take the first rows."""
    turns, utterances, fields = HARD_CASES[case]
    return [conversation_record(stage, turns, utterance_overrides=utterances, **fields),
            conversation_record(stage, ROUNDS)]


@pytest.mark.parametrize("case", HARD_CASES)
def test_the_release_stages_publish_a_month_that_begins_with_a_hard_case(data_dir, case):
    Warehouse(data_dir).write_records(
        Stage.MODERATED_CONVERSATIONS, MONTH, month_rows(Stage.MODERATED_CONVERSATIONS, case)
    )
    result = dg.materialize(
        [release_splits, lineage_index, monthly_stats],
        partition_key=MONTH,
        raise_on_error=False,
        resources={
            "warehouse": WarehouseResource(data_dir=str(data_dir)),
            "moderation_policy": ModerationPolicyResource(),
        },
    )
    failures = [e.event_specific_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    (materialization,) = result.asset_materializations_for_node("lineage_index")
    preview = materialization.metadata["preview"]
    assert len(preview.records) == materialization.metadata["rounds"].value
    assert all(list(r.data) == PREVIEW_COLUMNS for r in preview.records)


@pytest.mark.parametrize("case", HARD_CASES)
def test_every_stage_preview_renders_a_hard_case(case):
    """The enrichment stages' previews and summaries, on their own stage's rows."""
    def rows(stage):
        # Also a row with every nullable conversation-level field null (timestamp, lists).
        nulls = conversation_record(stage, ROUNDS, timestamp=None, log_ids=None, absorbed_conversation_ids=None,
                                    retry_log_ids=None, conversation=None)
        return month_rows(stage, case) + [{k: v for k, v in nulls.items() if k in STAGE_SCHEMAS[stage].names}]

    assert "|" in linking._preview(rows(Stage.LINKED_CONVERSATIONS), absorbed=False)
    assert "|" in linking._preview(rows(Stage.DEDUPLICATED_CONVERSATIONS), absorbed=True)
    stored = pa.Table.from_pylist(
        rows(Stage.DEDUPLICATED_CONVERSATIONS), schema=STAGE_SCHEMAS[Stage.DEDUPLICATED_CONVERSATIONS]
    )
    summary = linking._summary(stored)
    assert sum(summary["models"].value.values()) == 3
    assert "|" in geo._preview(rows(Stage.GEOTAGGED_CONVERSATIONS))
    assert "|" in language._preview(rows(Stage.LANGUAGE_TAGGED_CONVERSATIONS))
    assert redaction._preview(rows(Stage.REDACTED_CONVERSATIONS))
    assert "|" in moderation._preview(rows(Stage.MODERATED_CONVERSATIONS))
