"""The embedded defaults: every resource configured for a local, offline run."""

from __future__ import annotations

from dagster_duckdb import DuckDBResource

from wildchat_dagster import settings
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources.detoxify import DetoxifyResource
from wildchat_dagster.resources.geoip import GeoIPResource
from wildchat_dagster.resources.language_detector import LanguageDetector
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.openai_moderation import OpenAIModerationResource
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.resources.profanity import ProfanityResource
from wildchat_dagster.resources.step_outputs import step_outputs_io_manager
from wildchat_dagster.resources.warehouse import WarehouseResource


def default_resources(layout: DataLayout) -> dict:
    local = None if layout.local == layout.root else str(layout.local)
    return {
        "warehouse": WarehouseResource(data_dir=str(layout.root), local_dir=local),
        "catalog": DuckDBResource(database=str(layout.catalog)),
        "geoip": GeoIPResource.from_defaults(layout.local, shared_data_root=layout.remote),
        "language_detector": LanguageDetector.from_defaults(),
        "pii_redactor": PIIRedactor.from_defaults(layout.local, settings.redact_person()),
        "openai_moderation": OpenAIModerationResource.from_defaults(),
        "detoxify": DetoxifyResource.from_defaults(),
        "profanity": ProfanityResource.from_defaults(),
        "moderation_policy": ModerationPolicyResource(),
        **step_outputs_io_manager(layout),
    }
