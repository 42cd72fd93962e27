"""What the published release is held to: the counts last published per month, and the descriptions
of the published files (manifest, card, report) matching the files themselves.

The published files can disappear (a month whose blocking checks failed is
withdrawn) or be replaced; the provenance record of the last successful
publication stays, so a republished month, or a manifest written without it,
is compared with what users last downloaded rather than with what happens to
be on disk. A publication stopped half-way (the store went away between the
month files and the manifest, or the manifest and the card) leaves descriptions
that no longer match; `publication_mismatch` finds them from the objects alone.
"""

from __future__ import annotations

import hashlib
import json

from wildchat_dagster.core.release.splits import PUBLISHED_FOLDERS, published_months
from wildchat_dagster.core.storage.layout import PROVENANCE, DataLayout
from wildchat_dagster.core.storage.warehouse import file_sha256, parquet_rows
from wildchat_dagster.stages import Stage

PUBLISHED = "published"  # provenance key: {split: rows} of the files this record was published with


def recorded_provenance(layout: DataLayout) -> dict[str, dict]:
    """Every month's provenance record, published files or not (the anchor outlives the files)."""
    folder = layout.asset_dir(PROVENANCE)
    if not folder.is_dir():
        return {}
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"), key=lambda p: p.name)}


def last_published(provenance: dict | None) -> dict[str, int] | None:
    """{split: rows} last published for the month; None when it never was. Records written before the
    `published` key existed hold the same figures under `counts`."""
    if not provenance:
        return None
    recorded = provenance.get(PUBLISHED) or provenance.get("counts") or {}
    return {split: int(recorded.get(split) or 0) for split in PUBLISHED_FOLDERS}


def published_rows(layout: DataLayout, month: str) -> dict[str, int]:
    """{split: rows} of the month's published files now (0 for a missing file)."""
    return {split: parquet_rows(path) if (path := layout.published(split, month)).exists() else 0
            for split in PUBLISHED_FOLDERS}


def lost_months(layout: DataLayout, provenance: dict[str, dict]) -> dict[str, dict]:
    """Months whose published files now hold fewer conversations than were last published (or none):
    month -> {"last_published": n, "published_now": m}."""
    lost = {}
    for month, record in sorted(provenance.items()):
        before = last_published(record)
        now = published_rows(layout, month)
        if before is not None and sum(now.values()) < sum(before.values()):
            lost[month] = {"last_published": sum(before.values()), "published_now": sum(now.values())}
    return lost


def describe_lost(lost: dict[str, dict]) -> str:
    return "; ".join(f"{month} {'dropped' if c['published_now'] == 0 else 'shrunk'} "
                     f"({c['last_published']} conversations last published, {c['published_now']} now)"
                     for month, c in lost.items())


# --- what describes the published files: manifest, card, report -----------------

CARD_MARK = "<!-- manifest sha256: {} -->"  # the card names the manifest it was written from
REPORT_FACT = "published files (sha256 of their checksums)"  # the report names the files it describes


def published_checksums(layout: DataLayout) -> dict[str, str]:
    """{path inside the release: sha256} of every published split file, as the manifest lists them."""
    return {layout.published_relative(split, month): file_sha256(path)
            for month in published_months(layout) for split in PUBLISHED_FOLDERS
            if (path := layout.published(split, month)).exists()}


def manifest_checksums(manifest: dict) -> dict[str, str]:
    return {
        entry["path"]: entry["sha256"] for by_month in manifest.get("files", {}).values() for entry in by_month.values()
    }


def checksums_digest(checksums: dict[str, str]) -> str:
    return hashlib.sha256("\n".join(f"{path} {sha}" for path, sha in sorted(checksums.items())).encode()).hexdigest()


def card_mark(manifest_bytes: bytes) -> str:
    return CARD_MARK.format(hashlib.sha256(manifest_bytes).hexdigest())


def publication_mismatch(layout: DataLayout, asset: str) -> str | None:
    """Why the manifest and card, or the report, no longer describe the published files (None: they do).
    A publication that failed or was interrupted half-way recorded nothing, so only the objects tell."""
    if asset == Stage.RELEASE_MANIFEST:
        published = published_checksums(layout)
        if not layout.manifest.exists():
            return "the manifest is missing" if published else None
        manifest_bytes = layout.manifest.read_bytes()
        try:
            listed = manifest_checksums(json.loads(manifest_bytes))
        except (ValueError, KeyError, AttributeError, TypeError):
            return "the manifest is unreadable"
        if listed != published:
            return "the manifest's checksums do not match the published files"
        if not layout.dataset_card.exists() or card_mark(manifest_bytes) not in layout.dataset_card.read_text():
            return "the dataset card does not match the manifest"
    if asset == Stage.DATASET_REPORT:
        report = layout.report_file("report.md")
        if not report.exists() or checksums_digest(published_checksums(layout)) not in report.read_text():
            return "the report does not describe the published files"
    return None
