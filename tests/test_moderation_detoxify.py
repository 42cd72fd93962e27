"""The Detoxify path through the real `Detoxify` class, with a tiny random BERT built here."""

from __future__ import annotations

import math
import shutil

import pytest
import torch

from wildchat_dagster.core.moderation.cache import ModerationCache
from wildchat_dagster.core.moderation.run import moderate_texts
from wildchat_dagster.core.moderation.windows import max_scores, split_at_token_windows
from wildchat_dagster.kit.benchmarks.moderation import write_random_detoxify
from wildchat_dagster.resources.detoxify import DetoxifyResource
from wildchat_dagster.schema import DETOXIFY_SCORES

WORDS = ["hello", "world", "you", "are", "a", "nice", "stupid", "idiot", "the", "day", "is", "long"]
WINDOW = 24  # tokens, specials included: long texts are easy to build
TINY_BERT = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}


@pytest.fixture(scope="module")
def tiny_detoxify(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-detoxify")
    return write_random_detoxify(directory, WORDS, max_length=WINDOW, **TINY_BERT)


@pytest.fixture
def moderator(tiny_detoxify, tmp_path):
    checkpoint, config_dir = tiny_detoxify
    resource = DetoxifyResource(
        checkpoint=str(checkpoint), huggingface_config_dir=str(config_dir), batch_size=4, cpu_runtime="torch"
    )
    loaded = resource.load(tmp_path / "cache")
    assert loaded.available, loaded.reason
    return loaded.moderator


def _all(moderator, texts):
    results = {}
    for indices, scores in moderator.moderate(texts):
        results.update(zip(indices, scores, strict=True))
    return [results[i] for i in range(len(texts))]


def test_the_resource_patches_a_copy_of_the_checkpoint_and_loads_it_offline(tiny_detoxify, tmp_path):
    checkpoint, config_dir = tiny_detoxify
    loaded = DetoxifyResource(checkpoint=str(checkpoint), huggingface_config_dir=str(config_dir)).load(tmp_path)
    assert loaded.available and "enabled" in loaded.reason
    assert loaded.moderator.version.startswith("multilingual:") and loaded.moderator.version.endswith(":window20")
    (patched,) = (tmp_path / "detoxify").glob("*.ckpt")
    assert torch.load(patched, weights_only=False)["config"]["arch"]["args"]["model_type"] == str(config_dir.resolve())
    # The user's checkpoint is left as it was (a hub name that would need a download).
    assert torch.load(checkpoint, weights_only=False)["config"]["arch"]["args"]["model_type"] == "bert-base-uncased"
    scores = _all(loaded.moderator, ["hello world"])[0]
    assert set(DETOXIFY_SCORES) <= set(scores) and all(0 <= v <= 1 for v in scores.values())


def test_batches_are_length_sorted_and_match_one_by_one_scores(moderator):
    texts = ["hello", "you are a nice day " * 3, "idiot", "the day is long", "hello world", "you", "nice nice"]
    batch_sizes = []
    predict = moderator.detoxify.predict

    def counting_predict(batch):
        batch_sizes.append(len(batch))
        return predict(batch)

    moderator.detoxify.predict = counting_predict
    results = _all(moderator, texts)
    assert batch_sizes == [4, 3] and moderator.usage()["model_runs"] == 2
    for text, scores in zip(texts, results, strict=True):
        alone = predict([text])
        for name in DETOXIFY_SCORES:
            assert scores[name] == pytest.approx(alone[name], abs=1e-5)  # padding does not change scores


def test_long_texts_are_scored_in_windows_and_the_maximum_kept(moderator):
    long_text = " ".join(WORDS * 6)  # 72 words, one token each: 4 windows of <= 20 tokens
    (scores,) = _all(moderator, [long_text])
    assert moderator.usage()["windows_scored"] == 4
    starts = moderator.token_starts([long_text])[0]
    pieces = [p for p, _ in split_at_token_windows(long_text, starts, moderator.max_tokens)]
    assert len(pieces) == 4 and "".join(pieces) == long_text
    per_piece = moderator.detoxify.predict(pieces)
    expected = max_scores([{k: v[i] for k, v in per_piece.items()} for i in range(4)])
    for name in DETOXIFY_SCORES:
        assert scores[name] == pytest.approx(expected[name], abs=1e-5)
    truncated = moderator.detoxify.predict([long_text])  # what plain Detoxify would have said
    assert any(not math.isclose(scores[n], truncated[n], abs_tol=1e-7) for n in DETOXIFY_SCORES)


def test_a_second_run_makes_no_model_calls(moderator, tmp_path):
    texts = ["hello world", "you are stupid", "the day is long"]
    with ModerationCache(tmp_path / "moderation.sqlite") as cache:
        first, run = moderate_texts(texts, moderator, cache)
        runs_after_first = moderator.usage()["model_runs"]
        assert run.computed == 3 and runs_after_first == 1
        again, run = moderate_texts(texts + ["hello world"], moderator, cache)
    assert run.cache_hits == 3 and run.computed == 0
    assert moderator.usage()["model_runs"] == runs_after_first
    assert again == first


def test_without_weights_detoxify_is_unavailable_and_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("WILDCHAT_DETOXIFY_CHECKPOINT", raising=False)
    monkeypatch.delenv("WILDCHAT_DETOXIFY_CONFIG_DIR", raising=False)
    loaded = DetoxifyResource.from_defaults().load(tmp_path / "cache")
    assert not loaded.available and "no weights" in loaded.reason and "never downloaded" in loaded.reason
    # Configured but missing is a mistake, not a reason to let the fallback decide (issue 13).
    with pytest.raises(FileNotFoundError, match="nope.ckpt not found"):
        DetoxifyResource(checkpoint=str(tmp_path / "nope.ckpt")).load(tmp_path / "cache")


def test_a_released_checkpoint_in_the_torch_hub_cache_is_used(tiny_detoxify, tmp_path, monkeypatch):
    checkpoint, config_dir = tiny_detoxify
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # empty: the base model's config is not cached
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    shutil.copy(checkpoint, hub / "multilingual_debiased-0b549669.ckpt")
    without_config = DetoxifyResource().load(tmp_path / "cache")
    assert not without_config.available and "'bert-base-uncased'" in without_config.reason
    with_config = DetoxifyResource(huggingface_config_dir=str(config_dir)).load(tmp_path / "cache")
    assert with_config.available, with_config.reason


def test_from_defaults_reads_local_paths_from_the_environment(tiny_detoxify, tmp_path, monkeypatch):
    checkpoint, config_dir = tiny_detoxify
    monkeypatch.setenv("WILDCHAT_DETOXIFY_CHECKPOINT", str(checkpoint))
    monkeypatch.setenv("WILDCHAT_DETOXIFY_CONFIG_DIR", str(config_dir))
    assert DetoxifyResource.from_defaults().load(tmp_path).available
