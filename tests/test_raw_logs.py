"""The raw-log contract: every reason code, gzip, streaming details, and the JSON Schema agreeing with the parser."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from wildchat_dagster.core.ingestion.contract import REJECTION_REASONS, ContractViolation, validate_record
from wildchat_dagster.core.ingestion.raw_logs import parse_landing_file, parse_month, read_landing_file
from wildchat_dagster.core.storage.warehouse import Warehouse

MONTH = "2023-04"


def record(**overrides) -> dict:
    """A valid raw log line as a dict; overrides replace fields (a value of ... deletes one)."""
    base = {
        "log_id": "req-1",
        "timestamp": "2023-04-09T12:00:00Z",
        "response_timestamp": "2023-04-09T12:00:07.250+00:00",
        "model": "gpt-3.5-turbo-0301",
        "ip": "203.0.113.7",
        "headers": {
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "Accept-Language": "fr-FR,fr;q=0.9",
            "X-Trace": "1",
        },
        "history": [{"role": "user", "content": "Bonjour"}, {"role": "assistant", "content": "Bonjour !"}],
        "prompt": "Quelle heure est-il ?",
        "response": "Je ne sais pas.",
    }
    for key, value in overrides.items():
        if value is ...:
            base.pop(key)
        else:
            base[key] = value
    return base


def write_lines(path: Path, lines: list[bytes | str | dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(
        (json.dumps(x).encode() if isinstance(x, dict) else x.encode() if isinstance(x, str) else x) + b"\n"
        for x in lines
    )
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def landing(data_dir: Path, name: str = "part-0.jsonl", month: str = MONTH) -> Path:
    return data_dir / "landing" / month / name


def reasons(rejected: list[dict]) -> list[str]:
    return [r["reason"] for r in rejected]


def test_reason_codes_are_exactly_the_contract():
    assert set(REJECTION_REASONS) == {
        "invalid_json", "not_an_object", "invalid_utf8", "missing_field", "wrong_type", "invalid_timestamp",
        "invalid_ip", "invalid_history", "wrong_month", "too_large", "duplicate_log_id",
        "too_deep", "unparsable", "truncated_file",
    }
    assert all(REJECTION_REASONS.values())


def test_valid_line_becomes_a_typed_row(data_dir):
    path = write_lines(landing(data_dir), [record(extra_field={"a": 1}, client="web")])
    valid, rejected = parse_landing_file(path, MONTH, data_dir)
    assert rejected == []
    (row,) = valid
    assert row["log_id"] == "req-1"
    assert row["timestamp"] == dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    assert row["response_timestamp"] == dt.datetime(2023, 4, 9, 12, 0, 7, 250000, tzinfo=dt.UTC)
    assert row["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert row["accept_language"] == "fr-FR,fr;q=0.9"
    assert json.loads(row["headers_json"]) == {
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64)", "accept-language": "fr-FR,fr;q=0.9", "x-trace": "1",
    }
    assert json.loads(row["extra_json"]) == {"client": "web", "extra_field": {"a": 1}}
    assert row["history"][1] == {"role": "assistant", "content": "Bonjour !"}
    assert row["source_file"] == "landing/2023-04/part-0.jsonl"
    assert row["line_number"] == 1


def test_missing_headers_give_nulls_and_offsets_convert_to_utc(data_dir):
    path = write_lines(
        landing(data_dir), [record(headers={}, timestamp="2023-04-09T14:00:00+02:00", history=[], prompt="")]
    )
    (row,), _ = parse_landing_file(path, MONTH, data_dir)
    assert row["user_agent"] is None and row["accept_language"] is None
    assert row["timestamp"] == dt.datetime(2023, 4, 9, 12, tzinfo=dt.UTC)
    assert row["prompt"] == "" and row["history"] == [] and row["extra_json"] is None


BAD_RECORDS = {
    "invalid_json": b'{"log_id": "x1", "timestamp": ',
    "not_an_object": b'["log_id", "x2"]',
    "invalid_utf8": json.dumps(record(log_id="x3", prompt="caf\u00e9")).encode().replace(b"\\u00e9", b"\xe9"),
    "missing_field": record(log_id="x4", response=...),
    "wrong_type": record(log_id="x5", history="Bonjour"),
    "invalid_timestamp": record(log_id="x6", timestamp="2023-04-09T12:00:00"),
    "invalid_ip": record(log_id="x7", ip="300.1.2.3"),
    "invalid_history": record(
        log_id="x8", history=[{"role": "assistant", "content": "hi"}, {"role": "user", "content": "yo"}]
    ),
    "wrong_month": record(log_id="x9", timestamp="2023-05-01T00:00:01Z", response_timestamp="2023-05-01T00:00:09Z"),
    "too_large": record(log_id="x10", prompt="a" * 3000),
    "duplicate_log_id": record(log_id="req-1"),
}


def test_every_reason_code_is_detected_and_nothing_stops_the_file(data_dir):
    lines = [record()] + list(BAD_RECORDS.values()) + [record(log_id="req-2")]
    path = write_lines(landing(data_dir), lines)
    valid, rejected = parse_landing_file(path, MONTH, data_dir, max_record_bytes=2048)
    assert [r["log_id"] for r in valid] == ["req-1", "req-2"]
    assert reasons(rejected) == list(BAD_RECORDS)
    assert [r["line_number"] for r in rejected] == list(range(2, 2 + len(BAD_RECORDS)))
    by_reason = {r["reason"]: r for r in rejected}
    assert by_reason["invalid_json"]["log_id"] == "x1"  # read from the broken line when visible
    assert by_reason["not_an_object"]["log_id"] is None
    assert by_reason["missing_field"]["detail"] == "missing response"
    assert by_reason["invalid_utf8"]["raw_line"].count("\ufffd") == 1
    assert by_reason["too_large"]["log_id"] == "x10"
    assert len(by_reason["too_large"]["raw_line"]) == 2000  # truncated
    assert all(r["source_file"] == "landing/2023-04/part-0.jsonl" for r in rejected)


@pytest.mark.parametrize(
    ("reason", "fields"),
    [
        ("missing_field", {"log_id": ...}),
        ("missing_field", {"headers": ...}),
        ("wrong_type", {"prompt": None}),
        ("wrong_type", {"log_id": 12}),
        ("wrong_type", {"log_id": ""}),
        ("wrong_type", {"model": ""}),
        ("wrong_type", {"headers": ["user-agent"]}),
        ("wrong_type", {"headers": {"User-Agent": 5}}),
        ("invalid_timestamp", {"timestamp": "09/04/2023 12:00"}),
        ("invalid_timestamp", {"timestamp": "2023-04-09"}),
        ("invalid_timestamp", {"timestamp": "2023-04-09T25:00:00Z"}),
        ("invalid_timestamp", {"response_timestamp": "2023-04-09T11:59:59Z"}),
        ("invalid_timestamp", {"response_timestamp": "2023-06-01T00:00:00Z"}),
        ("invalid_ip", {"ip": "localhost"}),
        ("invalid_ip", {"ip": "fe80::1%eth0"}),
        ("invalid_ip", {"ip": "01.2.3.4"}),
        ("invalid_history", {"history": [{"role": "user", "content": "a"}]}),
        ("invalid_history", {"history": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}),
        ("invalid_history", {"history": ["hello", "hi"]}),
        ("invalid_history", {"history": [{"role": "user", "content": 1}, {"role": "assistant", "content": "b"}]}),
        (
            "invalid_history",
            {"history": [{"role": "user", "content": "a", "name": "x"}, {"role": "assistant", "content": "b"}]},
        ),
        ("invalid_history", {"history": [{"role": "system", "content": "a"}, {"role": "assistant", "content": "b"}]}),
    ],
)
def test_contract_violations(reason, fields):
    with pytest.raises(ContractViolation) as raised:
        validate_record(record(**fields), MONTH)
    assert raised.value.reason == reason


def test_valid_variants_are_accepted():
    for fields in [
        {"ip": "2001:db8::7"},
        {"ip": "::ffff:203.0.113.7"},
        {"timestamp": "2023-04-09 12:00:00.123456789-05:00", "response_timestamp": "2023-04-09T17:00:01z"},
        {"history": [], "prompt": ""},
        {"response_timestamp": "2023-05-02T00:00:00Z"},  # a slow reply into the next month is linkable
    ]:
        validate_record(record(**fields), MONTH)


def test_json_edge_cases_are_rejected(data_dir):
    lone_surrogate = json.dumps(record(log_id="s1")).replace("Bonjour !", "\\ud800 oops")
    paired = json.dumps(record(log_id="s2", prompt="\U0001f600"))  # ensure_ascii writes a valid surrogate pair
    path = write_lines(
        landing(data_dir),
        [lone_surrogate, paired, json.dumps(record(log_id="n1")).replace('"Je ne', 'NaN, "x": "Je ne')],
    )
    valid, rejected = parse_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in valid] == ["s2"] and valid[0]["prompt"] == "\U0001f600"
    assert reasons(rejected) == ["invalid_utf8", "invalid_json"]


def test_gzip_crlf_bom_blank_lines_and_case_insensitive_headers(data_dir):
    lines = [
        b"\xef\xbb\xbf" + json.dumps(record(log_id="g1")).encode() + b"\r",
        b"   ",
        json.dumps(record(log_id="g2", headers={"USER-AGENT": "curl/8", "accept-LANGUAGE": "de"})).encode() + b"\r",
        b"",
    ]
    path = write_lines(landing(data_dir, "part-1.jsonl.gz"), lines)
    parsed = read_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in parsed.valid] == ["g1", "g2"]
    assert [r["line_number"] for r in parsed.valid] == [1, 3]
    assert parsed.valid[1]["user_agent"] == "curl/8" and parsed.valid[1]["accept_language"] == "de"
    assert parsed.rejected == []
    assert parsed.lines == 4 and parsed.blank_lines == 2
    assert parsed.bytes_read == sum(len(x) + 1 for x in lines)
    assert parsed.bytes_on_disk == path.stat().st_size < parsed.bytes_read


def test_oversized_line_is_skipped_in_bounded_reads(data_dir):
    big = json.dumps(record(log_id="big", prompt="x" * 50_000))
    path = write_lines(landing(data_dir), [record(log_id="a"), big, record(log_id="b")])
    valid, rejected = parse_landing_file(path, MONTH, data_dir, max_record_bytes=10_000)
    assert [r["log_id"] for r in valid] == ["a", "b"]
    assert reasons(rejected) == ["too_large"] and rejected[0]["line_number"] == 2
    assert rejected[0]["detail"].startswith(f"{len(big)} bytes")
    # The limit is inclusive: a line of exactly max_record_bytes passes.
    exact = json.dumps(record(log_id="exact"))
    path = write_lines(landing(data_dir, "exact.jsonl"), [exact])
    assert len(parse_landing_file(path, MONTH, data_dir, max_record_bytes=len(exact))[0]) == 1
    assert reasons(parse_landing_file(path, MONTH, data_dir, max_record_bytes=len(exact) - 1)[1]) == ["too_large"]


def test_duplicate_log_ids_across_files_of_a_month_keep_the_first(data_dir):
    write_lines(landing(data_dir, "a.jsonl"), [record(log_id="d1"), record(log_id="d2", prompt="first")])
    write_lines(landing(data_dir, "b.jsonl.gz"), [record(log_id="d2", prompt="second"), record(log_id="d3")])
    valid, rejected = parse_month(Warehouse(data_dir), MONTH)
    assert [(r["log_id"], r["prompt"]) for r in valid] == [
        ("d1", "Quelle heure est-il ?"),
        ("d2", "first"),
        ("d3", "Quelle heure est-il ?"),
    ]
    assert [(r["reason"], r["source_file"], r["line_number"], r["log_id"]) for r in rejected] == [
        ("duplicate_log_id", "landing/2023-04/b.jsonl.gz", 1, "d2")
    ]


def test_an_invalid_first_copy_does_not_shadow_a_valid_second(data_dir):
    path = write_lines(landing(data_dir), [record(log_id="d1", ip="nope"), record(log_id="d1")])
    valid, rejected = parse_landing_file(path, MONTH, data_dir)
    assert [r["line_number"] for r in valid] == [2]
    assert reasons(rejected) == ["invalid_ip"]


# --- the JSON Schema file states the same contract ---------------------------------------


@pytest.fixture(scope="module")
def schema_validator():
    schema = json.loads(resources.files("wildchat_dagster").joinpath("raw_log.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# Violations the schema can state; the others (history alternation and length, reply before
# request, month rules, size, uniqueness, encoding) are parser-only rules listed in its description.
SCHEMA_EXPRESSIBLE = [
    {"log_id": ...}, {"prompt": None}, {"log_id": ""}, {"model": 3}, {"headers": {"user-agent": 1}},
    {"headers": "ua"}, {"history": "hi"}, {"timestamp": "2023-04-09T12:00:00"}, {"response_timestamp": "yesterday"},
    {"ip": "300.1.2.3"}, {"ip": "fe80::1%eth0"}, {"ip": 5}, {"ip": ...}, {"ip": ..., "hashed_ip": 5},
    {"history": [{"role": "system", "content": "a"}, {"role": "assistant", "content": "b"}]},
    {"history": [{"role": "user"}, {"role": "assistant", "content": "b"}]},
    {"history": [{"role": "user", "content": "a", "name": "x"}, {"role": "assistant", "content": "b"}]},
]
SCHEMA_VALID = [
    {}, {"ip": "2001:db8::1"}, {"ip": ..., "hashed_ip": "ab" * 32, "country": "France", "state": None},
    {"ip": ..., "hashed_ip": None}, {"history": [], "prompt": ""}, {"headers": {}}, {"anything_else": [1, 2]},
    {"timestamp": "2023-04-09 12:00:00.5+05:30", "response_timestamp": "2023-04-09T07:00:00Z"},
]


@pytest.mark.parametrize("fields", SCHEMA_VALID)
def test_schema_and_parser_accept_the_same_valid_records(schema_validator, fields):
    line = record(**fields)
    assert list(schema_validator.iter_errors(line)) == []
    validate_record(line, MONTH)


@pytest.mark.parametrize("fields", SCHEMA_EXPRESSIBLE)
def test_schema_and_parser_reject_the_same_invalid_records(schema_validator, fields):
    line = record(**copy.deepcopy(fields))
    assert list(schema_validator.iter_errors(line)), fields
    with pytest.raises(ContractViolation):
        validate_record(line, MONTH)
