"""Language identification throughput on real WildChat texts (one core).

Every utterance is made distinct (a number in front, which has no letters),
so the per-run cache of identical texts does not flatter the figure.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from wildchat_dagster.core.language.detection import tag_languages
from wildchat_dagster.kit.samples import REAL_WILDCHAT
from wildchat_dagster.resources.language_detector import LanguageDetector


def real_texts(folder: Path = REAL_WILDCHAT) -> list[str]:
    texts = []
    for path in sorted(folder.glob("convotopo_*.jsonl")):
        for line in path.read_text().splitlines():
            texts += [m["content"] for m in json.loads(line)["messages"]]
    if not texts:
        raise FileNotFoundError(f"no real WildChat samples in {folder}")
    return texts


def run(size: int) -> dict:
    """`size` utterances, cycling through the real WildChat texts."""
    texts = real_texts()
    detector = LanguageDetector.from_defaults()
    detector.predict(["warm up"])  # load the model outside the timing
    utterances = [f"{i}. {t}" for i, t in zip(range(size), itertools.cycle(texts))]
    rows = [{"conversation": [{"role": "user", "content": u}]} for u in utterances]
    started, cpu_started = time.perf_counter(), time.process_time()
    _, counts = tag_languages(rows, detector.predict)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    n = counts.utterances
    mean_chars = sum(map(len, utterances)) / len(utterances)
    # CPU time is the one-core figure on a machine shared with other work.
    print(
        f"language: {n} utterances (mean {mean_chars:,.0f} chars, cycling {len(texts)} real texts): "
        f"{n / cpu_seconds:,.0f} utterances/s per core (CPU time {cpu_seconds:.2f} s), "
        f"{n / seconds:,.0f}/s wall clock; top: {dict(list(counts.languages.items())[:5])}"
    )
    return {
        "utterances": n,
        "mean_chars": round(mean_chars),
        "cpu_seconds": round(cpu_seconds, 3),
        "utterances_per_cpu_second": round(n / cpu_seconds),
        "utterances_per_wall_second": round(n / seconds),
    }
