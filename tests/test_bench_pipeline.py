"""The pipeline benchmark's measuring parts (the benchmark itself runs minutes: `wildchat-dagster bench pipeline`)."""

from __future__ import annotations

import datetime as dt
import time

from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.kit.benchmarks.pipeline import RssSampler, output_size
from wildchat_dagster.kit.benchmarks.pipeline_baselines import authors_linking
from wildchat_dagster.stages import Stage

from factories import conversation_record

T0 = dt.datetime(2023, 4, 9, 12, 0, tzinfo=dt.UTC)


def _log(log_id: str, minutes: int, history: list[tuple[str, str]], prompt: str, response: str) -> dict:
    return {
        "log_id": log_id,
        "timestamp": T0 + dt.timedelta(minutes=minutes),
        "history": [{"role": r, "content": c} for r, c in history],
        "prompt": prompt,
        "response": response,
    }


def test_authors_linking_follows_histories_by_dict_lookup():
    logs = [
        _log("a1", 0, [], "hi", "hello"),
        _log("b1", 1, [], "translate this", "done"),
        _log("a2", 2, [("user", "hi"), ("assistant", "hello")], "more", "sure"),
        _log("a3", 3, [("user", "hi"), ("assistant", "hello"), ("user", "more"), ("assistant", "sure")], "end", "bye"),
    ]
    assert authors_linking(logs) == {"a1": "a1", "b1": "b1", "a2": "a1", "a3": "a1"}


def test_output_size_counts_rows_utterances_and_text_bytes(tmp_path):
    store = Warehouse(tmp_path)
    rows = [conversation_record(Stage.GEOTAGGED_CONVERSATIONS, [("user", "héllo"), ("assistant", "hi there")])] * 3
    store.write_records(Stage.GEOTAGGED_CONVERSATIONS, "2023-04", rows)
    assert output_size(tmp_path, (Stage.GEOTAGGED_CONVERSATIONS,), "2023-04") == (3, 6, 3 * (6 + 8))
    assert output_size(tmp_path, (Stage.MODERATED_CONVERSATIONS,), "2023-04") == (0, 0, 0)


def test_rss_sampler_sees_memory_and_cpu_of_this_process():
    sampler = RssSampler(interval=0.02)
    sampler.start()
    started = time.time()
    block = bytearray(64 << 20)  # 64 MiB, touched
    for i in range(0, len(block), 4096):
        block[i] = 1
    cpu = time.process_time()
    while time.process_time() - cpu < 0.4:  # CPU time, not wall: the machine may be busy
        sum(range(10_000))
    time.sleep(0.1)
    sampler.stop()
    assert sampler.peak(started, time.time()) > 64 << 20
    assert 0.2 < sampler.cpu_seconds(started, time.time()) < 5


def test_pipeline_options_belong_to_the_pipeline_benchmark():
    result = CliRunner().invoke(main, ["bench", "linking", "--compare"])
    assert result.exit_code == 2 and "pipeline benchmark" in result.output


def _figures(conversations: int, steps: dict[str, tuple[float, float]], peak: int) -> dict:
    return {"conversations": conversations, "first_run": {"peak_rss_mb": peak, "steps": [
        {"step": step, "cpu_s": cpu, "seconds": wall} for step, (cpu, wall) in steps.items()]}}


def test_linearity_flags_a_stage_that_grows_faster_than_the_data():
    from wildchat_dagster.kit.benchmarks.pipeline_linearity import linearity

    small = _figures(2_000, {"link_conversations": (10.0, 12.0), "release_splits": (5.0, 6.0)}, 1_000)
    linear = linearity(
        small, _figures(8_000, {"link_conversations": (41.0, 50.0), "release_splits": (20.0, 22.0)}, 1_100)
    )
    assert linear["linear"] and linear["over_limit"] == [] and linear["steps"]["link_conversations"]["cpu_ratio"] == 4.1
    quadratic = linearity(
        small, _figures(8_000, {"link_conversations": (41.0, 50.0), "release_splits": (80.0, 90.0)}, 1_100)
    )
    assert not quadratic["linear"] and quadratic["over_limit"] == ["release_splits"]
    growing = linearity(
        small, _figures(8_000, {"link_conversations": (40.0, 40.0), "release_splits": (20.0, 20.0)}, 3_000)
    )
    assert not growing["linear"] and growing["peak_rss_ratio"] == 3.0


