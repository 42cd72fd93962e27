"""Moderation throughput on CPU: Detoxify, the offline moderator, the OpenAI path.

Detoxify is timed with a bert-base-sized model with random weights (timing
does not depend on the weights), built here and saved in Detoxify's
checkpoint format, so nothing is downloaded, on real WildChat-1M turns
(kit/samples/real_wildchat): one PyTorch `predict` per text (the baseline),
then batched PyTorch, ONNX Runtime fp32 and ONNX Runtime int8, each with its
speed-up over the baseline and its largest score difference from batched
PyTorch (the load average is printed: the figures depend on it). The OpenAI path runs against the
loopback stand-in server (`openai_stub`), so its figures measure the client
side (batching, threads, budget bookkeeping), not OpenAI's latency.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from pathlib import Path

DETOXIFY_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate", "sexual_explicit"]
_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def english_words(limit: int = 20_000) -> list[str]:
    """Real English words, from the vocabulary alt-profanity-check's wheel ships."""
    from profanity_check.profanity_check import vectorizer

    words = sorted(w for w in vectorizer.vocabulary_ if w.isascii() and w.isalpha())
    return words[:limit]


def write_random_detoxify(
    directory: Path, words: list[str], max_length: int = 512, seed: int = 0, **bert_config
) -> tuple[Path, Path]:
    """A random-weight BERT saved as a Detoxify checkpoint plus its config directory.

    `bert_config` overrides transformers' BertConfig defaults (bert-base when empty).
    Returns (checkpoint path, Hugging Face config directory).
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    config_dir = directory / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    characters = [chr(c) for c in range(33, 127)]
    pieces = [f"##{c}" for c in characters]  # any unknown word still tokenizes, character by character
    vocab = list(dict.fromkeys(_SPECIAL_TOKENS + characters + pieces + [w.lower() for w in words]))
    (config_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # transformers 5 ignores vocab_file=; vocab= is the argument it reads.
    tokenizer = BertTokenizer(vocab=str(config_dir / "vocab.txt"), model_max_length=max_length)
    tokenizer.save_pretrained(config_dir)

    bert_config.setdefault("vocab_size", len(vocab))
    bert_config.setdefault("max_position_embeddings", max(512, max_length))
    config = BertConfig(num_labels=len(DETOXIFY_CLASSES), **bert_config)
    config.save_pretrained(config_dir)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    checkpoint = directory / "detoxify-random-bert.ckpt"
    torch.save(
        {
            "state_dict": model.state_dict(),
            "config": {
                # A hub name, as in released checkpoints: the resource must patch it.
                "arch": {
                    "args": {
                        "model_type": "bert-base-uncased",
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": len(DETOXIFY_CLASSES),
                    }
                },
                "dataset": {"args": {"classes": DETOXIFY_CLASSES}},
            },
        },
        checkpoint,
    )
    return checkpoint, config_dir


def chat_like_texts(n: int, words: list[str], seed: int = 0) -> list[str]:
    """Texts with a heavy-tailed length distribution like chat turns (median ~40 words)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf-like word frequencies
    texts = []
    for _ in range(n):
        length = min(2000, max(1, int(math.exp(rng.gauss(math.log(40), 1.1)))))
        texts.append(" ".join(rng.choices(words, weights=weights, k=length)))
    return texts


def real_wildchat_turns(limit: int, seed: int = 0) -> list[str]:
    """Non-empty user and assistant turns of the real WildChat-1M samples, shuffled (a fixed seed)."""
    import json

    from wildchat_dagster.kit.samples import REAL_WILDCHAT

    texts = []
    for name in ("convotopo_wildchat1m_187_with_metadata.jsonl", "convotopo_wildchat1m_402_messages_model_only.jsonl"):
        for line in (REAL_WILDCHAT / name).read_text(encoding="utf-8").splitlines():
            texts += [m["content"] for m in json.loads(line)["messages"] if m["content"].strip()]
    random.Random(seed).shuffle(texts)
    return texts[:limit]


