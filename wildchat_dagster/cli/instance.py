"""The Dagster instance's configuration (dagster.yaml), chosen by environment variables.

By default the instance is SQLite files under DAGSTER_HOME: one machine. Set
WILDCHAT_POSTGRES_URL and runs, event logs, schedules and concurrency pools
live in PostgreSQL (dagster-postgres), shared by every process and machine;
set WILDCHAT_CELERY_BROKER too and each run (a month) is launched as a Celery
task (dagster-celery's CeleryRunLauncher) that one worker executes. The file
names the variables, never their values, so no secret is written to disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import yaml

from wildchat_dagster.settings import CELERY_BROKER_ENV, POSTGRES_URL_ENV

# SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; dagster-postgres installs psycopg2.
POSTGRES_SCHEME = "postgresql+psycopg2://"
CELERY_QUEUE = "dagster"
GENERATED_MARK = (
    "# written by wildchat-dagster from WILDCHAT_* variables, rewritten when they change; delete this line to keep "
    "edits\n"
)


def instance_config(env: Mapping[str, str] = os.environ) -> dict:
    """dagster.yaml as a dict for the environment `env`."""
    config: dict = {
        "telemetry": {"enabled": False},
        # One step at a time per pool (the OpenAI moderation budget) across every run of
        # the instance: with PostgreSQL, across every worker and machine too.
        "concurrency": {"pools": {"default_limit": 1}},
        # The daemon marks runs it launched failed when their worker dies, and frees the pool slots
        # of finished runs (the CLI reaps its own dead runs: instance_guard.reap_dead_runs).
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 300,
            "cancel_timeout_seconds": 180,
            "max_resume_run_attempts": 0,
            "poll_interval_seconds": 60,
            "free_slots_after_run_end_seconds": 60,
        },
    }
    if url := env.get(POSTGRES_URL_ENV):
        if not url.startswith(POSTGRES_SCHEME):
            raise ValueError(
                f"{POSTGRES_URL_ENV} must start with {POSTGRES_SCHEME} (the driver dagster-postgres installs)"
            )
        config["storage"] = {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}}
    if env.get(CELERY_BROKER_ENV):
        if not env.get(POSTGRES_URL_ENV):
            raise ValueError(f"{CELERY_BROKER_ENV} needs {POSTGRES_URL_ENV}: workers must share the instance")
        # Celery's queue is the queue: a run is sent to the broker as soon as it is submitted
        # (no daemon needed to dequeue it), and a free worker takes it.
        config["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "DefaultRunCoordinator"}
        config["run_launcher"] = {
            "module": "dagster_celery.launcher",
            "class": "CeleryRunLauncher",
            "config": {"broker": {"env": CELERY_BROKER_ENV}, "backend": {"env": CELERY_BROKER_ENV},
                       "default_queue": CELERY_QUEUE},
        }
    return config


def instance_yaml(env: Mapping[str, str] = os.environ) -> str:
    return GENERATED_MARK + yaml.safe_dump(instance_config(env), sort_keys=False)
