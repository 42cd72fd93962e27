"""Publication over all months: the release manifest and the dataset report."""

import importlib.metadata
import json

import dagster as dg
import pandas as pd

import wildchat_dagster
from wildchat_dagster import settings
from wildchat_dagster.assets.release import read_monthly_stats, read_provenance
from wildchat_dagster.assets.templates import DEFAULT_MIN_CLUSTER_SIZE
from wildchat_dagster.core.ingestion.import_release import import_provenance
from wildchat_dagster.core.release.dataset_card import dataset_card
from wildchat_dagster.core.release.deletions import DeletionRequests, load_deletion_requests, published_matches
from wildchat_dagster.core.release.screening import unscreened_publication, unscreened_sentence
from wildchat_dagster.core.release.splits import build_manifest, published_months
from wildchat_dagster.core.reporting.report import overall, plots_markdown, text_charts, write_report
from wildchat_dagster.core.reporting.statistics import (
    OVERALL,
    compute_statistics,
    release_sources,
    screening_sentence,
)
from wildchat_dagster.core.reporting.tables import frame_markdown
from wildchat_dagster.core.reporting.templates import largest_clusters
from wildchat_dagster.core.reporting.tokens import cl100k_token_counter
from wildchat_dagster.core.storage.warehouse import atomic_write_bytes
from wildchat_dagster.resources.moderation_policy import SOURCE as POLICY_SOURCE
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage

# The asset page shows a Markdown entry inline when it is shorter than this (ui-core MetadataEntry.tsx);
# longer ones hide behind "[Show Markdown]".
INLINE_MARKDOWN_CHARS = 999


def _release_systems(tokenizer: str) -> dict[str, str]:
    versions = {name: importlib.metadata.version(name) for name in ("pyarrow", "duckdb", "great-expectations", "dagster")}
    return {"tokenizer (statistics)": tokenizer, **{f"{name} version": v for name, v in versions.items()}}


DELETIONS_CHECK = "deletion_requests_honoured"


def _deletions_summary(provenance: dict[str, dict], requests: DeletionRequests) -> dict:
    """Which deletion requests the published months applied: ids and counts, never content."""
    by_month = {m: p["deletions"] for m, p in sorted(provenance.items()) if p.get("deletions", {}).get("conversations_removed")}
    applied = sorted({i for d in by_month.values() for i in d["request_ids"]})
    return {
        "requests_on_file": len(requests.requests),
        "request_ids_applied": applied,
        "conversations_removed": sum(d["conversations_removed"] for d in by_month.values()),
        "by_month": by_month,
    }


def _deletions_check(store, requests: DeletionRequests) -> dg.AssetCheckResult:
    """Scan every published file for any requested hash, turn identifier or hashed IP."""
    files = sorted(store.layout.release_dir.rglob("*.parquet"))
    remaining = published_matches(files, requests)
    return dg.AssetCheckResult(
        check_name=DELETIONS_CHECK,
        passed=not remaining,
        metadata={
            "published_files_scanned": len(files),
            "requests_on_file": len(requests.requests),
            "files_still_holding_requested_items": len(remaining),
            # Request ids only: the matched values and content never reach the event log.
            "request_ids_still_present": ", ".join(sorted({i for ids in remaining.values() for i in ids})) or "none",
        },
    )


