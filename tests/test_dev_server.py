"""`wildchat-dagster ui`: `dg dev` on the project, and Ctrl-C / SIGTERM stop everything it started.

The real UI is stopped with SIGTERM in tests/test_ui.py; here a stand-in
process tree (a child and a grandchild that ignores SIGTERM) shows the
supervision without starting Dagster.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.cli.dev_server import REPO, dg_dev_command

SUPERVISOR = """
import sys
from wildchat_dagster.cli import dev_server
dev_server.STOP_GRACE_S = 1.0
sys.exit(dev_server.run_until_stopped(sys.argv[1:]))
"""
# The stand-in for dg dev: starts a grandchild that ignores SIGTERM, writes both pids, waits.
CHILD = """
import os, signal, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
open(sys.argv[1], "w").write(f"{os.getpid()} {grandchild.pid}")
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_ui_runs_dg_dev_on_the_project():
    args = dg_dev_command(4000, "127.0.0.1")
    assert Path(args[0]).name == "dg" and args[1] == "dev"
    assert args[args.index("--port") + 1] == "4000" and args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--target-path") + 1] == str(REPO) and "--use-active-venv" in args
    help_text = CliRunner().invoke(main, ["ui", "--help"]).output
    assert "--port" in help_text and "Ctrl-C or SIGTERM" in help_text


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_ui_stops_its_whole_process_tree(tmp_path, stop):
    pids = tmp_path / "pids"
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISOR, sys.executable, "-c", CHILD, str(pids)], cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not (pids.exists() and len(pids.read_text().split()) == 2):
            assert supervisor.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        child, grandchild = map(int, pids.read_text().split())
        assert alive(child) and alive(grandchild)
        supervisor.send_signal(stop)
        assert supervisor.wait(timeout=30) == 128 + stop
        deadline = time.monotonic() + 10
        while (alive(child) or alive(grandchild)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child) and not alive(grandchild)  # the grandchild ignored SIGTERM: it was killed
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def _landed(root: Path, *months: str) -> Path:
    for month in months:
        (root / "landing" / month).mkdir(parents=True)
        (root / "landing" / month / "logs.jsonl").write_text("{}\n")
    return root


def test_the_ui_lists_the_months_of_a_folder_of_past_data_only(tmp_path):
    import datetime as dt

    from wildchat_dagster.cli.dev_server import past_data_months
    from wildchat_dagster.settings import Settings

    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    past = _landed(tmp_path / "past", "2023-04", "2023-06", "2023-05")
    assert past_data_months(Settings.from_environ({}, data_dir=str(past)), now) == ("2023-04", "2023-06")
    # Live data (a month within the last two): the partitions keep growing with the calendar.
    live = _landed(tmp_path / "live", "2026-10", "2026-11")
    assert past_data_months(Settings.from_environ({}, data_dir=str(live)), now) is None
    assert past_data_months(Settings.from_environ({}, data_dir=str(tmp_path / "empty")), now) is None
    # A bound the user set wins.
    given = Settings.from_environ({"WILDCHAT_END_MONTH": "2023-12"}, data_dir=str(past))
    assert past_data_months(given, now) is None


def test_an_end_month_bounds_the_partitions_and_run_says_which_months_fall_outside(tmp_path):
    env = {"WILDCHAT_END_MONTH": "2023-05", "WILDCHAT_DATA_DIR": str(tmp_path)}
    listed = subprocess.run(
        [sys.executable, "-c", "from wildchat_dagster.partitions import monthly_partitions as p; "
         "print(','.join(p.get_partition_keys()))"],
        env={**__import__("os").environ, **env}, capture_output=True, text=True, check=True, cwd=REPO)
    assert listed.stdout.strip() == "2023-04,2023-05"
    result = CliRunner().invoke(main, ["run", "--months", "2023-06"], env=env)
    assert result.exit_code != 0
    assert "2023-06 follows WILDCHAT_END_MONTH=2023-05: set WILDCHAT_END_MONTH to 2023-06 or later" in result.output
