"""Publishing: the Hugging Face dataset card, `datasets.load_dataset` on release/, and the WildChat-4.8M schema."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import datasets
import pyarrow.parquet as pq
import pytest
import yaml

from wildchat_dagster.core.release.dataset_card import dataset_card, hf_feature
from wildchat_dagster.core.release.schemas import release_schema
from wildchat_dagster.core.release.splits import build_manifest, release_table, to_release_row
from wildchat_dagster.core.release.wildchat_4_8m import api_fields_by_log, to_4_8m_row
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.schema import WILDCHAT_1M, WILDCHAT_4_8M
from wildchat_dagster.stages import Stage

from factories import SCREENED, conversation_record


@pytest.mark.parametrize("schema", [WILDCHAT_1M, WILDCHAT_4_8M])
def test_card_features_are_the_hubs_own_notation(schema):
    assert [hf_feature(f) for f in schema] == datasets.Features.from_arrow_schema(schema)._to_yaml_list()


def _moderated(conversation_id: str, toxic: bool, t: dt.datetime) -> dict:
    return conversation_record(
        Stage.MODERATED_CONVERSATIONS,
        [("user", "hi " + conversation_id), ("assistant", "hello")],
        start=t,
        toxic=toxic,
        utterance_overrides=[SCREENED, SCREENED],
    )


def _publish(root, rows_by_split, month="2023-04", schema=WILDCHAT_1M):
    for split, rows in rows_by_split.items():
        path = DataLayout(root).published(split, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(release_table(rows, schema), path)


def test_load_dataset_on_release_gives_the_splits_the_card_announces(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    nontoxic = [to_release_row(_moderated(f"c{i}", False, t + dt.timedelta(minutes=i))) for i in range(3)]
    _publish(tmp_path, {"nontoxic": nontoxic, "toxic": []})
    _publish(tmp_path, {"nontoxic": nontoxic[:1], "toxic": [to_release_row(_moderated("x", True, t))]}, month="2023-05")
    manifest = build_manifest(DataLayout(tmp_path), {}, "0.1.0", {})
    card = dataset_card(DataLayout(tmp_path), manifest, {"2023-04": {"users": 3, "mean_rounds": 1.0}}, license="odc-by")
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["license"] == "odc-by"
    splits = {s["name"]: s for s in header["dataset_info"]["splits"]}
    assert {name: s["num_examples"] for name, s in splits.items()} == {"nontoxic": 4, "toxic": 1}
    assert all(s["num_bytes"] > 0 for s in splits.values())
    # An empty file cannot be read by `datasets`: the toxic split lists only the non-empty one.
    assert header["configs"][0]["data_files"][1] == {"split": "toxic", "path": ["toxic/2023-05.parquet"]}
    assert "| 2023-04 | 3 | 0 | 0 | 3 |" in card and "sexual/minors" in card  # nontoxic, toxic, unscreened, users
    (tmp_path / "release" / "README.md").write_text(card)
    (tmp_path / "release" / "manifest.json").write_text(json.dumps(manifest))

    loaded = datasets.load_dataset(str(tmp_path / "release"))
    assert {name: len(split) for name, split in loaded.items()} == {"nontoxic": 4, "toxic": 1}
    assert loaded["nontoxic"].features == datasets.Features.from_arrow_schema(WILDCHAT_1M)
    assert sorted(r["conversation_hash"] for r in loaded["nontoxic"]) == sorted(
        [r["conversation_hash"] for r in nontoxic] + [nontoxic[0]["conversation_hash"]])


def test_the_card_prints_numbers_and_the_entity_types_redacted(tmp_path):
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    _publish(tmp_path, {"nontoxic": [to_release_row(_moderated("a", False, t))]})
    _publish(tmp_path, {"nontoxic": [to_release_row(_moderated("b", False, t))]}, month="2023-05")
    redaction = {"entity_types_redacted": ["SECRET", "EMAIL_ADDRESS", "PERSON"], "ner_models": {"en": "en_core_web_sm"}}
    provenance = {"2023-04": {"upstream": {Stage.REDACTED_CONVERSATIONS: {"metadata": redaction}}},
                  "2023-05": {"upstream": {Stage.REDACTED_CONVERSATIONS: {"metadata": redaction | {
                      "entity_types_redacted": ["SECRET", "EMAIL_ADDRESS"]}}}}}
    manifest = build_manifest(DataLayout(tmp_path), provenance, "0.1.0", {})
    assert manifest["redaction"]["2023-05"]["entity_types"] == ["SECRET", "EMAIL_ADDRESS"]
    # monthly_stats' summary row as stored (mean_rounds), and a month without one, and a NaN
    summaries = {
        "2023-04": {"users": 1, "mean_rounds": 1.25, "languages": 1, "user_tokens_mean": float("nan")},
        "2023-05": {},
    }
    card = dataset_card(DataLayout(tmp_path), manifest, summaries)
    table = card.split("| month |")[1].split("\n\n")[0]
    assert "None" not in table and "nan" not in table
    assert "| 2023-04 | 1 | 0 | 0 | 1 | 1.25 | 1 | – |" in table and "| 2023-05 | 1 | 0 | 0 | – | – | – | – |" in table
    assert "PII redacted (2023-04): EMAIL_ADDRESS, PERSON, SECRET." in card
    assert "PII redacted (2023-05): EMAIL_ADDRESS, SECRET." in card
    assert "Names (PERSON) were **not** redacted in 2023-05" in card


def test_a_card_over_files_of_two_schemas_is_refused(tmp_path):
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    row = to_release_row(_moderated("a", False, t))
    _publish(tmp_path, {"nontoxic": [row]})
    _publish(tmp_path, {"nontoxic": [to_4_8m_row(row, [None, None], {})]}, month="2023-05", schema=WILDCHAT_4_8M)
    with pytest.raises(ValueError, match="differ in schema"):
        dataset_card(DataLayout(tmp_path), build_manifest(DataLayout(tmp_path), {}, "0.1.0", {}), {})


def test_4_8m_rows_take_the_api_fields_from_the_raw_logs_and_null_otherwise():
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    moderated = _moderated("a", False, t)
    log_ids = [u["log_id"] for u in moderated["conversation"]]
    raw = [{"log_id": log_ids[0], "extra_json": json.dumps({"request": {
        "temperature": 0.7, "top_p": 1, "system_fingerprint": "fp_44", "openai_id": "chatcmpl-9",
        "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42, "unknown": 1}}})},
           {"log_id": "other", "extra_json": None}]
    fields = api_fields_by_log(raw)
    assert set(fields) == {log_ids[0]}
    row = to_4_8m_row(to_release_row(moderated), log_ids, fields)
    user, reply = row["conversation"]
    assert (user["temperature"], user["top_p"], user["usage"]) == (0.7, 1.0, None)
    assert reply["system_fingerprint"] == "fp_44" and reply["openai_id"] == "chatcmpl-9"
    assert reply["usage"]["total_tokens"] == 42 and reply["usage"]["completion_tokens_details"] is None
    assert reply["temperature"] is None and reply["created"] is None and reply["timestamp"].tzinfo is None
    table = release_table([row], release_schema("wildchat-4.8m").schema)
    assert table.schema.equals(WILDCHAT_4_8M)
    without = to_4_8m_row(to_release_row(moderated), log_ids, {})
    assert all(u[name] is None for u in without["conversation"] for name in ("temperature", "usage", "openai_id"))


def test_unknown_release_schema_names_the_choices():
    with pytest.raises(ValueError, match="wildchat-1m, wildchat-4.8m"):
        release_schema("wildchat-2m")


# --- the release asset, on disk -------------------------------------------------


def _materialize_release(data_dir, rows, month="2023-04", release_schema="wildchat-1m"):
    from wildchat_dagster.assets.release.release import release_splits
    from wildchat_dagster.core.storage.warehouse import Warehouse
    from wildchat_dagster.resources.warehouse import WarehouseResource

    Warehouse(data_dir).write_records(Stage.MODERATED_CONVERSATIONS, month, rows)
    return dg.materialize(
        [release_splits],
        partition_key=month,
        raise_on_error=False,
        resources={"warehouse": WarehouseResource(data_dir=str(data_dir), release_schema=release_schema)},
    )


def test_the_release_asset_writes_the_4_8m_schema_with_fields_from_the_raw_logs(data_dir):
    from wildchat_dagster.core.storage.warehouse import Warehouse

    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    rows = [_moderated("a", False, t), _moderated("b", True, t + dt.timedelta(hours=1))]
    log_id = rows[0]["conversation"][0]["log_id"]
    Warehouse(data_dir).write_records(Stage.RAW_LOGS, "2023-04", [{
        "log_id": log_id, "timestamp": t, "response_timestamp": t, "model": "gpt-4o", "ip": "203.0.113.7",
        "history": [], "prompt": "hi", "response": "hello", "line_number": 1, "source_file": "landing/x.jsonl",
        "extra_json": json.dumps({"request": {"temperature": 0.3, "system_fingerprint": "fp_9"}})}])
    result = _materialize_release(data_dir, rows, release_schema="wildchat-4.8m")
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks.values()), checks
    published = pq.read_table(DataLayout(data_dir).published("nontoxic", "2023-04"))
    assert published.schema.equals(WILDCHAT_4_8M, check_metadata=False)
    user, reply = published.to_pylist()[0]["conversation"]
    assert user["temperature"] == 0.3 and reply["system_fingerprint"] == "fp_9" and reply["usage"] is None
    toxic = pq.read_table(DataLayout(data_dir).published("toxic", "2023-04")).to_pylist()
    assert toxic[0]["conversation"][0]["temperature"] is None  # no raw log: null, never invented


def test_the_release_asset_removes_requested_conversations_and_records_only_ids(data_dir):
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    rows = [_moderated(name, False, t + dt.timedelta(hours=i)) for i, name in enumerate("abc")]
    gone = to_release_row(rows[1])["conversation_hash"]
    folder = data_dir / "deletion_requests"
    folder.mkdir()
    (folder / "r.jsonl").write_text(
        json.dumps({"request_id": "DR-7", "conversation_hash": gone, "reason": "PII"}) + "\n"
    )
    result = _materialize_release(data_dir, rows)
    assert result.success  # first publication: nothing shrinks
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks.values()), checks  # splits_disjoint_and_complete expects the removal
    published = (
        pq.read_table(DataLayout(data_dir).published("nontoxic", "2023-04")).column("conversation_hash").to_pylist()
    )
    assert gone not in published and len(published) == 2
    provenance = json.loads(DataLayout(data_dir).provenance("2023-04").read_text())
    assert provenance["deletions"] == {"request_ids": ["DR-7"], "conversations_removed": 1}
