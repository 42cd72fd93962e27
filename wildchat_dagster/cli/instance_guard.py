"""The Dagster instance the CLI records its runs in, kept usable when processes die or race.

- Created once: a fresh SQLite instance migrates its schema on first use, and two
  processes doing that together corrupt it, so the CLI opens it under a file lock.
  Processes that share an instance in parallel need it initialised first (any CLI
  command does) or a PostgreSQL instance.
- Runs whose process is gone (kill -9, a crashed machine) would stay STARTED and
  keep their pool slots for good, blocking every later run at that pool: each run
  is tagged with its process, and `reap_dead_runs` marks such runs failed and frees
  their slots. The daemon's run monitoring (dagster.yaml) does the same for runs it
  launched.
- A step waiting for a pool says so once, at INFO, naming the run that holds it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import psutil
import sqlalchemy.orm  # noqa: F401  imported whole before runs start in worker threads (a lazy import raced there)
from filelock import FileLock

from wildchat_dagster.core.storage.warehouse import restrict_to_owner

PROCESS_TAG = "wildchat/process"  # host:pid:start-time of the process executing the run in-process
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
# Every status a run can still leave (MANAGED: an old status no run reaches any more, as in Dagster's own list).
NOT_FINISHED_STATUSES = [s for s in dg.DagsterRunStatus if s not in FINISHED and s != dg.DagsterRunStatus.MANAGED]
INIT_LOCK_TIMEOUT_S = 300


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()) or ''}"


def process_alive(tag: str) -> bool | None:
    """Whether the process a run was tagged with still runs; None when it ran on another host."""
    host, _, rest = tag.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if started and Path("/proc").is_dir():
        return _start_time(pid) == started
    return psutil.pid_exists(pid)


def open_instance(home: Path) -> dg.DagsterInstance:
    """The instance at `home`, its storage created or migrated by one process at a time."""
    with FileLock(str(home / ".instance.lock"), timeout=INIT_LOCK_TIMEOUT_S):
        instance = dg.DagsterInstance.from_config(str(home))
        # Touch every storage, so each one's tables exist before the lock is released.
        instance.get_runs(limit=1)
        instance.event_log_storage.get_concurrency_keys()
        instance.all_instigator_state()
        restrict_to_owner(home)  # run history, event logs and step outputs: 0600 files, 0700 folders
    return instance


def reap_dead_runs(instance: dg.DagsterInstance, notify: Callable[[str], None]) -> list[str]:
    """Mark unfinished runs whose process is gone as failed, and free pool slots no live run holds."""
    reaped = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(NOT_FINISHED_STATUSES))):
        tag = run.tags.get(PROCESS_TAG)
        if tag is None or process_alive(tag) is not False:
            continue  # launched by the daemon or the UI (run monitoring's concern), or still running
        instance.report_run_failed(
            run, message=f"the process that ran it ({tag}) is gone; marked failed by the next run"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
        notify(f"run {run.run_id[:8]} ({run.tags.get('dagster/partition', 'unpartitioned')}) was left "
               f"{run.status.value} by a process that is gone: marked failed, its pool slots freed")
    # Slots of runs that finished without releasing them (a run marked failed elsewhere).
    storage = instance.event_log_storage
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        holders = info.active_run_ids | {step.run_id for step in info.pending_steps}
        for run_id in holders - set(reaped):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                notify(f"pool {pool}: freed the slot of run {run_id[:8]}, which has finished")
    return reaped


class PoolWaits:
    """Reports, once per step and holder, that a run's step waits for a pool another run holds."""

    def __init__(self, instance: dg.DagsterInstance, notify: Callable[[str], None]):
        self._instance = instance
        self._notify = notify
        self._told: set[tuple] = set()

    def check(self, run_id: str) -> None:
        storage = self._instance.event_log_storage
        for pool in storage.get_concurrency_keys():
            info = storage.get_concurrency_info(pool)
            waiting = [s.step_key for s in info.pending_steps if s.run_id == run_id and s.assigned_timestamp is None]
            holders = sorted(info.active_run_ids - {run_id})
            if not waiting or (pool, tuple(waiting), tuple(holders)) in self._told:
                continue
            self._told.add((pool, tuple(waiting), tuple(holders)))
            held_by = ", ".join(self._describe(h) for h in holders) or "no run (slots being reassigned)"
            self._notify(f"step {', '.join(waiting)} of run {run_id[:8]} waits for pool {pool} "
                         f"(limit {info.limit}), held by {held_by}")

    def _describe(self, run_id: str) -> str:
        run = self._instance.get_run_by_id(run_id)
        if run is None:
            return f"run {run_id}"
        where = run.tags.get(PROCESS_TAG, "launched by the daemon or the UI")
        return (
            f"run {run_id} ({run.status.value}, {run.tags.get('dagster/partition', 'unpartitioned')}, process {where})"
        )
