"""Stage: redacted_conversations (Presidio PII and secret redaction, WildChat's placeholders)."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

import dagster as dg

from wildchat_dagster.assets.redaction.batches import redact_batches, redactor_spec, survey_batches
from wildchat_dagster.assets.shared.checks import no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.shared.sharded_asset import (
    ConversationStage,
    ShardWork,
    StepContext,
    lazily,
    sharded_asset,
)
from wildchat_dagster.assets.shared.stage_run import BatchCheck, Pooled, Shard, StageRun, batch_results, pool_for
from wildchat_dagster.core.parallel.spec import WorkerSpec
from wildchat_dagster.core.redaction.entities import entity_type_names
from wildchat_dagster.core.redaction.stats import RedactionResult
from wildchat_dagster.core.reporting.tables import counts_table, markdown_table
from wildchat_dagster.core.stats import StageResult, total
from wildchat_dagster.core.storage.warehouse import file_writer, iter_file_batches
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.schema import placeholder, placeholder_regex
from wildchat_dagster.stages import Stage

ASSET = Stage.REDACTED_CONVERSATIONS
UPSTREAM = Stage.LANGUAGE_TAGGED_CONVERSATIONS
PLACEHOLDERS_WELL_FORMED = "placeholders_well_formed"
_PLACEHOLDER = placeholder_regex()


@dataclass(slots=True)
class PlaceholderFigures(StageResult):
    turn_flag_mismatches: int = total()
    missing_placeholders: int = total()
    unknown_entity_types: int = total()
    conversation_flag_mismatches: int = total()


def placeholders_well_formed(rows: list[dict]) -> PlaceholderFigures:
    """Every recorded replacement is in the text as a known placeholder, and the flags agree.

    Texts may already hold placeholders (users paste WildChat data), so a turn
    must contain at least as many placeholders of each type as it records.
    """
    flag_mismatches = missing_placeholders = unknown_types = conversation_mismatches = 0
    known = set(entity_type_names())
    for row in rows:
        for u in row["conversation"]:
            entities = u["redacted_entities"] or []
            flag_mismatches += bool(u["redacted"]) != bool(entities)
            unknown_types += sum(1 for t in entities if t not in known)
            found = Counter(_PLACEHOLDER.findall(u["content"] or ""))
            missing_placeholders += sum(max(0, n - found[t]) for t, n in Counter(entities).items())
        conversation_mismatches += bool(row["redacted"]) != any(u["redacted"] for u in row["conversation"])
    return PlaceholderFigures(
        turn_flag_mismatches=flag_mismatches,
        missing_placeholders=missing_placeholders,
        unknown_entity_types=unknown_types,
        conversation_flag_mismatches=conversation_mismatches,
    )


PLACEHOLDERS_CHECK = BatchCheck(PLACEHOLDERS_WELL_FORMED, lambda batch: placeholders_well_formed(batch.rows))


def _preview(rows: list[dict], limit: int = 8) -> str:
    # Which turns changed and how, never the values themselves.
    shown = [[row["conversation_id"], i, u["role"], ", ".join(u["redacted_entities"] or [])]
             for row in rows for i, u in enumerate(row["conversation"] or []) if u["redacted"]][:limit]
    return markdown_table(["conversation_id", "turn", "role", "replacements"], shown) if shown else "no turn redacted"


def _checks(step: StepContext) -> list[BatchCheck]:
    return [no_raw_ips_check(step.store, step.month), PLACEHOLDERS_CHECK]


def _files(step: StepContext, kind: str, shard: Shard | None = None):
    return step.store.layout.shard(ASSET, step.month, f"{kind}_{shard.index:05d}" if shard else kind)


def _checked(step: StepContext) -> PIIRedactor:
    """The redactor's resource (its engine loads where the batches run: here or in the pool's workers)."""
    # A UI launch skips the CLI's preflight: names asked for without a model to find them fail here.
    if problem := step.resources.pii_redactor.person_without_model():
        raise dg.Failure(problem)
    return step.resources.pii_redactor


def _survey(step: StepContext, shard: Shard) -> RedactionResult:
    """Pass 1 over the shard: each turn's candidates (offsets only) kept aside, and the per-string
    conversation counts written for the month's allow-list."""
    # Imported here: Presidio and spaCy take seconds to import, the code location loads without them.
    from wildchat_dagster.core.redaction.allow_list import write_string_counts
    from wildchat_dagster.core.redaction.conversations import CANDIDATES_SCHEMA

    started = time.perf_counter()
    resource, log = _checked(step), step.context.log.info
    workers, min_texts = resource.workers, resource.parallel_min_texts  # a batch's own pool, past min_texts
    process = lazily(lambda: survey_batches(resource.get_redactor(), workers, min_texts, log))
    spec = WorkerSpec(survey_batches, (redactor_spec(resource.redactor_config()),))
    pooled = Pooled(spec, step.resources.warehouse.workers)
    pool = pool_for(pooled, shard.stop - shard.start, shard.batch_rows, log)
    sources = step.store.iter_records(UPSTREAM, step.month, shard.batch_rows, shard.start, shard.stop)
    result, strings = RedactionResult(), Counter()
    with file_writer(_files(step, "candidates", shard), CANDIDATES_SCHEMA) as keep, \
            closing(batch_results(sources, process, pooled, pool, log)) as analysed:
        for source, (table, counts, batch_result) in analysed:
            log(f"analysed {sum(len(r['conversation']) for r in source)} utterances of {step.month}")
            keep(table)
            strings.update(counts)
            result = result.merged(batch_result)
    write_string_counts(_files(step, "strings", shard), strings)
    if pool:  # the batches' own figures say one process each: they were analysed side by side
        result = result.merged(RedactionResult(workers_used=pool.workers))
    result.seconds = time.perf_counter() - started
    return result


