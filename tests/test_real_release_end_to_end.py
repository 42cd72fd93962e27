"""The five full-schema WildChat-1M rows, imported and re-released through Dagster, come back intact."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from wildchat_dagster.cli.runner import run_months
from wildchat_dagster.core.ingestion.import_release import import_files

FULL_SCHEMA = "wildchat1m_fullschema_5rows.jsonl"
MONTH = "2023-04"


@pytest.fixture(scope="module")
def released(tmp_path_factory, real_wildchat):
    root = tmp_path_factory.mktemp("real") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WILDCHAT_DATA_DIR", str(root))
        mp.setenv("WILDCHAT_IP_HASH_KEY", "test-ip-hash-key-not-secret")
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        mp.delenv("OPENAI_API_KEY", raising=False)
        import_files([real_wildchat / FULL_SCHEMA], root)
        outcomes = run_months([MONTH], None, root)
    return root, outcomes


def _published(root):
    rows = []
    for split in ("nontoxic", "toxic"):
        path = root / "release" / split / f"{MONTH}.parquet"
        rows += pq.read_table(path).to_pylist()
    return {row["conversation_hash"]: row for row in rows}


@pytest.mark.slow
def test_round_trip_keeps_content_roles_hash_model_and_timestamps(released, real_wildchat):
    root, outcomes = released
    assert all(o.ok for o in outcomes), [(o.label, o.failed_checks, o.failed_steps) for o in outcomes]
    published = _published(root)
    originals = [json.loads(line) for line in (real_wildchat / FULL_SCHEMA).read_text().splitlines()]
    assert set(published) == {o["conversation_hash"] for o in originals}
    for original in originals:
        row = published[original["conversation_hash"]]
        assert row["model"] == original["model"]
        assert row["timestamp"] == dt.datetime.fromisoformat(original["timestamp"])
        assert (row["hashed_ip"], row["country"], row["state"]) == (original["hashed_ip"], original["country"], original["state"])
        for mine, theirs in zip(row["conversation"], original["conversation"], strict=True):
            assert (mine["role"], mine["content"]) == (theirs["role"], theirs["content"])
            expected = dt.datetime.fromisoformat(theirs["timestamp"]) if theirs["timestamp"] else None
            assert mine["timestamp"] == expected
            assert mine["hashed_ip"] == theirs["hashed_ip"]


@pytest.mark.slow
def test_manifest_records_the_import(released):
    root, _ = released
    manifest = json.loads((root / "release" / "manifest.json").read_text())
    (imported,) = manifest["imported_from"]
    assert imported["source"] == FULL_SCHEMA and imported["logs_by_month"] == {MONTH: 6}


@pytest.mark.slow
def test_release_folder_loads_with_datasets_through_its_card(released, tmp_path, monkeypatch):
    import datasets

    root, _ = released
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    card = (root / "release" / "README.md").read_text()
    assert card.startswith("---\n") and "num_examples: 5" in card and "license: odc-by" in card
    assert "wildchat1m_fullschema_5rows.jsonl" in card  # provenance of re-processed data
    loaded = datasets.load_dataset(str(root / "release"))
    assert sum(len(split) for split in loaded.values()) == 5


@pytest.mark.slow
def test_deletion_requests_remove_conversations_only_with_the_shrink_allowance(released, real_wildchat):
    """Runs last in this module: it changes the published month."""
    root, _ = released
    originals = [json.loads(line) for line in (real_wildchat / FULL_SCHEMA).read_text().splitlines()]
    # R1 names one conversation; R2 a user (hashed IP) with two conversations, one of them R1's.
    first, texan = originals[0], originals[0]["hashed_ip"]
    gone = {o["conversation_hash"] for o in originals if o["hashed_ip"] == texan}
    assert len(gone) == 2
    (root / "deletion_requests").mkdir()
    (root / "deletion_requests" / "requests.csv").write_text(
        "request_id,conversation_hash,turn_identifier,hashed_ip,reason,date\n"
        f"R1,{first['conversation_hash']},,,PII report,2024-06-01\nR2,,,{texan},user asked,2024-06-02\n")
    selection = {"release_nontoxic", "release_toxic", "release_nontoxic_template_capped", "monthly_stats", "release_manifest"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WILDCHAT_IP_HASH_KEY", "test-ip-hash-key-not-secret")
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        refused = run_months([MONTH], selection, root)
        assert not all(o.ok for o in refused)
        assert ("release_nontoxic", "no_silent_shrink", True) in [c for o in refused for c in o.failed_checks]
        assert len(_published(root)) == 5  # the published month stays until the shrink is asked for

        outcomes = run_months([MONTH], selection, root, allow_shrink=True)
    assert all(o.ok for o in outcomes), [(o.label, o.failed_checks, o.failed_steps) for o in outcomes]
    assert set(_published(root)) == {o["conversation_hash"] for o in originals} - gone
    manifest_text = (root / "release" / "manifest.json").read_text()
    deletions = json.loads(manifest_text)["deletions"]
    assert deletions["request_ids_applied"] == ["R1", "R2"] and deletions["conversations_removed"] == 2
    assert texan not in manifest_text and not any(h in manifest_text for h in gone)  # ids, never content
    assert "Deletion requests applied: 2, conversations removed: 2" in (root / "release" / "README.md").read_text()
