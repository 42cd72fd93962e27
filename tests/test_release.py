"""Release splits: WildChat-1M's exact schema and conventions, split invariants, loading with every reader."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from wildchat_dagster.assets.release.release import release_splits
from wildchat_dagster.core.release.splits import (
    RELEASE_SCHEMA,
    release_table,
    schema_differences,
    split_release,
    to_release_row,
)
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.core.wildchat_ids import conversation_hash, turn_identifier
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import DETOXIFY_SCORES, OPENAI_CATEGORIES, RAW_LOGS
from wildchat_dagster.settings import DEFAULT_BATCH_ROWS, Settings

from factories import SCREENED, conversation_record

MONTH = "2023-04"
UTC = dt.UTC

_OPENAI_YAML = "\n".join(f"      - name: {c}\n        dtype: {{t}}" for c in OPENAI_CATEGORIES)
# dataset_info.features of the allenai/WildChat-1M dataset card, transcribed (only the
# 18 OpenAI category names are generated from the list they equal, in the card's order).
WILDCHAT_1M_CARD_FEATURES = f"""
- name: conversation_hash
  dtype: string
- name: model
  dtype: string
- name: timestamp
  dtype: timestamp[us, tz=UTC]
- name: conversation
  list:
  - name: content
    dtype: string
  - name: country
    dtype: string
  - name: hashed_ip
    dtype: string
  - name: header
    struct:
    - name: accept-language
      dtype: string
    - name: user-agent
      dtype: string
  - name: language
    dtype: string
  - name: redacted
    dtype: bool
  - name: role
    dtype: string
  - name: state
    dtype: string
  - name: timestamp
    dtype: timestamp[us, tz=UTC]
  - name: toxic
    dtype: bool
  - name: turn_identifier
    dtype: int64
- name: turn
  dtype: int64
- name: language
  dtype: string
- name: openai_moderation
  list:
  - name: categories
    struct:
{_OPENAI_YAML.replace("{t}", "bool")}
  - name: category_scores
    struct:
{_OPENAI_YAML.replace("{t}", "float64")}
  - name: flagged
    dtype: bool
- name: detoxify_moderation
  list:
  - name: identity_attack
    dtype: float64
  - name: insult
    dtype: float64
  - name: obscene
    dtype: float64
  - name: severe_toxicity
    dtype: float64
  - name: sexual_explicit
    dtype: float64
  - name: threat
    dtype: float64
  - name: toxicity
    dtype: float64
- name: toxic
  dtype: bool
- name: redacted
  dtype: bool
- name: state
  dtype: string
- name: country
  dtype: string
- name: hashed_ip
  dtype: string
- name: header
  struct:
  - name: accept-language
    dtype: string
  - name: user-agent
    dtype: string
