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
    generated = runner.invoke(
        main, ["generate", "--months", "2023-04:2023-05", "--conversations-per-month", "300", "--seed", "7"]
    )
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
    listed = [line.split()[0].rstrip(":") for line in month.splitlines()
              if line.startswith("   ") and not line.startswith(("   check failed", "   step failed"))]
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
        for split in ("nontoxic", "toxic", "unscreened"):  # unscreened: held out of the splits
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
    print(
        f"toxic recall (English) {recall:.1%} of {len(english_toxic)}, false alarms {false_alarms:.1%} of {len(clean)}"
    )
    assert recall >= 0.9 and false_alarms <= 0.02
    # The English model never judges other languages: no benign non-English conversation is toxic.
    foreign_clean = [t for t in clean if t["language"] != "English"]
    assert foreign_clean and not [t["conversation_id"] for t in foreign_clean if output[t["conversation_id"]]["toxic"]]


def test_the_manifest_names_the_languages_no_moderator_screened(pipeline_run):
    root, _ = pipeline_run
    screening = json.loads((root / "release" / "manifest.json").read_text())["toxicity_screening"]
    assert set(screening["months_partly_screened"]) == set(MONTHS)  # offline: only English is screened
    for month in MONTHS:
        assert "not screened by any moderator: languages" in screening["months_partly_screened"][month]
        by_language = {g["language"]: g for g in screening["by_month"][month]["by_language"] if g["role"] == "user"}
        assert by_language["English"]["profanity"] == by_language["English"]["utterances"]
        assert by_language["German"]["unscreened"] == by_language["German"]["utterances"] > 0


def test_no_client_ip_in_the_release(pipeline_run, truth_and_output):
    root, _ = pipeline_run
    truth, _ = truth_and_output
    client_ips = canonical_ips(ip for t in truth for ip in t["ips"])
    for split in ("nontoxic", "toxic", "unscreened"):
        for month in MONTHS:
            assert find_raw_ips(pq.read_table(root / "release" / split / f"{month}.parquet"), client_ips) == []


# --- explain (issue 16): every planted case, explained from the stored stages ---


@pytest.fixture(scope="module")
def explained(pipeline_run, truth):
    """`explain --json KEY` on the pipeline's warehouse; every answer is checked to hold no client IP,
    planted value or IP-hash key."""
    root, _ = pipeline_run
    runner = CliRunner(env={"WILDCHAT_DATA_DIR": str(root)})
    secrets = {ip for t in truth[0] for ip in t["ips"]} | {p["value"] for t in truth[0] for p in t["planted"]}
    secrets.add("end-to-end-test-key-not-secret")
    outputs: list[str] = []

    def run(key: str) -> dict:
        result = runner.invoke(main, ["explain", key, "--json"])
        assert result.exit_code == 0, result.output
        assert not [s for s in secrets if s in result.output], key
        outputs.append(result.output)
        return json.loads(result.output)

    return run, outputs


@pytest.fixture(scope="module")
def truth(pipeline_run):
    root, _ = pipeline_run
    read = lambda name: [json.loads(line) for line in (root / "ground_truth" / name).read_text().splitlines()]  # noqa: E731
    conversations = [t for t in read("conversations.jsonl") if t["month"] in MONTHS]
    index = {r["conversation_id"]: r for m in MONTHS for r in Warehouse(root).read_records("lineage_index", m)}
    return conversations, read("retries.jsonl"), read("absorbed.jsonl"), read("rejected.jsonl"), index


def _explain_released(explained, truth, conversation_id: str) -> dict:
    """explain on the released conversation's hash; its account."""
    run, _ = explained
    index = truth[4]
    result = run(index[conversation_id]["conversation_hash"])
    assert result["kind"] == "conversation_hash"
    (account,) = [c for c in result["conversations"] if c["conversation_id"] == conversation_id]
    return account


def _case(truth, case: str) -> list[dict]:
    found = [t for t in truth[0] if case in t["cases"]]
    assert found, case
    return found


def _links(account) -> dict[str, tuple]:
    return {e["log_id"]: (e["link"], e["parent_log_id"]) for e in account["linking"]["logs"]}


