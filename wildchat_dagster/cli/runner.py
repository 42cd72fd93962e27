"""Materialize months through Dagster, so every run is recorded in the instance.

The CLI's `run` calls `run_months`: first the raw logs of the months and of
neighbouring months that linking needs, then the rest of the monthly
pipeline month by month, then the unpartitioned publication assets. Each is a
run of a job from the code location, visible in the Dagster UI.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from wildchat_dagster.cli.freshness import plan_run
from wildchat_dagster.cli.instance import GENERATED_MARK, instance_yaml
from wildchat_dagster.cli.instance_guard import PROCESS_TAG, PoolWaits, open_instance, reap_dead_runs, this_process
from wildchat_dagster.cli.preflight import check_configuration
from wildchat_dagster.core.ingestion.raw_logs import month_has_valid_log
from wildchat_dagster.core.months import month_window
from wildchat_dagster.core.parallel.pool import shutdown_pools
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.core.storage.warehouse import Warehouse, restrict_to_owner
from wildchat_dagster.resources.step_outputs import remove_run_outputs
from wildchat_dagster.settings import Settings
from wildchat_dagster.stages import Stage, all_stages

INGESTION_ASSETS = {Stage.RAW_LOGS, Stage.REJECTED_LOGS}
# Materialization metadata worth a line in the CLI's per-month summary.
SUMMARY_KEYS = (
    "valid",
    "rejected",
    "conversations",
    "retries",
    "prefixes_absorbed",
    "countries_found",
    "languages_found",
    "conversations_redacted",
    "entities_redacted",
    "toxic_conversations",
    "excluded_sexual_minors",
    "rows",
    "months",
)


POOL_POLL_S = 2.0  # how often a running run is checked for a pool wait
STOP_POLL_S = 0.25  # how often the main thread looks for a latched Ctrl-C


def ensure_dagster_home(layout: DataLayout, settings: Settings | None = None) -> Path:
    """The settings' DAGSTER_HOME (default: the environment's), or <local dir>/dagster_home,
    with telemetry off and pools limited."""
    settings = Settings.from_environ() if settings is None else settings
    home = Path(settings.dagster_home or layout.dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # One run at a time in each pool: the OpenAI moderation step of months backfilled in parallel
    # then shares one requests/tokens-per-minute budget instead of each month spending it all.
    wanted = instance_yaml(settings.variables)
    if not config.exists() or (config.read_text().startswith(GENERATED_MARK) and config.read_text() != wanted):
        config.write_text(wanted)
    return home


@dataclass
class RunOutcome:
    label: str
    run_id: str
    success: bool
    materialized: dict[str, dict] = field(default_factory=dict)  # asset -> summary metadata
    failed_checks: list[tuple[str, str, bool]] = field(default_factory=list)  # (asset, check, blocking)
    failed_steps: list[str] = field(default_factory=list)
    due: dict[str, str] = field(default_factory=dict)  # asset -> why it was materialized
    fresh: list[str] = field(default_factory=list)  # assets skipped: nothing they read or wrote changed

    @property
    def ok(self) -> bool:
        return self.success and not any(blocking for _, _, blocking in self.failed_checks)


def _summarise(label: str, result: dg.ExecuteInProcessResult) -> RunOutcome:
    outcome = RunOutcome(label=label, run_id=result.run_id, success=result.success)
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        values = {k: getattr(v, "value", v) for k, v in mat.metadata.items() if k in SUMMARY_KEYS}
        values = {
            k: v for k, v in values.items() if isinstance(v, int | float) or (isinstance(v, str) and "\n" not in v)
        }
        outcome.materialized[mat.asset_key.to_user_string()] = values
    # Events arrive in completion order; the summary reads in pipeline order.
    order = {stage: i for i, stage in enumerate(all_stages())}
    outcome.materialized = dict(sorted(outcome.materialized.items(), key=lambda item: order.get(item[0], len(order))))
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            blocking = evaluation.severity == dg.AssetCheckSeverity.ERROR
            outcome.failed_checks.append((evaluation.asset_key.to_user_string(), evaluation.check_name, blocking))
    outcome.failed_steps = list(result.get_failed_step_keys())
    return outcome


class RunRefused(Exception):
    """The command was refused before any run started (nothing was written)."""


class RunInterrupted(Exception):
    """Ctrl-C or SIGTERM: the current run was marked canceled and nothing later was started."""

    def __init__(self, label: str, run_id: str, not_started: list[str]):
        super().__init__(f"interrupted during {label}: run {run_id[:8]} marked canceled"
                         + (f"; not started: {', '.join(not_started)}" if not_started else ""))
        self.run_id = run_id
        self.not_started = not_started


STOP_REQUESTED = threading.Event()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM (a scheduler, `kill`) stop the command, and are also latched: Python raises
    KeyboardInterrupt wherever the main thread is, and one raised inside a `__del__` or a callback is
    printed and dropped (a CI run saw Ctrl-C during moderation end with exit 0); the run loop reads the latch."""

    def on_signal(signo: int, frame: object) -> None:
        STOP_REQUESTED.set()
        raise KeyboardInterrupt

    STOP_REQUESTED.clear()
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signo, handler in previous.items():
            signal.signal(signo, handler)
        STOP_REQUESTED.clear()


