"""Configuration errors fail before any stage runs, in one line each, naming the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.core.moderation.detoxify_model import load_detoxify
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.preflight import SETTINGS, configuration_problems

PACKAGE = Path(__file__).resolve().parent.parent / "wildchat_dagster"


def run_cli(data_dir: Path, *args: str, **env: str):
    result = CliRunner(env={"DAGSTER_HOME": str(data_dir / "dagster_home"), **env}).invoke(
        main, ["run", "--months", "2023-04", *args]
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def landed(data_dir: Path) -> Path:
    (data_dir / "landing" / "2023-04").mkdir(parents=True)
    (data_dir / "landing" / "2023-04" / "part.jsonl").write_text("{}\n")
    return data_dir


@pytest.mark.parametrize(
    "env, message",
    [
        ({"WILDCHAT_DETOXIFY_CHECKPOINT": "/nonexistent/model.ckpt"}, "WILDCHAT_DETOXIFY_CHECKPOINT=/nonexistent/model.ckpt: no such file"),
        ({"WILDCHAT_DETOXIFY_CONFIG_DIR": "/nonexistent"}, "WILDCHAT_DETOXIFY_CONFIG_DIR=/nonexistent: no config.json there"),
        ({"WILDCHAT_START_MONTH": "garbage"}, "WILDCHAT_START_MONTH='garbage' is not a month: expected YYYY-MM"),
        ({"WILDCHAT_START_MONTH": "2023-06"}, "2023-04 precedes WILDCHAT_START_MONTH=2023-06: set WILDCHAT_START_MONTH to 2023-04"),
        ({"WILDCHAT_IP_HASH_KEY": "short"}, "WILDCHAT_IP_HASH_KEY is 5 bytes long; use at least 16"),
        ({"WILDCHAT_DATADIR": "/tmp"}, "WILDCHAT_DATADIR is not a setting of wildchat-dagster"),
        ({"WILDCHAT_SHARD_ROWS": "0"}, "WILDCHAT_SHARD_ROWS='0': expected a positive whole number"),
        ({"WILDCHAT_EXECUTOR": "threads"}, "WILDCHAT_EXECUTOR='threads': expected one of in_process, multiprocess"),
    ],
)
def test_a_wrong_setting_fails_before_any_stage_runs(landed, env, message):
    result = run_cli(landed, **env)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not (landed / "warehouse").exists() and not (landed / "dagster_home").exists()


def test_an_exposed_key_file_is_found_first(landed, monkeypatch):
    monkeypatch.delenv("WILDCHAT_IP_HASH_KEY")
    key = landed / "secrets" / "ip_hash.key"
    key.parent.mkdir()
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    result = run_cli(landed)
    assert result.exit_code == 1 and "is accessible by other users (mode 644)" in result.output
    assert not (landed / "warehouse").exists()


def test_a_data_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("WILDCHAT_DATA_DIR", str(blocker / "data"))
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", "a-long-enough-test-key")
    result = CliRunner().invoke(main, ["run", "--months", "2023-04"])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line == f"Error: data folder {blocker / 'data'} is not writable (Not a directory): choose another with --data-dir or WILDCHAT_DATA_DIR"


def test_every_problem_is_listed_at_once(tmp_path):
    env = {"WILDCHAT_START_MONTH": "2023-13", "WILDCHAT_IP_HASH_KEY": "x", "WILDCHAT_DETOXIFY_CHECKPOINT": "/no"}
    problems = configuration_problems(DataLayout(tmp_path), ["2023-04"], env)
    assert [p.split("=")[0].split(" ")[0] for p in problems] == [
        "WILDCHAT_START_MONTH", "WILDCHAT_IP_HASH_KEY", "WILDCHAT_DETOXIFY_CHECKPOINT"]
    assert configuration_problems(DataLayout(tmp_path), ["2023-04"], {"WILDCHAT_IP_HASH_KEY": "a-long-enough-test-key"}) == []


def test_every_wildchat_variable_in_the_package_is_validated():
    used = {name for path in PACKAGE.rglob("*.py") for name in re.findall(r"\bWILDCHAT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text())}
    used -= {"WILDCHAT_1M", "WILDCHAT_4_8M"}  # the schemas' names, not variables
    assert used <= set(SETTINGS), used - set(SETTINGS)


def test_a_configured_but_missing_checkpoint_is_an_error_not_a_fallback(tmp_path):
    pytest.importorskip("detoxify")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_detoxify("multilingual", str(tmp_path / "missing.ckpt"), None, "cpu", 8, None, tmp_path)
