"""A month of realistic logs through every stage, through Dagster: per stage records/s, MB of text/s,
wall time, peak RSS (the process and its children, e.g. redaction workers) and cache hits.

`wildchat-dagster bench pipeline --conversations N [--compare] [--json]` generates N conversations
of WildChat-length text (kit/synthetic, the default lengths) for one month into a temporary data
root, runs `run_months` on it (the CLI's `run`: every asset, one Dagster run per job), reads the
step windows from the Dagster event log and a 4 Hz RSS sampler, then reruns the unchanged month.
`--compare` adds the plain baselines of `pipeline_baselines.py` on samples of the same data.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil
import pyarrow.compute as pc

from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.settings import Settings
from wildchat_dagster.stages import Stage

MONTH = "2023-05"
# Step -> the stored assets whose rows and text it produced.
STEP_OUTPUT = {
    "ingest_landing_files": (Stage.RAW_LOGS,),
    "link_conversations": (Stage.DEDUPLICATED_CONVERSATIONS,),
    Stage.GEOTAGGED_CONVERSATIONS: (Stage.GEOTAGGED_CONVERSATIONS,),
    Stage.LANGUAGE_TAGGED_CONVERSATIONS: (Stage.LANGUAGE_TAGGED_CONVERSATIONS,),
    Stage.REDACTED_CONVERSATIONS: (Stage.REDACTED_CONVERSATIONS,),
    Stage.MODERATED_CONVERSATIONS: (Stage.MODERATED_CONVERSATIONS,),
    "release_splits": (Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC),
}


class RssSampler(threading.Thread):
    """Samples the RSS and the CPU seconds of this process plus all its descendants, four times a second.

    CPU seconds say what a stage costs when the machine is shared (wall time then includes waiting).
    They are each process's last-seen CPU time, summed over every process seen: a worker that exits
    (a grandchild, whose time no `children_*` figure of ours receives) keeps counting what it did."""

    def __init__(self, interval: float = 0.25, include_self: bool = True):
        super().__init__(daemon=True)
        self.interval = interval
        self.include_self = include_self  # False: only the descendants (the `run` command the benchmark started)
        self.samples: list[tuple[float, int, float]] = []
        self._stop_event = threading.Event()
        self._cpu_seen: dict[tuple[int, float], float] = {}  # (pid, start time) -> CPU seconds when last seen

    def start(self) -> None:
        self._sample()  # the first sample before the work starts, whatever the thread's start-up costs
        super().start()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)] if self.include_self else me.children(recursive=True):
            try:
                with proc.oneshot():
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self._cpu_seen[(proc.pid, proc.create_time())] = times.user + times.system
            except psutil.Error:
                pass
        self.samples.append((time.time(), total, sum(self._cpu_seen.values())))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._sample()  # the last sample after the work ended

    def peak(self, start: float, end: float) -> int:
        return max((rss for t, rss, _ in self.samples if start <= t <= end), default=0)

    def cpu_seconds(self, start: float, end: float) -> float:
        """CPU seconds between the last sample at or before `start` and the last at or before `end`."""
        before = [cpu for t, _, cpu in self.samples if t <= start]
        upto = [cpu for t, _, cpu in self.samples if t <= end]
        if not upto:
            return 0.0
        return upto[-1] - (before[-1] if before else upto[0])


def _step_windows(run_ids: list[str], home: Path) -> dict[str, list[tuple[float, float]]]:
    """Step key -> its (start, end) epoch-second spans, from the instance's event log. A sharded
    stage's steps (plan, shards, publish: "<asset>.<op>[shard]") are one stage with several spans:
    the in-process executor may run other stages' steps between them, so a first-start-to-last-end
    window would count those too (`home`: the instance's DAGSTER_HOME)."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home))
    spans: dict[str, list[tuple[float, float]]] = {}
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    for run_id in run_ids:
        starts: dict[str, float] = {}
        for entry in instance.all_logs(run_id, of_type=kinds):
            if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
                starts[entry.step_key] = entry.timestamp
            elif entry.step_key in starts:
                spans.setdefault(entry.step_key.split(".", 1)[0], []).append((starts[entry.step_key], entry.timestamp))
    return {key: merged_spans(found) for key, found in spans.items()}


def merged_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The time covered by `spans`, as disjoint spans: shards running side by side count once."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _materialized_metadata(run_ids: list[str], home: Path) -> dict[str, dict]:
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home))
    out: dict[str, dict] = {}
    for run_id in run_ids:
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            mat = entry.dagster_event.event_specific_data.materialization
            out[mat.asset_key.to_user_string()] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return out


