"""import-release: published WildChat rows and the authors' proxy logs become contract-valid request logs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.core.geo.geolocation import geotag_conversations
from wildchat_dagster.core.ingestion.import_release import import_files, row_logs
from wildchat_dagster.core.ingestion.raw_logs import parse_landing_file
from wildchat_dagster.core.linking.chains import link_month
from wildchat_dagster.core.wildchat_ids import conversation_hash

FULL_SCHEMA = "wildchat1m_fullschema_5rows.jsonl"


def _rows(real_wildchat, name=FULL_SCHEMA):
    return [json.loads(line) for line in (real_wildchat / name).read_text().splitlines() if line.strip()]


def test_a_released_conversation_becomes_one_log_per_round_with_growing_history(real_wildchat):
    row = next(r for r in _rows(real_wildchat) if r["turn"] == 2)
    logs = row_logs(row, "sample:1")
    assert [len(log["history"]) for log in logs] == [0, 2]
    assert logs[1]["history"][0]["content"] == row["conversation"][0]["content"]
    assert logs[1]["prompt"] == row["conversation"][2]["content"]
    assert logs[1]["response"] == row["conversation"][3]["content"]
    assert "ip" not in logs[0] and logs[0]["hashed_ip"] == row["conversation"][0]["hashed_ip"]
    assert (logs[0]["country"], logs[0]["state"]) == ("Spain", "A Coruña")
    assert logs[0]["response_timestamp"] == "2023-04-09T00:01:51Z"
    assert logs[0]["imported"]["turn_identifier"] == 100999


def test_imported_files_pass_the_contract_and_link_back_with_given_hash_and_place(real_wildchat, data_dir):
    summary = import_files([real_wildchat / FULL_SCHEMA], data_dir)
    assert summary.conversations == 5 and dict(summary.logs_by_month) == {"2023-04": 6}
    valid, rejected = parse_landing_file(data_dir / "landing" / "2023-04" / "import-wildchat1m_fullschema_5rows.jsonl",
                                         "2023-04", data_dir)
    assert rejected == [] and len(valid) == 6
    assert all(row["ip"] is None and len(row["hashed_ip"]) == 64 for row in valid)
    provenance = json.loads((data_dir / "imports" / "wildchat1m_fullschema_5rows.json").read_text())
    assert provenance["rows"] == 5 and len(provenance["sha256"]) == 64

    links = link_month(valid, "2023-04")
    tagged, counts = geotag_conversations(links.deduplicated, lambda ip, day: None, lambda ip: "never-called")
    assert counts.user_turns_with_given_location == 6 and counts.user_turns_with_ip == 0
    by_hash = {conversation_hash((u["role"], u["content"]) for u in r["conversation"]): r for r in tagged}
    for original in _rows(real_wildchat):
        conversation = by_hash[original["conversation_hash"]]["conversation"]
        assert [u["role"] for u in conversation] == [u["role"] for u in original["conversation"]]
        assert [u["hashed_ip"] for u in conversation] == [u["hashed_ip"] for u in original["conversation"]]
        assert by_hash[original["conversation_hash"]]["country"] == original["country"]


def test_parquet_and_4_8m_request_fields_ride_along(tmp_path, data_dir):
    turn = {"content": "hi", "role": "user", "hashed_ip": "ab" * 32, "country": "France", "state": None,
            "header": {"user-agent": "UA", "accept-language": "fr"}, "timestamp": None, "turn_identifier": 7}
    reply = {"content": "hello", "role": "assistant", "timestamp": "2024-05-02T10:00:00", "turn_identifier": 7,
             "temperature": 0.7, "top_p": 1.0, "system_fingerprint": "fp_1", "openai_id": "chatcmpl-1",
             "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
    path = tmp_path / "train-00000.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [
                {
                    "conversation_hash": "x",
                    "model": "gpt-4o",
                    "timestamp": "2024-05-02T10:00:00",
                    "conversation": [turn, reply],
                }
            ]
        ),
        path,
    )
    summary = import_files([path], data_dir)
    assert dict(summary.logs_by_month) == {"2024-05": 1}
    valid, rejected = parse_landing_file(
        data_dir / "landing" / "2024-05" / "import-train-00000.jsonl", "2024-05", data_dir
    )
    assert rejected == []
    extra = json.loads(valid[0]["extra_json"])
    assert extra["request"]["temperature"] == 0.7 and extra["request"]["usage"]["total_tokens"] == 5
    assert valid[0]["user_agent"] == "UA" and valid[0]["country"] == "France"


def test_proxy_log_rows_parse_repr_headers_and_take_the_first_forwarded_address():
    row = {
        "timestamp": "2023-04-10T12:00:00+00:00",
        "headers": "{'Host': 'proxy', 'X-Forwarded-For': '203.0.113.9, 10.0.0.1', 'User-Agent': 'Mozilla/5.0'}",
        "payload": {"model": "gpt-3.5-turbo", "temperature": 0.9, "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "first"}, {"role": "assistant", "content": "reply"},
            {"role": "user", "content": "second"}]},
        "partial_words": "the answer",
    }
    (log,) = row_logs(row, "proxy:0")
    assert log["ip"] == "203.0.113.9" and "x-forwarded-for" not in log["headers"]
    assert log["headers"]["user-agent"] == "Mozilla/5.0" and log["model"] == "gpt-3.5-turbo"
    assert log["history"] == [{"role": "user", "content": "first"}, {"role": "assistant", "content": "reply"}]
    assert (log["prompt"], log["response"]) == ("second", "the answer")
    assert log["request"] == {"temperature": 0.9}


def test_unconvertible_rows_are_counted_with_a_reason(tmp_path, data_dir):
    path = tmp_path / "odd.jsonl"
    rows = [
        {"headers": "__import__('os').system('true')", "payload": {"messages": []}},  # never evaluated
        {"conversation": [{"role": "assistant", "content": "no user"}, {"role": "user", "content": "x"}]},
        {"something": "else"},
        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "metadata": {}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = import_files([path], data_dir)
    assert dict(summary.skipped) == {"bad_headers": 1, "not_alternating": 1, "unknown_shape": 1, "no_timestamp": 1}
    assert summary.rows == 4 and summary.conversations == 0


def test_cli_import_release_says_what_it_wrote_and_what_to_run(real_wildchat, data_dir):
    result = CliRunner().invoke(main, ["import-release", str(real_wildchat / FULL_SCHEMA)])
    assert result.exit_code == 0, result.output
    assert "conversations imported: 5" in result.output
    assert "2023-04: 6 request logs" in result.output
    assert "run --months 2023-04:2023-04" in result.output


def test_malformed_rows_are_counted_by_reason_never_an_abort(tmp_path, data_dir):
    path = tmp_path / "hostile.jsonl"
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
            "metadata": {"timestamp": "2023-05-02T10:00:00Z", "model": "gpt-4"}}
    proxy = {"payload": {"messages": [{"role": "user", "content": "hi"}]}, "timestamp": "2023-05-02T10:00:00Z"}
    lines = [
        json.dumps(proxy | {"headers": "{[1]: 2}"}),  # literal_eval raises TypeError (unhashable key)
        json.dumps(proxy | {"headers": "{'X-Forwarded-For': '1.2.3.4'}", "payload": "{not json"}),
        json.dumps({"conversation": [{"role": "user", "content": "q", "timestamp": "yesterday"},
                                     {"role": "assistant", "content": "r", "timestamp": "not a time"}]}),
        json.dumps({"messages": "not a list of messages", "metadata": {}}),
        "{this line is not json",
        json.dumps(good),
    ]
    path.write_text("\n".join(lines) + "\n")
    summary = import_files([path], data_dir)
    assert dict(summary.skipped) == {"bad_headers": 1, "bad_payload": 1, "malformed_row": 2, "unparsable_line": 1}
    assert summary.rows == 6 and summary.conversations == 1
    assert summary.files[0]["skipped"] == dict(summary.skipped)


def test_output_names_are_unique_per_input_file(tmp_path, data_dir):
    def write(name: str, content: str) -> None:
        rows = [{"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": "ok"}],
                 "metadata": {"timestamp": "2023-05-02T10:00:00Z", "model": "gpt-4"}}]
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / name)

    write("data.2023.parquet", "from 2023")
    write("data.2024.parquet", "from 2024")
    summary = import_files([tmp_path / "data.2023.parquet", tmp_path / "data.2024.parquet"], data_dir)
    assert len(set(summary.written)) == 2
    prompts = sorted(json.loads(Path(p).read_text())["prompt"] for p in summary.written)
    assert prompts == ["from 2023", "from 2024"]
    assert sorted(p.name for p in (data_dir / "imports").iterdir()) == ["data.2023.json", "data.2024.json"]


def test_cli_import_release_of_a_file_with_every_row_skipped_exits_non_zero(tmp_path, data_dir):
    path = tmp_path / "garbage.jsonl"
    path.write_text("not json\n" + json.dumps({"something": "else"}) + "\n")
    result = CliRunner().invoke(main, ["import-release", str(path)])
    assert result.exit_code != 0
    assert "nothing imported from garbage.jsonl" in result.output