"""


def card_features():
    import datasets

    return datasets.Features._from_yaml_list(yaml.safe_load(WILDCHAT_1M_CARD_FEATURES))


def real_rows(real_wildchat) -> list[dict]:
    with (real_wildchat / "wildchat1m_fullschema_5rows.jsonl").open() as f:
        return [json.loads(line) for line in f]


def openai_result(flagged: bool = False, **categories: bool) -> dict:
    hits = {c: categories.get(c.replace("/", "_").replace("-", "_"), False) for c in OPENAI_CATEGORIES}
    return {
        "categories": hits,
        "category_scores": {c: 0.9 if hits[c] else 0.01 for c in OPENAI_CATEGORIES},
        "flagged": flagged,
    }


def detoxify_result(toxicity: float) -> dict:
    return {s: (toxicity if s == "toxicity" else 0.001) for s in DETOXIFY_SCORES}


def moderated(turns, **kw) -> dict:
    """A moderated row whose turns the offline moderator screened (unless `utterance_overrides` says otherwise)."""
    kw.setdefault("utterance_overrides", [SCREENED] * len(turns))
    return conversation_record("moderated_conversations", turns, **kw)


# --- the formula and the schema ---------------------------------------------


def test_conversation_hash_recomputes_on_real_wildchat_rows(real_wildchat):
    rows = real_rows(real_wildchat)
    assert len(rows) == 5
    for row in rows:
        assert conversation_hash(row["conversation"]) == row["conversation_hash"]
        assert conversation_hash((u["role"], u["content"]) for u in row["conversation"]) == row["conversation_hash"]
    # the key order and separators matter: a compact dump gives another hash
    assert conversation_hash([("user", "hi")]) != conversation_hash([("assistant", "hi")])


def test_release_schema_equals_the_wildchat_1m_card_features():
    import datasets

    assert datasets.Features.from_arrow_schema(RELEASE_SCHEMA) == card_features()
    assert RELEASE_SCHEMA.names == list(card_features())
    assert schema_differences(RELEASE_SCHEMA) == []
    reordered = RELEASE_SCHEMA.remove(0).append(RELEASE_SCHEMA.field(0))
    assert schema_differences(reordered)


def test_real_rows_round_trip_through_the_release_mapping(real_wildchat):
    """Real WildChat rows, taken back to moderated rows, map to themselves (turn ids aside)."""
    for real in real_rows(real_wildchat):
        utterances = []
        for i, (u, om, dm) in enumerate(
            zip(real["conversation"], real["openai_moderation"], real["detoxify_moderation"], strict=True)
        ):
            utterances.append({**u, "log_id": f"log-{u['turn_identifier']}", "ip": None,
                               "timestamp": dt.datetime.fromisoformat(u["timestamp"]) if u["timestamp"]
                               else dt.datetime(2023, 4, 9, 0, 0, i, tzinfo=UTC),
                               "openai_moderation": om, "detoxify_moderation": dm})
        row = moderated([(u["role"], u["content"]) for u in utterances],
                        utterance_overrides=utterances, conversation_id="c", model=real["model"],
                        timestamp=dt.datetime.fromisoformat(real["timestamp"]), language=real["language"],
                        toxic=real["toxic"], redacted=real["redacted"], state=real["state"], country=real["country"],
                        hashed_ip=real["hashed_ip"], header=real["header"])
        released = to_release_row(row)
        assert released["timestamp"].isoformat() == real["timestamp"]
        expected = {k: v for k, v in real.items() if k not in ("conversation", "timestamp")}
        assert {k: v for k, v in released.items() if k not in ("conversation", "timestamp")} == expected
        ids = [u["turn_identifier"] for u in released["conversation"]]
        real_ids = [u["turn_identifier"] for u in real["conversation"]]
        for mine, theirs in zip(released["conversation"], real["conversation"], strict=True):
            assert mine.pop("turn_identifier") > 0
            ts = mine.pop("timestamp")
            assert (ts.isoformat() if ts else None) == theirs["timestamp"]
            assert mine == {k: v for k, v in theirs.items() if k not in ("turn_identifier", "timestamp")}
        # the same sharing pattern as WildChat: one id per round, user and assistant alike
        assert [ids.index(i) for i in ids] == [real_ids.index(i) for i in real_ids]


# --- turn identifiers -------------------------------------------------------


def test_turn_identifier_is_stable_positive_int64_and_shared_within_a_round():
    a = turn_identifier("log-1", "conv", 0)
    assert a == turn_identifier("log-1", "other-conv", 5)  # the request decides, not the conversation
    assert 0 < a < 2**63
    assert turn_identifier("log-2", "conv", 0) != a
    lost = [turn_identifier(None, "conv", i) for i in range(3)]
    assert len(set(lost)) == 3 and all(0 < x < 2**63 for x in lost)
    assert turn_identifier(None, "conv-b", 0) != lost[0]

    row = moderated(
        [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"), ("user", "e"), ("assistant", "f")],
        utterance_overrides=[{}, {}, {"log_id": None}, {"log_id": None}],
    )
    ids = [u["turn_identifier"] for u in to_release_row(row)["conversation"]]
    assert ids[0] == ids[1] != ids[2] == ids[3] != ids[4] == ids[5]
    assert ids[2] == turn_identifier(None, row["conversation_id"], 1)  # the lost round
    assert ids == [u["turn_identifier"] for u in to_release_row(row)["conversation"]]


def test_to_release_row_follows_wildchat_conventions():
    row = moderated(
        [("user", "hello"), ("assistant", "hi"), ("user", ""), ("assistant", "anything else?")],
        utterance_overrides=[
            {"openai_moderation": openai_result(), "detoxify_moderation": detoxify_result(0.01)},
            {"openai_moderation": openai_result(), "detoxify_moderation": detoxify_result(0.02)},
            {"openai_moderation": None, "detoxify_moderation": None},
            {"openai_moderation": openai_result(), "detoxify_moderation": detoxify_result(0.03)},
        ],
    )
    out = to_release_row(row)
    assert out["turn"] == 2
    assert out["timestamp"] == row["conversation"][-1]["timestamp"]
    users, assistants = out["conversation"][0::2], out["conversation"][1::2]
    assert all(u["timestamp"] is None and u["hashed_ip"] and u["country"] and u["header"] for u in users)
    assert all(a["timestamp"] and a["hashed_ip"] is None and a["country"] is None and a["state"] is None
               and a["header"] is None for a in assistants)
    assert len(out["openai_moderation"]) == len(out["detoxify_moderation"]) == 4
    assert out["openai_moderation"][2] is None and out["detoxify_moderation"][2] is None  # empty content
    assert out["detoxify_moderation"][3]["toxicity"] == 0.03
    with pytest.raises(ValueError, match="alternate"):
        to_release_row(moderated([("user", "a"), ("user", "b")]))


# --- splits -------------------------------------------------------------------


def month_rows() -> list[dict]:
    toxic_turn = {
        "toxic": True,
        "openai_moderation": openai_result(True, harassment=True),
        "detoxify_moderation": detoxify_result(0.8),
    }
    minors = {"toxic": True, "openai_moderation": openai_result(True, sexual=True, sexual_minors=True)}
    return [
        moderated([("user", "What is the capital of France?"), ("assistant", "Paris.")]),
        moderated(
            [("user", "Write a haiku"), ("assistant", "Leaves fall"), ("user", "Another"), ("assistant", "Snow melts")]
        ),
        moderated(
            [("user", "you are an idiot"), ("assistant", "I am sorry you feel that way.")],
            utterance_overrides=[toxic_turn],
            toxic=True,
            ip="198.51.100.20",
        ),
        moderated(
            [("user", "forbidden"), ("assistant", "No.")],
            utterance_overrides=[minors],
            toxic=True,
            excluded_reason="sexual/minors",
        ),
        moderated(
            [("user", "regenerate me"), ("assistant", "second answer")],
            model="gpt-4-0314",
            start=dt.datetime(2023, 4, 30, 23, 58, tzinfo=UTC),
        ),
    ]


def test_split_release_is_disjoint_and_complete():
    rows = month_rows()
    nontoxic, toxic, excluded = split_release(rows)
    assert excluded == {"sexual/minors": 1}
    assert [r["toxic"] for r in nontoxic] == [False, False, False] and [r["toxic"] for r in toxic] == [True]
    kept = {
        conversation_hash((u["role"], u["content"]) for u in r["conversation"])
        for r in rows
        if not r["excluded_reason"]
    }
    released = [r["conversation_hash"] for r in nontoxic + toxic]
    assert sorted(released) == sorted(kept) and len(released) == len(set(released)) == 4
    with pytest.raises(ValueError, match="no toxic decision"):
        split_release([moderated([("user", "a"), ("assistant", "b")], toxic=None)])


# --- the Dagster asset, on disk -------------------------------------------------


def materialize_month(data_dir, rows, month=MONTH, raise_on_error=True, batch_rows=DEFAULT_BATCH_ROWS):
    Warehouse(data_dir).write_records("moderated_conversations", month, rows)
    return dg.materialize([release_splits], partition_key=month, raise_on_error=raise_on_error,
                          resources={"warehouse": WarehouseResource(data_dir=str(data_dir), batch_rows=batch_rows,
                                                                    unscreened=Settings.from_environ().unscreened)})


def test_release_assets_publish_checked_splits(data_dir):
    result = materialize_month(data_dir, month_rows())
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert len(checks) == 18 and all(checks.values()), checks  # six checks on each of the three folders
    published = {s: data_dir / "release" / s / f"{MONTH}.parquet" for s in ("nontoxic", "toxic")}
    for split, path in published.items():
        assert path.read_bytes() == (data_dir / "warehouse" / f"release_{split}" / f"{MONTH}.parquet").read_bytes()
        assert pq.read_schema(path).equals(RELEASE_SCHEMA, check_metadata=False)
    assert pq.read_table(published["nontoxic"]).num_rows == 3 and pq.read_table(published["toxic"]).num_rows == 1
    provenance = json.loads(Warehouse(data_dir).layout.provenance(MONTH).read_text())
    assert provenance["counts"] | {"upstream": 1} == {
        "moderated_conversations": 5, "excluded": {"sexual/minors": 1}, "nontoxic": 3, "toxic": 1, "unscreened": 0,
        "rejected_logs": 0, "retries": 0, "absorbed_prefixes": 0, "upstream": 1}


def test_published_files_load_in_datasets_pandas_pyarrow_and_duckdb(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    materialize_month(data_dir, month_rows())
    files = [str(data_dir / "release" / s / f"{MONTH}.parquet") for s in ("nontoxic", "toxic")]
    import datasets

    loaded = datasets.load_dataset(
        "parquet", data_files={"train": files}, cache_dir=str(tmp_path / "hf_cache"), split="train"
    )
    assert loaded.features == card_features()
    assert loaded.num_rows == 4
    first = loaded[0]
    assert first["conversation"][0]["timestamp"] is None and first["conversation"][1]["hashed_ip"] is None

    frame = pd.concat([pd.read_parquet(f) for f in files])
    assert len(frame) == 4 and set(frame["toxic"]) == {False, True}
    assert pq.read_table(files[0]).column("turn").to_pylist() == [1, 2, 1]
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*), sum(turn) FROM read_parquet({files})").fetchone() == (4, 5)
    assert con.execute(f"SELECT count(*) FROM (SELECT unnest(conversation) AS u FROM read_parquet({files})) "
                       "WHERE u.role = 'assistant' AND u.timestamp IS NULL").fetchone() == (0,)


def test_a_raw_ip_in_the_release_blocks_and_unpublishes(data_dir):
    ip = "192.0.2.44"
    warehouse = Warehouse(data_dir)
    warehouse.write_records("raw_logs", MONTH, [{**{n: None for n in RAW_LOGS.names}, "log_id": "x", "ip": ip}])
    rows = month_rows()
    materialize_month(data_dir, rows)  # first a clean month is published
    assert (data_dir / "release" / "nontoxic" / f"{MONTH}.parquet").exists()
    rows[0]["conversation"][0]["content"] = f"my address is {ip}"
    result = materialize_month(data_dir, rows, raise_on_error=False)
    failed = {
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert ("release_nontoxic", "no_raw_client_ips") in failed
    assert not (data_dir / "release" / "nontoxic" / f"{MONTH}.parquet").exists()
    assert not (data_dir / "release" / "toxic" / f"{MONTH}.parquet").exists()


def test_great_expectations_catch_a_wrong_split_and_month():
    from wildchat_dagster.core.release.expectations import release_expectations, release_frame, run_expectations

    nontoxic, toxic, _ = split_release(month_rows())
    passed, results = run_expectations(release_frame(nontoxic), release_expectations(MONTH, toxic=False), "nontoxic")
    assert passed and len(results) == 15
    late = to_release_row(
        moderated([("user", "a"), ("assistant", "b")], start=dt.datetime(2023, 5, 1, 0, 1, tzinfo=UTC))
    )
    passed, results = run_expectations(
        release_frame(nontoxic + toxic + [late]), release_expectations(MONTH, toxic=False), "mixed"
    )
    failed = {r.expectation: r.observed for r in results if not r.success}
    assert not passed
    assert set(failed) == {"ExpectColumnValuesToBeInSet(toxic)", "ExpectColumnValuesToBeInSet(timestamp_month)"}
    assert failed["ExpectColumnValuesToBeInSet(timestamp_month)"]["partial_unexpected_list"] == ["2023-05"]


def test_identical_conversations_share_a_hash_and_pass_the_expectations(tmp_path):
    """The WildChat card: conversation_hash is not unique (equal content, equal hash); each
    conversation's last request is, so its turn_identifier is unique within a split."""
    from wildchat_dagster.core.release.expectations import release_expectations, release_frame, run_expectations
    from wildchat_dagster.core.release.month import stored_release_frame

    rows = [
        moderated([("user", "Who are you?"), ("assistant", "I am ChatGPT.")], ip=f"198.51.100.{i}") for i in range(3)
    ]
    nontoxic, _, _ = split_release(rows)
    assert len({r["conversation_hash"] for r in nontoxic}) == 1
    path = tmp_path / "nontoxic.parquet"
    pq.write_table(release_table(nontoxic), path)
    for frame in (release_frame(nontoxic), stored_release_frame(path)):
        passed, results = run_expectations(frame, release_expectations(MONTH, toxic=False), "who")
        assert passed, [r for r in results if not r.success]
    # The same conversation twice in a split is caught by its last round's identifier.
    passed, results = run_expectations(
        release_frame(nontoxic + nontoxic[:1]), release_expectations(MONTH, toxic=False), "twice"
    )
    assert not passed
    assert {r.expectation for r in results if not r.success} == {"ExpectColumnValuesToBeUnique(last_turn_identifier)"}


