"""dagster.yaml from WILDCHAT_* variables: SQLite by default, PostgreSQL and Celery by configuration."""

from __future__ import annotations

import os

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from wildchat_dagster.cli.instance import CELERY_BROKER_ENV, POSTGRES_URL_ENV, instance_config, instance_yaml
from wildchat_dagster.cli.runner import ensure_dagster_home
from wildchat_dagster.core.storage.layout import DataLayout

PG = "postgresql+psycopg2://dagster:not-a-secret@db:5432/dagster"


def test_default_is_sqlite_with_one_slot_per_pool():
    config = instance_config({})
    assert "storage" not in config and "run_launcher" not in config
    assert config["concurrency"] == {"pools": {"default_limit": 1}} and config["telemetry"] == {"enabled": False}


def test_postgres_and_celery_name_the_variables_never_their_values(tmp_path):
    text = instance_yaml({POSTGRES_URL_ENV: PG, CELERY_BROKER_ENV: "redis://broker:6379/0"})
    assert "not-a-secret" not in text and "broker:6379" not in text
    config = yaml.safe_load(text)
    assert config["storage"] == {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}}
    assert config["run_launcher"]["class"] == "CeleryRunLauncher"
    (tmp_path / "dagster.yaml").write_text(text)
    dagster_instance_config(str(tmp_path))  # Dagster's own schema accepts the file


def test_misconfigurations_are_named():
    with pytest.raises(ValueError, match="postgresql\\+psycopg2://"):
        instance_config({POSTGRES_URL_ENV: "postgresql://db/dagster"})
    with pytest.raises(ValueError, match=POSTGRES_URL_ENV):
        instance_config({CELERY_BROKER_ENV: "redis://broker"})  # workers cannot share a SQLite instance


def test_the_generated_file_follows_the_environment_but_an_edited_one_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv(POSTGRES_URL_ENV, raising=False)
    layout = DataLayout(tmp_path)
    config = ensure_dagster_home(layout) / "dagster.yaml"
    assert "postgres" not in config.read_text()
    assert "DAGSTER_HOME" not in os.environ  # the home is handed on as an argument, never written there
    monkeypatch.setenv(POSTGRES_URL_ENV, PG)
    ensure_dagster_home(layout)
    assert yaml.safe_load(config.read_text())["storage"]["postgres"]
    config.write_text("telemetry:\n  enabled: false\n")  # the operator's own file
    ensure_dagster_home(layout)
    assert config.read_text() == "telemetry:\n  enabled: false\n"