def _prepare(step: StepContext, shards: list[Shard], surveyed: RedactionResult) -> tuple[None, RedactionResult]:
    """The month's allow-list from every shard's counts, written for the shards' pass 2."""
    from wildchat_dagster.core.redaction.allow_list import read_string_counts, write_allow_list
    from wildchat_dagster.core.redaction.month import RedactionReport, allow_list

    report = RedactionReport()
    counts = read_string_counts(_files(step, "strings", shard) for shard in shards)
    write_allow_list(_files(step, "allow_list"), allow_list(counts, _checked(step).policy(), report))
    return None, RedactionResult(allow_listed_strings=dict(report.allow_listed_strings))


@contextmanager
def _work(step: StepContext, shard: Shard, prepared: None) -> Iterator[ShardWork]:
    """Pass 2 over the shard: the same batches, with the month's allow-list."""
    from wildchat_dagster.core.redaction.allow_list import read_allow_list

    resource = _checked(step)
    public = frozenset(read_allow_list(_files(step, "allow_list")))
    kept = (t.to_pylist() for t in iter_file_batches(_files(step, "candidates", shard), shard.batch_rows))
    process = lazily(lambda: redact_batches(resource.get_redactor(), public))
    worker = WorkerSpec(redact_batches, (redactor_spec(resource.redactor_config()), public))
    yield ShardWork(process, _checks(step), worker=worker, inputs=lambda source: (source, next(kept)))


def _publish(step: StepContext, run: StageRun) -> tuple[dict, list[dg.AssetCheckResult]]:
    result: RedactionResult = run.result
    seconds = result.seconds + run.seconds
    step.context.log.info(
        f"{result.texts} utterances in {seconds:.1f} s ({result.texts / seconds if seconds else 0:,.0f}/s): "
        f"{result.texts_redacted} redacted, {result.replacements} replacements"
    )
    config = step.resources.pii_redactor.describe()
    metadata = redaction_metadata(result, run.conversations, seconds, config, run.preview_rows)
    return metadata, run.check_results(ASSET, _checks(step))


def redaction_metadata(
    result: RedactionResult, conversations: int, seconds: float, config: dict, preview_rows: list[dict]
) -> dict:
    """The materialization's metadata: the result's figures, the redactor's configuration, a preview (no values)."""
    entities = dict(Counter(result.entities).most_common())
    return {
        "conversations": conversations,
        "conversations_redacted": result.conversations_redacted,
        "utterances_processed": result.texts,
        "utterances_redacted": result.texts_redacted,
        "distinct_texts": result.distinct_texts,  # per batch: texts repeated within a batch are analysed once
        "cache_hits": result.cache_hits,
        "texts_analysed_after_prefilter": result.texts_analysed,
        "texts_analysed_by_type": dg.MetadataValue.json(result.texts_analysed_by_type),
        "ner_texts": result.ner_texts,
        "ner_windows": result.ner_windows,
        "ner_window_tokens": result.ner_window_tokens,
        "ner_whole_texts": result.ner_whole_texts,
        "entities_redacted": dg.MetadataValue.md(counts_table(("entity", "replacements"), entities)),
        "entities_redacted_by_type": dg.MetadataValue.json(entities),
        "secrets_by_kind": dg.MetadataValue.json(result.secret_kinds),
        "allow_listed_strings": sum(result.allow_listed_strings.values()),
        "allow_listed_strings_by_type": dg.MetadataValue.json(result.allow_listed_strings),
        "allow_listed_occurrences_kept": result.allow_listed_occurrences,
        "workers_used": result.workers_used,
        "texts_per_second": round(result.texts / seconds, 1) if seconds else 0.0,
        "seconds": round(seconds, 2),
        "ner_models": dg.MetadataValue.json(config["ner_models"]),
        "ner_model_note": config["ner_model_note"],
        "entity_types_redacted": dg.MetadataValue.json(config["entities"]),
        "redactor_configuration": dg.MetadataValue.json(config),
        "preview": dg.MetadataValue.md(_preview(preview_rows)),
    }


redacted_conversations = sharded_asset(
    ConversationStage(
        asset=ASSET,
        upstream=UPSTREAM,
        description="Conversations with personal data and secrets replaced by WildChat's placeholders, so the "
        "release carries no e-mail, phone, card, national ID, IP, name after a cue, profile URL or key.",
        check_specs=[
            no_raw_ips_spec(ASSET),
            dg.AssetCheckSpec(
                PLACEHOLDERS_WELL_FORMED,
                asset=ASSET,
                description=(
                    f"Replacements recorded per turn appear as {placeholder('TYPE')} placeholders; flags agree."
                ),
            ),
        ],
        kinds={"presidio", "parquet"},
        resource_keys={"pii_redactor"},
        work=_work,
        publish=_publish,
        # Pass 1 and the allow-list: the month-wide knowledge pass 2 needs.
        survey=_survey,
        prepare=_prepare,
    )
)
