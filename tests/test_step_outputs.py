"""Step outputs of an object-store data root live beside the data, where a step on another machine reads them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dagster as dg
import pytest

from wildchat_dagster.assets.shared.checks import RawIpsFound
from wildchat_dagster.assets.shared.stage_run import StageRun
from wildchat_dagster.core.language.stats import LanguageResult
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources.defaults import default_resources
from wildchat_dagster.resources.step_outputs import SharedStepOutputs


def test_an_object_store_root_keeps_step_outputs_under_it_and_a_local_root_keeps_dagsters_default(tmp_path):
    remote = DataLayout(f"memory://bucket-{uuid.uuid4().hex[:8]}/prefix", local_dir=tmp_path / "local")
    assert isinstance(default_resources(remote)["io_manager"], SharedStepOutputs)
    assert "io_manager" not in default_resources(DataLayout(tmp_path / "data"))


def test_a_shard_steps_counts_round_trip_through_the_bucket(tmp_path):
    layout = DataLayout(f"memory://bucket-{uuid.uuid4().hex[:8]}/prefix", local_dir=tmp_path / "local")
    manager = SharedStepOutputs(data_dir=str(layout.root)).create_io_manager(dg.build_init_resource_context())
    run = StageRun(20, 2, LanguageResult(conversations=20, languages={"English": 15, "German": 5}),
                   {"no_raw_client_ips": RawIpsFound(1, {"content"})}, seconds=1.5)
    counts = run.to_dict()  # what a shard step returns: JSON-able, tagged with the result types
    written = dg.build_output_context(
        run_id="run-1", step_key="shard_redacted_conversations[shard_00001]", name="result"
    )
    manager.handle_output(written, counts)

    stored = [p for p in layout.step_outputs_dir.rglob("*") if p.is_file()]
    assert [p.name for p in stored] == ["result.json"] and "run-1" in str(stored[0])
    # A fresh manager (another process, another machine) reads what this one wrote.
    reader = SharedStepOutputs(data_dir=str(layout.root)).create_io_manager(dg.build_init_resource_context())
    loaded = reader.load_input(dg.build_input_context(upstream_output=written))
    assert loaded == counts and StageRun.from_dict(loaded) == run


def _manager(tmp_path):
    layout = DataLayout(f"memory://bucket-{uuid.uuid4().hex[:8]}/prefix", local_dir=tmp_path / "local")
    return layout, SharedStepOutputs(data_dir=str(layout.root)).create_io_manager(dg.build_init_resource_context())


def test_shard_plans_and_stage_runs_travel_as_json_and_nothing_else_is_stored(tmp_path):
    from collections import Counter

    from wildchat_dagster.assets.shared.stage_run import Shard, StageRun

    layout, manager = _manager(tmp_path)
    run = StageRun(conversations=3, batches=2, seconds=1.5)
    value = [
        (Shard(1, 0, 10, 5), run),
        (
            Shard(2, 10, 12, 5),
            {"plain": [1, 2.5, None], "entities": Counter({"PERSON": 2}), "seen": {("a", 1)}, 7: "x"},
        ),
    ]
    written = dg.build_output_context(run_id="run-2", step_key="process_shard", name="result")
    manager.handle_output(written, value)
    (stored,) = [p for p in layout.step_outputs_dir.rglob("*") if p.is_file()]
    assert stored.name == "result.json" and json.loads(stored.read_text())  # plain JSON on the bucket
    assert manager.load_input(dg.build_input_context(upstream_output=written)) == value
    with pytest.raises(TypeError, match="step output process_shard.other cannot be stored: .*Path is not JSON data"):
        manager.handle_output(
            dg.build_output_context(run_id="run-2", step_key="process_shard", name="other"), Path("/x")
        )


def test_a_pickle_or_an_unknown_type_in_the_bucket_is_refused_never_run(tmp_path):
    import pickle

    layout, manager = _manager(tmp_path)
    written = dg.build_output_context(run_id="run-3", step_key="plan", name="result")
    manager.handle_output(written, {"ok": 1})
    (stored,) = [p for p in layout.step_outputs_dir.rglob("*") if p.is_file()]
    for planted in (
        pickle.dumps({"ok": 1}),
        json.dumps({"__dataclass__": "Popen", "fields": {"args": "true"}}).encode(),
    ):
        stored.write_bytes(planted)
        with pytest.raises(ValueError, match="is not a step output this code wrote"):
            manager.load_input(dg.build_input_context(upstream_output=written))


@pytest.mark.slow
def test_every_sharded_stage_passes_its_step_values_as_json(data_dir, monkeypatch):
    """A small month in shards, its step outputs through the JSON manager (what an object-store root uses)."""
    from wildchat_dagster.definitions import ASSET_MODULES
    from wildchat_dagster.kit.synthetic.generator import generate_landing
    from wildchat_dagster.stages import Stage

    month = "2023-04"
    generate_landing(data_dir, [month], 30, seed=5, short=True)
    monkeypatch.setenv("WILDCHAT_BATCH_ROWS", "10")
    monkeypatch.setenv("WILDCHAT_SHARD_ROWS", "10")
    layout = DataLayout(data_dir)
    bucket = f"memory://steps-{uuid.uuid4().hex[:8]}"
    resources = default_resources(layout) | {"io_manager": SharedStepOutputs(data_dir=bucket)}
    selection = dg.AssetSelection.assets(Stage.MODERATED_CONVERSATIONS).upstream().required_multi_asset_neighbors()
    result = dg.materialize(
        [*dg.load_assets_from_modules(ASSET_MODULES), *dg.load_asset_checks_from_modules(ASSET_MODULES)],
        selection=selection,
        partition_key=month,
        resources=resources,
    )
    assert result.success
    stored = [p for p in DataLayout(bucket).step_outputs_dir.rglob("*") if p.is_file()]
    assert len(stored) >= 8 and all(p.suffix == ".json" for p in stored)


def test_the_cleanup_sensor_removes_a_succeeded_runs_step_outputs(tmp_path):
    """Runs the UI, a schedule or a sensor launched leave no step outputs behind in the bucket."""
    from wildchat_dagster.resources.warehouse import WarehouseResource
    from wildchat_dagster.sensors import step_outputs_cleanup

    @dg.asset
    def tiny() -> int:
        return 1

    layout, manager = _manager(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([tiny], instance=instance)
    manager.handle_output(dg.build_output_context(run_id=result.run_id, step_key="plan", name="result"), {"ok": 1})
    assert (layout.step_outputs_dir / result.run_id).exists()
    success = next(record.dagster_event for record in instance.all_logs(result.run_id)
                   if record.dagster_event and record.dagster_event.event_type == dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(
        sensor_name="step_outputs_cleanup",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=success,
        resources={"warehouse": WarehouseResource(data_dir=str(layout.root), local_dir=str(tmp_path / "local"))},
    )
    step_outputs_cleanup(context)
    assert not (layout.step_outputs_dir / result.run_id).exists()