def output_size(root: Path, assets: tuple[str, ...], month: str) -> tuple[int, int, int]:
    """(rows, utterances or logs, UTF-8 bytes of text) of stored partitions."""
    sizes = [_one_output_size(root, asset, month) for asset in assets]
    return tuple(sum(s[i] for s in sizes) for i in range(3))  # type: ignore[return-value]


def _one_output_size(root: Path, asset: str, month: str) -> tuple[int, int, int]:
    store = Warehouse(root)
    if not store.has_partition(asset, month):
        return 0, 0, 0
    if asset == Stage.RAW_LOGS:
        table = store.read_table(asset, month, columns=["prompt", "response"])
        text = sum(pc.sum(pc.binary_length(table[c].cast("binary"))).as_py() or 0 for c in ("prompt", "response"))
        return table.num_rows, table.num_rows, text
    table = store.read_table(asset, month, columns=["conversation"])
    contents = pc.struct_field(pc.list_flatten(table["conversation"]), "content")
    text = pc.sum(pc.binary_length(contents.cast("binary"))).as_py() or 0
    return table.num_rows, len(contents), text


def _cache_hits(metadata: dict) -> int | None:
    hits = [v for k, v in metadata.items() if k.endswith("cache_hits") and isinstance(v, int)]
    return sum(hits) if hits else None


def bench_settings(root: Path) -> Settings:
    """The settings of a benchmark's data root: the environment's, with the root and its own instance."""
    return Settings.from_environ(data_dir=str(root), dagster_home=str(root / "dagster_home"))


def _run_in_process(root: Path, settings: Settings) -> tuple[bool, list[str]]:
    """`run_months` in this process: (every run ok, the Dagster runs it started)."""
    from wildchat_dagster.cli.runner import run_months

    outcomes = run_months([MONTH], None, root, log_level="WARNING", settings=settings)
    return all(o.ok for o in outcomes), [o.run_id for o in outcomes if o.run_id != "not run"]


def _run_cli(root: Path, settings: Settings) -> tuple[bool, list[str]]:
    """The user's command, `wildchat-dagster run --months MONTH`, as a child process (its whole
    process tree is sampled): (exit status 0, the Dagster runs it started). Its output goes to
    <root>/run-<n>.log."""
    import dagster as dg

    home = Path(settings.dagster_home)
    instance = dg.DagsterInstance.from_config(str(home)) if (home / "dagster.yaml").exists() else None
    before = {r.run_id for r in instance.get_runs()} if instance else set()
    env = settings.as_environ(dagster_home=home)  # the benchmark's settings, handed to the command
    log = root / f"run-{len(list(root.glob('run-*.log')))}.log"
    with log.open("w") as out:
        command = [sys.executable, "-m", "wildchat_dagster.cli", "run", "--months", MONTH, "--log-level", "WARNING",
                   "--data-dir", str(root)]
        ok = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode == 0
    runs = dg.DagsterInstance.from_config(str(home)).get_runs()
    return ok, [r.run_id for r in runs if r.run_id not in before]


def measure_run(root: Path, label: str, via_cli: bool = False) -> dict:
    """Run every asset of MONTH through Dagster (in this process, or through the CLI's `run` in a
    child process); per step figures and the total."""
    settings = bench_settings(root)

    sampler = RssSampler(include_self=not via_cli)  # through the CLI: the command's process tree, not the benchmark's
    sampler.start()
    started = time.time()
    ok, run_ids = (_run_cli if via_cli else _run_in_process)(root, settings)
    ended = time.time()
    sampler.stop()
    windows = _step_windows(run_ids, Path(settings.dagster_home))
    metadata = _materialized_metadata(run_ids, Path(settings.dagster_home))
    steps = []
    for step, spans in sorted(windows.items(), key=lambda kv: min(kv[1])):
        seconds = sum(end - start for start, end in spans)
        assets = STEP_OUTPUT.get(step, (step,))
        rows, units, text = output_size(root, assets, MONTH) if step in STEP_OUTPUT else (None, None, None)
        steps.append({
            "step": step,
            "seconds": round(seconds, 2),
            "cpu_s": round(sum(sampler.cpu_seconds(start, end) for start, end in spans), 1),
            "records": rows,
            "utterances": units,
            "records_per_s": round(rows / seconds, 1) if rows and seconds > 0 else None,
            "text_mb_per_s": round(text / 1e6 / seconds, 2) if text and seconds > 0 else None,
            "peak_rss_mb": round(max(sampler.peak(start, end) for start, end in spans) / 2**20),
            "cache_hits": _cache_hits(metadata.get(assets[0], {})),
        })
    return {
        "label": label,
        "ok": ok,
        "runs_started": len(run_ids),
        "wall_s": round(ended - started, 1),
        "cpu_s": round(sampler.cpu_seconds(started, ended), 1),
        "peak_rss_mb": round(sampler.peak(started, ended) / 2**20),
        "steps": steps,
    }