def test_streamed_splits_equal_the_one_table_write_and_any_batch_size(data_dir):
    """The splits are written batch by batch: a one-batch month has the bytes of one table write of
    split_release's rows; one-row batches give the same rows, and the checks still see every row."""
    from wildchat_dagster.core.release.splits import release_table

    rows = month_rows()
    assert materialize_month(data_dir, rows).success
    nontoxic, toxic, _ = split_release(rows)
    reference = Warehouse(data_dir / "reference")
    for split, expected in (("nontoxic", nontoxic), ("toxic", toxic)):
        written = reference.write_table(f"release_{split}", MONTH, release_table(expected))
        assert (data_dir / "warehouse" / f"release_{split}" / f"{MONTH}.parquet").read_bytes() == written.read_bytes()

    result = materialize_month(data_dir, rows, batch_rows=1)
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert result.success and all(checks.values()), checks
    for split in ("nontoxic", "toxic"):
        stored = pq.ParquetFile(data_dir / "warehouse" / f"release_{split}" / f"{MONTH}.parquet")
        assert stored.metadata.num_row_groups >= len(nontoxic if split == "nontoxic" else toxic)
        assert stored.read().equals(reference.read_table(f"release_{split}", MONTH))


# --- unscreened conversations (issue 22): held out of the splits by default ---