def test_pandas_release_baseline_gives_the_stage_rows(tmp_path):
    from wildchat_dagster.kit.benchmarks.table_baselines import compare_release

    store = Warehouse(tmp_path)
    rows = [conversation_record(Stage.MODERATED_CONVERSATIONS, [("user", f"question {i}"), ("assistant", "answer")],
                                toxic=i % 3 == 0) for i in range(7)]
    store.write_records(Stage.MODERATED_CONVERSATIONS, "2023-04", rows)
    found = compare_release(store, "2023-04")
    assert found["conversations"] == 7 and found["identical_rows"] is True and found["stage_s"] > 0


def test_a_stages_time_counts_what_its_steps_cover_once():
    from wildchat_dagster.kit.benchmarks.pipeline import merged_spans

    # Shards side by side count once; another stage's step between two of its steps does not count.
    assert merged_spans([(10.0, 20.0), (0.0, 5.0), (12.0, 25.0), (30.0, 31.0)]) == [
        (0.0, 5.0),
        (10.0, 25.0),
        (30.0, 31.0),
    ]
    assert merged_spans([]) == []


def test_bench_through_the_cli_times_the_users_run_command(tmp_path):
    """`bench pipeline --cli`: the month goes through `wildchat-dagster run` in a child process, whose
    Dagster runs, steps and memory the benchmark reads; the unchanged rerun starts no run."""
    from wildchat_dagster.kit.benchmarks.pipeline import run

    figures = run(6, data_dir=tmp_path, quiet=True, via_cli=True)
    first, rerun = figures["first_run"], figures["rerun"]
    assert first["ok"] and first["runs_started"] >= 1, (tmp_path / "data" / "run-0.log").read_text()[-3000:]
    steps = {s["step"]: s for s in first["steps"]}
    assert {"link_conversations", "release_splits"} <= set(steps)
    assert 0 < steps["release_splits"]["records"] <= 6  # the generator plants duplicates and rejects
    assert first["peak_rss_mb"] > 100  # the child's tree, not only this process
    assert rerun["ok"] and rerun["runs_started"] == 0
    assert "wildchat-dagster run" in figures["through"]


def test_repeats_compare_the_fastest_run_of_each_step():
    """Noise on a shared machine makes one run slower: the fastest of the repeats is compared, per step."""
    from wildchat_dagster.kit.benchmarks.pipeline_linearity import fastest

    def one(link: float, release: float, peak: int, load: float) -> dict:
        return {"load_average_at_start": load, "rerun": {"wall_s": 1.0}, "first_run": {
            "ok": True, "wall_s": link + release, "cpu_s": link + release, "peak_rss_mb": peak, "steps": [
                {"step": "link_conversations", "cpu_s": link, "seconds": link, "peak_rss_mb": peak},
                {"step": "release_splits", "cpu_s": release, "seconds": release, "peak_rss_mb": peak - 100}]}}

    best = fastest([one(10.0, 7.0, 1_000, 0.5), one(12.0, 5.0, 1_200, 1.4)])
    steps = {s["step"]: s for s in best["first_run"]["steps"]}
    assert steps["link_conversations"]["cpu_s"] == 10.0 and steps["release_splits"]["cpu_s"] == 5.0
    assert best["first_run"]["peak_rss_mb"] == 1_200 and steps["release_splits"]["peak_rss_mb"] == 1_100  # the worst
    assert best["first_run"]["wall_s"] == 17.0 and [r["load"] for r in best["repeats"]] == [0.5, 1.4]


def test_repeat_belongs_to_the_linearity_benchmark():
    result = CliRunner().invoke(main, ["bench", "pipeline", "--conversations", "10", "--repeat", "2"])
    assert result.exit_code == 2 and "--linearity" in result.output


def test_each_repeat_runs_a_fresh_month_on_the_same_generated_logs(tmp_path):
    """`--linearity --repeat 2`: the month generated once, run twice from scratch (fresh process and data
    root, the landing files hard-linked), neither run reusing what the other materialized."""
    from wildchat_dagster.kit.benchmarks.pipeline_linearity import measure_size

    figures = measure_size(6, 2, False, tmp_path)
    assert [r["cpu_s"] > 0 for r in figures["repeats"]] == [True, True]
    assert figures["first_run"]["ok"] and figures["first_run"]["label"] == "first run, fastest of 2"
    releases = [s for s in figures["first_run"]["steps"] if s["step"] == "release_splits"]
    assert releases and 0 < releases[0]["records"] <= 6  # each repeat released the month itself
    assert figures["rerun"]["runs_started"] == 0
    assert (tmp_path / "generated" / "data" / "landing").is_dir() and not (tmp_path / "run-1").exists()
