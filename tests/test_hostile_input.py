"""Hostile landing input: no line and no broken file stops a month, and nothing readable is lost."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_conversation_assets import UTC, line, materialize_both, two_months, write_landing  # noqa: F401 (fixture)
from test_raw_logs import MONTH, landing, reasons, record, write_lines

from wildchat_dagster.core.ingestion import raw_logs
from wildchat_dagster.core.ingestion.contract import REJECTION_REASONS
from wildchat_dagster.core.ingestion.raw_logs import MAX_JSON_DEPTH, parse_landing_file, read_landing_file
from wildchat_dagster.core.storage.warehouse import Warehouse


def test_json_nested_a_thousand_levels_is_rejected_as_too_deep(data_dir):
    deep = '{"log_id": "deep", "x": ' + "[" * 1000 + "]" * 1000 + "}"
    deeper = "[" * 100_000 + "]" * 100_000
    path = write_lines(landing(data_dir), [deep, record(log_id="ok"), deeper, "{" * 5000])
    valid, rejected = parse_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in valid] == ["ok"]
    assert reasons(rejected) == ["too_deep", "too_deep", "invalid_json"]  # "{{{{" is not JSON at depth 1
    assert rejected[0]["log_id"] == "deep" and rejected[0]["line_number"] == 1


def test_nesting_within_the_limit_is_kept_in_extra_fields(data_dir):
    nested = record(log_id="n", trace=json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)))
    valid, rejected = parse_landing_file(write_lines(landing(data_dir), [nested]), MONTH, data_dir)
    assert [r["log_id"] for r in valid] == ["n"] and rejected == []


@pytest.mark.parametrize(
    "value, detail",
    [
        ("9999-12-31T23:00:00-05:00", "outside the representable range in UTC"),
        ("0001-01-01T00:30:00+01:00", "outside the representable range in UTC"),
        ("9999-12-31T23:59:00Z", "outside the plausible range [2000-01-01, 2100-01-01)"),
        ("1970-01-01T00:00:00Z", "outside the plausible range [2000-01-01, 2100-01-01)"),
    ],
)
def test_timestamps_out_of_range_are_invalid_timestamp_with_the_right_detail(data_dir, value, detail):
    lines = [record(log_id="t", timestamp=value), record(log_id="r", response_timestamp=value), record(log_id="ok")]
    valid, rejected = parse_landing_file(write_lines(landing(data_dir), lines), MONTH, data_dir)
    assert [r["log_id"] for r in valid] == ["ok"]
    assert reasons(rejected) == ["invalid_timestamp", "invalid_timestamp"]
    assert rejected[0]["detail"].startswith(f"timestamp {value!r} is {detail}")
    assert rejected[1]["detail"].startswith(f"response_timestamp {value!r} is {detail}")


def test_an_unexpected_error_on_one_line_is_an_unparsable_rejection(data_dir, monkeypatch):
    def explode(record, month):
        if record.get("log_id") == "bad":
            raise KeyError("surprise")
        return validate(record, month)

    validate = raw_logs.validate_record
    monkeypatch.setattr(raw_logs, "validate_record", explode)
    path = write_lines(landing(data_dir), [record(log_id="a"), record(log_id="bad"), record(log_id="b")])
    valid, rejected = parse_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in valid] == ["a", "b"]
    assert reasons(rejected) == ["unparsable"] and rejected[0]["detail"] == "KeyError: 'surprise'"
    assert rejected[0]["line_number"] == 2 and rejected[0]["log_id"] == "bad"


def _gzip_of(lines: list[dict]) -> tuple[bytes, list[int]]:
    """The gzip bytes of the lines and the uncompressed offset where each line starts."""
    encoded = [json.dumps(x).encode() + b"\n" for x in lines]
    starts = [sum(len(e) for e in encoded[:i]) for i in range(len(encoded))]
    return gzip.compress(b"".join(encoded)), starts


@pytest.mark.parametrize("kept_fraction", [0.3, 0.6, 0.95])
def test_a_truncated_gzip_keeps_every_complete_line_and_rejects_the_file_at_the_cut(data_dir, kept_fraction):
    lines = [record(log_id=f"c{i}", prompt=f"prompt {i} " + "x" * (i * 37 % 500)) for i in range(300)]
    data, starts = _gzip_of(lines)
    path = landing(data_dir, "cut.jsonl.gz")
    path.parent.mkdir(parents=True)
    path.write_bytes(data[: int(len(data) * kept_fraction)])
    # What a reader that stops at the cut can see: every line whose newline was decompressed.
    readable = len(zlib.decompressobj(31).decompress(path.read_bytes()))
    whole = sum(1 for i in range(len(lines)) if i + 1 < len(starts) and starts[i + 1] <= readable)

    parsed = read_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in parsed.valid] == [f"c{i}" for i in range(whole)]
    assert whole > 0 and reasons(parsed.rejected) == ["truncated_file"]
    cut = parsed.rejected[0]
    assert cut["line_number"] == whole + 1 and cut["source_file"] == "landing/2023-04/cut.jsonl.gz"
    assert f"uncompressed byte offset {starts[whole]}:" in cut["detail"]
    assert "ends inside a gzip member" in cut["detail"]
    assert parsed.lines == len(parsed.valid) + len(parsed.rejected)


def test_a_corrupt_gzip_member_keeps_the_members_before_it(data_dir):
    first = gzip.compress(b"".join(json.dumps(record(log_id=f"a{i}")).encode() + b"\n" for i in range(5)))
    second = bytearray(gzip.compress(b"".join(json.dumps(record(log_id=f"b{i}")).encode() + b"\n" for i in range(5))))
    second[15:25] = b"\xff" * 10  # inside the deflate data
    path = landing(data_dir, "corrupt.jsonl.gz")
    path.parent.mkdir(parents=True)
    path.write_bytes(first + bytes(second))
    parsed = read_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in parsed.valid][:5] == [f"a{i}" for i in range(5)]
    assert reasons(parsed.rejected)[-1] == "truncated_file" and "corrupt gzip data" in parsed.rejected[-1]["detail"]


def test_a_file_that_is_not_gzip_at_all_is_one_file_level_rejection(data_dir):
    path = landing(data_dir, "plain.jsonl.gz")
    path.parent.mkdir(parents=True)
    path.write_bytes(json.dumps(record()).encode() + b"\n")
    parsed = read_landing_file(path, MONTH, data_dir)
    assert parsed.valid == [] and reasons(parsed.rejected) == ["truncated_file"]
    assert "uncompressed byte offset 0:" in parsed.rejected[0]["detail"]


def test_whole_multi_member_gzip_and_zero_padding_read_in_full(data_dir):
    members = [gzip.compress(json.dumps(record(log_id=f"m{i}")).encode() + b"\n") for i in range(3)]
    path = landing(data_dir, "members.jsonl.gz")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(members) + b"\x00" * 64)
    parsed = read_landing_file(path, MONTH, data_dir)
    assert [r["log_id"] for r in parsed.valid] == ["m0", "m1", "m2"] and parsed.rejected == []


# --- property-based: whatever the line, the parser accounts for it -----------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
# Infinity and NaN are not JSON: values a valid record may carry.
_finite_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_field_values = st.sampled_from(
    ["2023-04-09T12:00:00Z", "9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "2023-04-31T00:00:00Z",
     "::ffff:203.0.113.5", "fe80::1%eth0", "", "\ud800", "user", "assistant"]
) | _json_values
_records = st.builds(
    lambda base, changes, drops: {k: v for k, v in {**base, **changes}.items() if k not in drops},
    st.just(record()),
    st.dictionaries(st.sampled_from(sorted(record()) + ["extra"]), _field_values, max_size=4),
    st.sets(st.sampled_from(sorted(record())), max_size=2),
)
_lines = st.one_of(
    _records.map(lambda r: json.dumps(r).encode()),
    _json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    _records.map(lambda r: json.dumps(r).encode()[: len(json.dumps(r)) // 2]),
    st.sampled_from([b"", b"   ", b"\xef\xbb\xbf{}", b"NaN", b'{"log_id": "x"', b"\r"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_lines, max_size=12), gzipped=st.booleans(), cut=st.none() | st.floats(0, 1))
def test_any_lines_are_each_accepted_rejected_or_blank(tmp_path_factory, lines, gzipped, cut):
    root = tmp_path_factory.mktemp("data")
    data = b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines)
    if gzipped:
        data = gzip.compress(data)
    if cut is not None:
        data = data[: int(len(data) * cut)]
    path = root / "landing" / MONTH / ("f.jsonl.gz" if gzipped else "f.jsonl")
    path.parent.mkdir(parents=True)
    path.write_bytes(data)

    parsed = read_landing_file(path, MONTH, root)  # never raises

    assert parsed.lines == len(parsed.valid) + len(parsed.rejected) + parsed.blank_lines
    numbers = sorted(r["line_number"] for r in parsed.valid + parsed.rejected)
    assert len(numbers) == len(set(numbers))  # one fate per line
    assert {r["reason"] for r in parsed.rejected} <= set(REJECTION_REASONS)
    if not gzipped and cut is None:
        assert parsed.lines == len(lines)
    assert all(r["log_id"] and r["timestamp"].year >= 2000 for r in parsed.valid)


@settings(max_examples=60, deadline=None)
@given(junk=st.lists(_lines, max_size=8), extras=st.lists(_finite_json, min_size=1, max_size=8), seed=st.randoms())
def test_valid_records_among_junk_are_all_accepted(tmp_path_factory, junk, extras, seed):
    """Conservation: records that keep the contract are released whatever surrounds them."""
    root = tmp_path_factory.mktemp("data")
    valid = [json.dumps(record(log_id=f"valid-{i}", extra=extra)).encode() for i, extra in enumerate(extras)]
    lines = valid + [line.replace(b"\n", b" ") for line in junk]
    seed.shuffle(lines)
    path = root / "landing" / MONTH / "f.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    parsed = read_landing_file(path, MONTH, root)
    accepted = {r["log_id"] for r in parsed.valid}
    assert {f"valid-{i}" for i in range(len(valid))} <= accepted
    assert parsed.lines == len(lines) == len(parsed.valid) + len(parsed.rejected) + parsed.blank_lines


# --- through Dagster: hostile files beside good ones, two linked months --------------------


def test_hostile_lines_and_a_truncated_file_do_not_stop_the_months(two_months):  # noqa: F811 (the fixture)
    hostile = [
        ('{"log_id": "deep", "x": ' + "[" * 1000 + "]" * 1000 + "}").encode(),
        json.dumps(
            line("late", [], "hi", "hello", dt.datetime(2023, 4, 20, tzinfo=UTC))
            | {"timestamp": "9999-12-31T23:00:00-05:00"}
        ).encode(),
        json.dumps(
            line("early", [], "hi", "hello", dt.datetime(2023, 4, 20, tzinfo=UTC))
            | {"timestamp": "0001-01-01T00:30:00+01:00"}
        ).encode(),
    ]
    write_landing(two_months, "2023-04", "part-001.jsonl", hostile)
    singles = [
        line(f"may-{i}", [], f"question {i}", f"answer {i}", dt.datetime(2023, 5, 20, 10, i, tzinfo=UTC))
        for i in range(40)
    ]
    write_landing(two_months, "2023-05", "part-001.jsonl.gz", singles)
    cut = two_months / "landing" / "2023-05" / "part-001.jsonl.gz"
    cut.write_bytes(cut.read_bytes()[:-60])

    results = materialize_both(two_months)

    assert all(result.success for result in results.values())
    store = Warehouse(two_months)
    april = store.read_records("rejected_logs", "2023-04")
    assert [
        (r["source_file"].rsplit("/", 1)[1], r["reason"]) for r in april if r["source_file"].endswith("part-001.jsonl")
    ] == [
        ("part-001.jsonl", "too_deep"),
        ("part-001.jsonl", "invalid_timestamp"),
        ("part-001.jsonl", "invalid_timestamp"),
    ]
    may_rejected = store.read_records("rejected_logs", "2023-05")
    (truncated,) = [r for r in may_rejected if r["reason"] == "truncated_file"]
    kept = [r["log_id"] for r in store.read_records("raw_logs", "2023-05") if r["log_id"].startswith("may-")]
    assert kept == [f"may-{i}" for i in range(len(kept))] and 30 <= len(kept) < 40
    assert truncated["line_number"] == len(kept) + 1
    may = [r["conversation_id"] for r in store.read_records("deduplicated_conversations", "2023-05")]
    assert {"cross-3", "lost-3", *kept} == set(may)
    assert [r["conversation_id"] for r in store.read_records("deduplicated_conversations", "2023-04")] == ["apr-3"]
