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

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wildchat_dagster.core.ingestion.contract import ContractViolation, has_lone_surrogate, validate_record
from wildchat_dagster.core.storage.warehouse import Warehouse

DEFAULT_MAX_RECORD_BYTES = 1 << 20
RAW_LINE_CHARS = 2000

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LOG_ID = re.compile(rb'"log_id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


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
                if _SURROGATE_ESCAPE.search(line) and has_lone_surrogate(record):
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
