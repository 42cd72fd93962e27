"""The embedded defaults: every resource configured for a local, offline run."""

from __future__ import annotations

from dagster_duckdb import DuckDBResource

from wildchat_dagster.core.moderation.registry import moderator_entries
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources.geoip import GeoIPResource
from wildchat_dagster.resources.language_detector import LanguageDetector
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.resources.step_outputs import step_outputs_io_manager
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.settings import Settings


def default_resources(layout: DataLayout, settings: Settings | None = None) -> dict:
    """Resources over `layout`, configured by `settings` (default: the environment's)."""
    settings = Settings.from_environ() if settings is None else settings
    return {
        "warehouse": WarehouseResource.from_settings(settings, layout),
        "catalog": DuckDBResource(database=str(layout.catalog)),
        "geoip": GeoIPResource.from_defaults(layout.local, shared_data_root=layout.remote, settings=settings),
        "language_detector": LanguageDetector.from_defaults(),
        "pii_redactor": PIIRedactor.from_defaults(layout.local, settings.redact_person),
        **{entry.resource_key: entry.default_resource(settings) for entry in moderator_entries()},
        "moderation_policy": ModerationPolicyResource(),
        **step_outputs_io_manager(layout),
    }