@dg.asset(
    deps=[Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED],
    group_name="publication",
    kinds={"json"},
    code_version="1",
    check_specs=[dg.AssetCheckSpec(
        DELETIONS_CHECK, asset=Stage.RELEASE_MANIFEST, blocking=True,
        description="No conversation_hash, turn_identifier or hashed_ip named by a deletion request remains in any "
                    "published file (re-release the months it names with allow_shrink).")],
)
def release_manifest(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """release/manifest.json: every published file with its row count and sha256, and how the release was made."""
    store = warehouse.get()
    months = published_months(store.layout)
    if not months:
        raise dg.Failure(f"no month is published under {store.layout.release_dir}: the manifest was not written")
    provenance = {m: p for m in months if (p := read_provenance(store, m)) is not None}
    manifest = build_manifest(store.layout, provenance, wildchat_dagster.__version__, _release_systems(cl100k_token_counter().name))
    # Re-processed published data says so: which files were imported (hashes and places kept as given).
    manifest["imported_from"] = import_provenance(store.layout)
    requests = load_deletion_requests(store.layout)
    manifest["deletions"] = _deletions_summary(provenance, requests)
    path = store.layout.manifest
    atomic_write_bytes(path, json.dumps(manifest, indent=2, default=str).encode(), shared=True)
    # The Hugging Face dataset card, so release/ uploads as is and load_dataset gives the splits.
    summaries = {m: ((read_monthly_stats(store, m) or {}).get("tables", {}).get("summary") or [{}])[0] for m in months}
    card_path = store.layout.dataset_card
    atomic_write_bytes(card_path, dataset_card(store.layout, manifest, summaries, settings.release_license()).encode(),
                       shared=True)
    if manifest["months_without_provenance"]:
        context.log.warning(f"no provenance record for {manifest['months_without_provenance']}: re-materialize the splits")
    totals = manifest["totals"]
    return dg.MaterializeResult(
        metadata={
            "path": str(path),
            "dataset_card": str(card_path),
            "deletion_requests_applied": len(manifest["deletions"]["request_ids_applied"]),
            "removed_by_deletion_requests": manifest["deletions"]["conversations_removed"],
            "release_schema": ", ".join(manifest["release_schema"]) or "none",
            "months": ", ".join(months) or "none",
            "nontoxic_rows": totals["nontoxic"],
            "toxic_rows": totals["toxic"],
            "unscreened_rows": totals["unscreened"],
            "unscreened": unscreened_sentence(manifest["unscreened"]),
            "excluded": dg.MetadataValue.json(totals["excluded"]),
            Stage.REJECTED_LOGS: totals[Stage.REJECTED_LOGS],
            "retries": totals["retries"],
            "absorbed_prefixes": totals["absorbed_prefixes"],
            "systems": dg.MetadataValue.json(manifest["systems"]),
            "settings": dg.MetadataValue.json(manifest["settings"]),
        },
        check_results=[_deletions_check(store, requests)],
    )


def _template_clusters(store, months: list[str]) -> pd.DataFrame | None:
    """The largest template clusters over the published months; examples of deleted conversations withheld."""
    stored = [m for m in months if store.has_partition(Stage.TEMPLATE_PROMPTS, m)]
    if not stored:
        return None
    columns = ["prompt_key", "month", "cluster_id", "conversation_hash", "turn_identifier", "hashed_ip", "example"]
    rows = [r for m in stored for r in store.read_table(Stage.TEMPLATE_PROMPTS, m, columns).to_pylist()]
    requests = load_deletion_requests(store.layout)

    def withheld(row: dict) -> bool:
        return bool(requests.matches({"conversation_hash": row["conversation_hash"], "hashed_ip": row["hashed_ip"],
                                      "conversation": [{"turn_identifier": row["turn_identifier"]}]}))

    top = largest_clusters(rows, DEFAULT_MIN_CLUSTER_SIZE, limit=15, withheld=withheld)
    return pd.DataFrame({"prompts": [c["size"] for c in top], "months": [", ".join(c["months"]) for c in top],
                         "example (redacted)": [c["example"][:160].replace("\n", " ") for c in top]})


@dg.asset(
    deps=[Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED, Stage.MONTHLY_STATS, Stage.TEMPLATE_PROMPTS],
    group_name="publication",
    kinds={"html"},
    code_version="1",
)
def dataset_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, moderation_policy: ModerationPolicyResource
) -> dg.MaterializeResult:
    """reports/index.html and reports/report.md: the paper's tables and plots, per month and overall."""
    store = warehouse.get()
    months = published_months(store.layout)
    thresholds, threshold_source = moderation_policy.thresholds(), POLICY_SOURCE
    tokens = cl100k_token_counter()
    tables = compute_statistics(release_sources(store.layout, months), tokens, thresholds)
    clusters = _template_clusters(store, months)
    if clusters is not None:
        tables["template_clusters"] = clusters
    provenance = {m: p for m in months if (p := read_provenance(store, m)) is not None}
    unscreened = unscreened_sentence(unscreened_publication(months, provenance))
    files = write_report(
        tables,
        store.layout.reports_dir,
        tokenizer=tokens.name,
        headline=unscreened,
        facts={
            "months": ", ".join(months) or "none",
            "pipeline version": wildchat_dagster.__version__,
            "Detoxify threshold": f"{thresholds.detoxify_toxicity} ({threshold_source})",
            "profanity threshold": f"{thresholds.profanity} ({threshold_source})",
            "toxicity screening": screening_sentence(tables["screening"]),
        },
    )
    summary = overall(tables["summary"])
    context.log.info(f"report for {len(months)} months written to {files.index_html}")
    return dg.MaterializeResult(
        metadata={
            "index_html": dg.MetadataValue.path(str(files.index_html)),
            "report_md": dg.MetadataValue.path(str(files.report_md)),
            "months": ", ".join(months) or "none",
            "tokenizer": tokens.name,
            "conversations": int(summary["conversations"].sum()),
            "summary": dg.MetadataValue.md(frame_markdown(tables["summary"])),
            "moderation": dg.MetadataValue.md(frame_markdown(tables["moderation"][tables["moderation"]["month"] == OVERALL])),
            "toxicity_screening": screening_sentence(tables["screening"]),
            "unscreened_conversations": unscreened,
            # One short chart per plot, which the asset page shows inline; the PNGs behind "plots".
            **{f"plot: {name}": dg.MetadataValue.md(chart)
               for name, chart in text_charts(tables, max_chars=INLINE_MARKDOWN_CHARS).items()},
            "plots": dg.MetadataValue.md(plots_markdown(files.plots)),
        }
    )
