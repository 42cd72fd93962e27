"""The release splits in WildChat-1M's exact schema."""

import datetime as dt
import json

import dagster as dg

from wildchat_dagster import __version__ as PIPELINE_VERSION
from wildchat_dagster.assets.shared.checks import (
    deletions_result,
    deletions_spec,
    month_client_ips,
    no_raw_ips_file_result,
    no_raw_ips_spec,
)
from wildchat_dagster.core.moderation.coverage import unscreened_conversation_languages
from wildchat_dagster.core.release.deletions import load_deletion_requests
from wildchat_dagster.core.release.expectations import release_expectations, run_expectations
from wildchat_dagster.core.release.month import (
    SPLIT_ASSETS,
    MonthSplits,
    first_rows,
    stored_identities,
    stored_release_frame,
    write_month_splits,
)
from wildchat_dagster.core.release.publication import PUBLISHED, last_published
from wildchat_dagster.core.release.schemas import release_schema
from wildchat_dagster.core.release.splits import UNSCREENED, deduplication_counts, schema_differences
from wildchat_dagster.core.reporting.tables import frame_markdown
from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import (
    Warehouse,
    atomic_copy,
    atomic_write_bytes,
    parquet_rows,
    read_parquet_schema,
)
from wildchat_dagster.partitions import MONTH_PER_RUN, monthly_partitions
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

SPLITS = SPLIT_ASSETS  # the two splits and the unscreened folder beside them
SCHEMA_CHECK = "schema_matches_wildchat_1m"
SPLITS_CHECK = "splits_disjoint_and_complete"
EXPECTATIONS_CHECK = "release_expectations"
SHRINK_CHECK = "no_silent_shrink"
PREVIEW_COLUMNS = ["conversation_hash", "model", "timestamp", "turn", "language", "toxic", "country"]
# The pipeline's stages before the release, in order (their provenance goes into the manifest).
UPSTREAM_STAGES = [stage for stage in STAGE_SCHEMAS if not stage.startswith("release_")]


def provenance_path(warehouse: Warehouse, month: str) -> StoragePath:
    """Per-month record of counts and the upstream runs' configuration, read by the manifest."""
    return warehouse.layout.provenance(month)


def read_provenance(warehouse: Warehouse, month: str) -> dict | None:
    path = provenance_path(warehouse, month)
    return json.loads(path.read_text()) if path.exists() else None


class ReleaseConfig(dg.Config):
    # A deletion request legitimately removes conversations; anything else that does is a fault upstream.
    allow_shrink: bool = False
    max_shrink_fraction: float = 0.02  # the share of a published month's conversations a republication may drop


def last_published_conversations(warehouse: Warehouse, month: str) -> int | None:
    """Conversations the month last published, from its provenance: the files may have been withdrawn
    since (failed checks) or replaced; the files themselves only for months published before provenance."""
    recorded = last_published(read_provenance(warehouse, month))
    return sum(recorded.values()) if recorded is not None else published_conversations(warehouse.layout, month)


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for asset in SPLITS:
        specs += [
            dg.AssetCheckSpec(
                SHRINK_CHECK,
                asset=asset,
                blocking=True,
                description="A republished month holds no fewer conversations than it last published "
                "(recorded in its provenance, whatever happened to the files since) beyond "
                "max_shrink_fraction, unless allow_shrink (otherwise the published files stay).",
            ),
            no_raw_ips_spec(asset),
            dg.AssetCheckSpec(
                SCHEMA_CHECK,
                asset=asset,
                blocking=True,
                description="The stored file's Arrow schema equals the selected release schema's features "
                "exactly (WildChat-1M by default, WildChat-4.8M by WILDCHAT_RELEASE_SCHEMA).",
            ),
            dg.AssetCheckSpec(
                SPLITS_CHECK,
                asset=asset,
                blocking=True,
                description="Splits and the unscreened folder are disjoint and together hold every "
                "moderated conversation not excluded; nothing unscreened is in nontoxic "
                "unless WILDCHAT_UNSCREENED=nontoxic.",
            ),
            deletions_spec(
                asset,
                "The staged file (the warehouse partition) holds no conversation_hash, turn_identifier "
                "or hashed_ip a deletion request names; it is published only if so.",
            ),
            dg.AssetCheckSpec(
                EXPECTATIONS_CHECK,
                asset=asset,
                description="Great Expectations on the split: hashes, toxic flag, turns, language, model, month.",
            ),
        ]
    return specs


