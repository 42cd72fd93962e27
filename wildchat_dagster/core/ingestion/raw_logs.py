"""Landing files in, valid logs and rejections out.

Every line ends in exactly one place: a RAW_LOGS row, a REJECTED_LOGS row
with a reason code (see `contract.REJECTION_REASONS`), or (whitespace-only
lines, which hold no record) the `blank_lines` count. A bad line never stops
the month.

Validation is plain Python, one pass per line, reading bytes so that a
non-UTF-8 line is caught on its own and an oversized line is skipped without
ever being held in memory whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wildchat_dagster.core.ingestion.contract import ContractViolation, has_lone_surrogate, validate_record
from wildchat_dagster.core.ingestion.gzip_stream import open_landing_file
from wildchat_dagster.core.storage.layout import StoragePath, relative_name, storage_path
from wildchat_dagster.core.storage.warehouse import Warehouse

DEFAULT_MAX_RECORD_BYTES = 1 << 20
MAX_JSON_DEPTH = 64  # a request log nests 3 levels (history -> message); deeper is hostile
RAW_LINE_CHARS = 2000

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LOG_ID = re.compile(rb'"log_id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


@dataclass
class LandingFileParse:
    """What one landing file gave: rows plus the figures the asset reports."""

    source_file: str
    valid: list[dict] = field(default_factory=list)  # empty when handed to a sink as they came
    rejected: list[dict] = field(default_factory=list)
    valid_rows: int = 0
    lines: int = 0
    blank_lines: int = 0
    bytes_read: int = 0  # uncompressed
    bytes_on_disk: int = 0

    def reject(self, line_number: int, line: bytes, reason: str, detail: str, log_id: str | None) -> None:
        """Record one rejected line, with the start of its text for reading."""
        self.rejected.append(
            {
                "source_file": self.source_file,
                "line_number": line_number,
                "reason": reason,
                "detail": detail,
                "log_id": log_id,
                "raw_line": line[: 4 * RAW_LINE_CHARS].decode("utf-8", errors="replace")[:RAW_LINE_CHARS],
            }
        )


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _readable_log_id(line: bytes) -> str | None:
    """The log_id of an unparsable line when it can still be seen, for tracing."""
    match = _LOG_ID.search(line[:65536])
    if not match:
        return None
    try:
        return json.loads(b'"' + match.group(1) + b'"')
    except ValueError:
        return None


def _physical_lines(stream: BinaryIO, max_record_bytes: int) -> Iterator[tuple[bytes, int, int, bool]]:
    """(line without its end, its length without the end, bytes consumed, whether it ended with a newline).

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
            yield head, consumed - ending, consumed, ending > 0
            continue
        content = line.rstrip(b"\r\n")
        yield content, len(content), consumed, line.endswith(b"\n")


