"""How the pipeline's cost grows with the month: N/4 and N conversations, each step's CPU ratio.

`wildchat-dagster bench pipeline --conversations N --linearity [--repeat K] [--cli]` generates each
size once, runs it K times, each time in a fresh process on a fresh data root (the landing files
hard-linked: what one run leaves in memory or on disk must not count in the next), and compares the
fastest of the K runs per step: on a shared machine a step of a few seconds varies by 15% between
runs, which one run pair reads as growth. Peak memory is the largest of the K runs.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from wildchat_dagster.kit.benchmarks.pipeline import generate, measure_month, print_run

STEP_RATIO_LIMIT = 4.4  # 4x the conversations may take at most this much longer per stage
RSS_RATIO_LIMIT = 1.3  # ... and the whole process tree's peak memory at most this much more
GENERATED = ("landing", "ground_truth")  # what `generate` writes: a run's inputs, shared by the repeats


def linearity(small: dict, large: dict) -> dict:
    """Per step: the large run's time over the small one's (CPU seconds, so a shared machine's waits
    do not count), and the peak RSS ratio; `linear` when every step is within STEP_RATIO_LIMIT
    times the size ratio / 4 and peak memory by at most RSS_RATIO_LIMIT."""
    scale = large["conversations"] / small["conversations"]
    limit = STEP_RATIO_LIMIT * scale / 4
    before = {s["step"]: s for s in small["first_run"]["steps"]}
    steps = {}
    for s in large["first_run"]["steps"]:
        if s["step"] in before and before[s["step"]]["cpu_s"]:
            steps[s["step"]] = {"cpu_ratio": round(s["cpu_s"] / before[s["step"]]["cpu_s"], 2),
                                "wall_ratio": round(s["seconds"] / max(before[s["step"]]["seconds"], 1e-9), 2)}
    rss_ratio = round(large["first_run"]["peak_rss_mb"] / max(small["first_run"]["peak_rss_mb"], 1), 2)
    return {
        "sizes": [small["conversations"], large["conversations"]],
        "limit": round(limit, 2),
        "steps": steps,
        "over_limit": sorted(step for step, r in steps.items() if r["cpu_ratio"] > limit),
        "peak_rss_ratio": rss_ratio,
        "linear": all(r["cpu_ratio"] <= limit for r in steps.values()) and rss_ratio <= RSS_RATIO_LIMIT,
    }


def fastest(runs: list[dict]) -> dict:
    """One first run from K runs of the same month: per step the least CPU and wall seconds, the whole
    run's least wall and CPU seconds and largest peak RSS; the first run's rerun."""
    first_runs = [r["first_run"] for r in runs]
    steps = []
    for step in first_runs[0]["steps"]:
        same = [s for r in first_runs for s in r["steps"] if s["step"] == step["step"]]
        steps.append(step | {"seconds": min(s["seconds"] for s in same), "cpu_s": min(s["cpu_s"] for s in same),
                             "peak_rss_mb": max(s["peak_rss_mb"] for s in same)})
    first = first_runs[0] | {
        "label": f"first run, fastest of {len(runs)}",
        "ok": all(r["ok"] for r in first_runs),
        "wall_s": min(r["wall_s"] for r in first_runs),
        "cpu_s": min(r["cpu_s"] for r in first_runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in first_runs),
        "steps": steps,
    }
    return runs[0] | {"first_run": first, "repeats": [
        {k: r["first_run"][k] for k in ("wall_s", "cpu_s", "peak_rss_mb")} | {"load": r["load_average_at_start"]}
        for r in runs]}


def _linked_inputs(source: Path, target: Path) -> None:
    """A fresh data root holding `source`'s generated files as hard links (no copy of a GB month)."""
    for name in GENERATED:
        if (source / name).exists():
            shutil.copytree(source / name, target / name, copy_function=os.link)


def _in_fresh_process(function, *args):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(function, *args).result()


def measure_size(size: int, repeat: int, via_cli: bool, folder: Path) -> dict:
    """`size` conversations generated once, run `repeat` times (each in a fresh process and data root)."""
    source = folder / "generated" / "data"
    figures = generate(size, source)
    runs = []
    for n in range(repeat):
        root = folder / f"run-{n}" / "data"
        _linked_inputs(source, root)
        runs.append(_in_fresh_process(measure_month, root, via_cli))
        shutil.rmtree(root.parent)
    return figures | fastest(runs)


def run_linearity(small: int, large: int, as_json: bool = False, via_cli: bool = False, repeat: int = 1) -> dict:
    """The pipeline benchmark at two sizes, and how each step's cost grew between them."""
    figures = {}
    for key, size in (("small", small), ("large", large)):
        with tempfile.TemporaryDirectory(prefix="wildchat-bench-") as folder:
            figures[key] = measure_size(size, repeat, via_cli, Path(folder))
    figures["linearity"] = linearity(figures["small"], figures["large"])
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        print_linearity(figures)
    return figures


def print_linearity(figures: dict) -> None:
    for key in ("small", "large"):
        size = figures[key]
        print_run(size["first_run"] | {"label": f"{size['conversations']:,} conversations, {size['through']}"})
        for n, r in enumerate(size["repeats"]):
            print(f"  run {n + 1}: {r['wall_s']} s wall, {r['cpu_s']} CPU s, peak {r['peak_rss_mb']} MiB, "
                  f"load average {r['load']} at its start")
        rerun = size["rerun"]
        print(f"rerun of the unchanged month: {rerun['wall_s']} s wall, {rerun['cpu_s']} CPU s, "
              f"{rerun['runs_started']} Dagster runs started")
    lin = figures["linearity"]
    print(f"\nlinearity {lin['sizes'][0]:,} -> {lin['sizes'][1]:,} conversations (limit {lin['limit']}x per step, "
          "CPU s):")
    for step, r in lin["steps"].items():
        print(f"  {step:32} CPU x{r['cpu_ratio']:<6} wall x{r['wall_ratio']}"
              + ("  OVER" if step in lin["over_limit"] else ""))
    print(f"  peak RSS x{lin['peak_rss_ratio']} (limit x{RSS_RATIO_LIMIT})")
    print("linear" if lin["linear"] else f"NOT linear: {', '.join(lin['over_limit']) or 'peak RSS grew'}")
