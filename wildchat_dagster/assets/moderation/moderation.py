"""moderated_conversations: every utterance moderated, turns and conversations marked toxic."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from wildchat_dagster.assets.moderation.batches import (
    described,
    load_moderators,
    moderation_batches,
    poolable,
    pooled_moderation,
)
from wildchat_dagster.assets.shared.checks import no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.shared.sharded_asset import (
    ConversationStage,
    ShardWork,
    StepContext,
    lazily,
    resource_spec,
    sharded_asset,
)
from wildchat_dagster.assets.shared.stage_run import Batch, BatchCheck, Shard, StageRun
from wildchat_dagster.core.moderation.cache import CACHE_FILE_NAME, ModerationCache
from wildchat_dagster.core.moderation.coverage import (
    coverage_summary,
    missing_results,
    unscreened_languages,
)
from wildchat_dagster.core.moderation.moderators import LoadedModerator
from wildchat_dagster.core.moderation.policy import SEXUAL_MINORS, ModerationThresholds, count_sexual_minors
from wildchat_dagster.core.moderation.registry import moderator_entries
from wildchat_dagster.core.moderation.stats import ModerationResult, StoredModerationCounts
from wildchat_dagster.core.parallel.spec import WorkerSpec
from wildchat_dagster.core.reporting.tables import markdown_table
from wildchat_dagster.stages import Stage

ASSET = Stage.MODERATED_CONVERSATIONS
UPSTREAM = Stage.REDACTED_CONVERSATIONS
RESULTS_COMPLETE = "moderation_results_complete"
EXCLUDED_COUNTED = "excluded_counted"
SCREENED = "toxicity_screening_complete"
STORED_COUNTS = "counts_from_stored_rows"  # counted per batch, judged by three checks at publish
PREVIEW_ROWS = 10
OPENAI_OUTAGE_RETRY = dg.RetryPolicy(
    max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


CHECK_SPECS = [
    no_raw_ips_spec(ASSET),
    dg.AssetCheckSpec(
        RESULTS_COMPLETE,
        asset=ASSET,
        description="Every non-empty utterance has a result from every enabled moderator that supports its language.",
    ),
    dg.AssetCheckSpec(
        SCREENED,
        asset=ASSET,
        description="No conversation with a non-empty utterance that no moderator screened goes into the non-toxic "
        "split: passes under WILDCHAT_UNSCREENED=hold (they are held in release/unscreened/), warns under "
        "WILDCHAT_UNSCREENED=nontoxic when some not-toxic conversation has such an utterance.",
    ),
    dg.AssetCheckSpec(
        EXCLUDED_COUNTED,
        asset=ASSET,
        blocking=True,
        description="Every conversation with a sexual/minors flag is marked excluded, and counted.",
    ),
]


def _load(step: StepContext) -> dict[str, LoadedModerator]:
    """Every registered moderator's engine from its resource, or why none (logged)."""
    resources, log = step.resources, step.context.log
    loaded = load_moderators(
        {e.name: getattr(resources, e.resource_key) for e in moderator_entries()}, step.store.layout.cache_dir
    )
    for name, status in loaded.items():
        if status.available:
            log.info(f"{name}: {status.reason}")
        else:
            log.warning(f"{name} not used: {status.reason}")
    return loaded


def _worker(step: StepContext, thresholds: ModerationThresholds) -> WorkerSpec | None:
    """The batch function as a pool worker builds it, when workers may moderate (`poolable`)."""
    if not poolable(step.resources):
        return None
    resources = tuple((e.name, resource_spec(getattr(step.resources, e.resource_key))) for e in moderator_entries())
    layout = step.store.layout
    return WorkerSpec(
        pooled_moderation, (resources, thresholds, str(layout.cache_dir), str(layout.cache(CACHE_FILE_NAME)))
    )


@contextmanager
def _work(step: StepContext, shard: Shard, prepared: None) -> Iterator[ShardWork]:
    step.context.log.info(f"{shard.stop - shard.start} conversations to moderate for {step.month}")
    thresholds = step.resources.moderation_policy.thresholds()
    enabled: dict = {}  # the enabled moderators' languages, as the batches report them

    def stored_counts(batch: Batch) -> StoredModerationCounts:
        # From the rows as stored, independently of the counts kept while moderating.
        stored = batch.table.to_pylist()
        return StoredModerationCounts(
            missing=missing_results(stored, enabled, thresholds.detoxify_only_undecided),
            flagged_minors=count_sexual_minors(stored),
            excluded=sum(row["excluded_reason"] == SEXUAL_MINORS for row in stored),
        )

    def outputs(output: tuple) -> tuple[list[dict], ModerationResult]:
        rows, result, languages = output
        enabled.update(languages)
        return rows, result

    def finish() -> ModerationResult | None:  # a shard without a batch still says which moderators ran
        return None if enabled else described(_load(step), {})

    with ModerationCache(step.store.layout.cache(CACHE_FILE_NAME)) as cache:
        process = lazily(lambda: moderation_batches(_load(step), cache, thresholds, log=step.context.log.info))
        checks = [no_raw_ips_check(step.store, step.month), BatchCheck(STORED_COUNTS, stored_counts)]
        yield ShardWork(process, checks, finish, worker=_worker(step, thresholds), outputs=outputs)


