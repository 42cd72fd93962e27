"""The explorer's index build time and search latency over HTTP on a large realistic release.

`size` conversations over four months are written as published release files
(kit/synthetic/release_rows.py: the generator's languages and realistic
lengths), indexed, then served by the real server on 127.0.0.1. The queries
are what a reader types: phrases of two or three words cut from random
published turns (alone, and with a language, toxic or minimum-turns filter),
filters alone, and page 3 of phrases searched before (a reader paging on: the
server reuses the phrase's matches). Latency is the whole request, JSON included.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from wildchat_dagster.cli.explorer.server import create_app
from wildchat_dagster.core.explore.index import ensure_index
from wildchat_dagster.core.explore.search import connect
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.kit.synthetic.release_rows import write_release

MONTHS = ["2023-04", "2023-05", "2023-06", "2023-07"]
QUERIES_PER_KIND = 60


def _phrases(index: Path, rng: random.Random, count: int) -> list[str]:
    con = connect(index)
    top = con.execute("SELECT max(id) FROM turns").fetchone()[0]
    phrases = []
    while len(phrases) < count:
        row = con.execute(
            "SELECT content FROM turns WHERE id >= ? ORDER BY id LIMIT 1", [rng.randrange(top)]
        ).fetchone()
        words = [w for w in (row[0] if row else "").split() if w.isalpha()]
        if len(words) >= 3:
            start = rng.randrange(len(words) - 2)
            phrases.append(" ".join(words[start:start + rng.choice((2, 3))]))
    con.close()
    return phrases


def _queries(index: Path, seed: int = 0) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    phrases = _phrases(index, rng, 2 * QUERIES_PER_KIND)
    filters = [{"language": "English"}, {"language": "Chinese"}, {"toxic": "true"}, {"min_turns": "3"},
               {"country": "France"}, {"month": "2023-05", "redacted": "true"}]
    return {
        "phrase": [{"q": p} for p in phrases[:QUERIES_PER_KIND]],
        "phrase + filter": [{"q": p, **rng.choice(filters)} for p in phrases[QUERIES_PER_KIND:]],
        "filters only": [rng.choice(filters) for _ in range(QUERIES_PER_KIND)],
        "page 3": [{"q": p, "page": "3"} for p in phrases[:QUERIES_PER_KIND // 2]],
    }


def _serve(layout: DataLayout, index: Path) -> tuple[str, object]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(layout, index), host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{base}/api/health", timeout=1)
            return base, server
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the explorer did not start")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(size: int) -> dict:
    """`size` conversations (default 200,000), a quarter per month."""
    with tempfile.TemporaryDirectory() as folder:
        layout = DataLayout(Path(folder))
        started = time.perf_counter()
        write_release(layout, MONTHS, max(1, size // len(MONTHS)))
        return run_on(layout, written_seconds=time.perf_counter() - started)


def run_on(layout: DataLayout, written_seconds: float | None = None) -> dict:
    """The index build (when stale) and the queries over `layout`'s published release."""
    started, cpu = time.perf_counter(), time.process_time()
    index, built = ensure_index(layout)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    release_mb = sum(p.stat().st_size for p in layout.release_dir.rglob("*.parquet")) / 1e6
    with connect(index) as explorer:
        conversations = explorer.columns.size
    started = time.perf_counter()
    base, server = _serve(layout, index)
    figures = {"conversations": conversations, "release_mb": round(release_mb, 1), "index_built": built,
               "write_seconds": None if written_seconds is None else round(written_seconds, 1),
               "index_build_seconds": round(build, 1), "index_build_cpu_seconds": round(build_cpu, 1),
               "server_start_seconds": round(time.perf_counter() - started, 1),
               "index_mb": round(index.stat().st_size / 1e6, 1), "load_average_start": os.getloadavg()[0]}
    figures.update(_timed_queries(base, index))
    server.should_exit = True
    figures["load_average_end"] = os.getloadavg()[0]
    _print(figures)
    return figures


def _timed_queries(base: str, index: Path) -> dict:
    figures, every = {}, []
    with requests.Session() as session:
        for kind, queries in _queries(index).items():
            latencies, matched = [], []
            for params in queries:
                t = time.perf_counter()
                response = session.get(f"{base}/api/search", params=params, timeout=60)
                latencies.append((time.perf_counter() - t) * 1000)
                response.raise_for_status()
                matched.append(response.json()["total"])
            every += latencies
            figures[kind] = {"queries": len(queries), "p50_ms": round(statistics.median(latencies), 1),
                             "p95_ms": round(_percentile(latencies, 0.95), 1), "max_ms": round(max(latencies), 1),
                             "median_matches": statistics.median(matched)}
    figures["all"] = {"queries": len(every), "p50_ms": round(statistics.median(every), 1),
                      "p95_ms": round(_percentile(every, 0.95), 1)}
    return figures


def _print(figures: dict) -> None:
    built = ("built in {index_build_seconds} s ({index_build_cpu_seconds} CPU s)" if figures["index_built"]
             else "up to date").format(**figures)
    print(f"explore: {figures['conversations']:,} conversations ({figures['release_mb']} MB of Parquet), index "
          f"{built}, {figures['index_mb']} MB; server ready in {figures['server_start_seconds']} s; "
          f"load average {figures['load_average_start']:.2f} -> {figures['load_average_end']:.2f}")
    for kind in ("phrase", "phrase + filter", "filters only", "page 3", "all"):
        f = figures[kind]
        extra = f", median matches {f['median_matches']:,}" if "median_matches" in f else ""
        print(f"  {kind:16} {f['queries']:4} queries: p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms"
              + (f", max {f['max_ms']} ms" if "max_ms" in f else "") + extra)