class _Clock:
    """Wall and process CPU seconds (all threads): on a shared machine the CPU figure is the fairer one."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _timed_moderation(moderator, texts: list[str]) -> tuple[_Clock, list[dict]]:
    moderator.model_runs = moderator.windows_scored = 0
    results: dict[int, dict] = {}
    with _Clock() as clock:
        for indices, scores in moderator.moderate(texts):
            results.update(zip(indices, scores, strict=True))
    assert len(results) == len(texts)
    return clock, [results[i] for i in range(len(texts))]


class _Figures(dict):
    """Figures printed as they are measured: a slow run still shows what it got."""

    def __init__(self, **figures):
        super().__init__()
        for name, value in figures.items():
            self[name] = value

    def __setitem__(self, name, value):
        print(f"{name:40s} {value}", flush=True)
        super().__setitem__(name, value)


def _detoxify(checkpoint: Path, config_dir: Path, work: Path, runtime: str):
    from wildchat_dagster.resources.detoxify import DetoxifyResource

    start = time.perf_counter()
    loaded = DetoxifyResource(
        checkpoint=str(checkpoint), huggingface_config_dir=str(config_dir), device="cpu", cpu_runtime=runtime
    ).load(work / "cache")
    if loaded.moderator is None:
        raise RuntimeError(loaded.reason)
    return loaded, time.perf_counter() - start


def bench_detoxify(size: int, work: Path, **bert_config) -> dict:
    """Per-text PyTorch (Detoxify as documented) against the batched runtimes, on real WildChat turns.

    Each runtime is timed twice in length-sorted batches: on the baseline's work
    (each text truncated at one window) and as the moderator runs it, every
    512-token window of every text (the same windows in every runtime: one
    tokenizer, one window size), which on long texts is more work than the
    baseline does. Score differences are taken against windowed PyTorch.
    """
    import os

    import torch

    from wildchat_dagster.core.moderation.detoxify_runtime import ONNX, ONNX_INT8, SCORE_TOLERANCE, TORCH
    from wildchat_dagster.core.moderation.windows import length_sorted_batches

    words = english_words()
    checkpoint, config_dir = write_random_detoxify(work / "bert", words, **bert_config)  # bert-base by default
    texts = real_wildchat_turns(size, seed=1)
    figures = _Figures(
        detoxify_texts=len(texts),
        detoxify_mean_chars=round(sum(map(len, texts)) / len(texts)),
        detoxify_threads=torch.get_num_threads(),  # ONNX Runtime sessions use as many
        detoxify_load_average=round(os.getloadavg()[0], 1),
    )
    scores: dict[str, list[dict]] = {}
    baseline: _Clock | None = None  # per-text PyTorch, timed first
    torch_windowed: _Clock | None = None  # every window, batched PyTorch: the equal-work reference
    for runtime in (TORCH, ONNX, ONNX_INT8):
        loaded, load_seconds = _detoxify(checkpoint, config_dir, work, runtime)
        moderator = loaded.moderator
        used = moderator.version.split(":")[2] if moderator.version.count(":") > 2 else TORCH
        figures[f"detoxify_{runtime}_runtime"] = loaded.reason.split("; ", 1)[-1].rstrip(")")
        figures[f"detoxify_{runtime}_load_seconds"] = round(load_seconds, 1)
        if used != runtime:  # refused by the score gate: nothing of its own to time
            continue
        for warm_up in (texts[:1], texts[:8]):  # first calls pay one-off set-up: keep it out of the timings
            moderator.detoxify.predict(warm_up)
        if runtime == TORCH:
            with _Clock() as baseline:
                for text in texts:
                    moderator.detoxify.predict(text)  # Detoxify as documented: one text per call, truncated
            _throughput(figures, "detoxify_one_by_one", len(texts), baseline)
        with _Clock() as clock:  # the baseline's work (each text truncated at one window), batched
            for batch in length_sorted_batches(
                [min(len(s), moderator.max_tokens) for s in moderator.token_starts(texts)],  # as truncated
                moderator.batch_size, moderator.max_batch_tokens,
            ):
                moderator.detoxify.predict([texts[i] for i in batch])
        _throughput(figures, f"detoxify_{runtime}_truncated", len(texts), clock, baseline)
        clock, scores[runtime] = _timed_moderation(moderator, texts)
        figures[f"detoxify_{runtime}_windows_scored"] = moderator.windows_scored
        _throughput(figures, f"detoxify_{runtime}_windowed", len(texts), clock, baseline)
        if runtime == TORCH:
            torch_windowed = clock
        else:
            figures[f"detoxify_{runtime}_windowed_speedup_vs_torch_windowed"] = round(
                torch_windowed.wall / clock.wall, 2
            )
            worst = max(abs(a[k] - b[k]) for a, b in zip(scores[runtime], scores[TORCH], strict=True) for k in a)
            figures[f"detoxify_{runtime}_max_score_difference"] = round(worst, 4)
    figures["detoxify_score_tolerance"] = SCORE_TOLERANCE
    figures["detoxify_load_average_after"] = round(os.getloadavg()[0], 1)
    return dict(figures)


def _throughput(figures: dict, name: str, texts: int, clock: _Clock, baseline: _Clock | None = None) -> None:
    figures[f"{name}_texts_per_s"] = round(texts / clock.wall, 2)
    figures[f"{name}_texts_per_cpu_s"] = round(texts / clock.cpu, 2)
    if baseline is not None:
        figures[f"{name}_speedup_vs_one_by_one"] = round(baseline.wall / clock.wall, 2)
        figures[f"{name}_cpu_speedup_vs_one_by_one"] = round(baseline.cpu / clock.cpu, 2)


def bench_profanity(size: int) -> dict:
    from wildchat_dagster.resources.profanity import ProfanityResource

    moderator = ProfanityResource().load().moderator
    texts = chat_like_texts(size, english_words(), seed=2)
    start = time.perf_counter()
    scored = sum(len(indices) for indices, _ in moderator.moderate(texts))
    seconds = time.perf_counter() - start
    assert scored == len(texts)
    return {"profanity_texts": len(texts), "profanity_texts_per_s": round(len(texts) / seconds, 1)}


def bench_openai(size: int) -> dict:
    from wildchat_dagster.kit.fakes.openai_server import ModerationStub
    from wildchat_dagster.resources.openai_moderation import OpenAIModerationResource

    texts = chat_like_texts(size, english_words(), seed=3)
    with ModerationStub() as stub:
        resource = OpenAIModerationResource(
            api_key="bench-not-a-key",
            base_url=stub.base_url,
            requests_per_minute=1_000_000,  # measure the client, not the budget
            tokens_per_minute=1_000_000_000,
        )
        moderator = resource.load().moderator
        start = time.perf_counter()
        scored = sum(len(indices) for indices, _ in moderator.moderate(texts))
        seconds = time.perf_counter() - start
        requests = stub.counters.requests
    assert scored == len(texts)
    return {
        "openai_inputs": len(texts),
        "openai_inputs_per_s": round(len(texts) / seconds, 1),
        "openai_requests_per_1000_inputs": round(1000 * requests / len(texts), 2),
        "openai_inputs_per_request": resource.inputs_per_request,
        "openai_max_concurrency": resource.max_concurrency,
    }


def run(size: int = 200) -> dict:
    """Detoxify on `size` texts (bert-base, slow), the other two on 20x as many."""
    with tempfile.TemporaryDirectory(prefix="wildchat-bench-moderation-") as tmp:
        figures = {
            **bench_profanity(size * 20),
            **bench_openai(size * 20),
        }
        for name, value in figures.items():
            print(f"{name:40s} {value}", flush=True)
        figures |= bench_detoxify(size, Path(tmp))  # prints as it goes
    return figures