def test_explain_names_the_retry(explained, truth):
    retries = {r["log_id"]: r["retry_of"] for r in truth[1]}
    for t in _case(truth, "retry")[:3]:
        links = _links(_explain_released(explained, truth, t["conversation_id"]))
        copies = [log_id for log_id, (link, _) in links.items() if link == "retry"]
        assert copies and all(links[c][1] == retries[c] for c in copies), t["conversation_id"]


def test_explain_names_the_lost_log_and_the_absorbed_prefixes(explained, truth):
    absorbed = {}
    for a in truth[2]:
        absorbed.setdefault(a["absorbed_into"], []).append(a["conversation_id"])
    for t in _case(truth, "lost_log")[:3]:
        linking = _explain_released(explained, truth, t["conversation_id"])["linking"]
        lost = [r for r, log_id in enumerate(t["log_ids"]) if log_id is None]
        assert [x["round"] for x in linking["lost_rounds"]] == lost
        # The surviving logs before a lost one end a chain of their own: absorbed (none when round 0 was lost).
        assert sorted(linking["absorbed_conversations"]) == sorted(absorbed.get(t["conversation_id"], []))
        assert "history_only" in {e["link"] for e in linking["logs"]}
    for t in _case(truth, "repeated_opening")[:2]:
        linking = _explain_released(explained, truth, t["conversation_id"])["linking"]
        assert sorted(linking["absorbed_conversations"]) == sorted(absorbed[t["conversation_id"]])


def test_explain_names_the_ip_change(explained, truth):
    for t in _case(truth, "ip_change")[:3]:
        links = _links(_explain_released(explained, truth, t["conversation_id"]))
        assert "other_ip" in {link for link, _ in links.values()}, t["conversation_id"]


def _partner(truth, t: dict, case: str) -> dict:
    (other,) = [o for o in _case(truth, case) if o is not t and o["messages"][0] == t["messages"][0]
                and o["month"] == t["month"]]
    return other


@pytest.mark.parametrize(
    ("case", "same_fingerprint", "same_ip", "words"),
    [
        ("nat", False, True, "NAT"),
        ("identical_openings", False, False, "different fingerprints never link"),
        ("identical_openings_same_fingerprint", True, False, "another client"),
    ],
)
def test_explain_names_why_identical_openings_stay_apart(explained, truth, case, same_fingerprint, same_ip, words):
    for t in _case(truth, case)[:2]:
        other = _partner(truth, t, case)
        account = _explain_released(explained, truth, t["conversation_id"])
        (related,) = [r for r in account["related_conversations"] if r["conversation_id"] == other["conversation_id"]]
        assert (related["same_fingerprint"], related["same_ip"]) == (same_fingerprint, same_ip)
        assert words in related["relation"]


def test_explain_names_the_regenerated_branch(explained, truth):
    for t in _case(truth, "regeneration")[:2]:
        other = _partner(truth, t, "regeneration")
        account = _explain_released(explained, truth, t["conversation_id"])
        (related,) = [r for r in account["related_conversations"] if r["conversation_id"] == other["conversation_id"]]
        assert "regenerat" in related["relation"] and "rule 5" in related["relation"]


@pytest.mark.parametrize("case", ["cross_month", "reply_crosses_month"])
def test_explain_names_the_month_that_owns_a_cross_month_conversation(explained, truth, case):
    for t in _case(truth, case)[:2]:
        linking = _explain_released(explained, truth, t["conversation_id"])["linking"]
        assert linking["owning_month"] == t["month"]
        earlier = {e["log_month"] for e in linking["logs"]} - {t["month"]}
        assert earlier and f"logs from {sorted(earlier)[0]}" in linking["owning_rule"]


