"""The embedded defaults: every resource configured for a local, offline run."""

from __future__ import annotations

from pathlib import Path

from dagster_duckdb import DuckDBResource

from wildchat_dagster.resources.detoxify import DetoxifyResource
from wildchat_dagster.resources.geoip import GeoIPResource
from wildchat_dagster.resources.language_detector import LanguageDetector
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.openai_moderation import OpenAIModerationResource
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.resources.profanity import ProfanityResource
from wildchat_dagster.resources.warehouse import WarehouseResource


def default_resources(root: Path) -> dict:
    return {
        "warehouse": WarehouseResource(data_dir=str(root)),
        "catalog": DuckDBResource(database=str(root / "wildchat.duckdb")),
        "geoip": GeoIPResource.from_defaults(root),
        "language_detector": LanguageDetector.from_defaults(),
        "pii_redactor": PIIRedactor.from_defaults(root),
        "openai_moderation": OpenAIModerationResource.from_defaults(),
        "detoxify": DetoxifyResource.from_defaults(),
        "profanity": ProfanityResource.from_defaults(),
        "moderation_policy": ModerationPolicyResource(),
    }
