"""What the published release is held to: the counts last published per month, kept in provenance.

The published files can disappear (a month whose blocking checks failed is
withdrawn) or be replaced; the provenance record of the last successful
publication stays, so a republished month, or a manifest written without it,
is compared with what users last downloaded rather than with what happens to
be on disk.
"""

from __future__ import annotations

import json

from wildchat_dagster.core.release.splits import RELEASE_SPLITS
from wildchat_dagster.core.storage.layout import PROVENANCE, DataLayout
from wildchat_dagster.core.storage.warehouse import parquet_rows

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
    return {split: int(recorded.get(split) or 0) for split in RELEASE_SPLITS}


def published_rows(layout: DataLayout, month: str) -> dict[str, int]:
    """{split: rows} of the month's published files now (0 for a missing file)."""
    return {split: parquet_rows(path) if (path := layout.published(split, month)).exists() else 0
            for split in RELEASE_SPLITS}


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
