"""Step outputs of an object-store data root live beside the data, where a step on another machine reads them."""

from __future__ import annotations

import uuid

import dagster as dg

from wildchat_dagster.assets.checks import RawIpsFound
from wildchat_dagster.assets.stage import StageRun
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
    written = dg.build_output_context(run_id="run-1", step_key="shard_redacted_conversations[shard_00001]", name="result")
    manager.handle_output(written, counts)

    stored = [p for p in layout.step_outputs_dir.rglob("*") if p.is_file()]
    assert [p.name for p in stored] == ["result.pickle"] and "run-1" in str(stored[0])
    # A fresh manager (another process, another machine) reads what this one wrote.
    reader = SharedStepOutputs(data_dir=str(layout.root)).create_io_manager(dg.build_init_resource_context())
    loaded = reader.load_input(dg.build_input_context(upstream_output=written))
    assert loaded == counts and StageRun.from_dict(loaded) == run
