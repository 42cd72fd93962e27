"""Publication over all months: the release manifest and the dataset report."""

import datetime as dt
import importlib.metadata
import json

import dagster as dg
import pandas as pd

from wildchat_dagster import __version__ as PIPELINE_VERSION
from wildchat_dagster.assets.release.release import read_provenance
from wildchat_dagster.assets.shared.checks import deletions_result, deletions_spec
from wildchat_dagster.assets.statistics.statistics import read_monthly_stats
from wildchat_dagster.assets.templates.templates import DEFAULT_MIN_CLUSTER_SIZE
from wildchat_dagster.core.ingestion.import_release import import_provenance
from wildchat_dagster.core.moderation.registry import moderator_entry
from wildchat_dagster.core.release.dataset_card import dataset_card
from wildchat_dagster.core.release.deletions import DeletionRequests, load_deletion_requests
from wildchat_dagster.core.release.publication import (
    PUBLISHED,
    REPORT_FACT,
    card_mark,
    checksums_digest,
    describe_lost,
    lost_months,
    published_checksums,
    published_rows,
    recorded_provenance,
)
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
from wildchat_dagster.core.reporting.tokens import cl100k_tokenizer_name
from wildchat_dagster.core.storage.warehouse import atomic_write_bytes
from wildchat_dagster.resources.moderation_policy import SOURCE as POLICY_SOURCE
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.stages import Stage

# The asset page shows a Markdown entry inline when it is shorter than this (ui-core MetadataEntry.tsx);
# longer ones hide behind "[Show Markdown]".
INLINE_MARKDOWN_CHARS = 999


def _release_systems(tokenizer: str) -> dict[str, str]:
    versions = {
        name: importlib.metadata.version(name) for name in ("pyarrow", "duckdb", "great-expectations", "dagster")
    }
    return {"tokenizer (statistics)": tokenizer, **{f"{name} version": v for name, v in versions.items()}}


def _deletions_summary(provenance: dict[str, dict], requests: DeletionRequests) -> dict:
    """Which deletion requests the published months applied: ids and counts, never content."""
    by_month = {
        m: p["deletions"] for m, p in sorted(provenance.items()) if p.get("deletions", {}).get("conversations_removed")
    }
    applied = sorted({i for d in by_month.values() for i in d["request_ids"]})
    return {
        "requests_on_file": len(requests.requests),
        "request_ids_applied": applied,
        "conversations_removed": sum(d["conversations_removed"] for d in by_month.values()),
        "by_month": by_month,
    }


SHRINK_CHECK = "no_silent_shrink"


class ManifestConfig(dg.Config):
    # The same allowance as the release's (`run --allow-shrink`): a month may leave the release on purpose.
    allow_shrink: bool = False


def _shrink_check(lost: dict[str, dict], config: ManifestConfig) -> dg.AssetCheckResult:
    """Every month holds at least what its provenance says it last published, unless allowed."""
    return dg.AssetCheckResult(
        check_name=SHRINK_CHECK, asset_key=Stage.RELEASE_MANIFEST, passed=config.allow_shrink or not lost,
        metadata={"months_dropped_or_shrunk": describe_lost(lost) or "none", "allow_shrink": config.allow_shrink},
    )


