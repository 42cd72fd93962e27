"""The raw request-log contract: what one decoded landing line must hold.

One JSON object per line, one line per chatbot request (see
`raw_log.schema.json`, which states the same contract for other tools).
`validate_record` turns a decoded value into a RAW_LOGS row or raises
ContractViolation with a reason code of REJECTION_REASONS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re

from wildchat_dagster.core.geo.client_ips import PLAIN_IPV4
from wildchat_dagster.core.months import month_of

REJECTION_REASONS: dict[str, str] = {
    "invalid_json": "the line is not valid JSON (NaN and Infinity included)",
    "not_an_object": "the line is valid JSON but not a JSON object",
    "invalid_utf8": "the line is not valid UTF-8 (or a string escapes a lone surrogate)",
    "missing_field": "a required field is absent",
    "wrong_type": (
        "a field has the wrong JSON type (null included), an empty log_id/model, or a non-string header value"
    ),
    "invalid_timestamp": (
        "a timestamp is not RFC 3339, has no time zone, lies outside the plausible range (or the representable "
        "one in UTC), the response precedes the request, or the response falls more than one calendar month "
        "after the request's month"
    ),
    "invalid_ip": "ip is not an IPv4 or IPv6 address (zone ids not allowed)",
    "invalid_history": (
        "history is not a list of {role, content} objects alternating user/assistant "
        "from user and ending with an assistant reply"
    ),
    "wrong_month": "the request timestamp's UTC month differs from the landing folder's month",
    "too_large": "the line is longer than max_record_bytes",
    "duplicate_log_id": "the log_id was already accepted earlier in this month's files (the first is kept)",
    "too_deep": "JSON nested deeper than raw_logs.MAX_JSON_DEPTH levels",
    "unparsable": "parsing the line raised an unexpected error (its type is in the detail); the month goes on",
    "truncated_file": "the file ends or breaks before its end (truncated or corrupt gzip): one row per file, "
    "at the line of the cut, with the byte offset; every complete line before it is kept",
}

REQUIRED_FIELDS = (
    "log_id",
    "timestamp",
    "response_timestamp",
    "model",
    "ip",
    "headers",
    "history",
    "prompt",
    "response",
)
# A log re-made from a published release has no raw IP: it gives the release's keyed
# hash and place instead (`hashed_ip` present, string or null, replaces `ip`).
GIVEN_LOCATION_FIELDS = ("hashed_ip", "country", "state")

# A chatbot log from before 2000 or after 2099 is a clock or encoding fault, not a request.
PLAUSIBLE_TIMESTAMPS = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_NAIVE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?")


class ContractViolation(ValueError):
    """A record that breaks the contract, with its reason code."""

    def __init__(self, reason: str, detail: str, log_id: str | None = None):
        assert reason in REJECTION_REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.log_id = log_id  # when the line's log_id could still be read


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
    try:
        utc = parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ContractViolation(
            "invalid_timestamp", f"{name} {value!r} is outside the representable range in UTC"
        ) from None
    earliest, latest = PLAUSIBLE_TIMESTAMPS
    if not earliest <= utc < latest:
        raise ContractViolation(
            "invalid_timestamp",
            f"{name} {value!r} is outside the plausible range [{earliest:%Y-%m-%d}, {latest:%Y-%m-%d}) UTC",
        )
    return utc


def _utc_month_index(utc: dt.datetime) -> int:
    """Months since year 0 of a UTC datetime (month_of without formatting; plausible years only)."""
    return utc.year * 12 + utc.month - 1


def _check_ip(value: str) -> None:
    if PLAIN_IPV4.fullmatch(value):  # the common case, known valid without ipaddress
        return
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
            raise ContractViolation(
                "invalid_history", f"history[{i}].role is {message['role']!r}, expected {expected!r}"
            )
        if not isinstance(message["content"], str):
            raise ContractViolation("invalid_history", f"history[{i}].content is not a string")
    if len(history) % 2:
        raise ContractViolation("invalid_history", "history ends with a user message; the prompt must follow a reply")
    return [{"role": m["role"], "content": m["content"]} for m in history]


def has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def _type_name(value) -> str:
    return "null" if value is None else type(value).__name__


def validate_record(record, month: str) -> dict:
    """The RAW_LOGS fields of one decoded JSON value, or ContractViolation."""
    if not isinstance(record, dict):
        raise ContractViolation("not_an_object", f"top-level JSON value is {_type_name(record)}, not an object")
    released = "hashed_ip" in record and "ip" not in record
    missing = [name for name in REQUIRED_FIELDS if name not in record and not (released and name == "ip")]
    if missing:
        raise ContractViolation("missing_field", "missing " + ", ".join(missing))
    expected = {
        "log_id": str, "timestamp": str, "response_timestamp": str, "model": str, "ip": str,
        "headers": dict, "history": list, "prompt": str, "response": str,
    }
    if released:
        del expected["ip"]
        for name in GIVEN_LOCATION_FIELDS:
            if record.get(name) is not None and not isinstance(record[name], str):
                raise ContractViolation("wrong_type", f"{name} is {_type_name(record[name])}, expected str or null")
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
    requested_month = _utc_month_index(requested)
    if _utc_month_index(responded) > requested_month + 1:
        # Linking reads one neighbour month either side; a later reply could never be linked.
        raise ContractViolation(
            "invalid_timestamp", "response_timestamp is more than one calendar month after the request's month"
        )
    if not released:
        _check_ip(record["ip"])
    history = _check_history(record["history"])
    if f"{requested_month // 12:04d}-{requested_month % 12 + 1:02d}" != month:
        raise ContractViolation(
            "wrong_month", f"request timestamp is in {month_of(requested)}, the file is in landing/{month}"
        )

    extra = {
        k: v for k, v in record.items() if k not in REQUIRED_FIELDS and not (released and k in GIVEN_LOCATION_FIELDS)
    }
    return {
        "log_id": record["log_id"],
        "timestamp": requested,
        "response_timestamp": responded,
        "model": record["model"],
        "ip": None if released else record["ip"],
        **{name: record.get(name) if released else None for name in GIVEN_LOCATION_FIELDS},
        "user_agent": headers.get("user-agent"),
        "accept_language": headers.get("accept-language"),
        "headers_json": json.dumps(headers, ensure_ascii=False, sort_keys=True),
        "history": history,
        "prompt": record["prompt"],
        "response": record["response"],
        "extra_json": json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
    }
