"""`wildchat-dagster ui`: Dagster's `dg dev` (webserver + daemon + code server), stopped as one.

`dg dev` runs in a session of its own, so its webserver, daemon, code server
and the runs they launch share one process group. Ctrl-C or SIGTERM to the
`wildchat-dagster ui` process is passed on to that whole group; whatever is
still alive after a grace period is killed, so no server or run outlives the UI.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import wildchat_dagster as package
from wildchat_dagster.core.months import month_of, shift_month
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.settings import END_MONTH_ENV, START_MONTH_ENV, Settings
from wildchat_dagster.stages import Stage

REPO = Path(package.__file__).resolve().parent.parent  # the checkout holding pyproject.toml's [tool.dg]
STOP_GRACE_S = 20.0  # dagster dev shuts its children down in a few seconds


def dg_dev_command(port: int, host: str) -> list[str]:
    """`dg dev` of this interpreter's environment, on the project when run from a checkout."""
    dg = Path(sys.executable).parent / "dg"
    args = [str(dg), "dev", "--host", host, "--port", str(port)]
    if (REPO / "pyproject.toml").exists():
        # The project's [tool.dg] table names the code location; this venv runs it.
        return [*args, "--target-path", str(REPO), "--use-active-venv"]
    return [*args, "--module-name", "wildchat_dagster.definitions"]  # an installed wheel, no checkout


def stop_group(process: subprocess.Popen, grace_s: float | None = None) -> None:
    """SIGTERM the process group led by `process`, then SIGKILL whatever is left after `grace_s`."""
    grace_s = STOP_GRACE_S if grace_s is None else grace_s
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or it stays in the group as a zombie
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_until_stopped(args: list[str], env: dict[str, str] | None = None) -> int:
    """Run `args` in a new session until it exits or this process gets SIGINT/SIGTERM; then stop its whole group."""
    process = subprocess.Popen(args, env=env, start_new_session=True)
    stopping: list[int] = []

    def on_signal(signum, _frame) -> None:
        stopping.append(signum)
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        returncode = process.wait()
    except KeyboardInterrupt:
        returncode = 128 + (stopping[0] if stopping else signal.SIGINT)
    finally:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stop_group(process)
        for s, handler in previous.items():
            signal.signal(s, handler)
    return returncode


def venv_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with this virtualenv marked active, as `dg dev --use-active-venv` expects."""
    env = dict(environ)
    env["VIRTUAL_ENV"] = sys.prefix
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def past_data_months(settings: Settings, now: dt.datetime | None = None) -> tuple[str, str] | None:
    """(first, last) month of the data folder when it holds only past months and the user set neither
    partition bound: the UI then lists those months, not every month from the start month to today
    (a demo of 2023 would show 45 partitions, 42 missing). None for live data (a month within the last
    two: the partitions keep growing with the calendar) and for an empty folder."""
    if START_MONTH_ENV in settings.variables or END_MONTH_ENV in settings.variables:
        return None
    store = Warehouse(settings.layout)
    months = sorted(set(store.landing_months()) | set(store.stored_months(Stage.RAW_LOGS)))
    current = month_of(now or dt.datetime.now(dt.UTC))
    if not months or months[-1] >= shift_month(current, -1):
        return None
    return months[0], months[-1]