def _execute_watched(job: dg.JobDefinition, instance: dg.DagsterInstance, waits: PoolWaits, label: str,
                     **run_kwargs) -> dg.ExecuteInProcessResult:
    """One run in a worker thread, so the main thread hears Ctrl-C at once (Dagster defers it while
    a step waits for a pool) and can say which run holds a pool this one waits for."""
    run_id = str(uuid.uuid4())  # what Dagster's own runs use
    box: dict = {}

    def work() -> None:
        try:
            box["result"] = job.execute_in_process(run_id=run_id, instance=instance, **run_kwargs)
        except BaseException as error:  # handed to the main thread
            box["error"] = error

    worker = threading.Thread(target=work, name=f"run {run_id[:8]}", daemon=True)
    worker.start()
    try:
        checked = time.monotonic()
        while worker.is_alive():
            worker.join(STOP_POLL_S)
            if STOP_REQUESTED.is_set():
                raise KeyboardInterrupt
            if worker.is_alive() and time.monotonic() - checked >= POOL_POLL_S:
                checked = time.monotonic()
                # advisory only: a failed look at the pools never touches the run
                with contextlib.suppress(Exception):
                    waits.check(run_id)
    except KeyboardInterrupt:
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            instance.report_run_canceled(run, message=f"{label}: interrupted (Ctrl-C or SIGTERM); the command stopped")
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        raise RunInterrupted(label, run_id, []) from None
    if "error" in box:
        raise box["error"]
    return box["result"]


def _op_config(assets: set[str], allow_empty: bool, allow_shrink: bool) -> dict:
    """Run config of the selected ops: only ops in the run may be configured."""
    ops = {}
    if allow_empty and assets & INGESTION_ASSETS:
        ops["ingest_landing_files"] = {"config": {"allow_empty_month": True}}
    if allow_shrink and assets & {Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC, Stage.RELEASE_UNSCREENED}:
        ops["release_splits"] = {"config": {"allow_shrink": True}}
    if allow_shrink and Stage.RELEASE_MANIFEST in assets:
        ops[Stage.RELEASE_MANIFEST] = {"config": {"allow_shrink": True}}  # its op is named after the asset
    return ops