def _publish(step: StepContext, run: StageRun) -> tuple[dict, list[dg.AssetCheckResult]]:
    result: ModerationResult = run.result
    stored: StoredModerationCounts = run.check_totals[STORED_COUNTS]
    enabled = [name for name, status in result.moderators.items() if status.version is not None]
    coverage = result.coverage
    missing = {name: stored.missing.get(name, 0) for name in enabled}
    excluded = stored.excluded
    log = step.context.log
    policy = step.resources.warehouse.unscreened
    (log.warning if coverage["unscreened"] else log.info)(f"screening: {coverage_summary(coverage)}")
    check_results = [
        *run.check_results(ASSET, [no_raw_ips_check(step.store, step.month)]),
        dg.AssetCheckResult(
            check_name=RESULTS_COMPLETE,
            asset_key=ASSET,
            passed=not any(missing.values()),
            metadata={"enabled_moderators": enabled or ["none"], **{f"{n}_missing": c for n, c in missing.items()}},
        ),
        dg.AssetCheckResult(
            check_name=SCREENED,
            asset_key=ASSET,
            passed=policy == "hold" or not coverage["unscreened_not_toxic"],
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "unscreened_policy": policy,
                "unscreened_utterances": coverage["unscreened"],
                "unscreened_not_toxic_conversations": coverage["unscreened_not_toxic"],
                "published_as_nontoxic_unscreened": 0 if policy == "hold" else coverage["unscreened_not_toxic"],
                "summary": coverage_summary(coverage),
            },
        ),
        dg.AssetCheckResult(
            check_name=EXCLUDED_COUNTED,
            asset_key=ASSET,
            passed=excluded == stored.flagged_minors == result.excluded_sexual_minors,
            metadata={
                "excluded_sexual_minors": excluded,
                "flagged_sexual_minors": stored.flagged_minors,
                "counted_while_moderating": result.excluded_sexual_minors,
            },
        ),
    ]
    log.info(f"{result.toxic_conversations} toxic and {excluded} excluded of {run.conversations} conversations")
    return _metadata(step, result, run.preview_rows), check_results


def _metadata(step: StepContext, result: ModerationResult, preview_rows: list[dict]) -> dict:
    """The materialization's metadata: the result's figures, the moderators' configuration, a preview."""
    resources = step.resources
    thresholds = resources.moderation_policy.thresholds()
    entries = moderator_entries()
    metadata: dict = {
        "conversations": result.conversations,
        "utterances": result.utterances,
        "empty_utterances": result.empty_utterances,
        "distinct_texts": result.distinct_texts,
        "toxic_conversations": result.toxic_conversations,
        "toxic_utterances": result.toxic_utterances,
        "excluded_sexual_minors": result.excluded_sexual_minors,
        **{f"{e.threshold_key}_threshold": thresholds.threshold(e.name) for e in entries if e.threshold is not None},
        "detoxify_only_undecided": thresholds.detoxify_only_undecided,
        "moderation_cache": f"<local_dir>/cache/{CACHE_FILE_NAME}",
        **{f"{e.name}_config": dg.MetadataValue.json(_configuration(getattr(resources, e.resource_key)))
           for e in entries},
    }
    for name, status in result.moderators.items():
        metadata[f"{name}_enabled"] = status.available
        metadata[f"{name}_status"] = status.reason
        if status.version is not None:
            counts = result.moderator_counts[name]
            metadata[f"{name}_version"] = status.version
            metadata[f"{name}_languages"] = status.languages
            metadata[f"{name}_cache_hits"] = counts.cache_hits
            metadata[f"{name}_cache_misses"] = counts.cache_misses
            metadata[f"{name}_flagged_utterances"] = counts.flagged_utterances
            if counts.skipped_decided_texts is not None:  # decided already: no model work
                metadata[f"{name}_skipped_decided_texts"] = counts.skipped_decided_texts
            for key, value in status.usage.items():
                metadata[f"{name}_{key}"] = value
    metadata.update(_coverage_metadata(result.coverage))
    metadata["preview"] = dg.MetadataValue.md(_preview(preview_rows))
    return metadata


def _configuration(resource) -> dict:
    """What is in force for a moderator's resource, for metadata (never a secret)."""
    return resource.configuration() if hasattr(resource, "configuration") else {}


def moderated_conversations_asset() -> dg.AssetsDefinition:
    """The asset for the moderators registered now: one resource key per moderator, plus the policy."""
    return sharded_asset(
        ConversationStage(
            asset=ASSET,
            upstream=UPSTREAM,
            description="Redacted conversations with OpenAI, Detoxify and offline-moderator results per "
            "utterance, WildChat's toxic flags, and the sexual/minors release exclusion.",
            check_specs=CHECK_SPECS,
            kinds={"openai", "pytorch", "parquet"},
            resource_keys={*(e.resource_key for e in moderator_entries()), "moderation_policy"},
            work=_work,
            publish=_publish,
            group_name="moderation",
            pool="openai_moderation",  # the shards of parallel months share one API budget
            # The OpenAI client retries each request itself; this covers an outage or a rate limit that
            # outlasts those retries. A retried shard resumes from the moderation cache, paying nothing twice.
            retry_policy=OPENAI_OUTAGE_RETRY,
        )
    )


moderated_conversations = moderated_conversations_asset()


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
        utterances = row["conversation"] or []
        flagged = sum(bool((u["openai_moderation"] or {}).get("flagged")) for u in utterances)
        toxicity = [t for u in utterances if (t := (u["detoxify_moderation"] or {}).get("toxicity")) is not None]
        profanity = [u["profanity_score"] for u in utterances if u["profanity_score"] is not None]
        rows.append([row["conversation_id"], row["turn"], row["toxic"], row["excluded_reason"] or "",
                     flagged, _fmt(toxicity), _fmt(profanity)])
    header = ["conversation_id", "turns", "toxic", "excluded", "openai flagged", "max toxicity", "max profanity"]
    return markdown_table(header, rows)


def _fmt(values: list) -> str:
    return f"{max(values):.3f}" if values else "—"
