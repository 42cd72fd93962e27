"""The raw request-log contract: landing files in, valid logs and rejections out.

One JSON object per line, one line per chatbot request (see
`raw_log.schema.json`, which states the same contract for other tools).
Every line ends in exactly one place: a RAW_LOGS row, a REJECTED_LOGS row
with a reason code, or (whitespace-only lines, which hold no record) the
`blank_lines` count. A bad line never stops the month.

Validation is plain Python, one pass per line, reading bytes so that a
non-UTF-8 line is caught on its own and an oversized line is skipped without
ever being held in memory whole.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wildchat_dagster.core.months import month_of, shift_month
from wildchat_dagster.core.storage.warehouse import Warehouse

REJECTION_REASONS: dict[str, str] = {
    "invalid_json": "the line is not valid JSON (NaN and Infinity included)",
    "not_an_object": "the line is valid JSON but not a JSON object",
    "invalid_utf8": "the line is not valid UTF-8 (or a string escapes a lone surrogate)",
    "missing_field": "a required field is absent",
    "wrong_type": "a field has the wrong JSON type (null included), an empty log_id/model, or a non-string header value",
    "invalid_timestamp": (
        "a timestamp is not RFC 3339, has no time zone, the response precedes the request, "
        "or the response falls more than one calendar month after the request's month"
    ),
    "invalid_ip": "ip is not an IPv4 or IPv6 address (zone ids not allowed)",
    "invalid_history": (
        "history is not a list of {role, content} objects alternating user/assistant "
        "from user and ending with an assistant reply"
    ),
    "wrong_month": "the request timestamp's UTC month differs from the landing folder's month",
    "too_large": "the line is longer than max_record_bytes",
    "duplicate_log_id": "the log_id was already accepted earlier in this month's files (the first is kept)",
}

REQUIRED_FIELDS = ("log_id", "timestamp", "response_timestamp", "model", "ip", "headers", "history", "prompt", "response")
DEFAULT_MAX_RECORD_BYTES = 1 << 20
RAW_LINE_CHARS = 2000

_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")
_NAIVE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LOG_ID = re.compile(rb'"log_id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


class ContractViolation(ValueError):
    """A record that breaks the contract, with its reason code."""

    def __init__(self, reason: str, detail: str):
        assert reason in REJECTION_REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class LandingFileParse:
    """What one landing file gave: rows plus the figures the asset reports."""

    source_file: str
    valid: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    lines: int = 0
    blank_lines: int = 0
    bytes_read: int = 0  # uncompressed
    bytes_on_disk: int = 0


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_timestamp(value: str, name: str) -> dt.datetime:
    """An RFC 3339 timestamp with a zone, as a UTC datetime (microsecond precision)."""
    if not _RFC3339.fullmatch(value):
        if _NAIVE.fullmatch(value):
            raise ContractViolation("invalid_timestamp", f"{name} {value!r} has no time zone")
        raise ContractViolation("invalid_timestamp", f"{name} {value!r} is not an RFC 3339 timestamp")
    try:
        parsed = dt.datetime.fromisoformat(value.upper())
    except ValueError as error:
        raise ContractViolation("invalid_timestamp", f"{name} {value!r}: {error}") from None
    return parsed.astimezone(dt.timezone.utc)


def _check_ip(value: str) -> None:
    if "%" in value:
        raise ContractViolation("invalid_ip", f"ip {value[:60]!r} carries a zone id")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ContractViolation("invalid_ip", f"ip {value[:60]!r} is not an IPv4 or IPv6 address") from None


def _check_history(history: list) -> list[dict]:
    for i, message in enumerate(history):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            raise ContractViolation("invalid_history", f"history[{i}] is not an object with exactly role and content")
        expected = "user" if i % 2 == 0 else "assistant"
        if message["role"] != expected:
            raise ContractViolation("invalid_history", f"history[{i}].role is {message['role']!r}, expected {expected!r}")
        if not isinstance(message["content"], str):
            raise ContractViolation("invalid_history", f"history[{i}].content is not a string")
    if len(history) % 2:
        raise ContractViolation("invalid_history", "history ends with a user message; the prompt must follow a reply")
    return [{"role": m["role"], "content": m["content"]} for m in history]


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _type_name(value) -> str:
    return "null" if value is None else type(value).__name__


def validate_record(record, month: str) -> dict:
    """The RAW_LOGS fields of one decoded JSON value, or ContractViolation."""
    if not isinstance(record, dict):
        raise ContractViolation("not_an_object", f"top-level JSON value is {_type_name(record)}, not an object")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise ContractViolation("missing_field", "missing " + ", ".join(missing))
    expected = {
        "log_id": str, "timestamp": str, "response_timestamp": str, "model": str, "ip": str,
        "headers": dict, "history": list, "prompt": str, "response": str,
    }
    for name, kind in expected.items():
        if not isinstance(record[name], kind):
            raise ContractViolation("wrong_type", f"{name} is {_type_name(record[name])}, expected {kind.__name__}")
    for name in ("log_id", "model"):
        if not record[name]:
            raise ContractViolation("wrong_type", f"{name} is an empty string")
    headers: dict[str, str] = {}
    for name, value in record["headers"].items():
        if not isinstance(value, str):
            raise ContractViolation("wrong_type", f"header {name[:60]!r} is {_type_name(value)}, expected str")
        headers[name.lower()] = value  # header names are case-insensitive; a repeated name keeps the last value

    requested = parse_timestamp(record["timestamp"], "timestamp")
    responded = parse_timestamp(record["response_timestamp"], "response_timestamp")
    if responded < requested:
        raise ContractViolation("invalid_timestamp", "response_timestamp precedes timestamp")
    if month_of(responded) > shift_month(month_of(requested), 1):
        # Linking reads one neighbour month either side; a later reply could never be linked.
        raise ContractViolation("invalid_timestamp", "response_timestamp is more than one calendar month after the request's month")
    _check_ip(record["ip"])
    history = _check_history(record["history"])
    if month_of(requested) != month:
        raise ContractViolation("wrong_month", f"request timestamp is in {month_of(requested)}, the file is in landing/{month}")

    extra = {k: v for k, v in record.items() if k not in REQUIRED_FIELDS}
    return {
        "log_id": record["log_id"],
        "timestamp": requested,
        "response_timestamp": responded,
        "model": record["model"],
        "ip": record["ip"],
        "user_agent": headers.get("user-agent"),
        "accept_language": headers.get("accept-language"),
        "headers_json": json.dumps(headers, ensure_ascii=False, sort_keys=True),
        "history": history,
        "prompt": record["prompt"],
        "response": record["response"],
        "extra_json": json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
    }


def _readable_log_id(line: bytes) -> str | None:
    """The log_id of an unparsable line when it can still be seen, for tracing."""
    match = _LOG_ID.search(line[:65536])
    if not match:
        return None
    try:
        return json.loads(b'"' + match.group(1) + b'"')
    except ValueError:
        return None


def _physical_lines(stream: BinaryIO, max_record_bytes: int) -> Iterator[tuple[bytes, int, int]]:
    """(line without its end, its length without the end, bytes consumed).

    An oversized line yields only its start: it is skipped in bounded reads,
    never held in memory whole.
    """
    while True:
        line = stream.readline(max_record_bytes + 2)
        if not line:
            return
        consumed = len(line)
        if not line.endswith(b"\n") and len(line) > max_record_bytes:
            head = line[: 4 * RAW_LINE_CHARS]
            while not line.endswith(b"\n"):
                line = stream.readline(1 << 20)
                if not line:
                    break
                consumed += len(line)
            ending = 2 if line.endswith(b"\r\n") else 1 if line.endswith(b"\n") else 0
            yield head, consumed - ending, consumed
            continue
        content = line.rstrip(b"\r\n")
        yield content, len(content), consumed


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def read_landing_file(
    path: Path,
    month: str,
    data_root: Path,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    *,
    seen_log_ids: set[str] | None = None,
) -> LandingFileParse:
    """Parse one .jsonl or .jsonl.gz landing file line by line.

    `seen_log_ids` carries the accepted log_ids of earlier files of the same
    month, so a duplicate across files is rejected too (the first one wins).
    """
    path = Path(path)
    try:
        source_file = path.resolve().relative_to(Path(data_root).resolve()).as_posix()
    except ValueError:
        source_file = path.as_posix()
    seen = set() if seen_log_ids is None else seen_log_ids
    result = LandingFileParse(source_file=source_file, bytes_on_disk=path.stat().st_size)

    def reject(line_number: int, line: bytes, reason: str, detail: str, log_id: str | None) -> None:
        result.rejected.append(
            {
                "source_file": source_file,
                "line_number": line_number,
                "reason": reason,
                "detail": detail,
                "log_id": log_id,
                "raw_line": line[: 4 * RAW_LINE_CHARS].decode("utf-8", errors="replace")[:RAW_LINE_CHARS],
            }
        )

    with _open(path) as stream:
        try:
            for line_number, (line, length, consumed) in enumerate(_physical_lines(stream, max_record_bytes), start=1):
                result.lines = line_number
                result.bytes_read += consumed
                if line_number == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line, length = line[3:], length - 3
                if length > max_record_bytes:
                    reject(line_number, line, "too_large", f"{length} bytes > max_record_bytes {max_record_bytes}", _readable_log_id(line))
                    continue
                if not line.strip():
                    result.blank_lines += 1
                    continue
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    reject(line_number, line, "invalid_utf8", f"byte offset {error.start}: {error.reason}", _readable_log_id(line))
                    continue
                try:
                    record = json.loads(text, parse_constant=_reject_constant)
                except ValueError as error:
                    reject(line_number, line, "invalid_json", str(error)[:200], _readable_log_id(line))
                    continue
                log_id = record.get("log_id") if isinstance(record, dict) else None
                log_id = log_id if isinstance(log_id, str) and log_id else None
                if _SURROGATE_ESCAPE.search(line) and _has_lone_surrogate(record):
                    reject(line_number, line, "invalid_utf8", "a string escapes a lone UTF-16 surrogate", None)
                    continue
                try:
                    row = validate_record(record, month)
                except ContractViolation as violation:
                    reject(line_number, line, violation.reason, violation.detail, log_id)
                    continue
                if row["log_id"] in seen:
                    reject(line_number, line, "duplicate_log_id", f"log_id {log_id[:80]!r} already accepted this month", log_id)
                    continue
                seen.add(row["log_id"])
                row["source_file"] = source_file
                row["line_number"] = line_number
                result.valid.append(row)
        except (OSError, EOFError, zlib.error) as error:
            # A corrupt or truncated gzip member is a file-level fault, not a record's.
            raise ValueError(f"landing file {source_file} is unreadable after line {result.lines}: {error}") from error
    return result


def parse_landing_file(
    path: Path, month: str, data_root: Path, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> tuple[list[dict], list[dict]]:
    """RAW_LOGS rows and REJECTED_LOGS rows of one landing file."""
    parsed = read_landing_file(path, month, data_root, max_record_bytes)
    return parsed.valid, parsed.rejected


def read_landing_month(
    warehouse: Warehouse,
    month: str,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    progress: Callable[[int, int, LandingFileParse], None] | None = None,
) -> list[LandingFileParse]:
    """Every landing file of `month` (in name order), log_ids unique across the month's files;
    `progress(file_number, files, parsed)` after each file."""
    seen: set[str] = set()
    files = warehouse.landing_files(month)
    parses = []
    for number, path in enumerate(files, start=1):
        parses.append(read_landing_file(path, month, warehouse.root, max_record_bytes, seen_log_ids=seen))
        if progress:
            progress(number, len(files), parses[-1])
    return parses


def parse_month(
    warehouse: Warehouse, month: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> tuple[list[dict], list[dict]]:
    """RAW_LOGS and REJECTED_LOGS rows of every landing file of `month`."""
    parses = read_landing_month(warehouse, month, max_record_bytes)
    return [row for p in parses for row in p.valid], [row for p in parses for row in p.rejected]