def _selected_assets(defs: dg.Definitions, selection: set[str] | None) -> tuple[set[str], set[str], set[str]]:
    """The monthly and the publication asset names, and those wanted (all when `selection` is None)."""
    monthly_assets = {
        k.to_user_string() for k in defs.resolve_job_def("monthly_pipeline").asset_layer.executable_asset_keys
    }
    publication_assets = {
        k.to_user_string() for k in defs.resolve_job_def("publication").asset_layer.executable_asset_keys
    }
    wanted = set(selection) if selection else monthly_assets | publication_assets
    unknown = wanted - monthly_assets - publication_assets
    if unknown:
        raise ValueError(f"unknown assets: {', '.join(sorted(unknown))}")
    # A step that makes several assets at once (release_splits: nontoxic, toxic, unscreened) runs whole.
    wanted |= {k.to_user_string() for name in wanted for k in defs.get_assets_def(name).keys
               if not defs.get_assets_def(name).can_subset}
    return monthly_assets, publication_assets, wanted


def _refuse_months_without_logs(warehouse: Warehouse, months: list[str]) -> None:
    """Refuse before anything runs when a month has no landing file, or no valid log line in them."""
    if empty := [m for m in months if not warehouse.landing_files(m)]:
        folders = ", ".join(str(warehouse.layout.landing_month_dir(m)) for m in empty)
        raise RunRefused(
            f"no landing files (*.jsonl, *.jsonl.gz) in {folders}: nothing was run. "
            "Pass --allow-empty to materialize empty months on purpose."
        )
    if invalid := [m for m in months if not month_has_valid_log(warehouse, m)]:
        folders = ", ".join(str(warehouse.layout.landing_month_dir(m)) for m in invalid)
        raise RunRefused(
            f"no valid log line in {folders} (files empty, or every line breaks the raw-log contract): "
            "nothing was run. Pass --allow-empty to materialize empty months on purpose."
        )


@dataclass
class _MonthRuns:
    """What the runs of one `run_months` call share, and their outcomes so far (reported as they come)."""

    defs: dg.Definitions
    instance: dg.DagsterInstance
    waits: PoolWaits
    warehouse: Warehouse
    settings: Settings
    report: Callable[[RunOutcome], None]
    planned: list[str]  # run labels in order, to name those an interruption leaves undone
    log_level: str
    allow_empty: bool
    allow_shrink: bool
    force: bool
    outcomes: list[RunOutcome] = field(default_factory=list)

    def record(self, outcome: RunOutcome) -> RunOutcome:
        self.outcomes.append(outcome)
        self.report(outcome)
        return outcome

    def skip(self, label: str, reason: str) -> None:
        skipped = RunOutcome(label=label, run_id="not run", success=False)
        skipped.failed_steps.append(f"skipped: {reason}")
        self.record(skipped)

    def execute(self, job: dg.JobDefinition, assets: set[str], label: str, partition_key: str | None,
                also_due: set[str] = frozenset()) -> RunOutcome:
        """Run the due partitions of `assets` (all with `force`); a run with nothing due is not launched."""
        if STOP_REQUESTED.is_set():
            raise KeyboardInterrupt
        plan = plan_run(self.defs, self.instance, self.warehouse, assets, partition_key, force=self.force,
                        also_due=also_due, settings=self.settings)
        if not plan.due:
            return self.record(RunOutcome(label=label, run_id="not run", success=True, fresh=plan.fresh))
        assets = set(plan.due)
        try:
            result = _execute_watched(
                job,
                self.instance,
                self.waits,
                label,
                run_config={
                    "loggers": {"console": {"config": {"log_level": self.log_level}}},
                    "ops": _op_config(assets, self.allow_empty, self.allow_shrink),
                },
                partition_key=partition_key,
                asset_selection=[dg.AssetKey(a) for a in sorted(assets)],
                raise_on_error=False,
                tags={
                    "wildchat/launched_by": "cli",
                    PROCESS_TAG: this_process(),
                    **plan.inputs_tag(self.warehouse, partition_key, self.settings),
                },
            )
        except RunInterrupted as interrupted:
            later = self.planned[self.planned.index(label) + 1:] if label in self.planned else []
            raise RunInterrupted(label, interrupted.run_id, later) from None
        # the run is finished: nothing reads its step outputs again
        remove_run_outputs(self.warehouse.layout, result.run_id)
        outcome = _summarise(label, result)
        outcome.due, outcome.fresh = plan.due, plan.fresh
        return self.record(outcome)

    def ingest(self, job: dg.JobDefinition, months: list[str]) -> set[str]:
        """Ingest `months` and their neighbours that have landing files but no raw logs; the months that failed."""
        # Linking month M reads raw logs of M-1 and M+1: ingest neighbours that have landing files.
        landed = set(self.warehouse.landing_months())
        neighbours = {m for month in months for m in month_window(month)} - set(months)
        missing = {m for m in neighbours & landed if not self.warehouse.has_partition(Stage.RAW_LOGS, m)}
        return {
            month
            for month in sorted(set(months) | missing)
            if not self.execute(job, INGESTION_ASSETS, f"{month} ingestion", month).ok
        }


