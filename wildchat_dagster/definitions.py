"""The Dagster code location: every asset, check, job, schedule and resource."""

from __future__ import annotations

import dagster as dg

from wildchat_dagster.assets.geo import geo
from wildchat_dagster.assets.ingestion import ingestion
from wildchat_dagster.assets.language import language
from wildchat_dagster.assets.lineage import lineage
from wildchat_dagster.assets.linking import linking
from wildchat_dagster.assets.moderation import moderation
from wildchat_dagster.assets.publication import catalog, reports
from wildchat_dagster.assets.redaction import redaction
from wildchat_dagster.assets.release import release
from wildchat_dagster.assets.shared.code_versions import versioned_assets
from wildchat_dagster.assets.statistics import statistics
from wildchat_dagster.assets.templates import templates
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.jobs import monthly_ingestion, monthly_pipeline, monthly_processing, publication, schedules
from wildchat_dagster.resources.defaults import default_resources
from wildchat_dagster.sensors import sensors
from wildchat_dagster.settings import Settings

# One module per stage folder under assets/ (the project's defs folder), in pipeline order. An explicit list rather than
# `dg.load_from_defs_folder`: each asset's code version is derived from the module that defines it.
ASSET_MODULES = [
    ingestion, linking, geo, language, redaction, moderation, templates, release, statistics, lineage, reports, catalog,
]


def step_executor(settings: Settings) -> dg.ExecutorDefinition:
    """In-process by default: a small month's stages form one chain, so a process per step buys
    no parallelism and re-imports the code location and reloads the models at every step (a UI
    backfill of two small months: 200 s instead of 85 s); months still run in parallel as runs.
    WILDCHAT_EXECUTOR=multiprocess runs a big month's shards (WILDCHAT_SHARD_ROWS) on several
    cores, at most WILDCHAT_MAX_CONCURRENT steps at once (default: the cores)."""
    if settings.executor == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": settings.max_concurrent})
    return dg.in_process_executor


def build_definitions(settings: Settings, layout: DataLayout | None = None) -> dg.Definitions:
    """The code location as `settings` configure it (the CLI's options included), over their data
    root or `layout`. A process that re-imports the code location (a step process of the multiprocess
    executor, `dg dev`'s code server) builds it from its environment: see `Settings.as_environ`.
    Each asset's code version is derived from its source and its resources' engines (`code_versions`)."""
    layout = settings.layout if layout is None else layout
    resources = default_resources(layout, settings)
    return dg.Definitions(
        assets=dg.map_asset_specs(lineage.with_column_lineage, versioned_assets(ASSET_MODULES, resources)),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[monthly_pipeline, monthly_ingestion, monthly_processing, publication],
        schedules=schedules,
        sensors=sensors,
        resources=resources,
        executor=step_executor(settings),
    )


defs = build_definitions(Settings.from_environ())