def _json_depth_exceeds(value, limit: int) -> bool:
    """Whether a decoded value nests deeper than `limit` (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _parse_line(line: bytes, length: int, month: str, max_record_bytes: int, seen: set[str]) -> dict | None:
    """The RAW_LOGS row of one physical line, None for a blank line, or ContractViolation."""
    if length > max_record_bytes:
        raise ContractViolation(
            "too_large", f"{length} bytes > max_record_bytes {max_record_bytes}", _readable_log_id(line)
        )
    if not line.strip():
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContractViolation(
            "invalid_utf8", f"byte offset {error.start}: {error.reason}", _readable_log_id(line)
        ) from None
    # Every bracket opens at most one level: only a line with many brackets needs the exact depth.
    deep = line.count(b"[") + line.count(b"{") > MAX_JSON_DEPTH
    try:
        record = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ContractViolation(
            "too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels", _readable_log_id(line)
        ) from None
    except ValueError as error:
        raise ContractViolation("invalid_json", str(error)[:200], _readable_log_id(line)) from None
    log_id = record.get("log_id") if isinstance(record, dict) else None
    log_id = log_id if isinstance(log_id, str) and log_id else None
    if deep and _json_depth_exceeds(record, MAX_JSON_DEPTH):
        raise ContractViolation("too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels", log_id)
    if _SURROGATE_ESCAPE.search(line) and has_lone_surrogate(record):
        raise ContractViolation("invalid_utf8", "a string escapes a lone UTF-16 surrogate")
    try:
        row = validate_record(record, month)
    except ContractViolation as violation:
        violation.log_id = log_id
        raise
    if row["log_id"] in seen:
        raise ContractViolation("duplicate_log_id", f"log_id {log_id[:80]!r} already accepted this month", log_id)
    return row


def read_landing_file(
    path: StoragePath,
    month: str,
    data_root: str | Path,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    *,
    seen_log_ids: set[str] | None = None,
    sink: Callable[[list[dict]], None] | None = None,
    sink_rows: int = 2_048,
) -> LandingFileParse:
    """Parse one .jsonl or .jsonl.gz landing file line by line; nothing in it raises.

    `seen_log_ids` carries the accepted log_ids of earlier files of the same
    month, so a duplicate across files is rejected too (the first one wins).
    With a `sink`, valid rows are handed to it `sink_rows` at a time instead
    of kept (a month's logs never all in memory).
    """
    path = storage_path(path) if isinstance(path, str) else path
    source_file = relative_name(data_root, path)
    seen = set() if seen_log_ids is None else seen_log_ids
    result = LandingFileParse(source_file=source_file, bytes_on_disk=path.stat().st_size)
    reject = result.reject

    stream, gzip_reader = open_landing_file(path, gzipped=path.name.endswith(".gz"))
    complete_bytes = 0  # uncompressed bytes of the lines read whole
    cut: tuple[int, bytes] | None = None  # (line number, start) of a line the gzip data broke off
    with stream:
        for line_number, (line, length, consumed, ended) in enumerate(
            _physical_lines(stream, max_record_bytes), start=1
        ):
            result.lines = line_number
            result.bytes_read += consumed
            if not ended and gzip_reader is not None and gzip_reader.fault:
                cut = (line_number, line)
                break
            complete_bytes += consumed
            if line_number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line, length = line[3:], length - 3
            try:
                row = _parse_line(line, length, month, max_record_bytes, seen)
            except ContractViolation as violation:
                reject(line_number, line, violation.reason, violation.detail, violation.log_id)
                continue
            except RecursionError:
                reject(line_number, line, "too_deep", "nesting exhausted the parser's recursion limit", None)
                continue
            except Exception as error:  # one line's surprise must not stop the month
                reject(
                    line_number,
                    line,
                    "unparsable",
                    f"{type(error).__name__}: {str(error)[:200]}",
                    _readable_log_id(line),
                )
                continue
            if row is None:
                result.blank_lines += 1
                continue
            seen.add(row["log_id"])
            row["source_file"] = source_file
            row["line_number"] = line_number
            result.valid.append(row)
            result.valid_rows += 1
            if sink is not None and len(result.valid) >= sink_rows:
                sink(result.valid)
                result.valid = []
    if gzip_reader is not None and gzip_reader.fault:
        # The cut line (or, when the break fell on a line end, the line that would have followed) is
        # the file-level rejection: everything from this uncompressed offset on is unreadable.
        line_number, start = cut or (result.lines + 1, b"")
        result.lines = max(result.lines, line_number)
        detail = f"readable data stops at uncompressed byte offset {complete_bytes}: {gzip_reader.fault}"
        reject(line_number, start, "truncated_file", detail, _readable_log_id(start))
    if sink is not None and result.valid:
        sink(result.valid)
        result.valid = []
    return result


def parse_landing_file(
    path: StoragePath, month: str, data_root: str | Path, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> tuple[list[dict], list[dict]]:
    """RAW_LOGS rows and REJECTED_LOGS rows of one landing file."""
    parsed = read_landing_file(path, month, data_root, max_record_bytes)
    return parsed.valid, parsed.rejected


def read_landing_month(
    warehouse: Warehouse,
    month: str,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    progress: Callable[[int, int, LandingFileParse], None] | None = None,
    sink: Callable[[list[dict]], None] | None = None,
) -> list[LandingFileParse]:
    """Every landing file of `month` (in name order), log_ids unique across the month's files;
    `progress(file_number, files, parsed)` after each file; valid rows to `sink` when given."""
    seen: set[str] = set()
    files = warehouse.landing_files(month)
    parses = []
    for number, path in enumerate(files, start=1):
        parses.append(
            read_landing_file(path, month, str(warehouse.root), max_record_bytes, seen_log_ids=seen, sink=sink)
        )
        if progress:
            progress(number, len(files), parses[-1])
    return parses


class _FirstValidLog(Exception):
    """Ends a scan at the first valid log (see month_has_valid_log)."""


def month_has_valid_log(warehouse: Warehouse, month: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> bool:
    """Whether any landing file of `month` holds a contract-valid log: reads up to the first one,
    so a normal month costs its first line, a month of empty files or garbage its whole size.
    A file that cannot be read counts as maybe: ingestion then fails on it, naming it."""

    def found(rows: list[dict]) -> None:
        raise _FirstValidLog

    try:
        for path in warehouse.landing_files(month):
            read_landing_file(path, month, str(warehouse.root), max_record_bytes, sink=found, sink_rows=1)
    except (_FirstValidLog, OSError):
        return True
    return False


def parse_month(
    warehouse: Warehouse, month: str, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> tuple[list[dict], list[dict]]:
    """RAW_LOGS and REJECTED_LOGS rows of every landing file of `month`."""
    parses = read_landing_month(warehouse, month, max_record_bytes)
    return [row for p in parses for row in p.valid], [row for p in parses for row in p.rejected]