def run_months(
    months: list[str],
    selection: set[str] | None = None,
    layout: DataLayout | str | Path | None = None,
    report: Callable[[RunOutcome], None] = lambda outcome: None,
    log_level: str = "INFO",
    *,
    notify: Callable[[str], None] = lambda message: None,
    allow_empty: bool = False,
    allow_shrink: bool = False,
    force: bool = False,
    settings: Settings | None = None,
) -> list[RunOutcome]:
    """Materialize `selection` (asset names; all when None) for `months`: only the asset partitions
    that are missing or stale (see `freshness`), all of them with `force`.

    `allow_empty` materializes months without landing files as empty months (otherwise the
    command is refused before anything runs); `allow_shrink` lets a republished month hold
    fewer conversations than its published version (deletion requests). `settings` (default: the
    environment's) configure every stage; `layout`, when given, replaces their data root.
    """
    settings = Settings.from_environ() if settings is None else settings
    layout = settings.layout if layout is None else layout if isinstance(layout, DataLayout) else DataLayout(layout)
    check_configuration(layout, months, settings.variables)
    home = ensure_dagster_home(layout, settings)
    from wildchat_dagster.definitions import build_definitions

    defs = build_definitions(settings, layout)

    instance = open_instance(home)
    reap_dead_runs(instance, notify)
    waits = PoolWaits(instance, notify)
    monthly = defs.resolve_job_def("monthly_pipeline")
    monthly_assets, publication_assets, wanted = _selected_assets(defs, selection)

    warehouse = Warehouse(layout)
    if wanted & INGESTION_ASSETS and not allow_empty:
        _refuse_months_without_logs(warehouse, months)

    stopped = True  # the pool's workers are killed unless every run returned
    try:
        runs = _MonthRuns(
            defs, instance, waits, warehouse, settings, report,
            planned=[f"{m} ingestion" for m in months] + list(months) + ["publication"],
            log_level=log_level, allow_empty=allow_empty, allow_shrink=allow_shrink, force=force,
        )
        failed_ingestion = runs.ingest(monthly, months) if wanted & INGESTION_ASSETS else set()

        rest = wanted & monthly_assets - INGESTION_ASSETS
        if rest:
            for month in months:
                if failed := sorted(failed_ingestion & set(month_window(month))):
                    # Its conversations would be built from missing logs: leave the month as it was.
                    runs.skip(month, f"ingestion of {', '.join(failed)} failed")
                    continue
                runs.execute(monthly, rest, month, month)

        publish = wanted & publication_assets
        if publish and (failed := [o.label for o in runs.outcomes if not o.ok]):
            # A failed month may have left the release half-updated: publish only from a clean state.
            runs.skip("publication", f"{', '.join(failed)} failed")
        elif publish:
            ran = {asset for outcome in runs.outcomes for asset in outcome.due}
            runs.execute(defs.resolve_job_def("publication"), publish, "publication", None, also_due=ran)
        restrict_to_owner(home)  # the runs' own event-log databases, created since the instance opened
        stopped = False
    finally:
        shutdown_pools(kill=stopped)  # warm workers serve one command: none outlives it
    return runs.outcomes
