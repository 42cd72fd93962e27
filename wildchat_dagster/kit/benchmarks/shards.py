"""A month's shards on one machine's cores: language ID and redaction as one shard in-process,
then as two shards on the multiprocess executor, on realistic text.

`wildchat-dagster bench shards --size N` generates N conversations of WildChat-length text for one
month into a temporary data root, runs the whole pipeline once (upstream partitions, warm caches),
then reruns `language_tagged_conversations` and `redacted_conversations` both ways through
Dagster (`execute_job`, a persistent instance) and prints each stage's wall seconds from the
event log (plan to publish), the run's wall time, the load average, and whether the partitions
are byte-identical. The multiprocess executor starts a process per step, which imports the code
location and loads the stage's models again: the figures show what that costs against what two
cores give back.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from wildchat_dagster.stages import Stage

MONTH = "2023-05"
STAGES = (Stage.LANGUAGE_TAGGED_CONVERSATIONS, Stage.REDACTED_CONVERSATIONS)


def processing_job(**options: str) -> object:
    """The monthly_processing job as the environment and `options` (Settings options) configure it;
    each step process of the multiprocess executor calls this again with the same options."""
    from wildchat_dagster.definitions import build_definitions
    from wildchat_dagster.settings import Settings

    return build_definitions(Settings.from_environ(**options)).resolve_job_def("monthly_processing")


def _execute(label: str, options: dict[str, str]) -> dict:
    import dagster as dg

    from wildchat_dagster.kit.benchmarks.pipeline import _step_windows

    home = Path(options["dagster_home"])
    job = dg.build_reconstructable_job(__name__, processing_job.__name__, reconstructable_kwargs=options)
    started = time.time()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.execute_job(
            job, instance, tags={"dagster/partition": MONTH},
            asset_selection=[dg.AssetKey(stage) for stage in STAGES],
        )
        if not result.success:
            raise RuntimeError(f"{label}: run failed")
        windows = _step_windows([result.run_id], home)
    return {
        "label": label,
        "wall_s": round(time.time() - started, 1),
        "stages": {stage: round(sum(end - start for start, end in windows[stage]), 1) for stage in STAGES},
        "load_average": round(os.getloadavg()[0], 1),
    }


def run(size: int) -> dict:
    from wildchat_dagster.cli.runner import run_months
    from wildchat_dagster.core.storage.warehouse import Warehouse
    from wildchat_dagster.kit.benchmarks.pipeline import bench_settings
    from wildchat_dagster.kit.synthetic.generator import generate_landing

    with tempfile.TemporaryDirectory(prefix="wildchat-bench-shards-") as folder:
        root = Path(folder) / "data"
        settings = bench_settings(root)
        generate_landing(root, [MONTH], size, seed=5)
        store = Warehouse(root)
        run_months([MONTH], None, root, log_level="WARNING", settings=settings)
        reference = {stage: store.partition_fingerprint(stage, MONTH) for stage in STAGES}
        rows = store.partition_rows(Stage.DEDUPLICATED_CONVERSATIONS, MONTH)
        half = max(1, -(-rows // 2))
        where = {"data_dir": str(root), "dagster_home": settings.dagster_home}
        runs = [
            _execute("in-process, 1 shard", {**where, "executor": "in_process", "shard_rows": str(rows + 1)}),
            _execute(f"multiprocess ({os.cpu_count()} cores), 2 shards of <= {half}",
                     {**where, "executor": "multiprocess", "shard_rows": str(half)}),
        ]
        identical = all(store.partition_fingerprint(stage, MONTH) == reference[stage] for stage in STAGES)
    print(f"{rows} conversations of realistic text (kit/synthetic default lengths), one month, {os.cpu_count()} cores")
    print(f"{'run':<44} {'wall s':>7} " + " ".join(f"{s:>30}" for s in STAGES) + "  load avg")
    for figures in runs:
        print(f"{figures['label']:<44} {figures['wall_s']:>7} "
              + " ".join(f"{figures['stages'][s]:>30}" for s in STAGES) + f"  {figures['load_average']:>8}")
    print(f"partitions byte-identical to the first run's: {identical}")
    return {"conversations": rows, "runs": runs, "identical": identical}