def unscreened_rows(real_wildchat) -> list[dict]:
    """One screened English conversation and the real Spanish and Catalan ones, which no moderator of the
    embedded defaults reads (no results on their turns); a Spanish one with a toxic English turn stays toxic."""
    spanish, catalan = (r for r in real_rows(real_wildchat) if r["language"] in ("Spanish", "Catalan"))

    def unscreened(row: dict) -> dict:
        turns = [(u["role"], u["content"]) for u in row["conversation"]]
        return moderated(turns, language=row["language"], utterance_overrides=[
            {"language": u["language"], "profanity_score": None} for u in row["conversation"]])

    toxic_turn = {"language": "English", "profanity_score": 0.99, "toxic": True}
    mixed = moderated(
        [("user", "you are a fucking idiot"), ("assistant", spanish["conversation"][1]["content"])],
        language="Spanish",
        toxic=True,
        utterance_overrides=[toxic_turn, {"language": "Spanish", "profanity_score": None}],
    )
    return [moderated([("user", "What is the capital of France?"), ("assistant", "Paris.")]),
            unscreened(spanish), unscreened(catalan), mixed]


def _folder_rows(data_dir) -> dict[str, list[dict]]:
    return {s: pq.read_table(data_dir / "release" / s / f"{MONTH}.parquet").to_pylist()
            for s in ("nontoxic", "toxic", "unscreened")}


