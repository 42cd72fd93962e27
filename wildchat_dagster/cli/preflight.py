"""Configuration checked before any stage runs, so a wrong setting fails in seconds, naming itself.

Without this, a typo in a path only warned (a missing Detoxify checkpoint let the
profanity fallback decide the split), a short IP-hash key surfaced at geotagging
after ingestion and linking had run, and a read-only data folder gave a traceback.
Every WILDCHAT_* variable is listed in settings.VARIABLES; one not listed there is an error
(most often a typo of a known one).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from wildchat_dagster import settings
from wildchat_dagster.cli.instance import instance_config
from wildchat_dagster.core.geo.ip_hashing import MIN_KEY_LENGTH, read_key_file
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources import pii_redactor
from wildchat_dagster.settings import (
    DETOXIFY_CHECKPOINT_ENV,
    DETOXIFY_CONFIG_DIR_ENV,
    END_MONTH_ENV,
    IP_HASH_KEY_ENV,
    START_MONTH_ENV,
    Settings,
    SettingsError,
    unknown_variables,
)

SETTINGS: dict[str, str] = settings.VARIABLES


class ConfigurationError(Exception):
    """One line per problem, each naming the setting and what to change."""


def configuration_problems(layout: DataLayout, months: list[str], variables: Mapping[str, str]) -> list[str]:
    """Every problem of the settings `variables` (as given: `Settings.variables`) for running `months`."""
    problems = [
        f"{name} is not a setting of wildchat-dagster (known: {', '.join(sorted(SETTINGS))})"
        for name in unknown_variables(variables)
    ]
    try:
        parsed = Settings.from_environ(variables)
        start, end, redact_person = parsed.start_month, parsed.end_month, parsed.redact_person
    except SettingsError as error:
        problems += str(error).splitlines()
        start, end, redact_person = None, None, False
    if start and (early := [m for m in months if m < start]):
        problems.append(f"{', '.join(early)} precede{'s' if len(early) == 1 else ''} {START_MONTH_ENV}={start}: "
                        f"set {START_MONTH_ENV} to {min(early)} or earlier")
    if end and (late := [m for m in months if m > end]):
        problems.append(f"{', '.join(late)} follow{'s' if len(late) == 1 else ''} {END_MONTH_ENV}={end}: "
                        f"set {END_MONTH_ENV} to {max(late)} or later, or unset it")
    try:
        instance_config(variables)
    except ValueError as error:
        problems.append(str(error))
    if redact_person and pii_redactor.installed_english_model() is None:
        problems.append(pii_redactor.PERSON_WITHOUT_MODEL)
    unwritable = data_folder_problems(layout)
    problems += unwritable or _key_problems(layout, variables.get(IP_HASH_KEY_ENV))  # the key file lives in that folder
    if (checkpoint := variables.get(DETOXIFY_CHECKPOINT_ENV)) and not Path(checkpoint).is_file():
        problems.append(
            f"{DETOXIFY_CHECKPOINT_ENV}={checkpoint}: no such file; point it at a Detoxify .ckpt or unset it"
        )
    if (config_dir := variables.get(DETOXIFY_CONFIG_DIR_ENV)) and not (Path(config_dir) / "config.json").is_file():
        problems.append(f"{DETOXIFY_CONFIG_DIR_ENV}={config_dir}: no config.json there; "
                        "point it at the base model's files or unset it")
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
        return [
            f"data folder {folder} cannot be made: {blocking} is a file, not a folder: choose another with {setting}"
        ]
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
            return [
                f"{IP_HASH_KEY_ENV} is {len(env_key.encode())} bytes long; use at least {MIN_KEY_LENGTH} random bytes "
                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            ]
        return []
    if layout.remote:  # a key file per worker would hash one IP differently in different months
        return [f"the data root {layout.root} is an object store that several workers share: set {IP_HASH_KEY_ENV} "
                "(the same secret for every worker)"]
    path = layout.ip_hash_key
    if path.exists():
        try:
            read_key_file(path)
        except (OSError, ValueError) as error:
            return [str(error)]
    return []


def check_configuration(layout: DataLayout, months: list[str], variables: Mapping[str, str]) -> None:
    if problems := configuration_problems(layout, months, variables):
        raise ConfigurationError("\n".join(problems))
