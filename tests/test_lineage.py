"""Record-level lineage (issue 16): keys, the lineage index, column lineage, `explain` on stored stages."""

from __future__ import annotations

import json

import dagster as dg
import pytest
from click.testing import CliRunner
from test_linking import ROUNDS, chat, raw_log

from wildchat_dagster.cli import main
from wildchat_dagster.core.lineage.columns import UPSTREAM, column_sources
from wildchat_dagster.core.lineage.explain import explain, key_kind
from wildchat_dagster.core.lineage.index import lineage_index_rows
from wildchat_dagster.core.linking.chains import link_month
from wildchat_dagster.core.release.splits import to_release_row
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.schema import LINEAGE_INDEX, STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

from factories import SCREENED, conversation_record

MONTH = "2023-04"


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("0123456789abcdef0123456789abcdef", "conversation_hash"),
        ("4611686018427387904", "turn_identifier"),
        ("landing/2023-04/requests-000.jsonl:17", "landing_line"),
        ("requests-001.jsonl.gz:3", "landing_line"),
        ("log-2023-04-000123", "log_id"),
    ],
)
def test_key_kinds(key, kind):
    assert key_kind(key) == kind


def test_every_stored_column_has_column_lineage_to_real_columns():
    for stage in UPSTREAM:
        for column, sources in column_sources(stage).items():
            assert sources, f"{stage}.{column} has no column lineage"
            for source_stage, source_column in sources:
                schema = LINEAGE_INDEX if source_stage == Stage.LINEAGE_INDEX else STAGE_SCHEMAS[source_stage]
                assert source_column in schema.names, (stage, column, source_stage, source_column)


def test_every_stage_asset_carries_dagster_column_lineage():
    from wildchat_dagster.definitions import defs

    graph = defs.resolve_asset_graph()
    for stage in UPSTREAM:
        lineage = graph.get(dg.AssetKey(stage)).metadata["dagster/column_lineage"]
        assert isinstance(lineage, dg.TableColumnLineage)
        assert set(lineage.deps_by_column) == set(column_sources(stage)), stage
    geo = graph.get(dg.AssetKey(Stage.GEOTAGGED_CONVERSATIONS)).metadata["dagster/column_lineage"]
    assert geo.deps_by_column["hashed_ip"] == [
        dg.TableColumnDep(asset_key=dg.AssetKey(Stage.DEDUPLICATED_CONVERSATIONS), column_name="conversation")]


