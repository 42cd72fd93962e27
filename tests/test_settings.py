"""Settings are read once into one typed object: values parsed from a mapping, each wrong value an
error naming its variable, CLI options over the environment, and no other module reading os.environ."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.settings import DEFAULT_BATCH_ROWS, Settings, SettingsError

PACKAGE = Path(__file__).resolve().parent.parent / "wildchat_dagster"
# instance.py writes dagster.yaml from the same variables; nothing else reads the environment.
READ_THE_ENVIRONMENT = {PACKAGE / "settings.py", PACKAGE / "cli" / "instance.py"}


def test_values_are_parsed_from_a_mapping(tmp_path):
    settings = Settings.from_environ({
        "WILDCHAT_DATA_DIR": str(tmp_path / "root"), "WILDCHAT_START_MONTH": "2024-01",
        "WILDCHAT_RELEASE_SCHEMA": " WildChat-4.8M ", "WILDCHAT_RELEASE_LICENSE": "cc-by-4.0",
        "WILDCHAT_BATCH_ROWS": "10", "WILDCHAT_SHARD_ROWS": "25", "WILDCHAT_EXECUTOR": " Multiprocess",
        "WILDCHAT_MAX_CONCURRENT": "3", "WILDCHAT_IP_HASH_KEY": "a-secret-key-of-enough-bytes",
        "WILDCHAT_DETOXIFY_CHECKPOINT": "/models/detoxify.ckpt", "OPENAI_API_KEY": "sk-not-a-key",
        "UNRELATED": "ignored",
    })
    assert (settings.data_dir, settings.start_month) == (str(tmp_path / "root"), "2024-01")
    assert (settings.release_schema, settings.release_license) == ("wildchat-4.8m", "cc-by-4.0")
    assert (settings.batch_rows, settings.shard_rows) == (10, 25)
    assert (settings.executor, settings.max_concurrent) == ("multiprocess", 3)
    assert settings.detoxify_checkpoint == "/models/detoxify.ckpt" and settings.detoxify_config_dir is None
    assert settings.layout.warehouse_dir == tmp_path / "root" / "warehouse"
    assert "UNRELATED" not in settings.variables
    # Secrets stay out of the repr and out of the fingerprint freshness records in run tags.
    assert "a-secret-key" not in repr(settings) and "sk-not-a-key" not in repr(settings)
    items = settings.fingerprint_items()
    assert "WILDCHAT_BATCH_ROWS=10" in items and items == sorted(items)
    assert not [i for i in items if i.startswith(("WILDCHAT_DATA_DIR", "WILDCHAT_IP_HASH_KEY", "OPENAI"))]


def test_defaults_and_empty_values():
    settings = Settings.from_environ({"WILDCHAT_BATCH_ROWS": "", "WILDCHAT_EXECUTOR": ""})
    assert settings.batch_rows == DEFAULT_BATCH_ROWS and settings.executor == "in_process"
    assert settings.max_concurrent is None and settings.release_schema == "wildchat-1m"
    assert settings.data_dir == str(Path("data").resolve())
    remote = Settings.from_environ({"WILDCHAT_DATA_DIR": "s3://bucket/prefix"})
    assert remote.data_dir == "s3://bucket/prefix" and remote.local_dir == str(Path("data-local").resolve())


@pytest.mark.parametrize("name, value, message", [
    ("WILDCHAT_START_MONTH", "2023-13", "WILDCHAT_START_MONTH='2023-13' is not a month"),
    ("WILDCHAT_RELEASE_SCHEMA", "wildchat-2m", "WILDCHAT_RELEASE_SCHEMA='wildchat-2m': expected one of"),
    ("WILDCHAT_BATCH_ROWS", "0", "WILDCHAT_BATCH_ROWS='0': expected a positive whole number"),
    ("WILDCHAT_SHARD_ROWS", "1e3", "WILDCHAT_SHARD_ROWS='1e3': expected a positive whole number"),
    ("WILDCHAT_EXECUTOR", "dask", "WILDCHAT_EXECUTOR='dask': expected one of in_process, multiprocess"),
])
def test_a_bad_value_is_an_error_naming_its_variable(name, value, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_environ({name: value})


def test_every_bad_value_is_named_at_once():
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({"WILDCHAT_BATCH_ROWS": "-1", "WILDCHAT_EXECUTOR": "multiprocess",
                               "WILDCHAT_MAX_CONCURRENT": "x"})
    assert [line.split("=")[0] for line in str(raised.value).splitlines()] == [
        "WILDCHAT_BATCH_ROWS", "WILDCHAT_MAX_CONCURRENT"]


def test_options_override_the_environment(tmp_path):
    environ = {"WILDCHAT_DATA_DIR": str(tmp_path / "from-env"), "WILDCHAT_RELEASE_SCHEMA": "wildchat-1m",
               "WILDCHAT_SHARD_ROWS": "100"}
    settings = Settings.from_environ(environ, data_dir=str(tmp_path / "from-cli"), release_schema="wildchat-4.8m",
                                     shard_rows=7, local_dir=None)
    assert settings.data_dir == str(tmp_path / "from-cli") and settings.release_schema == "wildchat-4.8m"
    assert settings.shard_rows == 7
    assert settings.variables["WILDCHAT_RELEASE_SCHEMA"] == "wildchat-4.8m"  # what freshness fingerprints
    assert environ["WILDCHAT_RELEASE_SCHEMA"] == "wildchat-1m"  # the environment itself is left alone
    with pytest.raises(TypeError):
        Settings.from_environ(environ, ip_hash_key="secrets are no options")


def test_cli_options_override_the_environment_without_writing_it(tmp_path, monkeypatch):
    """`--data-dir` wins over WILDCHAT_DATA_DIR, and the command leaves the process environment as it was."""
    monkeypatch.setenv("WILDCHAT_DATA_DIR", str(tmp_path / "from-env"))
    result = CliRunner().invoke(main, ["generate", "--months", "2023-04", "--conversations-per-month", "3",
                                       "--short", "--data-dir", str(tmp_path / "from-cli")])
    assert result.exit_code == 0, result.output
    assert any((tmp_path / "from-cli" / "landing" / "2023-04").iterdir())
    assert not (tmp_path / "from-env").exists()
    import os

    assert os.environ["WILDCHAT_DATA_DIR"] == str(tmp_path / "from-env")


def test_a_bad_value_fails_a_command_in_one_line(tmp_path):
    result = CliRunner(env={"WILDCHAT_BATCH_ROWS": "many"}).invoke(
        main, ["sql", "SELECT 1", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == "Error: WILDCHAT_BATCH_ROWS='many': expected a positive whole number"


def test_only_the_settings_and_instance_modules_read_the_environment():
    readers = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                     if re.search(r"\bos\.environ\b|\bgetenv\(|\bfrom os import (environ|getenv)\b", path.read_text())
                     and path not in READ_THE_ENVIRONMENT)
    assert readers == []


def test_variable_names_are_spelled_in_settings_only():
    """Every other module takes a name from settings.py (messages may still mention one)."""
    assignments = re.compile(r"^\s*[A-Z_]+\s*=\s*\"(WILDCHAT_[A-Z_]+|OPENAI_API_KEY|DAGSTER_HOME|HF_HUB_CACHE)\"", re.M)
    defining = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                      if assignments.search(path.read_text()))
    assert defining == ["settings.py"]


def test_the_ui_hands_its_settings_to_the_processes_of_dg_dev(tmp_path, monkeypatch):
    """`dg dev`'s code server re-imports the code location: it gets the CLI's settings as variables."""
    import os

    from wildchat_dagster.cli import dev_server

    handed: dict = {}
    monkeypatch.setattr(dev_server, "run_until_stopped", lambda command, env: handed.update(env) or 0)
    before = dict(os.environ)
    result = CliRunner(env={"DAGSTER_HOME": None}).invoke(main, ["ui", "--data-dir", str(tmp_path / "root")])
    assert result.exit_code == 0, result.output
    assert handed["WILDCHAT_DATA_DIR"] == str(tmp_path / "root")
    assert handed["DAGSTER_HOME"] == str(tmp_path / "root" / "dagster_home")
    assert (tmp_path / "root" / "dagster_home" / "dagster.yaml").is_file()
    assert dict(os.environ) == before


def test_settings_cannot_change_once_read():
    settings = Settings.from_environ({"WILDCHAT_BATCH_ROWS": "10"})
    with pytest.raises(AttributeError):
        settings.batch_rows = 20  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.variables["WILDCHAT_BATCH_ROWS"] = "20"  # type: ignore[index]
    assert settings == Settings.from_environ({"WILDCHAT_BATCH_ROWS": "10"}) and hash(settings)