def _record_allowed_shrink(store, provenance: dict[str, dict], lost: dict[str, dict]) -> None:
    """A drop published with the allowance becomes the months' anchor (as a republication with it does)."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for month, counts in lost.items():
        record = {
            **provenance[month],
            PUBLISHED: published_rows(store.layout, month),
            "shrink_allowed": {**counts, "at": at},
        }
        atomic_write_bytes(store.layout.provenance(month), json.dumps(record, indent=2, default=str).encode())


@dg.asset(
    deps=[Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED],
    group_name="publication",
    kinds={"json"},
    check_specs=[
        deletions_spec(
            Stage.RELEASE_MANIFEST,
            "No conversation_hash, turn_identifier or hashed_ip named by a deletion request remains in any "
            "published file (re-release the months it names with allow_shrink); otherwise manifest and card "
            "stay as they are.",
        ),
        dg.AssetCheckSpec(
            SHRINK_CHECK,
            asset=Stage.RELEASE_MANIFEST,
            blocking=True,
            description="No month holds fewer conversations than it last published (its provenance), files withdrawn "
            "after failed checks included, unless allow_shrink; otherwise manifest and card stay as they are.",
        ),
    ],
)
def release_manifest(context: dg.AssetExecutionContext, config: ManifestConfig,
                     warehouse: WarehouseResource) -> dg.MaterializeResult:
    """release/manifest.json: every published file with its row count and sha256, and how the release was made."""
    store = warehouse.get()
    months = published_months(store.layout)
    recorded = recorded_provenance(store.layout)
    lost = lost_months(store.layout, recorded)
    if not months:
        raise dg.Failure(f"no month is published under {store.layout.release_dir}: the manifest was not written"
                         + (f" ({describe_lost(lost)})" if lost else ""))
    provenance = {m: p for m in months if (p := read_provenance(store, m)) is not None}
    manifest = build_manifest(store.layout, provenance, PIPELINE_VERSION, _release_systems(cl100k_tokenizer_name()))
    # Re-processed published data says so: which files were imported (hashes and places kept as given).
    manifest["imported_from"] = import_provenance(store.layout)
    requests = load_deletion_requests(store.layout)
    manifest["deletions"] = _deletions_summary(provenance, requests)
    # The Hugging Face dataset card, so release/ uploads as is and load_dataset gives the splits.
    summaries = {m: ((read_monthly_stats(store, m) or {}).get("tables", {}).get("summary") or [{}])[0] for m in months}
    card = dataset_card(store.layout, manifest, summaries, warehouse.release_license)
    # Every blocking check runs before anything is written: the manifest and card are published only if all pass.
    files = sorted(store.layout.release_dir.rglob("*.parquet"))
    checks = [_shrink_check(lost, config), deletions_result(Stage.RELEASE_MANIFEST, files, requests)]
    path, card_path = store.layout.manifest, store.layout.dataset_card
    if failed := [c.check_name for c in checks if not c.passed]:
        context.log.error(
            f"the manifest and card were not written: {', '.join(failed)} failed"
            + (
                f"; publication would leave {describe_lost(lost)}: republish those months, or pass "
                "--allow-shrink (allow_shrink: true) to publish without them"
                if not checks[0].passed
                else ""
            )
        )
        written = "not written: " + ", ".join(failed)
    else:
        if lost:
            context.log.warning(f"allow_shrink: the release is published with {describe_lost(lost)}")
            _record_allowed_shrink(store, recorded, lost)
        manifest_bytes = json.dumps(manifest, indent=2, default=str).encode()
        atomic_write_bytes(path, manifest_bytes, shared=True)
        # Interrupted here, the card names the previous manifest: the next run sees it and writes both again.
        atomic_write_bytes(card_path, f"{card}\n{card_mark(manifest_bytes)}\n".encode(), shared=True)
        written = "written"
    if manifest["months_without_provenance"]:
        context.log.warning(
            f"no provenance record for {manifest['months_without_provenance']}: re-materialize the splits"
        )
    totals = manifest["totals"]
    return dg.MaterializeResult(
        metadata={
            "path": str(path),
            "dataset_card": str(card_path),
            "published": written,
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
        check_results=checks,
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
    deps=[
        Stage.RELEASE_NONTOXIC,
        Stage.RELEASE_TOXIC,
        Stage.RELEASE_UNSCREENED,
        Stage.MONTHLY_STATS,
        Stage.TEMPLATE_PROMPTS,
    ],
    group_name="publication",
    kinds={"html"},
)
def dataset_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, moderation_policy: ModerationPolicyResource
) -> dg.MaterializeResult:
    """reports/index.html and reports/report.md: the paper's tables and plots, per month and overall."""
    store = warehouse.get()
    months = published_months(store.layout)
    files_digest = checksums_digest(published_checksums(store.layout))  # the files this report describes
    thresholds, threshold_source = moderation_policy.thresholds(), POLICY_SOURCE
    tokenizer = cl100k_tokenizer_name()  # the counter itself loads only for months without kept counts
    tables = compute_statistics(release_sources(store.layout, months), thresholds=thresholds)
    clusters = _template_clusters(store, months)
    if clusters is not None:
        tables["template_clusters"] = clusters
    provenance = {m: p for m in months if (p := read_provenance(store, m)) is not None}
    unscreened = unscreened_sentence(unscreened_publication(months, provenance))
    files = write_report(
        tables,
        store.layout.reports_dir,
        tokenizer=tokenizer,
        headline=unscreened,
        facts={
            "months": ", ".join(months) or "none",
            "pipeline version": PIPELINE_VERSION,
            **{f"{moderator_entry(name).display_name} threshold": f"{value} ({threshold_source})"
               for name, value in thresholds.in_force().items()},
            "toxicity screening": screening_sentence(tables["screening"]),
            REPORT_FACT: files_digest,
        },
    )
    summary = overall(tables["summary"])
    context.log.info(f"report for {len(months)} months written to {files.index_html}")
    return dg.MaterializeResult(
        metadata={
            "index_html": dg.MetadataValue.path(str(files.index_html)),
            "report_md": dg.MetadataValue.path(str(files.report_md)),
            "months": ", ".join(months) or "none",
            "tokenizer": tokenizer,
            "conversations": int(summary["conversations"].sum()),
            "summary": dg.MetadataValue.md(frame_markdown(tables["summary"])),
            "moderation": dg.MetadataValue.md(
                frame_markdown(tables["moderation"][tables["moderation"]["month"] == OVERALL])
            ),
            "toxicity_screening": screening_sentence(tables["screening"]),
            "unscreened_conversations": unscreened,
            # One short chart per plot, which the asset page shows inline; the PNGs behind "plots".
            **{
                f"plot: {name}": dg.MetadataValue.md(chart)
                for name, chart in text_charts(tables, max_chars=INLINE_MARKDOWN_CHARS).items()
            },
            "plots": dg.MetadataValue.md(plots_markdown(files.plots)),
        }
    )
