"""The whole pipeline through Dagster on synthetic logs, as the README's demo runs it."""

from __future__ import annotations

import hashlib
import json

import dagster as dg
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.core.geo.client_ips import canonical_ips, find_raw_ips
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.schema import WILDCHAT_1M
from wildchat_dagster.stages import all_stages

MONTHS = ["2023-04", "2023-05"]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """Generate two months of logs and run every asset through the CLI, once for the module."""
    root = tmp_path_factory.mktemp("e2e") / "data"
    env = {
        "WILDCHAT_DATA_DIR": str(root),
        "WILDCHAT_IP_HASH_KEY": "end-to-end-test-key-not-secret",
        "DAGSTER_HOME": str(root / "dagster_home"),
        "OPENAI_API_KEY": "",
    }
    runner = CliRunner(env=env)
    generated = runner.invoke(main, ["generate", "--months", "2023-04:2023-05", "--conversations-per-month", "300", "--seed", "7"])
    assert generated.exit_code == 0, generated.output
    ran = runner.invoke(main, ["run", "--months", "2023-04:2023-05"], catch_exceptions=False)
    return root, ran


def test_run_succeeds_and_prints_where_outputs_are(pipeline_run):
    root, ran = pipeline_run
    assert ran.exit_code == 0, ran.output
    assert "FAILED" not in ran.output
    assert f"release:   {root / 'release'}" in ran.output
    assert f"report:    {root / 'reports' / 'index.html'}" in ran.output


def test_run_summary_lists_stages_in_pipeline_order(pipeline_run):
    _, ran = pipeline_run
    month = ran.output.split("== 2023-04: ok", 1)[1].split("==", 1)[0]
    listed = [line.split()[0].rstrip(":") for line in month.splitlines() if line.startswith("   ")]
    monthly = [s for s in all_stages() if s in listed]
    assert listed == monthly and listed[0] == "linked_conversations" and listed[-1] == "monthly_stats", month


def test_every_stage_stored_for_every_month(pipeline_run):
    root, _ = pipeline_run
    warehouse = Warehouse(root)
    for asset in ["raw_logs", "rejected_logs", "linked_conversations", "deduplicated_conversations",
                  "geotagged_conversations", "language_tagged_conversations", "redacted_conversations",
                  "moderated_conversations", "release_nontoxic", "release_toxic"]:
        for month in MONTHS:
            assert warehouse.has_partition(asset, month), (asset, month)


def test_release_has_the_wildchat_schema_and_every_conversation(pipeline_run):
    root, _ = pipeline_run
    warehouse = Warehouse(root)
    for month in MONTHS:
        moderated = warehouse.read_table("moderated_conversations", month)
        kept = sum(1 for r in moderated.column("excluded_reason").to_pylist() if r is None)
        released = 0
        for split in ("nontoxic", "toxic"):
            table = pq.read_table(root / "release" / split / f"{month}.parquet")
            assert table.schema.equals(WILDCHAT_1M, check_metadata=False)
            released += table.num_rows
        assert released == kept > 0


def test_runs_are_recorded_in_the_dagster_instance(pipeline_run):
    root, _ = pipeline_run
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        runs = instance.get_runs()
        assert {r.job_name for r in runs} == {"monthly_pipeline", "publication"}
        assert all(r.is_success for r in runs)
        partitions = instance.get_materialized_partitions(dg.AssetKey("release_toxic"))
        assert set(MONTHS) <= set(partitions)


