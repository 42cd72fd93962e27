"""The moderated_conversations asset, materialized through Dagster on factory rows."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from wildchat_dagster.assets.moderation.moderation import moderated_conversations
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.kit.benchmarks.moderation import write_random_detoxify
from wildchat_dagster.kit.fakes.openai_server import ModerationStub
from wildchat_dagster.resources.detoxify import DetoxifyResource
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.openai_moderation import OpenAIModerationResource
from wildchat_dagster.resources.profanity import ProfanityResource
from wildchat_dagster.resources.warehouse import WarehouseResource

from factories import conversation_record

MONTH = "2023-04"
STAGE = "redacted_conversations"
TINY_BERT = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}


def _write_rows(data_dir):
    rows = [
        conversation_record(STAGE, [("user", "Write a haiku about spring"), ("assistant", "Blossoms drift softly")]),
        conversation_record(
            STAGE, [("user", "I will kill you, you fucking idiot"), ("assistant", "I can't help with that.")]
        ),
        conversation_record(STAGE, [("user", "minor-sexual-marker request"), ("assistant", "")]),
        conversation_record(STAGE, [("user", "Write a haiku about spring"), ("assistant", "Petals on the wind")]),
    ]
    Warehouse(data_dir).write_records(STAGE, MONTH, rows)
    return rows


def _materialize(resources):
    result = dg.materialize([moderated_conversations], partition_key=MONTH, resources=resources)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("moderated_conversations")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    return metadata, checks


@pytest.fixture
def tiny_detoxify(tmp_path):
    words = ["write", "a", "haiku", "about", "spring"]
    return write_random_detoxify(tmp_path / "detoxify", words, max_length=32, **TINY_BERT)


def test_openai_and_detoxify_moderate_every_utterance_and_a_rerun_makes_no_requests(
    data_dir, tiny_detoxify, monkeypatch
):
    _write_rows(data_dir)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    checkpoint, config_dir = tiny_detoxify
    with ModerationStub(lifetime_seconds=60) as stub:
        resources = {
            "warehouse": WarehouseResource(data_dir=str(data_dir)),
            "openai_moderation": OpenAIModerationResource(api_key=dg.EnvVar("OPENAI_API_KEY"), base_url=stub.base_url),
            # Random weights score ~0.5; a high threshold keeps the toxic decision on OpenAI's flags.
            "detoxify": DetoxifyResource(checkpoint=str(checkpoint), huggingface_config_dir=str(config_dir)),
            "profanity": ProfanityResource(),
            "moderation_policy": ModerationPolicyResource(detoxify_threshold=0.99),
        }
        metadata, checks = _materialize(resources)
        requests_after_first = stub.counters.requests

        stored = Warehouse(data_dir).read_records("moderated_conversations", MONTH)
        assert [r["toxic"] for r in stored] == [False, True, True, False]
        assert [r["excluded_reason"] for r in stored] == [None, None, "sexual/minors", None]
        threat = stored[1]["conversation"][0]
        assert threat["toxic"] and threat["openai_moderation"]["categories"]["violence"]
        assert threat["openai_moderation"]["categories"]["harassment"] is True
        assert "illicit" in json.loads(threat["openai_moderation_raw"])["categories"]
        assert set(threat["detoxify_moderation"]) == {
            "identity_attack", "insult", "obscene", "severe_toxicity", "sexual_explicit", "threat", "toxicity"
        }
        assert threat["profanity_score"] is None  # OpenAI is available: the offline moderator stays off
        empty = stored[2]["conversation"][1]
        assert empty["openai_moderation"] is None and empty["detoxify_moderation"] is None and not empty["toxic"]

        assert checks == {"no_raw_client_ips": True, "moderation_results_complete": True, "excluded_counted": True,
                          "toxicity_screening_complete": True}
        assert metadata["openai_enabled"] and metadata["detoxify_enabled"] and not metadata["profanity_enabled"]
        assert metadata["distinct_texts"] == 6 and metadata["openai_cache_misses"] == 6
        assert metadata["openai_requests"] == requests_after_first == 1
        assert metadata["openai_flagged_utterances"] == 2 and metadata["excluded_sexual_minors"] == 1
        assert metadata["toxic_conversations"] == 2 and metadata["detoxify_model_runs"] >= 1
        assert "sk-test-not-a-key" not in json.dumps({k: str(v) for k, v in metadata.items()})

        metadata, checks = _materialize(resources)  # the same month again
        assert stub.counters.requests == requests_after_first  # zero new API requests
        assert metadata["openai_requests"] == 0 and metadata["openai_cache_hits"] == 6
        assert metadata["detoxify_model_runs"] == 0 and metadata["detoxify_cache_hits"] == 6
        assert all(checks.values())
    assert (data_dir / "cache" / "moderation.sqlite").exists()


def test_without_key_or_weights_the_offline_moderator_runs_and_openai_is_reported_skipped(
    data_dir, tmp_path, monkeypatch
):
    _write_rows(data_dir)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    monkeypatch.delenv("WILDCHAT_DETOXIFY_CHECKPOINT", raising=False)
    resources = {
        "warehouse": WarehouseResource(data_dir=str(data_dir)),
        "openai_moderation": OpenAIModerationResource.from_defaults(),  # no OPENAI_API_KEY in the environment
        "detoxify": DetoxifyResource.from_defaults(),
        "profanity": ProfanityResource.from_defaults(),
        "moderation_policy": ModerationPolicyResource(),
    }
    metadata, checks = _materialize(resources)
    assert not metadata["openai_enabled"] and "skipped" in metadata["openai_status"]
    assert not metadata["detoxify_enabled"] and "no weights" in metadata["detoxify_status"]
    assert metadata["profanity_enabled"] and "neither OpenAI nor Detoxify" in metadata["profanity_status"]
    assert "openai_requests" not in metadata
    stored = Warehouse(data_dir).read_records("moderated_conversations", MONTH)
    assert [r["toxic"] for r in stored] == [False, True, False, False]
    utterances = [u for r in stored for u in r["conversation"]]
    assert all(u["openai_moderation"] is None and u["detoxify_moderation"] is None for u in utterances)
    assert stored[1]["conversation"][0]["profanity_score"] > metadata["profanity_threshold"]
    assert metadata["excluded_sexual_minors"] == 0  # only OpenAI can flag sexual/minors
    assert checks["moderation_results_complete"] and checks["excluded_counted"]


@pytest.mark.parametrize("policy", ["hold", "nontoxic"])
def test_on_embedded_defaults_benign_german_and_russian_turns_are_never_flagged_by_the_english_model(
    data_dir, tmp_path, monkeypatch, policy
):
    """Real WildChat turns alt-profanity-check scored 0.945 and 0.803: not English, so not its to judge.
    The screening check fails only when such unscreened conversations would go into the non-toxic split."""
    monkeypatch.setenv("WILDCHAT_UNSCREENED", policy)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    monkeypatch.delenv("WILDCHAT_DETOXIFY_CHECKPOINT", raising=False)
    rows = [
        conversation_record(STAGE, [("user", "kann ich die Klasse in system/auth/ldap erweitern?"),
                                    ("assistant", "Ja, die Klasse kann erweitert werden.")]),
        conversation_record(STAGE, [("user", "mom son переведи на китайский"), ("assistant", "妈妈 儿子")]),
        conversation_record(STAGE, [("user", "you are a fucking idiot"), ("assistant", "I can't help with that.")]),
    ]
    for row, languages in zip(
        rows, [("German", "German"), ("Russian", "Chinese"), ("English", "English")], strict=True
    ):
        for utterance, language in zip(row["conversation"], languages, strict=True):
            utterance["language"] = language
    Warehouse(data_dir).write_records(STAGE, MONTH, rows)
    resources = {
        "warehouse": WarehouseResource(data_dir=str(data_dir), unscreened=policy),
        "openai_moderation": OpenAIModerationResource.from_defaults(),
        "detoxify": DetoxifyResource.from_defaults(),
        "profanity": ProfanityResource.from_defaults(),
        "moderation_policy": ModerationPolicyResource(),
    }
    metadata, checks = _materialize(resources)
    stored = Warehouse(data_dir).read_records("moderated_conversations", MONTH)
    assert [r["toxic"] for r in stored] == [False, False, True]
    assert all(u["profanity_score"] is None for r in stored[:2] for u in r["conversation"])
    assert metadata["profanity_languages"] == "English"
    assert metadata["unscreened_utterances"] == 4 and metadata["unscreened_utterance_share"] == pytest.approx(
        4 / 6, abs=1e-4
    )
    assert metadata["unscreened_languages"] == {"German": 2, "Chinese": 1, "Russian": 1}
    assert "not screened by any moderator" in metadata["screening_summary"]
    assert "| German | user | 1 |" in metadata["screening_by_language"]
    assert checks["moderation_results_complete"]
    assert checks["toxicity_screening_complete"] == (policy == "hold")
