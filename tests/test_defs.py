"""The code location loads, and its wiring is what the pipeline promises."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import dagster as dg
import pytest

from wildchat_dagster.core.months import month_range, month_window, shift_month
from wildchat_dagster.jobs import (
    INGESTION,
    monthly_ingestion_schedule,
    monthly_schedule,
    publication_schedule,
    schedules,
)

from conftest import MONTHLY_ASSETS, PUBLICATION_ASSETS

PIPELINE, PUBLICATION = MONTHLY_ASSETS, PUBLICATION_ASSETS


@pytest.fixture(scope="module")
def defs():
    from wildchat_dagster.definitions import defs

    return defs


def test_every_stage_is_a_monthly_partitioned_asset(defs):
    graph = defs.resolve_asset_graph()
    for name in PIPELINE:
        node = graph.get(dg.AssetKey(name))
        assert node.partitions_def is not None, name
        assert node.partitions_def.get_partition_keys()[0] == "2023-04"
    for name in PUBLICATION:
        assert graph.get(dg.AssetKey(name)).partitions_def is None, name


def test_lineage_follows_the_pipeline(defs):
    graph = defs.resolve_asset_graph()
    side = ("rejected_logs", "release_toxic", "release_unscreened", "monthly_stats", "template_prompts",
            "release_nontoxic_template_capped")
    chain = [n for n in PIPELINE if n not in side]
    for upstream, downstream in pairwise(chain):
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(downstream)).parent_keys}
        assert upstream in parents, f"{downstream} should depend on {upstream}"
    # Template flags read redacted text; the derived split caps the non-toxic release by them.
    for downstream, upstreams in (("template_prompts", {"redacted_conversations"}),
                                  ("release_nontoxic_template_capped", {"release_nontoxic", "template_prompts"})):
        assert {k.to_user_string() for k in graph.get(dg.AssetKey(downstream)).parent_keys} == upstreams


def test_linking_reads_neighbour_months(defs):
    graph = defs.resolve_asset_graph()
    linked = graph.get(dg.AssetKey("linked_conversations"))
    mapping = linked.partition_mappings[dg.AssetKey("raw_logs")]
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        linked.partitions_def.subset_with_partition_keys(["2023-05"]), linked.partitions_def, linked.partitions_def
    )
    assert sorted(upstream.partitions_subset.get_partition_keys()) == ["2023-04", "2023-05", "2023-06"]


def test_privacy_check_on_every_stage_after_geotagging(defs):
    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    for name in PIPELINE[PIPELINE.index("geotagged_conversations") : -1]:
        assert (name, "no_raw_client_ips") in checks, name


def test_jobs_and_schedules(defs):
    assert defs.resolve_job_def("monthly_pipeline").partitions_def is not None
    defs.resolve_job_def("publication")
    whole = defs.resolve_job_def("monthly_pipeline").asset_layer.executable_asset_keys
    waves = [
        defs.resolve_job_def(j).asset_layer.executable_asset_keys for j in ("monthly_ingestion", "monthly_processing")
    ]
    assert waves[0] | waves[1] == whole and not waves[0] & waves[1]
    for schedule in schedules:
        assert defs.resolve_schedule_def(schedule.name).cron_schedule == schedule.cron_schedule


def _requests(schedule, when: dt.datetime) -> list:
    return list(schedule(dg.build_schedule_context(scheduled_execution_time=when)))


def test_schedules_ingest_a_month_when_it_ends_and_process_it_a_month_later():
    ingest = _requests(monthly_ingestion_schedule, dt.datetime(2023, 7, 1, 1, tzinfo=dt.UTC))
    assert [(r.partition_key, r.asset_selection) for r in ingest] == [("2023-06", INGESTION)]
    process = _requests(monthly_schedule, dt.datetime(2023, 7, 2, 3, tzinfo=dt.UTC))
    assert [(r.partition_key, r.asset_selection) for r in process] == [("2023-05", None)]
    # Before the first partition has a finished neighbour there is nothing to process.
    assert _requests(monthly_schedule, dt.datetime(2023, 5, 2, 3, tzinfo=dt.UTC)) == []
    assert len(_requests(publication_schedule, dt.datetime(2023, 7, 3, 3, tzinfo=dt.UTC))) == 1


def test_month_arithmetic():
    assert shift_month("2023-12", 1) == "2024-01"
    assert shift_month("2024-01", -1) == "2023-12"
    assert month_window("2023-05") == ["2023-04", "2023-05", "2023-06"]
    assert month_range("2023-11:2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    with pytest.raises(ValueError):
        month_range("2023-06:2023-04")


def test_backfills_run_a_month_per_run_and_openai_steps_retry(defs):
    graph = defs.resolve_asset_graph()
    for name in PIPELINE:
        policy = graph.get(dg.AssetKey(name)).backfill_policy
        assert policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=1), (name, policy)
    moderation = defs.resolve_assets_def(dg.AssetKey("moderated_conversations"))
    # The moderation shards call OpenAI: each shard step retries, and all share the API's pool.
    shard_op = {op.name: op for op in moderation.node_def.node_defs}["shard_moderated_conversations"]
    retry = shard_op.retry_policy
    assert retry is not None and retry.max_retries >= 2 and retry.backoff == dg.Backoff.EXPONENTIAL
    assert shard_op.pool == "openai_moderation"


def test_the_landing_sensor_targets_the_monthly_pipeline(defs):
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.job_name == "monthly_pipeline"
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED  # a deployment turns it on
