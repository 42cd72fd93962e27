"""Manifest, card and report always describe the published files: a publication stopped half-way is redone."""

from __future__ import annotations

import json

import pytest
from test_release import MONTH, moderated, month_rows

import wildchat_dagster.assets.publication.reports as reports
from wildchat_dagster.cli.runner import run_months
from wildchat_dagster.core.release.publication import card_mark, manifest_checksums, publication_mismatch
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import Warehouse, file_sha256

SELECTION = {"release_nontoxic", "release_toxic", "release_unscreened", "release_manifest", "dataset_report",
             "duckdb_catalog"}


def run(root, **options):
    return run_months([MONTH], SELECTION, DataLayout(root), log_level="ERROR", **options)


def publication(outcomes):
    [outcome] = [o for o in outcomes if o.label == "publication"]
    return outcome


@pytest.mark.parametrize("stopped_before", ["manifest.json", "README.md"])
def test_a_publication_stopped_half_way_is_redone_by_the_next_run(data_dir, monkeypatch, stopped_before):
    monkeypatch.setenv("DAGSTER_HOME", str(data_dir / "dagster_home"))
    layout = DataLayout(data_dir)
    Warehouse(data_dir).write_records("moderated_conversations", MONTH, month_rows())
    assert all(o.ok for o in run(data_dir))

    # One more conversation is released, and the store stops after the month's files are published:
    # before the manifest, or between the manifest and the dataset card.
    more = month_rows() + [moderated([("user", "one more question"), ("assistant", "one more answer")])]
    Warehouse(data_dir).write_records("moderated_conversations", MONTH, more)
    write = reports.atomic_write_bytes

    def store_stops(path, data, **options):
        if path.name == stopped_before:
            raise OSError("the object store stopped answering")
        write(path, data, **options)

    monkeypatch.setattr(reports, "atomic_write_bytes", store_stops)
    assert [o.label for o in run(data_dir, force=True) if not o.ok] == ["publication"]
    monkeypatch.setattr(reports, "atomic_write_bytes", write)
    assert publication_mismatch(layout, "release_manifest")

    recovered = run(data_dir)
    assert [o.run_id for o in recovered if o.label == MONTH] == ["not run"]  # the month itself is up to date
    assert publication(recovered).ok and "release_manifest" in publication(recovered).due
    manifest = layout.manifest.read_bytes()
    published = {
        layout.published_relative(s, MONTH): file_sha256(layout.published(s, MONTH))
        for s in ("nontoxic", "toxic", "unscreened") if layout.published(s, MONTH).exists()
    }
    assert manifest_checksums(json.loads(manifest)) == published
    assert json.loads(manifest)["totals"]["conversations"] == 5
    assert card_mark(manifest) in layout.dataset_card.read_text()
    assert publication_mismatch(layout, "release_manifest") is None
    assert publication_mismatch(layout, "dataset_report") is None
    assert publication(run(data_dir)).run_id == "not run"  # and then it is up to date
