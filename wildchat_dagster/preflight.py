"""Configuration checked before any stage runs, so a wrong setting fails in seconds, naming itself.

Without this, a typo in a path only warned (a missing Detoxify checkpoint let the
profanity fallback decide the split), a short IP-hash key surfaced at geotagging
after ingestion and linking had run, and a read-only data folder gave a traceback.
Every WILDCHAT_* variable is listed here; one this module does not know is an error
(most often a typo of a known one).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from wildchat_dagster import settings
from wildchat_dagster.core.geo.ip_hashing import KEY_ENV_VAR, MIN_KEY_LENGTH, read_key_file
from wildchat_dagster.core.moderation.detoxify_model import CHECKPOINT_ENV, CONFIG_DIR_ENV
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.instance import CELERY_BROKER_ENV, POSTGRES_URL_ENV, instance_config

SETTINGS: dict[str, str] = {
    settings.DATA_DIR_ENV: "data root (landing/, warehouse/, release/, reports/): a folder or an object-store URL",
    settings.LOCAL_DIR_ENV: "local folder for the catalog, caches, key and instance when the data root is an object store",
    settings.START_MONTH_ENV: "first month of the partitions, YYYY-MM",
    settings.RELEASE_SCHEMA_ENV: "release schema: wildchat-1m (default) or wildchat-4.8m",
    settings.RELEASE_LICENSE_ENV: "license stated by the dataset card (default odc-by)",
    settings.BATCH_ROWS_ENV: f"conversations per batch a stage streams (default {settings.DEFAULT_BATCH_ROWS})",
    settings.SHARD_ROWS_ENV: f"conversations per shard step of geo, language, redaction, moderation (default {settings.DEFAULT_SHARD_ROWS})",
    settings.EXECUTOR_ENV: "step executor: in_process (default) or multiprocess (a month's shards on several cores)",
    settings.MAX_CONCURRENT_ENV: "steps at once under the multiprocess executor (default: the cores)",
    KEY_ENV_VAR: f"HMAC key for hashed_ip, at least {MIN_KEY_LENGTH} bytes (else the key file)",
    CHECKPOINT_ENV: "local Detoxify checkpoint (.ckpt)",
    CONFIG_DIR_ENV: "directory with config.json and tokenizer files of the checkpoint's base model",
    POSTGRES_URL_ENV: "PostgreSQL instance storage (postgresql+psycopg2://...)",
    CELERY_BROKER_ENV: "Celery broker: each run launched on a worker (needs the PostgreSQL instance)",
}


class ConfigurationError(Exception):
    """One line per problem, each naming the setting and what to change."""


def configuration_problems(layout: DataLayout, months: list[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    problems = [
        f"{name} is not a setting of wildchat-dagster (known: {', '.join(sorted(SETTINGS))})"
        for name in sorted(environ) if name.startswith("WILDCHAT_") and name not in SETTINGS
    ]
    try:
        start = settings.start_month(environ)
    except ValueError as error:
        problems.append(str(error))
    else:
        if early := [m for m in months if m < start]:
            problems.append(f"{', '.join(early)} precede{'s' if len(early) == 1 else ''} {settings.START_MONTH_ENV}={start}: "
                            f"set {settings.START_MONTH_ENV} to {min(early)} or earlier")
    for read in (settings.release_schema, settings.batch_rows, settings.shard_rows, settings.executor):
        try:
            read(environ)
        except ValueError as error:
            problems.append(str(error))
    try:
        instance_config(environ)
    except ValueError as error:
        problems.append(str(error))
    unwritable = data_folder_problems(layout)
    problems += unwritable or _key_problems(layout, environ.get(KEY_ENV_VAR))  # the key file lives in that folder
    if (checkpoint := environ.get(CHECKPOINT_ENV)) and not Path(checkpoint).is_file():
        problems.append(f"{CHECKPOINT_ENV}={checkpoint}: no such file; point it at a Detoxify .ckpt or unset it")
    if (config_dir := environ.get(CONFIG_DIR_ENV)) and not (Path(config_dir) / "config.json").is_file():
        problems.append(f"{CONFIG_DIR_ENV}={config_dir}: no config.json there; point it at the base model's files or unset it")
    return problems


def data_folder_problems(layout: DataLayout) -> list[str]:
    """The local folder must take files (an object-store root is checked by its first write)."""
    try:
        folder = layout.local
    except ValueError as error:
        return [str(error)]
    setting = settings.LOCAL_DIR_ENV if layout.remote else f"--data-dir or {settings.DATA_DIR_ENV}"
    blocking = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        return [f"data folder {folder} cannot be made: {blocking} is a file, not a folder: choose another with {setting}"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as error:
        return [f"data folder {folder} is not writable ({error.strerror or type(error).__name__}): "
                f"choose another with {setting}"]
    return []


def _key_problems(layout: DataLayout, env_key: str | None) -> list[str]:
    if env_key:  # empty means unset, as for the resource
        if len(env_key.encode()) < MIN_KEY_LENGTH:
            return [f"{KEY_ENV_VAR} is {len(env_key.encode())} bytes long; use at least {MIN_KEY_LENGTH} random bytes "
                    "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"]
        return []
    if layout.remote:  # a key file per worker would hash one IP differently in different months
        return [f"the data root {layout.root} is an object store that several workers share: set {KEY_ENV_VAR} "
                "(the same secret for every worker)"]
    path = layout.ip_hash_key
    if path.exists():
        try:
            read_key_file(path)
        except (OSError, ValueError) as error:
            return [str(error)]
    return []


def check_configuration(layout: DataLayout, months: list[str], environ: Mapping[str, str] = os.environ) -> None:
    if problems := configuration_problems(layout, months, environ):
        raise ConfigurationError("\n".join(problems))
