"""The shared stage skeleton: streaming in batches stores exactly what one whole-month pass stores."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from wildchat_dagster.assets.checks import no_raw_ips_check
from wildchat_dagster.assets.stage import BatchCheck, merge_counts, run_stage
from wildchat_dagster.core.language.detection import tag_languages
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


def _empty_turns(batch) -> dict:
    return {"empty_turns": sum(1 for row in batch.rows for u in row["conversation"] if not u["content"])}


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
        assert batched.counts[key] == whole.counts[key], key
    assert batched.check_totals == whole.check_totals
    assert batched.check_totals["empty"]["empty_turns"] == 5  # one user turn in five is empty
    assert [r.passed for r in batched.check_results(ASSET, checks)] == [True, True]
    assert batched.preview_rows == whole.preview_rows and len(batched.preview_rows) == 10


def test_an_empty_upstream_stores_an_empty_partition(tmp_path):
    store = Warehouse(tmp_path)
    run = run_stage(store, ASSET, UPSTREAM, MONTH, lambda rows: tag_languages(rows, _predict), [], batch_rows=5)
    assert run.batches == 1 and run.counts["conversations"] == 0
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


def test_merge_counts_adds_numbers_merges_dicts_and_unites_sets():
    totals: dict = {}
    merge_counts(totals, {"n": 2, "by": {"a": 1}, "seen": {"x"}, "name": "first"})
    merge_counts(totals, {"n": 3, "by": {"b": 4, "a": 1}, "seen": {"y"}, "name": "second"})
    assert totals == {"n": 5, "by": {"b": 4, "a": 2}, "seen": {"x", "y"}, "name": "first"}
    assert list(totals["by"]) == ["b", "a"]  # biggest first, for the top-N tables


def test_moderation_coverage_of_batches_adds_up_to_the_coverage_of_the_month():
    from wildchat_dagster.core.moderation.coverage import merge_coverage, screening_coverage

    def row(language: str, content: str, score: float | None) -> dict:
        turn = {"role": "user", "content": content, "language": language, "openai_moderation": None,
                "detoxify_moderation": None, "profanity_score": score}
        return {"conversation": [turn, {**turn, "role": "assistant", "profanity_score": None}]}

    rows = [row("English", "hi", 0.1), row("French", "salut", None), row("English", "", None), row("Korean", "안녕", 0.2)]
    whole = screening_coverage(rows, ["profanity"])
    assert merge_coverage([screening_coverage(rows[:1], ["profanity"]), screening_coverage(rows[1:], ["profanity"])]) == whole
    assert whole["utterances"] == 6 and whole["screened_by"] == {"profanity": 2}