def print_run(run: dict) -> None:
    print(f"\n{run['label']}: {'ok' if run['ok'] else 'FAILED'}, {run['wall_s']} s wall, {run['cpu_s']} CPU s, "
          f"peak RSS {run['peak_rss_mb']} MB")
    print(

            f"{'step':30} {'wall s':>7} {'CPU s':>7} {'records':>8} {'records/s':>9} {'text MB/s':>9} {'peak MB':>7} "
            f"{'cache hits':>10}"

    )
    for s in run["steps"]:
        cells = [
            s["seconds"],
            s["cpu_s"],
            s["records"],
            s["records_per_s"],
            s["text_mb_per_s"],
            s["peak_rss_mb"],
            s["cache_hits"],
        ]
        widths = [7, 7, 8, 9, 9, 7, 10]
        print(
            f"{s['step']:30} " + " ".join(f"{'' if v is None else v:>{w}}" for v, w in zip(cells, widths, strict=True))
        )
    if run.get("runs_started") == 0:
        print("up to date: no Dagster run started")


def run(
    size: int, compare: bool = False, as_json: bool = False, data_dir: Path | None = None, quiet: bool = False,
    via_cli: bool = False,
) -> dict:
    """Figures of `size` conversations through the pipeline (`via_cli`: through `wildchat-dagster run`
    in a child process); the data root is a temporary folder (removed afterwards) unless `data_dir` is given."""
    if data_dir is not None:
        return _run(size, compare, as_json, Path(data_dir) / "data", quiet, via_cli)
    with tempfile.TemporaryDirectory(prefix="wildchat-bench-") as folder:
        return _run(size, compare, as_json, Path(folder) / "data", quiet, via_cli)


def generate(size: int, root: Path) -> dict:
    """N conversations of the month into `root`'s landing files (in a child process: the generator's
    month of Python objects must not count in the stages' RSS); the figures that describe them."""
    from wildchat_dagster.kit.synthetic.generator import generate_landing

    started = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        summary = child.submit(generate_landing, root, [MONTH], size, 0).result()
    return {
        "conversations": size,
        "month": MONTH,
        "logs": summary["logs_written"],
        "landing_mb": round(summary["bytes"] / 1e6, 1),
        "generate_s": round(time.perf_counter() - started, 1),
        "cpu_count": os.cpu_count(),
        "machine_memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
    }


def measure_month(root: Path, via_cli: bool = False) -> dict:
    """The first run of the generated month in `root`, then the rerun of the unchanged month."""
    figures = {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "through": "wildchat-dagster run (child process)" if via_cli else "run_months (this process)",
    }
    figures["first_run"] = measure_run(root, "first run", via_cli)
    figures["rerun"] = measure_run(root, "rerun of the unchanged month", via_cli)
    return figures


def _run(size: int, compare: bool, as_json: bool, root: Path, quiet: bool = False, via_cli: bool = False) -> dict:
    figures = generate(size, root)
    if not as_json and not quiet:
        print(f"generated {size:,} conversations ({figures['logs']:,} logs, {figures['landing_mb']} MB) "
              f"in {figures['generate_s']} s into {root}; load average {os.getloadavg()[0]:.2f}; "
              f"through {'wildchat-dagster run' if via_cli else 'run_months (this process)'}")
    figures |= measure_month(root, via_cli)
    if not as_json and not quiet:
        print_run(figures["first_run"])
        print_run(figures["rerun"])
    if compare:
        from wildchat_dagster.kit.benchmarks.pipeline_baselines import compare_baselines

        figures["baselines"] = compare_baselines(root, MONTH, quiet=as_json or quiet)
    if as_json and not quiet:
        print(json.dumps(figures, indent=2))
    return figures
