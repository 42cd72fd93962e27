"""Finding raw client IP addresses in stored tables.

From geotagging on, no stored asset may hold a client's raw IP: geotagging
replaces client addresses that users typed into their messages with WildChat's
placeholder, and a check scans every string value of every later asset
(nested structs and lists included). Both pull out IP-shaped tokens and look
them up in the month's set of client IPs, so a text costs one regex pass,
not one search per IP.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from wildchat_dagster.schema import placeholder

# IPv4 dotted quads, and IPv6-shaped runs (hex groups with at least two colons).
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f.]{0,4}){2,}(?:\d{1,3}(?:\.\d{1,3}){3})?")
# What every match of the patterns above contains: texts without it skip that pattern (most texts
# have neither, and the IPv6 pattern, which may start empty, would otherwise try every position).
_IPV4_HINT = re.compile(r"\d\.\d")
_IPV6_HINT = re.compile(r":[0-9A-Fa-f.]{0,4}:")
IP_PLACEHOLDER = placeholder("IP_ADDRESS")


# An IPv4 address exactly as ipaddress spells it (ASCII digits, no leading zeros, each part <= 255):
# its own canonical spelling, known without building an address object (the common case).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
PLAIN_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


@lru_cache(maxsize=1 << 16)
def canonical_ip(text: str) -> str | None:
    """One spelling per address, None for text that is not one. IPv6 is compressed and
    lower-cased, and an IPv4-mapped IPv6 address (::ffff:203.0.113.5, as dual-stack servers
    log IPv4 clients) is its IPv4 address, which is how users write it. (Cached: a month's
    logs repeat their clients' addresses.)"""
    text = text.strip().strip("[]")
    if PLAIN_IPV4.fullmatch(text):
        return text
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def canonical_ips(ips: Iterable[str | None]) -> set[str]:
    return {c for ip in set(ips) if ip and (c := canonical_ip(ip))}


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def ip_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, canonical address) of every IP address written in `text`."""
    for pattern, hint in ((_IPV4, _IPV4_HINT), (_IPV6, _IPV6_HINT)):
        if not hint.search(text):
            continue
        for match in pattern.finditer(text):
            token = match.group().rstrip(":.")
            if ip := canonical_ip(token):
                yield match.start(), match.start() + len(token), ip


def scrub_ips(text: str, ips: set[str], placeholder: str = IP_PLACEHOLDER) -> tuple[str, int]:
    """`text` with every occurrence of the given addresses replaced, and how many."""
    spans = sorted(s for s in ip_spans(text) if s[2] in ips)
    if not spans:
        return text, 0
    pieces, last = [], 0
    for start, end, _ in spans:
        if start >= last:
            pieces += [text[last:start], placeholder]
            last = end
    return "".join(pieces) + text[last:], len(spans)


def find_raw_ips(table: pa.Table, raw_ips: set[str], limit: int = 20) -> list[tuple[str, str]]:
    """(column, ip) pairs where a raw client IP occurs in any text of `table`.

    Every string leaf (nested structs and lists included) is prefiltered in Arrow with the
    patterns' hints; only the few texts that could hold an address reach Python."""
    if not raw_ips:
        return []
    found: list[tuple[str, str]] = []
    string_columns = [f.name for f in table.schema if _holds_strings(f.type)]
    for name in string_columns:
        for strings in _string_leaves(table.column(name)):
            maybe = pc.match_substring_regex(strings, _HINTS_RE2)
            for text in strings.filter(maybe).to_pylist():
                for _, _, ip in ip_spans(text):
                    if ip in raw_ips:
                        found.append((name, ip))
                        if len(found) >= limit:
                            return found
    return found


_HINTS_RE2 = f"{_IPV4_HINT.pattern}|{_IPV6_HINT.pattern}"


def _string_leaves(values: pa.ChunkedArray) -> Iterator[pa.ChunkedArray]:
    """Every string array inside `values`, nested fields and list items flattened."""
    t = values.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        yield values
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            if _holds_strings(t.field(i).type):
                yield from _string_leaves(pc.struct_field(values, [i]))
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        yield from _string_leaves(pc.list_flatten(values))


def _holds_strings(t: pa.DataType) -> bool:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return True
    if pa.types.is_struct(t):
        return any(_holds_strings(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _holds_strings(t.value_type)
    return False


def scrub_client_ips(rows: list[dict], ips: set[str]) -> int:
    """Replace client addresses typed into utterances (in place); returns how many."""
    scrubbed = 0
    for row in rows:
        for utterance in row["conversation"] or []:
            if utterance.get("content"):
                utterance["content"], n = scrub_ips(utterance["content"], ips)
                scrubbed += n
    return scrubbed
