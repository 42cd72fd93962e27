"""A release schema added from this module alone: one registry entry, no package edit (docs/EXTENDING.md).

The toy schema is WildChat-1M without the per-turn moderation structs. Once
registered, the setting accepts it, the CLI-independent settings validation
names it, and the release asset writes and checks the month's splits in it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wildchat_dagster import settings
from wildchat_dagster.core.release.schemas import (
    ReleaseSchema,
    register_release_schema,
    release_schema_names,
    unregister_release_schema,
)
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import WILDCHAT_1M
from wildchat_dagster.stages import Stage

from factories import SCREENED, conversation_record

NAME = "wildchat-1m-without-scores"
DROPPED = ("openai_moderation", "detoxify_moderation")
_UTTERANCE = WILDCHAT_1M.field("conversation").type.value_type
UTTERANCE = pa.struct([f for f in _UTTERANCE if f.name not in DROPPED])
SCHEMA = pa.schema([pa.field("conversation", pa.list_(UTTERANCE)) if f.name == "conversation" else f
                    for f in WILDCHAT_1M])


def without_scores(store, month, log):
    """The month's converter: every utterance without the moderation structs."""

    def convert(moderated_row: dict, row: dict) -> dict:
        conversation = [{k: v for k, v in u.items() if k not in DROPPED} for u in row["conversation"]]
        return {**row, "conversation": conversation}

    return convert


@pytest.fixture
def toy_schema():
    entry = register_release_schema(ReleaseSchema(NAME, "example/WildChat-1M-without-scores", SCHEMA, without_scores))
    yield entry
    unregister_release_schema(NAME)


def test_a_registered_release_schema_is_a_valid_setting_and_the_release_is_written_in_it(
    toy_schema, data_dir, monkeypatch
):
    from wildchat_dagster.assets.release.release import release_splits

    monkeypatch.setenv(settings.RELEASE_SCHEMA_ENV, NAME)
    chosen = settings.Settings.from_environ()
    assert chosen.release_schema == NAME and NAME in settings.RELEASE_SCHEMA_NAMES
    t = dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    rows = [conversation_record(Stage.MODERATED_CONVERSATIONS, [("user", f"hi {i}"), ("assistant", "hello")],
                                start=t + dt.timedelta(minutes=i), toxic=i == 2, utterance_overrides=[SCREENED] * 2)
            for i in range(3)]
    store = Warehouse(data_dir)
    store.write_records(Stage.MODERATED_CONVERSATIONS, "2023-04", rows)
    result = dg.materialize([release_splits], partition_key="2023-04", raise_on_error=False,
                            resources={"warehouse": WarehouseResource(data_dir=str(data_dir),
                                                                      release_schema=chosen.release_schema)})
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[(Stage.RELEASE_NONTOXIC, "schema_matches_wildchat_1m")]
    for asset, count in ((Stage.RELEASE_NONTOXIC, 2), (Stage.RELEASE_TOXIC, 1)):
        table = pq.read_table(store.partition_path(asset, "2023-04"))
        assert table.schema.equals(SCHEMA, check_metadata=False) and table.num_rows == count
        (materialization,) = [m for m in result.asset_materializations_for_node("release_splits")
                              if m.asset_key.to_user_string() == asset]
        assert materialization.metadata["schema"].value == "example/WildChat-1M-without-scores features"


def test_unregistered_the_schema_is_refused_again(monkeypatch):
    monkeypatch.setenv(settings.RELEASE_SCHEMA_ENV, NAME)
    assert NAME not in release_schema_names()
    with pytest.raises(ValueError, match="wildchat-1m, wildchat-4.8m"):
        settings.Settings.from_environ()