def test_manifest_and_report_written(pipeline_run):
    root, _ = pipeline_run
    manifest = json.loads((root / "release" / "manifest.json").read_text())
    assert manifest["months"] == MONTHS
    for split in ("nontoxic", "toxic"):
        for month in MONTHS:
            entry = manifest["files"][split][month]
            path = root / entry["path"]
            assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            assert entry["rows"] == pq.ParquetFile(path).metadata.num_rows
    truth_rejected = (root / "ground_truth" / "rejected.jsonl").read_text().splitlines()
    assert manifest["totals"]["rejected_logs"] == sum(
        1 for line in truth_rejected if json.loads(line)["source_file"].split("/")[1] in MONTHS
    )
    # Offline there is no OpenAI moderation, so no sexual/minors screening: the manifest says so.
    assert manifest["sexual_minors_screening"] == {"months_screened": [], "months_not_screened": MONTHS}
    # Published: no path of this machine.
    assert str(root) not in json.dumps(manifest) and "site-packages" not in json.dumps(manifest)
    assert (root / "reports" / "index.html").stat().st_size > 10_000


@pytest.fixture(scope="module")
def truth_and_output(pipeline_run):
    """Ground truth of the generator beside the pipeline's moderated conversations, by id."""
    root, _ = pipeline_run
    truth = [json.loads(line) for line in (root / "ground_truth" / "conversations.jsonl").read_text().splitlines()]
    warehouse = Warehouse(root)
    output = {r["conversation_id"]: r for m in MONTHS for r in warehouse.read_records("moderated_conversations", m)}
    return [t for t in truth if t["month"] in MONTHS], output


def test_every_expected_conversation_found_once_in_its_month(pipeline_run, truth_and_output):
    root, _ = pipeline_run
    truth, output = truth_and_output
    assert len(output) == sum(Warehouse(root).read_table("moderated_conversations", m).num_rows for m in MONTHS)
    assert {t["conversation_id"] for t in truth} == set(output)
    for t in truth:
        assert output[t["conversation_id"]]["timestamp"].strftime("%Y-%m") == t["month"]


def test_language_and_country_match_ground_truth(truth_and_output):
    truth, output = truth_and_output
    language = sum(output[t["conversation_id"]]["language"] == t["language"] for t in truth) / len(truth)
    country = sum(output[t["conversation_id"]]["country"] == t["country"] for t in truth) / len(truth)
    print(f"language agreement {language:.1%}, country agreement {country:.1%} on {len(truth)} conversations")
    assert language >= 0.95 and country >= 0.95


def test_no_planted_pii_or_secret_survives_and_lookalikes_do(truth_and_output):
    truth, output = truth_and_output
    planted = [(t, p) for t in truth for p in t["planted"]]
    assert len(planted) >= 20
    for t, p in planted:
        text = "\n".join(u["content"] for u in output[t["conversation_id"]]["conversation"])
        assert p["value"] not in text, (p["type"], t["conversation_id"])
    for t in truth:
        text = "\n".join(u["content"] for u in output[t["conversation_id"]]["conversation"])
        for lookalike in t["lookalikes"]:
            assert lookalike in text, (lookalike, t["conversation_id"])


def test_synthetic_toxic_conversations_are_flagged(truth_and_output):
    """Offline, only the profanity moderator runs: it finds English profanity, not other languages'."""
    truth, output = truth_and_output
    english_toxic = [t for t in truth if t["toxic"] and "toxic_non_english" not in t["cases"]]
    clean = [t for t in truth if not t["toxic"]]
    recall = sum(output[t["conversation_id"]]["toxic"] for t in english_toxic) / len(english_toxic)
    false_alarms = sum(output[t["conversation_id"]]["toxic"] for t in clean) / len(clean)
    print(f"toxic recall (English) {recall:.1%} of {len(english_toxic)}, false alarms {false_alarms:.1%} of {len(clean)}")
    assert recall >= 0.9 and false_alarms <= 0.02


def test_no_client_ip_in_the_release(pipeline_run, truth_and_output):
    root, _ = pipeline_run
    truth, _ = truth_and_output
    client_ips = canonical_ips(ip for t in truth for ip in t["ips"])
    for split in ("nontoxic", "toxic"):
        for month in MONTHS:
            assert find_raw_ips(pq.read_table(root / "release" / split / f"{month}.parquet"), client_ips) == []