def _splits_results(stored: dict[str, StoragePath], done: MonthSplits) -> dict[str, dg.AssetCheckResult]:
    """Compare the files as written with the moderated input: nothing lost, duplicated or misplaced
    (conversations a deletion request names are expected in no folder)."""
    nontoxic, wrong_nontoxic = stored_identities(stored[Stage.RELEASE_NONTOXIC], toxic=False)
    toxic, wrong_toxic = stored_identities(stored[Stage.RELEASE_TOXIC], toxic=True)
    unscreened, wrong_unscreened = stored_identities(stored[Stage.RELEASE_UNSCREENED], toxic=False)
    overlap = (set(nontoxic) & set(toxic)) | (set(unscreened) & (set(nontoxic) | set(toxic)))
    released = nontoxic + toxic + unscreened
    expected = done.expected
    wrong_flags = wrong_nontoxic + wrong_toxic + wrong_unscreened
    metadata = {
        "in_two_folders": len(overlap),
        "expected_conversations": sum(expected.values()),
        "released_conversations": sum(released.values()),
        "missing": sum((expected - released).values()),
        "unexpected": sum((released - expected).values()),
        "rows_in_wrong_split": wrong_flags,
    }
    passed = not overlap and released == expected and not wrong_flags
    return {asset: dg.AssetCheckResult(check_name=SPLITS_CHECK, asset_key=asset, passed=passed, metadata=metadata)
            for asset in SPLITS}


def published_conversations(layout: DataLayout, month: str) -> int | None:
    """Conversations of the month's published files (both splits), None when the month was never published."""
    paths = [p for split in SPLITS.values() if (p := layout.published(split, month)).exists()]
    return sum(parquet_rows(p) for p in paths) if paths else None


def _shrink_result(
    asset: str, published: int | None, new: int, config: ReleaseConfig, deleted: int
) -> dg.AssetCheckResult:
    drop = (published - new) / published if published else 0.0
    return dg.AssetCheckResult(
        check_name=SHRINK_CHECK,
        asset_key=asset,
        passed=config.allow_shrink or drop <= config.max_shrink_fraction,
        metadata={
            "published_conversations": -1 if published is None else published,
            "new_conversations": new,
            "drop_fraction": round(drop, 6),
            "max_shrink_fraction": config.max_shrink_fraction,
            "allow_shrink": config.allow_shrink,
            "removed_by_deletion_requests": deleted,
        },
    )


def _expectations_result(asset: str, month: str, frame) -> dg.AssetCheckResult:
    passed, results = run_expectations(frame, release_expectations(month, toxic=SPLITS[asset] == "toxic"), asset)
    failed = [r.expectation for r in results if not r.success]
    return dg.AssetCheckResult(
        check_name=EXPECTATIONS_CHECK,
        asset_key=asset,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "expectations": len(results),
            "failed": ", ".join(failed) or "none",
            "results": dg.MetadataValue.json(
                [{"expectation": r.expectation, "success": r.success, **r.observed} for r in results]
            ),
        },
    )


def _metadata_values(metadata: dict) -> dict:
    """Plain values of a materialization's metadata (no Markdown previews, tables or plots)."""
    plain = {}
    for key, value in metadata.items():
        if isinstance(value, dg.MarkdownMetadataValue | dg.TableMetadataValue):
            continue
        raw = getattr(value, "value", value)
        if isinstance(raw, str | int | float | bool) or (
            isinstance(raw, dict | list) and len(json.dumps(raw, default=str)) < 4000
        ):
            plain[key] = raw
    return plain


def upstream_records(instance: dg.DagsterInstance, month: str) -> dict[str, dict]:
    """The latest materialization of every upstream stage for `month`: run, time and metadata."""
    records = {}
    for stage in UPSTREAM_STAGES:
        found = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(stage), asset_partitions=[month]), limit=1
        ).records
        if found:
            record = found[0]
            records[stage] = {
                "run_id": record.run_id,
                "materialized_at": dt.datetime.fromtimestamp(record.timestamp, dt.UTC).isoformat(),
                "metadata": _metadata_values(record.asset_materialization.metadata),
            }
    return records


_FOLDER_DESCRIPTIONS = {
    "nontoxic": "The month's conversations screened and found not toxic, in WildChat-1M's exact schema.",
    "toxic": "The month's conversations with a toxic turn, in WildChat-1M's exact schema.",
    UNSCREENED: "The month's not-toxic conversations with a non-empty turn no enabled moderator could screen "
                "(its language unsupported), held out of the splits; empty under WILDCHAT_UNSCREENED=nontoxic.",
}


