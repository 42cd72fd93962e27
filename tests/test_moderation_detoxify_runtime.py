"""Detoxify's runtimes: device choice, fp16, and the ONNX Runtime CPU path behind its score tolerance."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
import torch

from wildchat_dagster.core.moderation import detoxify_runtime
from wildchat_dagster.core.moderation.detoxify_runtime import (
    SCORE_TOLERANCE,
    VERIFICATION_TEXTS,
    TorchScorer,
    cpu_scorer,
    largest_difference,
    onnx_file,
    resolve_device,
)
from wildchat_dagster.kit.benchmarks.moderation import write_random_detoxify
from wildchat_dagster.resources.detoxify import DetoxifyResource
from wildchat_dagster.schema import DETOXIFY_SCORES

WORDS = ["hello", "world", "you", "are", "a", "nice", "stupid", "idiot", "the", "day", "is", "long", "write"]
TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
TEXTS = ["hello world", "you are a stupid idiot", "the day is long " * 5, "write", "nice day", "Grüße aus Köln"]


@pytest.fixture(scope="module")
def tiny_detoxify(tmp_path_factory):
    return write_random_detoxify(tmp_path_factory.mktemp("tiny-detoxify-runtime"), WORDS, max_length=64, **TINY_BERT)


def _load(tiny_detoxify, work, **settings):
    checkpoint, config_dir = tiny_detoxify
    loaded = DetoxifyResource(checkpoint=str(checkpoint), huggingface_config_dir=str(config_dir), **settings).load(work)
    assert loaded.available, loaded.reason
    return loaded


def fused_op_counts(path):
    """How many nodes of each operator type an ONNX file holds."""
    import onnx

    return Counter(node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node)


def _scores(moderator, texts):
    results = {}
    for indices, scores in moderator.moderate(texts):
        results.update(zip(indices, scores, strict=True))
    return [results[i] for i in range(len(texts))]


def test_on_cpu_the_onnx_runtime_is_used_within_the_score_tolerance_of_pytorch(tiny_detoxify, tmp_path):
    onnx = _load(tiny_detoxify, tmp_path, cpu_runtime="auto")
    reference = _load(tiny_detoxify, tmp_path, cpu_runtime="torch")
    assert "onnx" in onnx.moderator.version and "within" in onnx.reason and "of PyTorch" in onnx.reason
    assert "onnx" not in reference.moderator.version  # the runtime is part of the cache key
    assert list((tmp_path / "detoxify").glob("*.onnx"))  # exported once, beside the patched checkpoint
    texts = TEXTS + ["the day is long and you are nice " * 20]  # ~160 tokens: several 64-token windows
    for got, expected in zip(_scores(onnx.moderator, texts), _scores(reference.moderator, texts), strict=True):
        assert set(DETOXIFY_SCORES) <= set(got)
        assert all(abs(got[name] - expected[name]) <= SCORE_TOLERANCE for name in DETOXIFY_SCORES)
    # The same windows in both runtimes: one tokenizer, one window size.
    assert onnx.moderator.max_tokens == reference.moderator.max_tokens
    assert onnx.moderator.windows_scored == reference.moderator.windows_scored > len(texts)


def test_an_explicit_onnx_fp32_runtime_matches_pytorch_on_padded_batches_of_mixed_lengths(tiny_detoxify, tmp_path):
    onnx = _load(tiny_detoxify, tmp_path, cpu_runtime="onnx")
    assert onnx.moderator.version.split(":")[2] == "onnx"
    reference = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify
    # One batch from 1 to 64 tokens: most rows padded, so a mask frozen at export would show.
    mixed = TEXTS + ["you " * 60, "a"]
    assert largest_difference(reference, onnx.moderator.detoxify, mixed, batch_size=len(mixed)) < 1e-4
    assert largest_difference(reference, onnx.moderator.detoxify, mixed, batch_size=1) < 1e-4


def test_exporting_leaves_the_pytorch_reference_unchanged_in_eval_mode(tiny_detoxify, tmp_path):
    """The exporter restores the mode of the module it is given: a wrapper left in training mode
    switched the reference's dropout on, so PyTorch itself drifted by ~0.1 and the gate refused ONNX."""
    reference = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify
    before = reference.predict(TEXTS)
    scorer, runtime, why = cpu_scorer(reference, "onnx", tmp_path / "onnx", "digest")
    assert not reference.model.training and runtime == "onnx"
    assert reference.predict(TEXTS) == before  # deterministic: no dropout
    assert float(why.split("within ")[1].split()[0]) < 1e-4  # fp32: float noise only