def test_unscreened_conversations_are_held_out_of_the_splits_by_default(data_dir, real_wildchat, monkeypatch):
    monkeypatch.delenv("WILDCHAT_UNSCREENED", raising=False)
    result = materialize_month(data_dir, unscreened_rows(real_wildchat))
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert result.success and all(checks.values()), checks
    folders = _folder_rows(data_dir)
    assert [r["language"] for r in folders["unscreened"]] == ["Spanish", "Catalan"]
    assert [r["conversation"][0]["content"] for r in folders["nontoxic"]] == ["What is the capital of France?"]
    assert [r["conversation"][0]["content"] for r in folders["toxic"]] == ["you are a fucking idiot"]
    provenance = json.loads(Warehouse(data_dir).layout.provenance(MONTH).read_text())
    assert provenance["unscreened_policy"] == "hold" and provenance["unscreened_in_nontoxic"] == {}
    assert (provenance["counts"]["nontoxic"], provenance["counts"]["toxic"], provenance["counts"]["unscreened"]) == (
        1,
        1,
        2,
    )
    screening = provenance["screening"]
    assert (screening["conversations"], screening["unscreened_conversations"], screening["unscreened_not_toxic"]) == (
        4,
        3,
        2,
    )
    # The statistics count the third folder; the lineage index and explain name it.
    from wildchat_dagster.core.lineage.explain import explain
    from wildchat_dagster.core.reporting.statistics import compute_statistics, release_sources

    summary = compute_statistics(release_sources(Warehouse(data_dir).layout, [MONTH]))["summary"].iloc[0]
    assert (summary["conversations"], summary["nontoxic"], summary["toxic"], summary["unscreened"]) == (4, 1, 1, 2)
    account = explain(Warehouse(data_dir), folders["unscreened"][0]["conversation_hash"]).conversations[0]
    assert account["release"]["split"] == "unscreened" and account["release"]["published"]["found"]
    assert "held in release/unscreened/" in account["release"]["rule"] and "Spanish" in account["release"]["rule"]


