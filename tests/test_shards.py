"""A month's enrichment stages in shards: the same partitions, release files, checks and counts as one shard."""

from __future__ import annotations

import dagster as dg
import pytest

from wildchat_dagster.assets.shared.stage_run import plan_shards
from wildchat_dagster.core.moderation.cache import CACHE_FILE_NAME
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.definitions import ASSET_MODULES
from wildchat_dagster.kit.synthetic.generator import generate_landing
from wildchat_dagster.resources.defaults import default_resources
from wildchat_dagster.stages import Stage

from factories import materialized_outcome

MONTH = "2023-04"
SHARDED = [
    Stage.GEOTAGGED_CONVERSATIONS, Stage.LANGUAGE_TAGGED_CONVERSATIONS,
    Stage.REDACTED_CONVERSATIONS, Stage.MODERATED_CONVERSATIONS,
]
RELEASED = [Stage.RELEASE_NONTOXIC, Stage.RELEASE_TOXIC]
TIMING = ("seconds", "per_second", "shards", "budget_wait")


def test_shards_are_contiguous_batch_aligned_ranges():
    assert [(s.start, s.stop) for s in plan_shards(95, shard_rows=25, batch_rows=10)] == [
        (0, 20),
        (20, 40),
        (40, 60),
        (60, 80),
        (80, 95),
    ]
    assert [(s.start, s.stop) for s in plan_shards(95, shard_rows=5, batch_rows=10)][:2] == [(0, 10), (10, 20)]
    assert [(s.start, s.stop) for s in plan_shards(0, shard_rows=25, batch_rows=10)] == [(0, 0)]
    assert len(plan_shards(80_000, 20_000, 2_000)) == 4 and len(plan_shards(300, 20_000, 2_000)) == 1


def _run(layout, selection: dg.AssetSelection) -> dg.ExecuteInProcessResult:
    assets = dg.load_assets_from_modules(ASSET_MODULES)
    checks = dg.load_asset_checks_from_modules(ASSET_MODULES)
    result = dg.materialize(
        [*assets, *checks], selection=selection, partition_key=MONTH, resources=default_resources(layout),
    )
    assert result.success
    return result


def _materializations(result: dg.ExecuteInProcessResult, asset: str) -> list:
    return [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]


def _outcome(result: dg.ExecuteInProcessResult, store: Warehouse) -> dict:
    """Per asset: the stored table, the metadata (less timings) and the check results."""
    outcome = {}
    for asset in [*SHARDED, *RELEASED]:
        outcome[asset] = {"table": store.read_table(asset, MONTH)} | materialized_outcome(
            result, store, asset, MONTH, TIMING)
    for split in ("nontoxic", "toxic"):
        outcome[split] = store.layout.published(split, MONTH).read_bytes()
    return outcome


@pytest.mark.slow
def test_a_month_in_shards_equals_the_month_in_one_shard(data_dir, monkeypatch):
    """Batches of 10 conversations; shards of 20 cut the month into 3+ shard steps per stage."""
    generate_landing(data_dir, [MONTH], 55, seed=11, short=True)
    store = Warehouse(data_dir)
    monkeypatch.setenv("WILDCHAT_BATCH_ROWS", "10")
    first = _run(store.layout, dg.AssetSelection.all() - dg.AssetSelection.groups("publication"))
    one_shard = _outcome(first, store)
    assert all(m["metadata"].get("shards", 1) for m in one_shard.values() if isinstance(m, dict))

    store.layout.cache(CACHE_FILE_NAME).unlink()  # the moderation cache would change its counts
    monkeypatch.setenv("WILDCHAT_SHARD_ROWS", "20")
    downstream = dg.AssetSelection.assets(Stage.GEOTAGGED_CONVERSATIONS).downstream() - dg.AssetSelection.groups(
        "publication"
    )
    second = _run(store.layout, downstream)
    sharded = _outcome(second, store)

    rows = store.partition_rows(Stage.DEDUPLICATED_CONVERSATIONS, MONTH)
    assert rows >= 45
    for asset in SHARDED:
        assert sharded[asset]["table"].num_rows == rows
        assert sharded[asset]["table"].equals(one_shard[asset]["table"]), asset
        assert sharded[asset]["file"] == one_shard[asset]["file"], asset  # same bytes: same row groups
        assert sharded[asset]["checks"] == one_shard[asset]["checks"], asset
        assert sharded[asset]["metadata"] == one_shard[asset]["metadata"], asset
        # Each shard is its own step in the event log (what an executor can place on another worker).
        steps = {e.step_key for e in second.get_step_success_events() if e.step_key.startswith(f"{asset}.shard_")}
        assert len(steps) == -(-rows // 20) >= 3, (asset, steps)
        (materialization,) = _materializations(second, asset)
        assert materialization.metadata["shards"].value == len(steps)
        assert not store.layout.shard_dir(asset, MONTH).exists()  # shard files removed at publication
    for asset in RELEASED:
        assert sharded[asset]["table"].equals(one_shard[asset]["table"]), asset
        # (no_silent_shrink differs by design: the second run compares with the first's release)
        checks = [[c for c in run[asset]["checks"] if c[0] != "no_silent_shrink"] for run in (sharded, one_shard)]
        assert checks[0] == checks[1] and len(checks[0]) >= 1, asset
    assert sharded["nontoxic"] == one_shard["nontoxic"] and sharded["toxic"] == one_shard["toxic"]  # release bytes


def test_the_executor_is_in_process_unless_set():
    import os

    from wildchat_dagster.definitions import step_executor
    from wildchat_dagster.settings import Settings

    def executor(environ: dict) -> tuple:
        settings = Settings.from_environ(environ)
        return settings.executor, settings.max_concurrent

    assert step_executor(Settings.from_environ({})) is dg.in_process_executor
    assert step_executor(Settings.from_environ({"WILDCHAT_EXECUTOR": "multiprocess"})).name == "multiprocess"
    assert executor({"WILDCHAT_EXECUTOR": "multiprocess"}) == ("multiprocess", os.cpu_count())
    assert executor({"WILDCHAT_EXECUTOR": "multiprocess", "WILDCHAT_MAX_CONCURRENT": "3"}) == ("multiprocess", 3)
    with pytest.raises(ValueError, match="WILDCHAT_EXECUTOR"):
        executor({"WILDCHAT_EXECUTOR": "dask"})
