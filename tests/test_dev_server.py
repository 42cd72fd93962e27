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