def test_the_cpu_files_are_exported_with_eager_attention_fused_and_quantized(tiny_detoxify, tmp_path, caplog):
    """The recipe that measured fastest: eager-attention export, ONNX Runtime's BERT fusions, int8 MatMuls;
    the reference keeps its own attention and the quantizer's advice stays out of run logs."""
    reference = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify
    attention = reference.model.config._attn_implementation
    with caplog.at_level(logging.INFO):
        fused = onnx_file(reference, "onnx", tmp_path / "onnx", "digest")
        int8 = onnx_file(reference, "onnx-int8", tmp_path / "onnx", "digest")
    assert reference.model.config._attn_implementation == attention != "eager"
    assert not [r for r in caplog.records if "onnxruntime" in r.pathname and r.levelno >= logging.WARNING]
    exported = fused_op_counts(next((tmp_path / "onnx").glob("*-exported.onnx")))
    fused_ops, int8_ops = fused_op_counts(fused), fused_op_counts(int8)
    assert "SkipLayerNormalization" not in exported  # fused by the optimizer, not the exporter
    assert fused_ops["SkipLayerNormalization"] == 2 * TINY_BERT["num_hidden_layers"]
    assert fused_ops.get("BiasGelu", 0) + fused_ops.get("FastGelu", 0) + fused_ops.get("Gelu", 0) >= 2
    assert int8_ops["MatMulInteger"] >= 6 * TINY_BERT["num_hidden_layers"]  # Q, K, V, output, two feed-forward
    assert "MatMulInteger" not in fused_ops
    again = onnx_file(reference, "onnx-int8", tmp_path / "onnx", "digest")
    assert again == int8 and len(list((tmp_path / "onnx").glob("*.onnx"))) == 3  # built once, reused


def test_the_onnx_recipe_holds_for_xlm_roberta_the_multilingual_models_architecture(tiny_detoxify, tmp_path):
    """Detoxify `multilingual` (WildChat's) is XLM-R: positions count from the padding id, no token types."""
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    tokenizer = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify.tokenizer
    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), max_position_embeddings=66, type_vocab_size=1, pad_token_id=tokenizer.pad_token_id,
        num_labels=len(DETOXIFY_SCORES), **TINY_BERT,
    )
    model = XLMRobertaForSequenceClassification(config).eval()
    reference = TorchScorer(model, tokenizer, list(DETOXIFY_SCORES), "cpu", fp16=False)
    for runtime in ("onnx", "onnx-int8"):
        scorer, used, why = cpu_scorer(reference, runtime, tmp_path / "xlmr", "xlmr-digest")
        assert used == runtime, why
    fp32, _, _ = cpu_scorer(reference, "onnx", tmp_path / "xlmr", "xlmr-digest")
    assert largest_difference(reference, fp32, TEXTS, batch_size=len(TEXTS)) < 1e-4  # padded: positions kept
    fused = fused_op_counts(next((tmp_path / "xlmr").glob("*-onnx.onnx")))
    assert fused["SkipLayerNormalization"] == 2 * TINY_BERT["num_hidden_layers"]


def test_a_runtime_outside_the_tolerance_is_refused_and_pytorch_scores(tiny_detoxify, tmp_path, monkeypatch):
    reference = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify
    before = reference.predict(TEXTS)
    monkeypatch.setattr(detoxify_runtime, "SCORE_TOLERANCE", -1.0)  # nothing can be close enough
    scorer, runtime, why = cpu_scorer(reference, "auto", tmp_path / "onnx", "digest")
    assert scorer is reference and runtime == "torch"
    assert scorer.predict(TEXTS) == before  # the fallback scores as before the exports
    assert "onnx-int8 off by" in why and "onnx off by" in why
    with pytest.raises(ValueError, match="cpu_runtime"):
        cpu_scorer(reference, "tensorrt", tmp_path / "onnx", "digest")


def test_fp16_weights_keep_scores_close_to_fp32(tiny_detoxify, tmp_path):
    """The CUDA path's half precision, exercised on CPU: same predict, scores in fp32."""
    full = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify
    loaded = _load(tiny_detoxify, tmp_path, cpu_runtime="torch").moderator.detoxify
    half = TorchScorer(loaded.model, loaded.tokenizer, loaded.class_names, "cpu", fp16=True)
    assert next(half.model.parameters()).dtype == torch.float16
    assert largest_difference(full, half, VERIFICATION_TEXTS) < 0.01


def test_device_auto_means_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == ("cpu", "auto: no CUDA")
    assert resolve_device("cuda:0") == ("cpu", "cuda requested but not available: running on cpu")
    assert resolve_device("cpu") == ("cpu", "")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == ("cuda", "auto: CUDA available")
    assert resolve_device("cuda:1") == ("cuda:1", "")


@pytest.mark.slow  # three loads, two exports and a quantization of the tiny model
def test_the_benchmark_times_every_runtime_on_the_same_windows_and_reports_score_differences(tmp_path):
    from wildchat_dagster.kit.benchmarks.moderation import bench_detoxify

    figures = bench_detoxify(4, tmp_path, **TINY_BERT)
    assert figures["detoxify_texts"] == 4 and figures["detoxify_one_by_one_texts_per_s"] > 0
    for runtime in ("torch", "onnx", "onnx-int8"):
        assert figures[f"detoxify_{runtime}_truncated_speedup_vs_one_by_one"] > 0
        assert figures[f"detoxify_{runtime}_windows_scored"] == figures["detoxify_torch_windows_scored"] >= 4
    assert figures["detoxify_onnx-int8_windowed_speedup_vs_torch_windowed"] > 0
    assert figures["detoxify_onnx_max_score_difference"] < 1e-4
    assert figures["detoxify_onnx-int8_max_score_difference"] <= SCORE_TOLERANCE
