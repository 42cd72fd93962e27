"""Every setting of wildchat-dagster, read once into one typed object.

`Settings.from_environ()` reads the environment (and the CLI's options, which win)
at an entry point: the CLI command, the code location, `default_resources`. The
object is then handed down as arguments; nothing else in the package reads
`os.environ` (cli/instance.py aside, which writes dagster.yaml from the same names).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from wildchat_dagster.core.geo.ip_hashing import MIN_KEY_LENGTH
from wildchat_dagster.core.release.dataset_card import DEFAULT_LICENSE
from wildchat_dagster.core.release.schemas import DEFAULT_RELEASE_SCHEMA, release_schema_names
from wildchat_dagster.core.storage.layout import DataLayout, is_remote

DATA_DIR_ENV = "WILDCHAT_DATA_DIR"
LOCAL_DIR_ENV = "WILDCHAT_LOCAL_DIR"
START_MONTH_ENV = "WILDCHAT_START_MONTH"
END_MONTH_ENV = "WILDCHAT_END_MONTH"
RELEASE_SCHEMA_ENV = "WILDCHAT_RELEASE_SCHEMA"
RELEASE_LICENSE_ENV = "WILDCHAT_RELEASE_LICENSE"
BATCH_ROWS_ENV = "WILDCHAT_BATCH_ROWS"
SHARD_ROWS_ENV = "WILDCHAT_SHARD_ROWS"
EXECUTOR_ENV = "WILDCHAT_EXECUTOR"
MAX_CONCURRENT_ENV = "WILDCHAT_MAX_CONCURRENT"
WORKERS_ENV = "WILDCHAT_WORKERS"
IP_HASH_KEY_ENV = "WILDCHAT_IP_HASH_KEY"
REDACT_PERSON_ENV = "WILDCHAT_REDACT_PERSON"
UNSCREENED_ENV = "WILDCHAT_UNSCREENED"
DETOXIFY_CHECKPOINT_ENV = "WILDCHAT_DETOXIFY_CHECKPOINT"
DETOXIFY_CONFIG_DIR_ENV = "WILDCHAT_DETOXIFY_CONFIG_DIR"
POSTGRES_URL_ENV = "WILDCHAT_POSTGRES_URL"  # postgresql+psycopg2://user:password@host:5432/dagster
CELERY_BROKER_ENV = "WILDCHAT_CELERY_BROKER"  # redis://host:6379/0
OPENAI_API_KEY_ENV = "OPENAI_API_KEY"  # the OpenAI client's own name
DAGSTER_HOME_ENV = "DAGSTER_HOME"  # Dagster's own name
HF_HUB_CACHE_ENV = "HF_HUB_CACHE"  # huggingface_hub's own name

DEFAULT_DATA_DIR = "data"
DEFAULT_LOCAL_DIR = "data-local"  # for an object-store data root: catalog, caches, key, instance
DEFAULT_START_MONTH = "2023-04"  # WildChat collection began in April 2023
RELEASE_SCHEMA_NAMES = release_schema_names()  # a live view of the registry (core/release/schemas.py)
DEFAULT_BATCH_ROWS = 2_000  # conversations: ~10,000 utterances of real-length text, tens of MB as Python rows
DEFAULT_SHARD_ROWS = 20_000  # conversations: a WildChat month (~80,000) is 4 shards, a small month one
EXECUTORS = ("in_process", "multiprocess")
UNSCREENED_POLICIES = ("hold", "nontoxic")  # the first is the default

# Every WILDCHAT_* variable; one not listed is an error at preflight (most often a typo of a known one).
VARIABLES: dict[str, str] = {
    DATA_DIR_ENV: "data root (landing/, warehouse/, release/, reports/): a folder or an object-store URL",
    LOCAL_DIR_ENV: "local folder for the catalog, caches, key and instance when the data root is an object store",
    START_MONTH_ENV: "first month of the partitions, YYYY-MM",
    END_MONTH_ENV: "last month of the partitions, YYYY-MM (default: none, the partitions grow with the calendar; "
    "`ui` over a folder of past months only ends them at its newest month)",
    RELEASE_SCHEMA_ENV: "release schema: wildchat-1m (default) or wildchat-4.8m",
    RELEASE_LICENSE_ENV: f"license stated by the dataset card (default {DEFAULT_LICENSE})",
    BATCH_ROWS_ENV: f"conversations per batch a stage streams (default {DEFAULT_BATCH_ROWS})",
    SHARD_ROWS_ENV: (
        f"conversations per shard step of geo, language, redaction, moderation (default {DEFAULT_SHARD_ROWS})"
    ),
    EXECUTOR_ENV: "step executor: in_process (default) or multiprocess (a month's shards on several cores)",
    MAX_CONCURRENT_ENV: "steps at once under the multiprocess executor (default: the cores)",
    WORKERS_ENV: "worker processes the geo, language, redaction and moderation batches run in, warm for the "
    "whole run (default: the cores, 1 under the multiprocess executor; 1: in the step's process; at most the cores)",
    REDACT_PERSON_ENV: "redact names (PERSON): on (default, needs a spaCy NER model) or off",
    UNSCREENED_ENV: "where not-toxic conversations with turns no moderator screened go: hold (default, "
    "release/unscreened/) or nontoxic (the non-toxic split, stated in card and manifest)",
    IP_HASH_KEY_ENV: f"HMAC key for hashed_ip, at least {MIN_KEY_LENGTH} bytes (else the key file)",
    DETOXIFY_CHECKPOINT_ENV: "local Detoxify checkpoint (.ckpt)",
    DETOXIFY_CONFIG_DIR_ENV: "directory with config.json and tokenizer files of the checkpoint's base model",
    POSTGRES_URL_ENV: "PostgreSQL instance storage (postgresql+psycopg2://...)",
    CELERY_BROKER_ENV: "Celery broker: each run launched on a worker (needs the PostgreSQL instance)",
}
_READ = (*VARIABLES, OPENAI_API_KEY_ENV, DAGSTER_HOME_ENV)
# Option (a CLI option, a keyword of a job reconstructed in another process) -> the variable it overrides.
# Secrets are no options: they come from the environment only, so they never travel as arguments.
OPTIONS = {
    "data_dir": DATA_DIR_ENV, "local_dir": LOCAL_DIR_ENV, "start_month": START_MONTH_ENV, "end_month": END_MONTH_ENV,
    "release_schema": RELEASE_SCHEMA_ENV, "release_license": RELEASE_LICENSE_ENV, "batch_rows": BATCH_ROWS_ENV,
    "shard_rows": SHARD_ROWS_ENV, "executor": EXECUTOR_ENV, "max_concurrent": MAX_CONCURRENT_ENV,
    "workers": WORKERS_ENV,
    "redact_person": REDACT_PERSON_ENV, "unscreened": UNSCREENED_ENV,
    "detoxify_checkpoint": DETOXIFY_CHECKPOINT_ENV, "detoxify_config_dir": DETOXIFY_CONFIG_DIR_ENV,
    "dagster_home": DAGSTER_HOME_ENV,
}
# Settings that only say where things are, which months exist or how many processes do the work
# (not what a month holds): never fingerprinted into run tags.
_NOT_FINGERPRINTED = {DATA_DIR_ENV, LOCAL_DIR_ENV, START_MONTH_ENV, END_MONTH_ENV, WORKERS_ENV}
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


class SettingsError(ValueError):
    """One line per wrong value, each naming its variable."""


def _month(value: str, name: str = START_MONTH_ENV) -> str:
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
        raise ValueError(f"{name}={value!r} is not a month: expected YYYY-MM, e.g. {DEFAULT_START_MONTH}")
    return value


def _choice(name: str, value: str, choices: Collection[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _on_or_off(value: str) -> bool:
    if value.strip().lower() not in ("on", "off"):
        raise ValueError(f"{REDACT_PERSON_ENV}={value.strip().lower()!r}: expected on or off")
    return value.strip().lower() == "on"


def _positive_int(name: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a positive whole number")
    return int(value)


@dataclass(frozen=True)
class Settings:
    """The variables as given (`variables`) and their typed values; build it with `from_environ`."""

    variables: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)
    data_dir: str = field(init=False)
    local_dir: str | None = field(init=False)
    start_month: str = field(init=False)
    end_month: str | None = field(init=False)  # None: the partitions run to the current month
    release_schema: str = field(init=False)
    release_license: str = field(init=False)
    batch_rows: int = field(init=False)
    shard_rows: int = field(init=False)
    executor: str = field(init=False)
    max_concurrent: int | None = field(init=False)  # steps at once under the multiprocess executor
    workers: int = field(init=False)  # processes for the sharded stages' batches (1: inline)
    unscreened: str = field(init=False)  # "hold" (release/unscreened/) or "nontoxic"
    redact_person: bool = field(init=False)  # names redacted (needs a spaCy NER model) unless said "off"
    detoxify_checkpoint: str | None = field(init=False)
    detoxify_config_dir: str | None = field(init=False)
    dagster_home: str | None = field(init=False)
    ip_hash_key: str | None = field(init=False, repr=False)  # secret
    openai_api_key: str | None = field(init=False, repr=False)  # secret
    postgres_url: str | None = field(init=False, repr=False)  # holds a password

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, **options: str | int | None) -> Settings:
        """The settings of `environ` (default: this process's environment), CLI `options` winning."""
        if unknown := set(options) - set(OPTIONS):
            raise TypeError(
                f"not an option of the settings: {', '.join(sorted(unknown))} (secrets come from the environment)"
            )
        environ = os.environ if environ is None else environ
        given = {k: v for k, v in environ.items() if k.startswith("WILDCHAT_") or k in _READ}
        for option, value in options.items():
            if value is not None:
                local_path = option in ("data_dir", "local_dir", "dagster_home") and not is_remote(str(value))
                given[OPTIONS[option]] = str(Path(value).resolve()) if local_path else str(value)
        return cls(given)

    def __post_init__(self) -> None:
        given = {k: v for k, v in self.variables.items() if v}  # empty means unset
        object.__setattr__(self, "variables", MappingProxyType(dict(sorted(self.variables.items()))))
        problems: list[str] = []

        def parse(name: str, default: str, convert=str):
            try:
                return convert(given.get(name) or default)
            except ValueError as error:
                problems.append(str(error))
                return None

        data_dir = given.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
        remote = is_remote(data_dir)
        local_dir = given.get(LOCAL_DIR_ENV) or (DEFAULT_LOCAL_DIR if remote else None)
        values = {
            "data_dir": data_dir if remote else str(Path(data_dir).resolve()),
            "local_dir": str(Path(local_dir).resolve()) if local_dir else None,
            "start_month": (start := parse(START_MONTH_ENV, DEFAULT_START_MONTH, _month)),
            "end_month": (end := given.get(END_MONTH_ENV) and parse(END_MONTH_ENV, "", _end_month)),
            "release_schema": parse(
                RELEASE_SCHEMA_ENV,
                DEFAULT_RELEASE_SCHEMA,
                lambda v: _choice(RELEASE_SCHEMA_ENV, v.strip().lower(), RELEASE_SCHEMA_NAMES),
            ),
            "release_license": given.get(RELEASE_LICENSE_ENV) or DEFAULT_LICENSE,
            "batch_rows": parse(BATCH_ROWS_ENV, str(DEFAULT_BATCH_ROWS), lambda v: _positive_int(BATCH_ROWS_ENV, v)),
            "shard_rows": parse(SHARD_ROWS_ENV, str(DEFAULT_SHARD_ROWS), lambda v: _positive_int(SHARD_ROWS_ENV, v)),
            "executor": (
                executor := parse(
                    EXECUTOR_ENV,
                    "in_process",
                    lambda v: _choice(EXECUTOR_ENV, v.strip().lower().replace("-", "_"), EXECUTORS),
                )
            ),
            "max_concurrent": parse(
                MAX_CONCURRENT_ENV, str(os.cpu_count() or 1), lambda v: _positive_int(MAX_CONCURRENT_ENV, v)
            )
            if executor == "multiprocess"
            else None,
            # Under the multiprocess executor the steps already spread over the cores.
            "workers": parse(
                WORKERS_ENV, str(os.cpu_count() or 1) if executor == "in_process" else "1",
                lambda v: _positive_int(WORKERS_ENV, v),
            ),
            "unscreened": parse(
                UNSCREENED_ENV,
                UNSCREENED_POLICIES[0],
                lambda v: _choice(UNSCREENED_ENV, v.strip().lower(), UNSCREENED_POLICIES),
            ),
            "redact_person": parse(REDACT_PERSON_ENV, "on", _on_or_off),
            "detoxify_checkpoint": given.get(DETOXIFY_CHECKPOINT_ENV),
            "detoxify_config_dir": given.get(DETOXIFY_CONFIG_DIR_ENV),
            "dagster_home": given.get(DAGSTER_HOME_ENV),
            "ip_hash_key": given.get(IP_HASH_KEY_ENV),
            "openai_api_key": given.get(OPENAI_API_KEY_ENV),
            "postgres_url": given.get(POSTGRES_URL_ENV),
        }
        if start and end and end < start:
            problems.append(f"{END_MONTH_ENV}={end} precedes {START_MONTH_ENV}={start}")
        if problems:
            raise SettingsError("\n".join(problems))
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def layout(self) -> DataLayout:
        """Where landing/, warehouse/, release/, reports/ and the local files are."""
        return DataLayout(self.data_dir, self.local_dir)

    def fingerprint_items(self) -> list[str]:
        """The WILDCHAT_* settings a stage may read (release schema, engines, thresholds) as NAME=value,
        sorted, leaving out where things are and secrets: what freshness compares between runs."""
        return [f"{k}={v}" for k, v in self.variables.items() if k.startswith("WILDCHAT_")
                and k not in _NOT_FINGERPRINTED and not any(word in k for word in _SECRET_WORDS)]

    def as_environ(self, dagster_home: Path | None = None) -> dict[str, str]:
        """This process's environment with these settings in it, for a child process that reads the
        settings again itself (`dg dev`'s code server): the one hand-off through variables."""
        home = {DAGSTER_HOME_ENV: str(dagster_home)} if dagster_home else {}
        return {**os.environ, **self.variables, **home}


def unknown_variables(variables: Mapping[str, str]) -> list[str]:
    """WILDCHAT_* variables that are no setting (most often a typo of a known one)."""
    return sorted(name for name in variables if name.startswith("WILDCHAT_") and name not in VARIABLES)


def partition_start_month() -> str:
    """WILDCHAT_START_MONTH for the partitions definition, which Dagster needs when the asset
    modules are imported, before any entry point has built a `Settings`."""
    return _month(os.environ.get(START_MONTH_ENV) or DEFAULT_START_MONTH)


def partition_end_month() -> str | None:
    """WILDCHAT_END_MONTH for the partitions definition (None: open-ended), read at import as the start is."""
    value = os.environ.get(END_MONTH_ENV)
    return _end_month(value) if value else None


def _end_month(value: str) -> str:
    return _month(value, END_MONTH_ENV)


def torch_home() -> str:
    """torch's cache folder by torch's own rule ($TORCH_HOME, else $XDG_CACHE_HOME/torch, else ~/.cache/torch),
    without importing torch (seconds)."""
    return os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "torch")


def huggingface_hub_cache() -> str | None:
    """HF_HUB_CACHE as it is now: huggingface_hub fixes its own copy when first imported."""
    return os.environ.get(HF_HUB_CACHE_ENV) or None
