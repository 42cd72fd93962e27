"""The command line: help everywhere, clear errors for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main


@pytest.mark.parametrize(
    "command", [[], ["generate"], ["run"], ["ui"], ["bench"], ["rejected"], ["import-release"], ["demo"], ["explain"]]
)
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_bad_month_range_is_a_usage_error(data_dir):
    result = CliRunner().invoke(main, ["run", "--months", "2023-06:2023-04"])
    assert result.exit_code == 2
    assert "ends before it starts" in result.output


def test_unknown_asset_is_a_usage_error(data_dir):
    result = CliRunner().invoke(main, ["run", "--months", "2023-04", "--select", "no_such_asset"])
    assert result.exit_code == 2
    assert "unknown assets: no_such_asset" in result.output


def test_rejected_without_runs_says_what_to_do(data_dir):
    result = CliRunner().invoke(main, ["rejected", "--months", "2023-04"])
    assert result.exit_code == 1
    assert "run them first" in result.output


def test_run_exits_non_zero_when_a_step_fails(data_dir):
    """A landing file that cannot be opened fails ingestion: the summary says FAILED and the exit code is 1."""
    landing = data_dir / "landing" / "2023-04"
    (landing / "requests-000.jsonl.gz").mkdir(parents=True)  # a folder where a file should be
    result = CliRunner(env={"DAGSTER_HOME": str(data_dir / "dagster_home")}).invoke(
        main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs"]
    )
    assert result.exit_code == 1, result.output
    assert "== 2023-04 ingestion: FAILED" in result.output
    assert "step failed: ingest_landing_files" in result.output


def test_rejected_lists_reasons_and_lines_after_a_run(data_dir):
    runner = CliRunner(env={"DAGSTER_HOME": str(data_dir / "dagster_home")})
    assert runner.invoke(main, ["generate", "--months", "2023-04", "--conversations-per-month", "30"]).exit_code == 0
    ran = runner.invoke(main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs"])
    assert ran.exit_code == 0, ran.output
    result = runner.invoke(main, ["rejected", "--months", "2023-04", "--limit", "3"])
    assert result.exit_code == 0, result.output
    truth = [json.loads(line) for line in (data_dir / "ground_truth" / "rejected.jsonl").read_text().splitlines()]
    for reason in {t["reason"] for t in truth}:
        assert f"  {reason}" in result.output
    assert sum(1 for line in result.output.splitlines() if line.startswith("landing/2023-04/")) == 3


def test_a_month_whose_ingestion_failed_is_not_linked(data_dir):
    """No empty release for a month whose logs could not be read: its later stages are skipped."""
    runner = CliRunner(env={"DAGSTER_HOME": str(data_dir / "dagster_home")})
    assert runner.invoke(main, ["generate", "--months", "2023-04", "--conversations-per-month", "30"]).exit_code == 0
    (data_dir / "landing" / "2023-04" / "requests-009.jsonl.gz").mkdir()  # cannot be read
    result = runner.invoke(
        main, ["run", "--months", "2023-04", "--select", "raw_logs,rejected_logs,linked_conversations"]
    )
    assert result.exit_code == 1, result.output
    assert "skipped: ingestion of 2023-04 failed" in result.output
    assert not (data_dir / "warehouse" / "linked_conversations" / "2023-04.parquet").exists()
