"""Stage: redacted_conversations (Presidio PII and secret redaction, WildChat's placeholders)."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import time
from collections import Counter

import dagster as dg

from wildchat_dagster.assets.checks import no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.stage import BATCH_ROWS, BatchCheck, run_stage
from wildchat_dagster.core.redaction.policy import ENTITY_TYPES
from wildchat_dagster.core.reporting.tables import counts_table, markdown_table
from wildchat_dagster.core.storage.warehouse import file_writer, iter_file_batches, remove_tree
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import placeholder, placeholder_regex
from wildchat_dagster.stages import Stage

ASSET = Stage.REDACTED_CONVERSATIONS
UPSTREAM = Stage.LANGUAGE_TAGGED_CONVERSATIONS
PLACEHOLDERS_WELL_FORMED = "placeholders_well_formed"
_PLACEHOLDER = placeholder_regex()


def placeholders_well_formed(rows: list[dict]) -> dict[str, int]:
    """Every recorded replacement is in the text as a known placeholder, and the flags agree.

    Texts may already hold placeholders (users paste WildChat data), so a turn
    must contain at least as many placeholders of each type as it records.
    """
    flag_mismatches = missing_placeholders = unknown_types = conversation_mismatches = 0
    for row in rows:
        for u in row["conversation"]:
            entities = u["redacted_entities"] or []
            flag_mismatches += bool(u["redacted"]) != bool(entities)
            unknown_types += sum(1 for t in entities if t not in ENTITY_TYPES)
            found = Counter(_PLACEHOLDER.findall(u["content"] or ""))
            missing_placeholders += sum(max(0, n - found[t]) for t, n in Counter(entities).items())
        conversation_mismatches += bool(row["redacted"]) != any(u["redacted"] for u in row["conversation"])
    return {
        "turn_flag_mismatches": flag_mismatches,
        "missing_placeholders": missing_placeholders,
        "unknown_entity_types": unknown_types,
        "conversation_flag_mismatches": conversation_mismatches,
    }


PLACEHOLDERS_CHECK = BatchCheck(PLACEHOLDERS_WELL_FORMED, lambda batch: placeholders_well_formed(batch.rows))


def _preview(rows: list[dict], limit: int = 8) -> str:
    # Which turns changed and how, never the values themselves.
    shown = [[row["conversation_id"], i, u["role"], ", ".join(u["redacted_entities"])]
             for row in rows for i, u in enumerate(row["conversation"]) if u["redacted"]][:limit]
    return markdown_table(["conversation_id", "turn", "role", "replacements"], shown) if shown else "no turn redacted"


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[UPSTREAM],
    check_specs=[
        no_raw_ips_spec(ASSET),
        dg.AssetCheckSpec(
            PLACEHOLDERS_WELL_FORMED,
            asset=ASSET,
            description=f"Replacements recorded per turn appear as {placeholder('TYPE')} placeholders; flags agree.",
        ),
    ],
    group_name="enrichment",
    kinds={"presidio", "parquet"},
    code_version="1",
)
def redacted_conversations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, pii_redactor: PIIRedactor
) -> dg.MaterializeResult:
    """Conversations with personal data and secrets replaced by WildChat's placeholders,
    so the release carries no e-mail, phone, card, national ID, IP, name after a cue, profile URL or key."""
    # Imported here: Presidio and spaCy take seconds to import, the code location loads without them.
    from wildchat_dagster.core.redaction.conversations import CANDIDATES_SCHEMA, analyse_conversations, redact_analysed
    from wildchat_dagster.core.redaction.month import RedactionReport, allow_list

    month = context.partition_key
    store = warehouse.get()
    redactor = pii_redactor.get_redactor()
    report = RedactionReport()
    started = time.perf_counter()
    candidates_path = store.layout.shard(ASSET, month, "candidates")
    # Pass 1: each turn's candidates (offsets only) kept aside, and the compact per-string
    # conversation counts, summed over the month, give the month's allow-list.
    counts: Counter = Counter()
    with file_writer(candidates_path, CANDIDATES_SCHEMA) as keep:
        for source in store.iter_records(UPSTREAM, month, BATCH_ROWS):
            context.log.info(f"analysing {sum(len(r['conversation']) for r in source)} utterances of {month}")
            table, batch_counts = analyse_conversations(
                source, redactor, report, workers=pii_redactor.workers,
                parallel_min_texts=pii_redactor.parallel_min_texts, progress=context.log.info,
            )
            keep(table)
            counts.update(batch_counts)
    public = allow_list(counts, redactor.policy, report)
    # Pass 2: batch by batch, the same batches, with the month's allow-list.
    kept = (t.to_pylist() for t in iter_file_batches(candidates_path, BATCH_ROWS))
    previews = []

    def process(source: list[dict]) -> tuple[list[dict], dict]:
        rows = redact_analysed(source, next(kept), public, redactor, report)
        if not previews:
            previews.append(_preview(rows))
        return rows, {"conversations_redacted": sum(1 for row in rows if row["redacted"])}

    checks = [no_raw_ips_check(store, month), PLACEHOLDERS_CHECK]
    run = run_stage(store, ASSET, UPSTREAM, month, process, checks, batch_rows=BATCH_ROWS, log=context.log.info)
    remove_tree(store.layout.shard_dir(ASSET, month))
    report.seconds = time.perf_counter() - started
    context.log.info(
        f"{report.texts} utterances in {report.seconds:.1f} s ({report.texts_per_second:,.0f}/s): "
        f"{report.texts_redacted} redacted, {sum(report.entities.values())} replacements"
    )
    config = pii_redactor.describe()
    metadata = {
        "conversations": run.conversations,
        "conversations_redacted": run.counts["conversations_redacted"],
        "utterances_processed": report.texts,
        "utterances_redacted": report.texts_redacted,
        "distinct_texts": report.distinct_texts,
        "cache_hits": report.cache_hits,
        "texts_analysed_after_prefilter": report.proposals.texts_analysed,
        "texts_analysed_by_type": dg.MetadataValue.json(dict(report.proposals.by_type)),
        "ner_texts": report.proposals.ner_texts,
        "ner_windows": report.proposals.ner_windows,
        "ner_window_tokens": report.proposals.ner_window_tokens,
        "ner_whole_texts": report.proposals.ner_whole_texts,
        "entities_redacted": dg.MetadataValue.md(counts_table(("entity", "replacements"), dict(report.entities.most_common()))),
        "entities_redacted_by_type": dg.MetadataValue.json(dict(report.entities)),
        "secrets_by_kind": dg.MetadataValue.json(dict(report.secret_kinds)),
        "allow_listed_strings": sum(report.allow_listed_strings.values()),
        "allow_listed_strings_by_type": dg.MetadataValue.json(dict(report.allow_listed_strings)),
        "allow_listed_occurrences_kept": report.allow_listed_occurrences,
        "workers_used": report.workers_used,
        "texts_per_second": round(report.texts_per_second, 1),
        "seconds": round(report.seconds, 2),
        "ner_models": dg.MetadataValue.json(config["ner_models"]),
        "ner_model_note": config["ner_model_note"],
        "redactor_configuration": dg.MetadataValue.json(config),
        "preview": dg.MetadataValue.md(previews[0] if previews else "no turn redacted"),
    }
    return dg.MaterializeResult(data_version=dg.DataVersion(store.partition_fingerprint(ASSET, month)), metadata=metadata, check_results=run.check_results(ASSET, checks))
