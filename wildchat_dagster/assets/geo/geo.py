"""Stage: geotagged_conversations (GeoLite2 country/state, keyed IP hash; raw IPs end here)."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg

from wildchat_dagster.assets.geo.batches import geotag_batches
from wildchat_dagster.assets.shared.checks import month_client_ips, no_raw_ips_check, no_raw_ips_spec
from wildchat_dagster.assets.shared.sharded_asset import (
    ConversationStage,
    ShardWork,
    StepContext,
    lazily,
    resource_spec,
    sharded_asset,
)
from wildchat_dagster.assets.shared.stage_run import Batch, BatchCheck, Shard, StageRun
from wildchat_dagster.core.geo.stats import GeoResult
from wildchat_dagster.core.parallel.spec import WorkerSpec
from wildchat_dagster.core.reporting.tables import counts_table, markdown_table
from wildchat_dagster.core.stats import StageResult, total
from wildchat_dagster.stages import Stage

ASSET = Stage.GEOTAGGED_CONVERSATIONS
UPSTREAM = Stage.DEDUPLICATED_CONVERSATIONS
CLIENT_IPS_HASHED = "client_ips_hashed"
PUBLIC_IPS_LOCATED = "public_ips_located_share"
MIN_LOCATED_SHARE = 0.9  # of public addresses; the 2018 default database misses newer allocations


def _preview(rows: list[dict], limit: int = 5) -> str:
    return markdown_table(["conversation_id", "turns", "country", "state", "hashed_ip"], [
        [row["conversation_id"], row["turn"], row["country"], row["state"],
         (row["hashed_ip"] or "")[:12] + ("…" if row["hashed_ip"] else "")]
        for row in rows[:limit]
    ])


@dataclass(slots=True)
class ClientIpsHashed(StageResult):
    user_turns_with_ip_but_no_hash: int = total()
    assistant_turns_with_geo_fields: int = total()


def _client_ips_hashed(batch: Batch) -> ClientIpsHashed:
    """Every user turn that had an IP has a hash, no assistant turn has one."""
    missing = extra = 0
    for before, after in zip(batch.source, batch.rows, strict=True):
        for u, v in zip(before["conversation"] or [], after["conversation"], strict=True):
            if u.get("role") == "user" and u.get("ip") and not v["hashed_ip"]:
                missing += 1
            if u.get("role") != "user" and (v["hashed_ip"] or v["country"] or v["state"]):
                extra += 1
    return ClientIpsHashed(user_turns_with_ip_but_no_hash=missing, assistant_turns_with_geo_fields=extra)


def _located_share(result: GeoResult) -> dg.AssetCheckResult:
    public = result.located + result.not_in_database + result.no_country
    share = result.located / public if public else 1.0
    return dg.AssetCheckResult(
        check_name=PUBLIC_IPS_LOCATED,
        asset_key=ASSET,
        passed=share >= MIN_LOCATED_SHARE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "public_ip_turns": public,
            "located_share": round(share, 4),
            "threshold": MIN_LOCATED_SHARE,
        },
    )


def _checks(step: StepContext, client_ips: frozenset[str] | None = None) -> list[BatchCheck]:
    return [no_raw_ips_check(step.store, step.month, client_ips), BatchCheck(CLIENT_IPS_HASHED, _client_ips_hashed)]


@contextmanager
def _work(step: StepContext, shard: Shard, prepared: None) -> Iterator[ShardWork]:
    client_ips = frozenset(month_client_ips(step.store, step.month))
    geoip = step.resources.geoip
    process = lazily(lambda: geotag_batches(geoip, client_ips))
    worker = WorkerSpec(geotag_batches, (resource_spec(geoip), client_ips))
    yield ShardWork(process, _checks(step, client_ips), worker=worker)


def _publish(step: StepContext, run: StageRun) -> tuple[dict, list[dg.AssetCheckResult]]:
    result: GeoResult = run.result
    step.context.log.info(
        f"{result.user_turns} user turns, {result.distinct_ips} distinct IPs, "
        f"{result.located} located, in {run.seconds:.1f} s"
    )
    metadata = geo_metadata(result, run.seconds, step.resources.geoip.describe(), run.preview_rows)
    return metadata, [*run.check_results(ASSET, _checks(step)), _located_share(result)]


def geo_metadata(result: GeoResult, seconds: float, configuration: dict, preview_rows: list[dict]) -> dict:
    """The materialization's metadata: the result's figures, the GeoIP configuration, a preview."""
    return {
        "conversations": result.conversations,
        "user_turns_processed": result.user_turns,
        "user_turns_with_ip": result.user_turns_with_ip,
        # Provenance: turns whose hash and place came from an imported release, kept as given.
        "user_turns_with_given_location": result.user_turns_with_given_location,
        "distinct_ips": result.distinct_ips,
        "located": result.located,
        "unknown_or_private": result.unknown_or_private,
        "non_public": result.non_public,
        "not_in_database": result.not_in_database,
        "invalid_ips": result.invalid,
        "client_ips_scrubbed_from_text": result.client_ips_scrubbed_from_text,
        "countries_found": len(result.countries),
        "top_countries": dg.MetadataValue.md(counts_table(("country", "user turns"), result.countries)),
        "database_path": configuration["database_path"],
        "database_build_dates": sorted({d["build_date"] for d in configuration["databases"]}),
        "databases": dg.MetadataValue.json(configuration["databases"]),
        "snapshot_use": dg.MetadataValue.json(result.snapshot_use),
        "turns_before_oldest_snapshot": result.turns_before_oldest_snapshot,
        "ip_hash_key_source": configuration["ip_hash_key_source"],
        "ip_hash_key_id": configuration["ip_hash_key_id"],
        "turns_per_second": round(result.user_turns / seconds, 1) if seconds > 0 else None,
        "preview": dg.MetadataValue.md(_preview(preview_rows)),
    }


geotagged_conversations = sharded_asset(
    ConversationStage(
        asset=ASSET,
        upstream=UPSTREAM,
        description="Conversations with each user turn's country, state and keyed IP hash in place "
        "of its raw IP, so that no later asset holds a client address.",
        check_specs=[
            no_raw_ips_spec(ASSET),
            dg.AssetCheckSpec(
                CLIENT_IPS_HASHED,
                asset=ASSET,
                blocking=True,
                description="Every user turn that had a client IP carries its keyed hash; assistant turns carry none.",
            ),
            dg.AssetCheckSpec(
                PUBLIC_IPS_LOCATED,
                asset=ASSET,
                description=f"At least {MIN_LOCATED_SHARE:.0%} of user turns with a public IP got a country "
                "(a low share means an outdated GeoIP database).",
            ),
        ],
        kinds={"geoip2", "parquet"},
        resource_keys={"geoip"},
        work=_work,
        publish=_publish,
    )
)
