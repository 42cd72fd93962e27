"""The shared stage skeleton: streaming in batches stores exactly what one whole-month pass stores."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow.parquet as pq
import pytest

from wildchat_dagster.assets.shared.checks import no_raw_ips_check
from wildchat_dagster.assets.shared.stage_run import BatchCheck, StageRun, run_stage
from wildchat_dagster.core.language.detection import tag_languages
from wildchat_dagster.core.stats import StageResult, maximum, merge_all, tally, total, union
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.stages import Stage

from factories import conversation_record

MONTH = "2023-04"
UPSTREAM, ASSET = Stage.GEOTAGGED_CONVERSATIONS, Stage.LANGUAGE_TAGGED_CONVERSATIONS
TEXTS = ["Tell me about the water cycle.", "Bonjour, comment vas-tu ?", "", "12345", "Wie spät ist es?"]


def _predict(samples: list[str]) -> list[list[tuple[str, float]]]:
    """A deterministic stand-in for fastText: French if it has a cedilla or 'jour', German on 'ist', else English."""
    return [[("fr", 0.9)] if "jour" in s else [("de", 0.9)] if " ist " in s else [("en", 0.9)] for s in samples]


@pytest.fixture
def store(tmp_path) -> Warehouse:
    store = Warehouse(tmp_path)
    rows = [
        conversation_record(UPSTREAM, [("user", TEXTS[i % 5]), ("assistant", TEXTS[(i + 1) % 5] + f" {i}")])
        for i in range(23)
    ]
    store.write_records(UPSTREAM, MONTH, rows)
    return store


@dataclass(slots=True)
class EmptyTurns(StageResult):
    empty_turns: int = total()


def _empty_turns(batch) -> EmptyTurns:
    return EmptyTurns(sum(1 for row in batch.rows for u in row["conversation"] if not u["content"]))


def test_batches_store_the_same_table_and_the_same_totals_as_one_pass(store, tmp_path):
    checks = [no_raw_ips_check(store, MONTH, set()), BatchCheck("empty", _empty_turns, passed=lambda t: True)]
    process = lambda rows: tag_languages(rows, _predict)  # noqa: E731
    whole = run_stage(store, ASSET, UPSTREAM, MONTH, process, checks, batch_rows=None)
    one_pass = store.read_table(ASSET, MONTH)
    batched = run_stage(store, ASSET, UPSTREAM, MONTH, process, checks, batch_rows=5)
    streamed = store.read_table(ASSET, MONTH)

    assert (whole.batches, batched.batches) == (1, 5)
    assert streamed.equals(one_pass) and streamed.num_rows == 23
    assert pq.ParquetFile(store.partition_path(ASSET, MONTH)).metadata.num_row_groups == 5
    assert batched.conversations == whole.conversations == 23
    for key in ("conversations", "utterances", "nolang_utterances", "languages", "conversation_languages"):
        assert getattr(batched.result, key) == getattr(whole.result, key), key
    assert batched.check_totals == whole.check_totals
    assert batched.check_totals["empty"].empty_turns == 5  # one user turn in five is empty
    assert [r.passed for r in batched.check_results(ASSET, checks)] == [True, True]
    assert batched.preview_rows == whole.preview_rows and len(batched.preview_rows) == 10


def test_an_empty_upstream_stores_an_empty_partition(tmp_path):
    store = Warehouse(tmp_path)
    run = run_stage(store, ASSET, UPSTREAM, MONTH, lambda rows: tag_languages(rows, _predict), [], batch_rows=5)
    assert run.batches == 1 and run.result.conversations == 0
    assert store.read_table(ASSET, MONTH).num_rows == 0


def test_a_failing_stage_leaves_the_stored_partition_alone(store):
    run_stage(store, ASSET, UPSTREAM, MONTH, lambda rows: tag_languages(rows, _predict), [], batch_rows=5)
    before = store.partition_path(ASSET, MONTH).read_bytes()
    calls = []

    def failing(rows):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("model crashed")
        return tag_languages(rows, _predict)

    with pytest.raises(RuntimeError):
        run_stage(store, ASSET, UPSTREAM, MONTH, failing, [], batch_rows=5)
    assert store.partition_path(ASSET, MONTH).read_bytes() == before
    assert not list(store.partition_path(ASSET, MONTH).parent.glob(".*.tmp"))


@dataclass(slots=True)
class Toy(StageResult):
    n: int = total()
    by: dict = tally()
    seen: set = union()
    workers: int = maximum()


def test_results_merge_each_field_by_its_declared_kind():
    totals = merge_all([Toy(2, {"a": 1}, {"x"}, 1), Toy(3, {"b": 4, "a": 1}, {"y"}, 2), Toy(workers=1)])
    assert totals == Toy(5, {"b": 4, "a": 2}, {"x", "y"}, 2)
    assert list(totals.by) == ["b", "a"]  # biggest first, for the top-N tables
    with pytest.raises(TypeError, match="cannot merge"):
        totals.merged(EmptyTurns(1))


def test_a_misspelt_field_fails_where_the_result_is_built():
    with pytest.raises(TypeError, match="unexpected keyword argument 'nn'"):
        Toy(nn=1)
    with pytest.raises(AttributeError):
        Toy().nn = 1  # slots: no stray attribute either
    with pytest.raises(TypeError, match="no field"):
        StageResult.from_dict({**Toy().to_dict(), "nn": 1})

    @dataclass(slots=True)
    class Undeclared(StageResult):
        n: int = 0

    with pytest.raises(TypeError, match="declares no merge kind"):
        Undeclared()


def test_a_stage_run_travels_between_steps_as_json(store):
    checks = [no_raw_ips_check(store, MONTH, set()), BatchCheck("empty", _empty_turns, passed=lambda t: True)]
    run = run_stage(store, ASSET, UPSTREAM, MONTH, lambda rows: tag_languages(rows, _predict), checks, batch_rows=5)
    back = StageRun.from_dict(json.loads(json.dumps(run.to_dict())))
    assert back.result == run.result and back.check_totals == run.check_totals
    assert (back.conversations, back.batches, back.seconds) == (run.conversations, run.batches, run.seconds)
    assert back.check_totals["no_raw_client_ips"].columns == set()


def test_moderation_coverage_of_batches_adds_up_to_the_coverage_of_the_month():
    from wildchat_dagster.core.moderation.coverage import merge_coverage, screening_coverage

    def row(language: str, content: str, score: float | None) -> dict:
        turn = {"role": "user", "content": content, "language": language, "openai_moderation": None,
                "detoxify_moderation": None, "profanity_score": score}
        return {"conversation": [turn, {**turn, "role": "assistant", "profanity_score": None}]}

    rows = [
        row("English", "hi", 0.1),
        row("French", "salut", None),
        row("English", "", None),
        row("Korean", "안녕", 0.2),
    ]
    whole = screening_coverage(rows, ["profanity"])
    assert (
        merge_coverage([screening_coverage(rows[:1], ["profanity"]), screening_coverage(rows[1:], ["profanity"])])
        == whole
    )
    assert whole["utterances"] == 6 and whole["screened_by"] == {"profanity": 2}