def test_unscreened_policy_nontoxic_publishes_them_as_nontoxic_and_says_so(data_dir, real_wildchat, monkeypatch):
    monkeypatch.setenv("WILDCHAT_UNSCREENED", "nontoxic")
    assert materialize_month(data_dir, unscreened_rows(real_wildchat)).success
    folders = _folder_rows(data_dir)
    assert len(folders["nontoxic"]) == 3 and len(folders["toxic"]) == 1 and folders["unscreened"] == []
    provenance = json.loads(Warehouse(data_dir).layout.provenance(MONTH).read_text())
    assert provenance["unscreened_policy"] == "nontoxic"
    assert provenance["unscreened_in_nontoxic"] == {"Catalan": 1, "Spanish": 1}


def test_unscreened_policy_setting_is_checked():
    from wildchat_dagster import settings

    assert settings.Settings.from_environ({}).unscreened == "hold"
    assert settings.Settings.from_environ({"WILDCHAT_UNSCREENED": " NonToxic "}).unscreened == "nontoxic"
    with pytest.raises(ValueError, match="WILDCHAT_UNSCREENED='keep'"):
        settings.Settings.from_environ({"WILDCHAT_UNSCREENED": "keep"})


@pytest.mark.parametrize("policy", ["hold", "nontoxic"])
def test_the_dataset_card_states_moderators_coverage_policy_and_how_to_screen_the_rest(
        data_dir, real_wildchat, monkeypatch, policy):
    """The card of a month with real Spanish and Catalan conversations no embedded moderator reads."""
    from wildchat_dagster.core.release.dataset_card import dataset_card
    from wildchat_dagster.core.release.splits import build_manifest

    monkeypatch.setenv("WILDCHAT_UNSCREENED", policy)
    assert materialize_month(data_dir, unscreened_rows(real_wildchat)).success
    layout = Warehouse(data_dir).layout
    provenance = json.loads(layout.provenance(MONTH).read_text())
    # As the moderation stage records them on embedded defaults (no key, no checkpoint).
    provenance["upstream"]["moderated_conversations"] = {"metadata": {
        "openai_enabled": False, "openai_status": "no OPENAI_API_KEY", "detoxify_enabled": False,
        "detoxify_status": "no checkpoint configured", "profanity_enabled": True,
        "profanity_version": "alt-profanity-check==1.9.1+abc", "profanity_languages": "English",
        "profanity_threshold": 0.8, "detoxify_toxicity_threshold": 0.1}}
    card = dataset_card(layout, build_manifest(layout, {MONTH: provenance}, "0.1.0", {}), {})
    body = card.split("---\n", 2)[2]
    first_lines = body.strip().splitlines()[:3]
    if policy == "hold":
        assert (
            "2 not-toxic conversations with turns no moderator screened are held in release/unscreened/"
            in first_lines[2]
        )
        assert "(by language: Catalan 1, Spanish 1)" in first_lines[2]
        assert "config_name: unscreened" in card and "| unscreened (held back: not a default split) | 2 | 1 |" in body
    else:
        assert (
            "2 conversations with turns no moderator screened were published in the nontoxic split unscreened"
            in first_lines[2]
        )
        assert "config_name: unscreened" not in card
    assert f"Policy `WILDCHAT_UNSCREENED={policy}`" in body
    assert "| profanity | 2023-04 | alt-profanity-check==1.9.1+abc | English | profanity_threshold=0.8 | - |" in body
    assert "| openai | never | - | - | - | no OPENAI_API_KEY |" in body
    # Coverage by language: utterances screened / unscreened, conversations and those with unscreened turns.
    # Spanish: the real Spanish conversation's 4 turns, the Catalan one's Spanish reply, the mixed one's reply.
    assert "| Spanish | 6 | 0 | 6 | 2 | 2 |" in body and "| Catalan | 1 | 0 | 1 | 1 | 1 |" in body
    assert "| English | 3 | 3 | 0 | 1 | 0 |" in body
    assert "`OPENAI_API_KEY`" in body and "`WILDCHAT_DETOXIFY_CHECKPOINT`" in body
    assert "every utterance moderated" not in body