def _publish(warehouse: Warehouse, split: str, month: str, stored: StoragePath) -> StoragePath:
    target = warehouse.layout.published(split, month)
    atomic_copy(stored, target, shared=True)
    return target


def _publish_or_hold(
    store: Warehouse, split: str, month: str, stored: StoragePath, shrunk: bool, published_before: int | None,
    blocking_failed: list[str],
) -> str:
    """Publish the split's month when every blocking check passed; what happened, for the metadata."""
    if shrunk:
        return f"kept what is published (last published: {published_before} conversations): " + ", ".join(
            blocking_failed
        )
    if blocking_failed:
        # Never leave an unchecked or stale file where users download the release.
        store.layout.published(split, month).unlink(missing_ok=True)
        return "not published: " + ", ".join(blocking_failed)
    return str(_publish(store, split, month, stored))


def _log_split_counts(
    context: dg.AssetExecutionContext, month: str, done: MonthSplits, policy: str, unscreened_as_nontoxic: dict,
    deletions: dict,
) -> None:
    """Where the month's conversations went, and a warning when unscreened ones joined the non-toxic split."""
    nontoxic, toxic = done.rows[Stage.RELEASE_NONTOXIC], done.rows[Stage.RELEASE_TOXIC]
    held = done.rows[Stage.RELEASE_UNSCREENED]
    if deletions["conversations_removed"]:
        context.log.info(f"{month}: deletion requests {', '.join(deletions['request_ids'])} removed "
                         f"{deletions['conversations_removed']} conversations")
    context.log.info(f"{month}: {done.moderated} moderated -> {nontoxic} non-toxic, {toxic} toxic, {held} held "
                     f"unscreened (WILDCHAT_UNSCREENED={policy}), excluded {dict(done.excluded)}")
    if unscreened_as_nontoxic:
        context.log.warning(
            f"{month}: {sum(unscreened_as_nontoxic.values())} conversations with turns no moderator "
            f"screened are in the non-toxic split (WILDCHAT_UNSCREENED=nontoxic): {unscreened_as_nontoxic}"
        )


def _split_checks(
    store: Warehouse, month: str, stored: dict[str, StoragePath], schema, requests, batch_rows: int
) -> dict[str, list[dg.AssetCheckResult]]:
    """Per split, the checks on its stored file: no raw IPs, the release schema, expectations, deletions."""
    checks: dict[str, list[dg.AssetCheckResult]] = {}
    raw_ips = month_client_ips(store, month)  # read once for the three files
    for asset in SPLITS:
        differences = schema_differences(read_parquet_schema(stored[asset]), schema)
        checks[asset] = [
            no_raw_ips_file_result(store, month, asset, stored[asset], batch_rows, raw_ips),
            dg.AssetCheckResult(check_name=SCHEMA_CHECK, asset_key=asset, passed=not differences,
                                metadata={"differences": "; ".join(differences) or "none"}),
            _expectations_result(asset, month, stored_release_frame(stored[asset])),
            deletions_result(asset, [stored[asset]], requests),
        ]
    return checks


