"""Stage: language_tagged_conversations (fastText lid.176, WildChat's language names)."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

import dagster as dg

from wildchat_dagster.assets.checks import no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.stage import Batch, BatchCheck, run_stage
from wildchat_dagster.core.language.detection import tag_languages
from wildchat_dagster.core.language.scripts import NOLANG
from wildchat_dagster.core.reporting.tables import counts_table, markdown_table
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.language_detector import LanguageDetector
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage

ASSET = Stage.LANGUAGE_TAGGED_CONVERSATIONS
UPSTREAM = Stage.GEOTAGGED_CONVERSATIONS
EVERY_UTTERANCE_HAS_LANGUAGE = "every_utterance_has_language"


def _preview(rows: list[dict], limit: int = 5) -> str:
    # No text: this stage runs before PII redaction, and metadata lands in Dagster's event log.
    return markdown_table(["conversation_id", "language", "turn languages", "characters"], [
        [row["conversation_id"], row["language"], ", ".join(u["language"] for u in row["conversation"]),
         sum(len(u["content"] or "") for u in row["conversation"])]
        for row in rows[:limit]
    ])


def _every_utterance_has_language(batch: Batch) -> dict:
    """Languages are never null; an empty turn is "Nolang", a non-empty one never is."""
    missing = wrong_nolang = 0
    for row in batch.rows:
        missing += not row["language"]
        for u in row["conversation"]:
            missing += not u["language"]
            wrong_nolang += u["language"] == NOLANG and any(c.isalpha() for c in u["content"] or "")
    return {"missing_languages": missing, "nolang_with_letters": wrong_nolang}


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[UPSTREAM],
    check_specs=[
        no_raw_ips_spec(ASSET),
        dg.AssetCheckSpec(
            EVERY_UTTERANCE_HAS_LANGUAGE,
            asset=ASSET,
            blocking=True,
            description="Every utterance and conversation has a language; Nolang only for content without letters.",
        ),
    ],
    group_name="enrichment",
    kinds={"fasttext", "parquet"},
    code_version="1",
)
def language_tagged_conversations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, language_detector: LanguageDetector
) -> dg.MaterializeResult:
    """Conversations with the language of every turn and of the whole conversation,
    so redaction can pick a per-language NER model and users can filter by language."""
    month = context.partition_key
    store = warehouse.get()
    checks = [no_raw_ips_check(store, month), BatchCheck(EVERY_UTTERANCE_HAS_LANGUAGE, _every_utterance_has_language)]
    run = run_stage(
        store, ASSET, UPSTREAM, month, lambda rows: tag_languages(rows, language_detector.predict), checks,
        log=context.log.info,
    )
    counts, seconds = run.counts, run.seconds
    context.log.info(f"{counts['utterances']} utterances in {seconds:.1f} s: {len(counts['languages'])} languages")
    model = language_detector.describe()
    metadata = {
        "conversations": counts["conversations"],
        "utterances_processed": counts["utterances"],
        "nolang_utterances": counts["nolang_utterances"],
        "languages_found": len(counts["languages"]),
        "top_utterance_languages": dg.MetadataValue.md(counts_table(("language", "utterances"), counts["languages"])),
        "top_conversation_languages": dg.MetadataValue.md(
            counts_table(("language", "conversations"), counts["conversation_languages"])
        ),
        # Identical samples are predicted once per batch.
        "distinct_samples_predicted": counts["distinct_samples_predicted"],
        "code_stripped_utterances": counts["code_stripped_utterances"],
        "script_overrides": counts["script_overrides"],
        "unmapped_model_labels": dg.MetadataValue.json(counts["unmapped_codes"]),
        "model_path": model["model_path"],
        "model_name": model["model_name"],
        "model_sha256": model["model_sha256"],
        "fasttext_predict_version": model["fasttext_predict_version"],
        "turns_per_second": round(counts["utterances"] / seconds, 1) if seconds > 0 else None,
        "batches": run.batches,
        "preview": dg.MetadataValue.md(_preview(run.preview_rows)),
    }
    return dg.MaterializeResult(data_version=dg.DataVersion(store.partition_fingerprint(ASSET, month)), metadata=metadata, check_results=run.check_results(ASSET, checks))