def test_explain_names_the_redactions_and_the_toxic_split(explained, truth, truth_and_output):
    _, output = truth_and_output
    planted = [t for t in truth[0] if t["planted"] and output[t["conversation_id"]]["redacted"]]
    for t in planted[:4]:
        account = _explain_released(explained, truth, t["conversation_id"])
        found = {r["entity_type"] for turn in account["turns"] for r in turn.get("redactions") or []}
        assert {p["type"] for p in t["planted"]} & found, t["conversation_id"]
        assert all(r["rule"] and "start" in r for turn in account["turns"] for r in turn.get("redactions") or [])
    toxic = [t for t in truth[0] if output[t["conversation_id"]]["toxic"]]
    for t in toxic[:2]:
        account = _explain_released(explained, truth, t["conversation_id"])
        assert account["release"]["split"] == "toxic" and account["release"]["published"]["found"]
        reasons = [r for turn in account["turns"] for r in (turn.get("moderation") or {}).get("toxic_reasons") or []]
        assert reasons and all(r.startswith("profanity>") for r in reasons)  # offline: only the profanity model ran


def test_explain_by_turn_identifier_log_id_and_landing_line(explained, truth):
    run, _ = explained
    t = _case(truth, "ip_change")[0]
    first = _explain_released(explained, truth, t["conversation_id"])
    turn = first["turns"][0]
    assert turn["geo"]["geoip_snapshot"] and turn["geo"]["country"] == t["country"]
    by_turn = run(str(turn["turn_identifier"]))
    assert t["conversation_id"] in {c["conversation_id"] for c in by_turn["conversations"]}
    landing = first["linking"]["logs"][0]["landing"]
    by_line = run(landing)
    assert by_line["kind"] == "landing_line" and by_line["landing"][0]["accepted"]
    assert t["conversation_id"] in {c["conversation_id"] for c in by_line["conversations"]}
    rejected = next(r for r in truth[3] if r["source_file"].split("/")[1] in MONTHS and r["reason"] != "too_large")
    by_rejected = run(f"{rejected['source_file']}:{rejected['line_number']}")
    assert [(e["accepted"], e["reason"]) for e in by_rejected["landing"]] == [(False, rejected["reason"])]


def test_explain_never_prints_ips_redacted_values_or_the_hash_key(explained, truth, truth_and_output):
    """`explained` refuses any answer holding a secret; here, the conversations that had the most to leak."""
    run, _ = explained
    _, output = truth_and_output
    risky = [t for t in truth[0] if t["planted"] and output[t["conversation_id"]]["redacted"]][:3]
    risky += [t for t in truth[0] if len(t["ips"]) > 1][:2]
    for t in risky:
        text = run(t["conversation_id"])  # by log_id (the conversation's last request)
        assert text["conversations"][0]["conversation_id"] == t["conversation_id"]


def test_a_rerun_of_unchanged_months_runs_nothing_and_a_changed_file_reruns_only_what_depends_on_it(pipeline_run):
    root, _ = pipeline_run
    env = {"WILDCHAT_DATA_DIR": str(root), "WILDCHAT_IP_HASH_KEY": "end-to-end-test-key-not-secret",
           "DAGSTER_HOME": str(root / "dagster_home"), "OPENAI_API_KEY": ""}
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        runs_before = len(instance.get_run_records())
        again = CliRunner(env=env).invoke(main, ["run", "--months", "2023-04:2023-05"], catch_exceptions=False)
        assert again.exit_code == 0, again.output
        for label in ("2023-04 ingestion", "2023-05 ingestion", "2023-04", "2023-05", "publication"):
            assert f"== {label}: up to date, nothing run" in again.output, again.output
        assert len(instance.get_run_records()) == runs_before  # no run, so no model or API work

    stats = root / "warehouse" / "monthly_stats" / "2023-05.json"
    before = stats.read_bytes()
    stats.unlink()  # lost by hand: Dagster still records it, the runner sees the file is gone
    rerun = CliRunner(env=env).invoke(main, ["run", "--months", "2023-04:2023-05"], catch_exceptions=False)
    assert rerun.exit_code == 0, rerun.output
    assert "== 2023-04: up to date" in rerun.output and "== 2023-04 ingestion: up to date" in rerun.output
    may = rerun.output.split("== 2023-05: ok", 1)[1].split("==", 1)[0]
    assert (
        "monthly_stats" in may
        and "[its stored file is missing]" in may
        and "redacted_conversations" not in may.split("skipped")[0]
    )
    assert "== publication: ok" in rerun.output and "downstream of monthly_stats" in rerun.output
    assert stats.read_bytes() == before
