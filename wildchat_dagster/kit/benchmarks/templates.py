"""Template-prompt flagging throughput and index size on real WildChat user prompts (one core).

Real prompts cycle with a number in front, so exact repeats do not skip the
MinHash and the LSH; a month of WildChat-1M holds about 200,000 user prompts.
Two months are flagged, the second into the saved index of the first (the
incremental path the asset takes).
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from pathlib import Path

from wildchat_dagster.core.reporting.templates import TemplateIndex, flag_month, index_for
from wildchat_dagster.kit.samples import REAL_WILDCHAT


def real_prompts(folder: Path = REAL_WILDCHAT) -> list[str]:
    prompts = []
    for path in sorted(folder.glob("convotopo_*.jsonl")):
        for line in path.read_text().splitlines():
            prompts += [m["content"] for m in json.loads(line)["messages"] if m["role"] == "user"]
    return prompts


def _month(month: str, texts: list[str]) -> list[dict]:
    return [{"prompt_key": f"{month}/c{i:07d}/0000", "month": month, "conversation_id": f"c{i}", "round": 0,
             "conversation_hash": None, "turn_identifier": None, "hashed_ip": None, "text": t, "example": None}
            for i, t in enumerate(texts)]


def run(size: int) -> dict:
    """`size` prompts per month, two months."""
    texts = real_prompts()
    months = {m: [f"{k * size + i}. {t}" for i, t in zip(range(size), itertools.cycle(texts))]
              for k, m in enumerate(("2023-04", "2023-05"))}
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.npz"
        stored: dict[str, list[dict]] = {}
        for month, prompts in months.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            index, mode = index_for(TemplateIndex.load(path), sorted(stored), lambda m: stored[m])
            stored[month] = flag_month(index, month, _month(month, prompts))
            index.save(path)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            clustered = sum(index.sizes[r["cluster_id"]] > 1 for r in stored[month])
            figures[month] = {"mode": mode, "cpu_seconds": round(cpu, 2), "prompts_per_cpu_second": round(size / cpu),
                              "wall_seconds": round(seconds, 2), "index_mb": round(path.stat().st_size / 1e6, 1),
                              "prompts_in_a_cluster": clustered}
    mean_chars = sum(map(len, months["2023-04"])) / size
    for month, f in figures.items():
        print(
            f"templates {month} ({f['mode']}): {size} prompts (mean {mean_chars:,.0f} chars, cycling {len(texts)} real "
            f"WildChat prompts): {f['prompts_per_cpu_second']:,} prompts/s per core (CPU {f['cpu_seconds']} s, "
            f"wall {f['wall_seconds']} s), index file {f['index_mb']} MB, {f['prompts_in_a_cluster']} in a cluster"
        )
    return figures
