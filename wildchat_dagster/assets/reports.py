"""Publication over all months: the release manifest and the dataset report."""

import importlib.metadata
import json

import dagster as dg

import wildchat_dagster
from wildchat_dagster import settings
from wildchat_dagster.assets.release import read_monthly_stats, read_provenance
from wildchat_dagster.core.ingestion.import_release import import_provenance
from wildchat_dagster.core.release.dataset_card import dataset_card
from wildchat_dagster.core.release.splits import build_manifest, published_months
from wildchat_dagster.core.reporting.report import overall, plots_markdown, text_charts, write_report
from wildchat_dagster.core.reporting.statistics import (
    OVERALL,
    cl100k_token_counter,
    compute_statistics,
    release_sources,
    screening_sentence,
)
from wildchat_dagster.core.reporting.tables import frame_markdown
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


@dg.asset(
    deps=[Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC],
    group_name="publication",
    kinds={"json"},
    code_version="1",
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
    path = store.layout.manifest
    atomic_write_bytes(path, json.dumps(manifest, indent=2, default=str).encode(), shared=True)
    # The Hugging Face dataset card, so release/ uploads as is and load_dataset gives the splits.
    summaries = {m: ((read_monthly_stats(store, m) or {}).get("tables", {}).get("summary") or [{}])[0] for m in months}
    card_path = store.release_dir / "README.md"
    if months:
        atomic_write_bytes(card_path, dataset_card(store.root, manifest, summaries, settings.release_license()).encode(),
                           shared=True)
    if manifest["months_without_provenance"]:
        context.log.warning(f"no provenance record for {manifest['months_without_provenance']}: re-materialize the splits")
    totals = manifest["totals"]
    return dg.MaterializeResult(
        metadata={
            "path": str(path),
            "dataset_card": str(card_path) if months else "not written: nothing published",
            "release_schema": ", ".join(manifest["release_schema"]) or "none",
            "months": ", ".join(months) or "none",
            "nontoxic_rows": totals["nontoxic"],
            "toxic_rows": totals["toxic"],
            "excluded": dg.MetadataValue.json(totals["excluded"]),
            Stage.REJECTED_LOGS: totals[Stage.REJECTED_LOGS],
            "retries": totals["retries"],
            "absorbed_prefixes": totals["absorbed_prefixes"],
            "systems": dg.MetadataValue.json(manifest["systems"]),
            "settings": dg.MetadataValue.json(manifest["settings"]),
        }
    )


@dg.asset(
    deps=[Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.MONTHLY_STATS],
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
    files = write_report(
        tables,
        store.layout.reports_dir,
        tokenizer=tokens.name,
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
            # One short chart per plot, which the asset page shows inline; the PNGs behind "plots".
            **{f"plot: {name}": dg.MetadataValue.md(chart)
               for name, chart in text_charts(tables, max_chars=INLINE_MARKDOWN_CHARS).items()},
            "plots": dg.MetadataValue.md(plots_markdown(files.plots)),
        }
    )