def test_lineage_index_matches_the_release_keys():
    lost_round = {"log_id": None, "timestamp": None}
    rows = [
        conversation_record(
            Stage.MODERATED_CONVERSATIONS,
            [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d")],
            utterance_overrides=[SCREENED, SCREENED, lost_round | SCREENED, lost_round | SCREENED],
        ),
        conversation_record(Stage.MODERATED_CONVERSATIONS, [("user", "x"), ("assistant", "y")], toxic=True),
        conversation_record(
            Stage.MODERATED_CONVERSATIONS, [("user", "z"), ("assistant", "w")], excluded_reason="sexual_minors"
        ),
        conversation_record(
            Stage.MODERATED_CONVERSATIONS, [("user", "hola"), ("assistant", "¿qué tal?")]
        ),  # no moderator read it
    ]
    index = lineage_index_rows(rows)
    assert [(r["round"], r["split"]) for r in index] == [
        (0, "nontoxic"), (1, "nontoxic"), (0, "toxic"), (0, "excluded"), (0, "unscreened")]
    assert lineage_index_rows(rows[3:], hold_unscreened=False)[0]["split"] == "nontoxic"  # WILDCHAT_UNSCREENED=nontoxic
    assert index[1]["log_id"] is None  # the lost round
    for row in rows:
        released = to_release_row(row)
        mine = [r for r in index if r["conversation_id"] == row["conversation_id"]]
        assert {r["conversation_hash"] for r in mine} == {released["conversation_hash"]}
        assert [r["turn_identifier"] for r in mine] == [u["turn_identifier"] for u in released["conversation"][::2]]


@pytest.fixture
def linked_month(data_dir):
    """A month linked from hand-built logs (a retry, a lost log, an IP change), plus one rejected line."""
    logs = [
        *chat("ip", ROUNDS[:2], ip="198.51.100.20"),
        raw_log("ip3", ROUNDS[:2], *ROUNDS[2], at=5, ip="2001:db8::5"),
        raw_log("ip1-again", [], *ROUNDS[0], at=0.05),
    ]
    first, _lost, last = chat("lost", ROUNDS, start=600, ip="203.0.113.9", lang="fr-FR,fr")  # another client
    logs += [first, last]
    for line, log in enumerate(logs, start=1):
        log["source_file"], log["line_number"] = f"landing/{MONTH}/requests-000.jsonl", line
    store = Warehouse(data_dir)
    store.write_records(Stage.RAW_LOGS, MONTH, logs)
    store.write_records(
        Stage.REJECTED_LOGS,
        MONTH,
        [
            {
                "source_file": f"landing/{MONTH}/requests-000.jsonl",
                "line_number": 99,
                "reason": "invalid_ip",
                "detail": "ip '10.0.0.300' is not an IPv4 or IPv6 address",
                "log_id": "bad1",
                "raw_line": '{"ip": "10.0.0.300"}',
            }
        ],
    )
    store.write_records(Stage.DEDUPLICATED_CONVERSATIONS, MONTH, link_month(logs, MONTH).deduplicated)
    return store


def _links(conversation):
    return {e["log_id"]: (e["link"], e["parent_log_id"]) for e in conversation["linking"]["logs"]}


def test_explain_a_retry_and_an_ip_change_by_log_id(linked_month):
    result = explain(linked_month, "ip1-again").to_dict()
    assert [e["line_number"] for e in result["landing"]] == [4]
    (conversation,) = result["conversations"]
    assert conversation["conversation_id"] == "ip3"
    assert _links(conversation) == {
        "ip1": ("first_request", None),
        "ip2": ("same_ip", "ip1"),
        "ip3": ("other_ip", "ip2"),
        "ip1-again": ("retry", "ip1"),
    }
    assert conversation["release"]["split"] is None  # later stages not stored: said, not invented


def test_explain_a_lost_log_by_landing_line(linked_month):
    result = explain(linked_month, "requests-000.jsonl:6").to_dict()  # the lost conversation's last log
    (conversation,) = result["conversations"]
    linking = conversation["linking"]
    assert [lost["round"] for lost in linking["lost_rounds"]] == [1]
    assert linking["absorbed_conversations"] == ["lost1"]
    assert _links(conversation)["lost3"] == ("history_only", None)


def test_explain_a_rejected_line_names_the_reason_without_the_line(linked_month):
    result = explain(linked_month, f"landing/{MONTH}/requests-000.jsonl:99").to_dict()
    (entry,) = result["landing"]
    assert entry["accepted"] is False and entry["reason"] == "invalid_ip"
    assert "10.0.0.300" not in json.dumps(result)
    assert result["conversations"] == []


def test_explain_cli_prints_no_ip_or_text_and_fails_on_an_unknown_key(linked_month):
    runner = CliRunner()
    text = runner.invoke(main, ["explain", "ip3"])
    assert text.exit_code == 0, text.output
    assert "other_ip of ip2" in text.output and "retry of ip1" in text.output
    as_json = runner.invoke(main, ["explain", "ip3", "--json"])
    assert json.loads(as_json.output)["conversations"][0]["conversation_id"] == "ip3"
    for secret in ("198.51.100.20", "2001:db8::5", "write a haiku", "Leaves fall"):
        assert secret not in text.output and secret not in as_json.output
    unknown = runner.invoke(main, ["explain", "no-such-log"])
    assert unknown.exit_code == 1


def test_explain_reads_a_month_stored_before_link_decisions_existed(linked_month):
    import pyarrow.parquet as pq

    path = linked_month.layout.partition(Stage.DEDUPLICATED_CONVERSATIONS, MONTH)
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["link_decisions"]), path)
    (conversation,) = explain(linked_month, "ip3").to_dict()["conversations"]
    logs = conversation["linking"]["logs"]
    assert {e["log_id"] for e in logs} == {"ip1", "ip2", "ip3", "ip1-again"}
    assert all(e["link"] is None and e["why"].startswith("not recorded") for e in logs)


def test_explain_by_hash_without_a_stored_lineage_index_builds_it_from_moderated(data_dir):
    store = Warehouse(data_dir)
    row = conversation_record(Stage.MODERATED_CONVERSATIONS, [("user", "hola"), ("assistant", "¡hola!")], toxic=True)
    store.write_records(Stage.MODERATED_CONVERSATIONS, MONTH, [row])
    released = to_release_row(row)
    for key in (released["conversation_hash"], str(released["conversation"][0]["turn_identifier"])):
        result = explain(store, key).to_dict()
        assert result["kind"] == key_kind(key)
        (conversation,) = result["conversations"]
        assert conversation["conversation_id"] == row["conversation_id"]
        assert conversation["release"]["split"] == "toxic"
        assert conversation["release"]["published"] == {"file": f"release/toxic/{MONTH}.parquet", "found": False}