def _provenance(
    context: dg.AssetExecutionContext, store: Warehouse, month: str, schema_name: str, done: MonthSplits,
    policy: str, unscreened_as_nontoxic: dict, deletions: dict,
) -> dict:
    """What the month's published files hold and where it came from: written beside them in release/."""
    nontoxic, toxic = done.rows[Stage.RELEASE_NONTOXIC], done.rows[Stage.RELEASE_TOXIC]
    held = done.rows[Stage.RELEASE_UNSCREENED]
    return {
        "month": month,
        "pipeline_version": PIPELINE_VERSION,
        "release_schema": schema_name,
        "deletions": deletions,  # request ids and a count only, never the removed content
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "counts": {
            Stage.MODERATED_CONVERSATIONS: done.moderated,
            "excluded": dict(done.excluded),
            "nontoxic": nontoxic,
            "toxic": toxic,
            UNSCREENED: held,
            Stage.REJECTED_LOGS: store.partition_rows(Stage.REJECTED_LOGS, month),
            **deduplication_counts(store.read_table(Stage.MODERATED_CONVERSATIONS, month,
                                                    ["retry_log_ids", "absorbed_conversation_ids"])),
        },
        "screening": done.screening,
        # What happened to not-toxic conversations with turns no moderator screened, and their languages
        # when they went into the non-toxic split.
        "unscreened_policy": policy,
        "unscreened_in_nontoxic": unscreened_as_nontoxic,
        "upstream": upstream_records(context.instance, month),
        PUBLISHED: {"nontoxic": nontoxic, "toxic": toxic, UNSCREENED: held},  # the shrink guard's anchor from now on
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(asset, deps=[Stage.MODERATED_CONVERSATIONS], group_name="release", kinds={"parquet"},
                     description=_FOLDER_DESCRIPTIONS[split] + f" Published as release/{split}/<YYYY-MM>.parquet.")
        for asset, split in SPLITS.items()
    ],
    partitions_def=monthly_partitions,
    backfill_policy=MONTH_PER_RUN,
    check_specs=_check_specs(),
)
def release_splits(context: dg.AssetExecutionContext, config: ReleaseConfig, warehouse: WarehouseResource):
    """Non-toxic and toxic splits of the month's moderated conversations, and beside them the not-toxic
    conversations no moderator fully screened (held, under WILDCHAT_UNSCREENED=hold); excluded ones nowhere."""
    store = warehouse.get()
    month = context.partition_key
    published_before = last_published_conversations(store, month)
    schema_name = warehouse.release_schema
    release = release_schema(schema_name)
    schema = release.schema
    convert = release.rows(store, month, context.log.info)
    # Deletion requests hold for every release of every month, re-runs included.
    requests = load_deletion_requests(store.layout)
    policy = warehouse.unscreened
    done = write_month_splits(store, month, schema, requests, convert, batch_rows=warehouse.batch_rows,
                              hold_unscreened=policy == "hold")
    nontoxic, toxic = done.rows[Stage.RELEASE_NONTOXIC], done.rows[Stage.RELEASE_TOXIC]
    held = done.rows[Stage.RELEASE_UNSCREENED]
    screening = done.screening
    unscreened_as_nontoxic = {} if policy == "hold" else unscreened_conversation_languages(screening)
    excluded = dict(done.excluded)
    deletions = {"request_ids": sorted(done.request_ids), "conversations_removed": done.removed}
    _log_split_counts(context, month, done, policy, unscreened_as_nontoxic, deletions)

    stored: dict[str, StoragePath] = {asset: store.partition_path(asset, month) for asset in SPLITS}
    checks = _split_checks(store, month, stored, schema, requests, warehouse.batch_rows)
    splits_check = _splits_results(stored, done)
    for asset in SPLITS:
        checks[asset].insert(2, splits_check[asset])
        checks[asset].insert(0, _shrink_result(asset, published_before, nontoxic + toxic + held, config,
                                               deletions["conversations_removed"]))
    shrunk = not checks[Stage.RELEASE_NONTOXIC][0].passed
    if shrunk:
        context.log.error(
            f"{month}: the new release holds {nontoxic + toxic + held} conversations, the last published one "
            f"{published_before} (more than {config.max_shrink_fraction:.0%} fewer): the published files stay; "
            "pass --allow-shrink (allow_shrink: true) if conversations were removed on purpose"
        )

    blocking_failed = [f"{c.asset_key.to_user_string()}:{c.check_name}" for results in checks.values()
                       for c in results if not c.passed and c.check_name != EXPECTATIONS_CHECK]
    provenance = _provenance(context, store, month, schema_name, done, policy, unscreened_as_nontoxic, deletions)
    if not blocking_failed:  # the provenance describes the published files, and only those
        atomic_write_bytes(provenance_path(store, month), json.dumps(provenance, indent=2, default=str).encode())

    for asset, split in SPLITS.items():
        published = _publish_or_hold(store, split, month, stored[asset], shrunk, published_before, blocking_failed)
        rows = done.rows[asset]
        preview = first_rows(stored[asset], 5, PREVIEW_COLUMNS)
        yield dg.MaterializeResult(
            asset_key=asset,
            data_version=dg.DataVersion(store.partition_fingerprint(asset, month)),
            metadata={
                "rows": rows,
                "unscreened_policy": policy,
                "excluded": dg.MetadataValue.json(excluded),
                "deletion_requests_applied": ", ".join(deletions["request_ids"]) or "none",
                "removed_by_deletion_requests": deletions["conversations_removed"],
                Stage.MODERATED_CONVERSATIONS: done.moderated,
                "published": published,
                "warehouse_path": str(stored[asset]),
                "schema": f"{release.dataset} features",
                "preview": dg.MetadataValue.md(frame_markdown(preview) if rows else "(empty)"),
            },
            check_results=checks[asset],
        )

