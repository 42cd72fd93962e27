"""moderated_conversations: every utterance moderated, turns and conversations marked toxic."""

import dagster as dg

from wildchat_dagster.assets.checks import no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.stage import Batch, BatchCheck, run_stage
from wildchat_dagster.core.moderation.cache import CACHE_FILE_NAME, ModerationCache
from wildchat_dagster.core.moderation.coverage import (
    coverage_summary,
    merge_coverage,
    missing_results,
    unscreened_languages,
)
from wildchat_dagster.core.moderation.moderators import DETOXIFY, OPENAI, PROFANITY, LoadedModerator, describe_languages
from wildchat_dagster.core.moderation.policy import (
    SEXUAL_MINORS,
    ToxicitySettings,
    count_sexual_minors,
    profanity_decision,
)
from wildchat_dagster.core.moderation.run import moderate_conversations
from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.detoxify import DetoxifyResource
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.openai_moderation import OpenAIModerationResource
from wildchat_dagster.resources.profanity import ProfanityResource
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage

ASSET = Stage.MODERATED_CONVERSATIONS
UPSTREAM = Stage.REDACTED_CONVERSATIONS
RESULTS_COMPLETE = "moderation_results_complete"
EXCLUDED_COUNTED = "excluded_counted"
SCREENED = "toxicity_screening_complete"
PREVIEW_ROWS = 10
OPENAI_OUTAGE_RETRY = dg.RetryPolicy(max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@dg.asset(
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    deps=[UPSTREAM],
    check_specs=[
        no_raw_ips_spec(ASSET),
        dg.AssetCheckSpec(
            RESULTS_COMPLETE,
            asset=ASSET,
            description="Every non-empty utterance has a result from every enabled moderator that supports its language.",
        ),
        dg.AssetCheckSpec(
            SCREENED,
            asset=ASSET,
            description="Every non-empty utterance was screened by at least one moderator (warns: utterances in languages "
            "no enabled moderator supports land in the non-toxic split unscreened).",
        ),
        dg.AssetCheckSpec(
            EXCLUDED_COUNTED,
            asset=ASSET,
            blocking=True,
            description="Every conversation with a sexual/minors flag is marked excluded, and counted.",
        ),
    ],
    group_name="moderation",
    kinds={"openai", "pytorch", "parquet"},
    pool="openai_moderation",  # parallel months share one API budget
    # The OpenAI client retries each request itself; this covers an outage or a rate limit that
    # outlasts those retries. A retried step resumes from the moderation cache, paying nothing twice.
    retry_policy=OPENAI_OUTAGE_RETRY,
    code_version="1",
)
def moderated_conversations(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    openai_moderation: OpenAIModerationResource,
    detoxify: DetoxifyResource,
    profanity: ProfanityResource,
    moderation_policy: ModerationPolicyResource,
) -> dg.MaterializeResult:
    """Redacted conversations with OpenAI, Detoxify and offline-moderator results per
    utterance, WildChat's toxic flags, and the sexual/minors release exclusion."""
    store = warehouse.get()
    month = context.partition_key
    context.log.info(f"{store.partition_rows(UPSTREAM, month)} conversations to moderate for {month}")

    loaded = {OPENAI: openai_moderation.load(), DETOXIFY: detoxify.load(store.layout.cache_dir)}
    use_profanity, why = profanity_decision(profanity.enabled, loaded[OPENAI].available, loaded[DETOXIFY].available)
    if use_profanity:
        offline = profanity.load()
        loaded[PROFANITY] = LoadedModerator(offline.moderator, f"{offline.reason}; {why}")
    else:
        loaded[PROFANITY] = LoadedModerator(None, why)
    for name, status in loaded.items():
        if status.available:
            context.log.info(f"{name}: {status.reason}")
        else:
            context.log.warning(f"{name} not used: {status.reason}")

    moderators = [status.moderator for status in loaded.values() if status.available]
    enabled = {name: status.moderator.languages for name, status in loaded.items() if status.moderator}
    settings = moderation_policy.toxicity_settings()
    coverages: list[dict] = []

    def process(rows: list[dict]) -> tuple[list[dict], dict]:
        moderated, counts = moderate_conversations(rows, moderators, cache, settings, log=context.log.info)
        coverages.append(counts.pop("coverage"))  # per (language, role) groups: merged below
        return moderated, counts

    def stored_counts(batch: Batch) -> dict:
        # From the rows as stored, independently of the counts kept while moderating.
        stored = batch.table.to_pylist()
        return {
            "missing": missing_results(stored, enabled, settings.detoxify_only_undecided),
            "flagged_minors": count_sexual_minors(stored),
            "excluded": sum(row["excluded_reason"] == SEXUAL_MINORS for row in stored),
        }

    checks = [no_raw_ips_check(store, month), BatchCheck("counts_from_stored_rows", stored_counts)]
    with ModerationCache(store.layout.cache(CACHE_FILE_NAME)) as cache:
        run = run_stage(store, ASSET, UPSTREAM, month, process, checks, log=context.log.info)
    counts, stored = run.counts, run.check_totals["counts_from_stored_rows"]
    counts["coverage"] = coverage = merge_coverage(coverages)
    missing = {name: stored["missing"].get(name, 0) for name in enabled}
    excluded = stored["excluded"]
    (context.log.warning if coverage["unscreened"] else context.log.info)(f"screening: {coverage_summary(coverage)}")
    check_results = [
        *run.check_results(ASSET, checks[:1]),
        dg.AssetCheckResult(
            check_name=RESULTS_COMPLETE,
            asset_key=ASSET,
            passed=not any(missing.values()),
            metadata={"enabled_moderators": list(enabled) or ["none"], **{f"{n}_missing": c for n, c in missing.items()}},
        ),
        dg.AssetCheckResult(
            check_name=SCREENED,
            asset_key=ASSET,
            passed=coverage["unscreened"] == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"unscreened_utterances": coverage["unscreened"], "summary": coverage_summary(coverage)},
        ),
        dg.AssetCheckResult(
            check_name=EXCLUDED_COUNTED,
            asset_key=ASSET,
            passed=excluded == stored["flagged_minors"] == counts["excluded_sexual_minors"],
            metadata={
                "excluded_sexual_minors": excluded,
                "flagged_sexual_minors": stored["flagged_minors"],
                "counted_while_moderating": counts["excluded_sexual_minors"],
            },
        ),
    ]
    context.log.info(f"{counts['toxic_conversations']} toxic and {excluded} excluded of {run.conversations} conversations")
    metadata = _metadata(loaded, counts, settings, openai_moderation, detoxify, profanity, run.preview_rows)
    metadata["batches"] = run.batches
    return dg.MaterializeResult(data_version=dg.DataVersion(store.partition_fingerprint(ASSET, month)), metadata=metadata, check_results=check_results)


