"""Stage: language_tagged_conversations (fastText lid.176, WildChat's language names)."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg

from wildchat_dagster.assets.language.batches import language_batches
from wildchat_dagster.assets.shared.checks import no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.shared.sharded_asset import (
    ConversationStage,
    ShardWork,
    StepContext,
    resource_spec,
    sharded_asset,
)
from wildchat_dagster.assets.shared.stage_run import Batch, BatchCheck, Shard, StageRun
from wildchat_dagster.core.language.scripts import NOLANG
from wildchat_dagster.core.language.stats import LanguageResult
from wildchat_dagster.core.parallel.spec import WorkerSpec
from wildchat_dagster.core.reporting.tables import EMPTY_CELL, counts_table, markdown_table
from wildchat_dagster.core.stats import StageResult, total
from wildchat_dagster.stages import Stage

ASSET = Stage.LANGUAGE_TAGGED_CONVERSATIONS
UPSTREAM = Stage.GEOTAGGED_CONVERSATIONS
EVERY_UTTERANCE_HAS_LANGUAGE = "every_utterance_has_language"


def _preview(rows: list[dict], limit: int = 5) -> str:
    # No text: this stage runs before PII redaction, and metadata lands in Dagster's event log.
    return markdown_table(
        ["conversation_id", "language", "turn languages", "characters"],
        [
            [
                row["conversation_id"],
                row["language"],
                ", ".join(u["language"] or EMPTY_CELL for u in row["conversation"] or []),
                sum(len(u["content"] or "") for u in row["conversation"] or []),
            ]
            for row in rows[:limit]
        ],
    )


@dataclass(slots=True)
class LanguagesPresent(StageResult):
    missing_languages: int = total()
    nolang_with_letters: int = total()


def _every_utterance_has_language(batch: Batch) -> LanguagesPresent:
    """Languages are never null; an empty turn is "Nolang", a non-empty one never is."""
    missing = wrong_nolang = 0
    for row in batch.rows:
        missing += not row["language"]
        for u in row["conversation"]:
            missing += not u["language"]
            wrong_nolang += u["language"] == NOLANG and any(c.isalpha() for c in u["content"] or "")
    return LanguagesPresent(missing_languages=missing, nolang_with_letters=wrong_nolang)


def _checks(step: StepContext) -> list[BatchCheck]:
    every_utterance = BatchCheck(EVERY_UTTERANCE_HAS_LANGUAGE, _every_utterance_has_language)
    return [no_raw_ips_check(step.store, step.month), every_utterance]


@contextmanager
def _work(step: StepContext, shard: Shard, prepared: None) -> Iterator[ShardWork]:
    detector = step.resources.language_detector
    worker = WorkerSpec(language_batches, (resource_spec(detector),))
    yield ShardWork(language_batches(detector), _checks(step), worker=worker)


def _publish(step: StepContext, run: StageRun) -> tuple[dict, list[dg.AssetCheckResult]]:
    result: LanguageResult = run.result
    step.context.log.info(f"{result.utterances} utterances in {run.seconds:.1f} s: {len(result.languages)} languages")
    metadata = language_metadata(result, run.seconds, step.resources.language_detector.describe(), run.preview_rows)
    return metadata, run.check_results(ASSET, _checks(step))


def language_metadata(result: LanguageResult, seconds: float, model: dict, preview_rows: list[dict]) -> dict:
    """The materialization's metadata: the result's figures, the model, a preview (no text)."""
    return {
        "conversations": result.conversations,
        "utterances_processed": result.utterances,
        "nolang_utterances": result.nolang_utterances,
        "languages_found": len(result.languages),
        "top_utterance_languages": dg.MetadataValue.md(counts_table(("language", "utterances"), result.languages)),
        "top_conversation_languages": dg.MetadataValue.md(
            counts_table(("language", "conversations"), result.conversation_languages)
        ),
        # Identical samples are predicted once per batch.
        "distinct_samples_predicted": result.distinct_samples_predicted,
        "code_stripped_utterances": result.code_stripped_utterances,
        "script_overrides": result.script_overrides,
        "unmapped_model_labels": dg.MetadataValue.json(result.unmapped_codes),
        "model_path": model["model_path"],
        "model_name": model["model_name"],
        "model_sha256": model["model_sha256"],
        "fasttext_predict_version": model["fasttext_predict_version"],
        "turns_per_second": round(result.utterances / seconds, 1) if seconds > 0 else None,
        "preview": dg.MetadataValue.md(_preview(preview_rows)),
    }


language_tagged_conversations = sharded_asset(
    ConversationStage(
        asset=ASSET,
        upstream=UPSTREAM,
        description="Conversations with the language of every turn and of the whole conversation, "
        "so redaction can pick a per-language NER model and users can filter by language.",
        check_specs=[
            no_raw_ips_spec(ASSET),
            dg.AssetCheckSpec(
                EVERY_UTTERANCE_HAS_LANGUAGE,
                asset=ASSET,
                blocking=True,
                description="Every utterance and conversation has a language; Nolang only for content without letters.",
            ),
        ],
        kinds={"fasttext", "parquet"},
        resource_keys={"language_detector"},
        work=_work,
        publish=_publish,
    )
)
