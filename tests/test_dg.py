"""The `dg` CLI finds the project through pyproject's [tool.dg] table and loads its definitions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import MONTHLY_ASSETS, PUBLICATION_ASSETS, REPO

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def dg_env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """The environment of a shell with the project's venv active, over a temp data root and instance."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(home),
        # dg warns when the active venv is not the project's .venv; this is that venv.
        VIRTUAL_ENV=str(VENV_BIN.parent),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_dg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    dg = shutil.which("dg", path=str(VENV_BIN))
    assert dg, f"dg not found in {VENV_BIN}: pip install dagster-dg-cli==1.13.27"
    return subprocess.run([dg, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_dg_check_defs_passes(dg_env):
    result = run_dg(dg_env, "check", "defs")
    assert result.returncode == 0, f"dg check defs failed:\n{result.stdout}\n{result.stderr}"
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_dg_sees_every_asset_job_and_schedule(dg_env):
    result = run_dg(dg_env, "list", "defs", "--json")
    assert result.returncode == 0, f"dg list defs failed:\n{result.stdout}\n{result.stderr}"
    listed = json.loads(result.stdout)
    assert {a["asset_key"] for a in listed["assets"]} == set(MONTHLY_ASSETS + PUBLICATION_ASSETS)
    assert {j["name"] for j in listed["jobs"]} >= {"monthly_pipeline", "publication"}
    assert {s["name"] for s in listed["schedules"]} == {
        "monthly_ingestion_schedule",
        "monthly_schedule",
        "publication_schedule",
    }


def test_dg_check_defs_fails_on_a_broken_code_location(dg_env):
    # A start month that cannot be parsed breaks the partitions definition at import time.
    result = run_dg({**dg_env, "WILDCHAT_START_MONTH": "not-a-month"}, "check", "defs")
    assert result.returncode != 0, result.stdout + result.stderr
    assert "WILDCHAT_START_MONTH='not-a-month' is not a month" in result.stdout + result.stderr


def test_dg_and_workspace_yaml_name_the_code_location_alike():
    """Runs and schedule state are keyed by location name: `dg dev` and `dagster dev -w` must agree."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dg"]["project"]
    (entry,) = yaml.safe_load((REPO / "workspace.yaml").read_text())["load_from"]
    module = entry["python_module"]
    workspace_name = module.get("location_name", module["module_name"])
    assert project["code_location_target_module"] == module["module_name"]
    assert project["code_location_name"] == workspace_name