def _metadata(
    loaded: dict[str, LoadedModerator],
    counts: dict,
    settings: ToxicitySettings,
    openai_moderation: OpenAIModerationResource,
    detoxify: DetoxifyResource,
    profanity: ProfanityResource,
    preview_rows: list[dict],
) -> dict:
    metadata: dict = {
        "conversations": counts["conversations"],
        "utterances": counts["utterances"],
        "empty_utterances": counts["empty_utterances"],
        "distinct_texts": counts["distinct_texts"],
        "toxic_conversations": counts["toxic_conversations"],
        "toxic_utterances": counts["toxic_utterances"],
        "excluded_sexual_minors": counts["excluded_sexual_minors"],
        "detoxify_toxicity_threshold": settings.detoxify_threshold,
        "profanity_threshold": settings.profanity_threshold,
        "detoxify_only_undecided": settings.detoxify_only_undecided,
        "moderation_cache": f"<local_dir>/cache/{CACHE_FILE_NAME}",
        "openai_config": dg.MetadataValue.json(openai_moderation.configuration()),
        "detoxify_config": dg.MetadataValue.json(detoxify.configuration()),
        "profanity_config": dg.MetadataValue.json(profanity.configuration()),
    }
    for name, status in loaded.items():
        metadata[f"{name}_enabled"] = status.available
        metadata[f"{name}_status"] = status.reason
        if status.moderator is not None:
            metadata[f"{name}_version"] = status.moderator.version
            metadata[f"{name}_languages"] = describe_languages(status.moderator.languages)
            metadata[f"{name}_cache_hits"] = counts[f"{name}_cache_hits"]
            metadata[f"{name}_cache_misses"] = counts[f"{name}_cache_misses"]
            metadata[f"{name}_flagged_utterances"] = counts[f"{name}_flagged_utterances"]
            if f"{name}_skipped_decided_texts" in counts:  # decided already: no model work
                metadata[f"{name}_skipped_decided_texts"] = counts[f"{name}_skipped_decided_texts"]
            for key, value in status.moderator.usage().items():
                metadata[f"{name}_{key}"] = value
    metadata.update(_coverage_metadata(counts["coverage"]))
    metadata["preview"] = dg.MetadataValue.md(_preview(preview_rows))
    return metadata


def _coverage_metadata(coverage: dict) -> dict:
    """Which utterances each moderator screened, by language and role: the screening is data, not assumed."""
    total = coverage["utterances"] or 1
    names = list(coverage["screened_by"])
    rows = [
        [g["language"], g["role"], g["utterances"], *(f"{g[m] / g['utterances']:.0%}" for m in names), g["unscreened"]]
        for g in coverage["by_language"][:20]
    ]
    return {
        "screening_summary": coverage_summary(coverage),
        "unscreened_utterances": coverage["unscreened"],
        "unscreened_utterance_share": round(coverage["unscreened"] / total, 4),
        "unscreened_languages": dg.MetadataValue.json(unscreened_languages(coverage)),
        **{f"{m}_screened_utterance_share": round(k / total, 4) for m, k in coverage["screened_by"].items()},
        "screening_by_language": dg.MetadataValue.md(
            markdown_table(["language", "role", "utterances", *(f"{m} screened" for m in names), "unscreened"], rows)
        ),
    }


def _preview(preview_rows: list[dict]) -> str:
    rows = []
    for row in preview_rows[:PREVIEW_ROWS]:
        utterances = row["conversation"]
        flagged = sum(bool((u["openai_moderation"] or {}).get("flagged")) for u in utterances)
        toxicity = [u["detoxify_moderation"]["toxicity"] for u in utterances if u["detoxify_moderation"]]
        profanity = [u["profanity_score"] for u in utterances if u["profanity_score"] is not None]
        rows.append([row["conversation_id"], row["turn"], row["toxic"], row["excluded_reason"] or "",
                     flagged, _fmt(toxicity), _fmt(profanity)])
    header = ["conversation_id", "turns", "toxic", "excluded", "openai flagged", "max toxicity", "max profanity"]
    return markdown_table(header, rows)


def _fmt(values: list) -> str:
    return f"{max(values):.3f}" if values else "—"
