"""A new user's first hour: months as people write them, one-line errors, demos that leave data alone."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.core.months import month_range
from wildchat_dagster.core.reporting.report import OVERALL, side_by_side

from conftest import REPO


def test_unpadded_months_and_ranges_are_accepted():
    assert month_range("2023-4") == ["2023-04"]
    assert month_range("2023-4:2023-6") == ["2023-04", "2023-05", "2023-06"]
    assert month_range(" 2023-11:2024-1 ") == ["2023-11", "2023-12", "2024-01"]


@pytest.mark.parametrize(("spec", "said"), [
    ("2023-13", "13 is not between 1 and 12"),
    ("April", "is not a month: expected YYYY-MM"),
    ("2023-06:2023-04", "ends before it starts"),
])
def test_bad_months_are_worded_for_people(data_dir, spec, said):
    result = CliRunner().invoke(main, ["run", "--months", spec])
    assert result.exit_code == 2 and said in result.output
    assert "Traceback" not in result.output and "unconverted data" not in result.output


@pytest.mark.slow
def test_a_whole_run_of_an_unpadded_month_ends_with_its_summary(data_dir, tmp_path):
    """`run --months 2023-4` finds landing/2023-04, and the process ends on its summary: no teardown noise
    (DuckDB's bindings printed ~40 `nanobind: leaked` lines after it)."""
    assert CliRunner().invoke(main, ["generate", "--months", "2023-04", "--conversations-per-month", "12",
                                     "--short"]).exit_code == 0
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    ran = subprocess.run([sys.executable, "-m", "wildchat_dagster.cli", "run", "--months", "2023-4"], env=env,
                         capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "== 2023-04: ok" in ran.stdout and (data_dir / "release" / "nontoxic" / "2023-04.parquet").exists()
    assert "nanobind" not in ran.stderr and "leaked" not in ran.stderr, ran.stderr[-2000:]
    assert ran.stdout.rstrip().splitlines()[-1].startswith("runs are recorded in")


@pytest.mark.parametrize("command", [
    ["generate", "--months", "2023-04", "--conversations-per-month", "5"],
    ["import-release", str(REPO / "wildchat_dagster/kit/samples/real_wildchat/wildchat1m_fullschema_5rows.jsonl")],
    ["run", "--months", "2023-04"],
])
def test_a_data_folder_that_is_a_file_is_one_line(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, [*command, "--data-dir", str(blocker / "data")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2, result.output
    assert f"{blocker} is a file, not a folder" in result.output


def test_an_unwritable_data_folder_is_one_line(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere: make the folder's parent a file instead
        target = tmp_path / "file" / "data"
        (tmp_path / "file").write_text("")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "data"
    result = CliRunner().invoke(main, ["generate", "--months", "2023-04", "--data-dir", str(target)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_demo_never_writes_into_a_users_data(tmp_path):
    users = tmp_path / "data"
    assert CliRunner().invoke(main, ["generate", "--months", "2023-04", "--conversations-per-month", "5",
                                     "--data-dir", str(users)]).exit_code == 0
    before = sorted(p.relative_to(users) for p in users.rglob("*"))
    for demo in (["demo"], ["demo", "--real"]):
        result = CliRunner().invoke(main, [*demo, "--data-dir", str(users)])
        assert result.exit_code == 1 and "holds data that no demo made" in result.output, result.output
    assert sorted(p.relative_to(users) for p in users.rglob("*")) == before


def test_the_real_demo_has_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "./data-real" in help_text


def test_rounds_are_listed_in_numeric_order():
    counts = pd.DataFrame({"month": [OVERALL] * 4, "rounds": [1, 17, 18, 2], "share": [0.6, 0.01, 0.02, 0.37]})
    assert side_by_side(counts, "rounds", top=30, in_key_order=True)["rounds"].tolist() == [1, 2, 17, 18]
    assert side_by_side(counts, "rounds")["rounds"].tolist() == [1, 2, 18, 17]  # a ranking stays a ranking


def test_a_settled_install_says_so_in_one_line():
    """scripts/test.sh installed just before the tests ran: a second install has nothing to do."""
    if not (REPO / ".venv" / ".wildchat-install").exists():
        pytest.fail("the suite runs after scripts/install.sh (scripts/test.sh): .venv/.wildchat-install is missing")
    done = subprocess.run(["bash", "scripts/install.sh"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) <= 2 and "up to date" in lines[0], lines


def test_the_readme_dataset_example_runs_on_the_install():
    """The README's load_dataset example needs `datasets`, which the install itself provides."""
    assert "datasets" in (REPO / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]
    subprocess.run([sys.executable, "-c", "import datasets"], check=True, timeout=120)
