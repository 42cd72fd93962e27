"""Pins the private Dagster behaviour the package relies on (all of it behind wildchat_dagster.cli.dagster_private):
a Dagster upgrade that changes any of it fails here, not silently in `run`."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CODE_VERSION_TAG, DATA_VERSION_TAG
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES
from dagster._core.utils import make_new_run_id

from wildchat_dagster.cli import dagster_private, instance_guard

PACKAGE = Path(dagster_private.__file__).parents[1]


def test_only_the_adapter_imports_private_dagster():
    hits = subprocess.run(["grep", "-rln", r"dagster\._", str(PACKAGE), "--include=*.py"],
                          capture_output=True, text=True).stdout.split()
    assert [Path(hit).name for hit in hits] == ["dagster_private.py"]


def test_the_tags_dagster_writes_keep_their_names():
    assert (dagster_private.CODE_VERSION_TAG, dagster_private.DATA_VERSION_TAG) == (CODE_VERSION_TAG, DATA_VERSION_TAG)


def test_unfinished_statuses_match_dagsters():
    assert set(instance_guard.NOT_FINISHED_STATUSES) == set(NOT_FINISHED_STATUSES)


def test_run_ids_are_uuid4_strings_as_dagster_makes_them():
    assert uuid.UUID(make_new_run_id()).version == 4


def _defs(version_a: str, value_a: int = 1) -> dg.Definitions:
    @dg.asset(code_version=version_a)
    def a() -> dg.MaterializeResult:
        return dg.MaterializeResult(data_version=dg.DataVersion(str(value_a)))

    @dg.asset(deps=[a], code_version="b1")
    def b() -> dg.MaterializeResult:
        return dg.MaterializeResult(data_version=dg.DataVersion("b"))

    @dg.asset(code_version="c1")
    def c() -> None:
        return None

    return dg.Definitions(assets=[a, b, c])


def _reader(instance, defs) -> dagster_private.StaleStatusReader:
    return dagster_private.StaleStatusReader(instance, defs.resolve_asset_graph())


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        defs = _defs("a1")
        assert dg.materialize([defs.get_assets_def("a"), defs.get_assets_def("b")], instance=instance).success
        yield instance


def test_missing_fresh_and_the_recorded_code_version(instance):
    defs = _defs("a1")
    stale = _reader(instance, defs)
    assert stale.status(dg.AssetKey("c"), None) == "missing"
    assert stale.status(dg.AssetKey("a"), None) == stale.status(dg.AssetKey("b"), None) == "fresh"
    record = instance.fetch_materializations(dg.AssetKey("a"), limit=1).records[0]
    assert record.asset_materialization.tags[CODE_VERSION_TAG] == "a1"


def test_a_new_code_version_is_the_assets_own_cause_and_only_its_own(instance):
    stale = _reader(instance, _defs("a2"))
    assert stale.status(dg.AssetKey("a"), None) == "stale"
    [own] = stale.causes(dg.AssetKey("a"), None)
    assert own.code_changed and own.asset == "a" and own.dependency is None
    # Dagster calls b stale only once a's data version changes: the runner makes descendants due itself.
    assert stale.status(dg.AssetKey("b"), None) == "fresh"


def test_a_changed_upstream_data_version_is_the_root_cause(instance):
    defs = _defs("a1", value_a=2)
    assert dg.materialize([defs.get_assets_def("a")], instance=instance).success
    stale = _reader(instance, defs)
    assert stale.status(dg.AssetKey("a"), None) == "fresh"
    assert stale.status(dg.AssetKey("b"), None) == "stale"
    [cause] = stale.causes(dg.AssetKey("b"), None)
    assert (cause.asset, cause.reason, cause.code_changed) == ("a", "has a new data version", False)


def test_the_pool_bookkeeping_the_instance_guard_reads(tmp_path):
    """instance_guard and runner read and free pool slots through the instance's event log storage
    (no public API exists for it): the calls and fields they use."""
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("pool", 1)
        assert "pool" in storage.get_concurrency_keys()
        storage.claim_concurrency_slot("pool", "run-a", "step-1")
        storage.claim_concurrency_slot("pool", "run-b", "step-2")
        info = storage.get_concurrency_info("pool")
        assert info.limit == 1 and info.active_run_ids == {"run-a"}
        waiting = [(s.run_id, s.step_key) for s in info.pending_steps if s.assigned_timestamp is None]
        assert waiting == [("run-b", "step-2")]
        storage.free_concurrency_slots_for_run("run-a")
        assert "run-a" not in storage.get_concurrency_info("pool").active_run_ids
