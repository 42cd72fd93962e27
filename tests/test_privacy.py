"""Client IPs found and scrubbed in text, however they are written."""

from __future__ import annotations

import pyarrow as pa
import pytest

from wildchat_dagster.core.geo.client_ips import IP_PLACEHOLDER, canonical_ips, find_raw_ips, scrub_ips

CLIENTS = canonical_ips(["203.0.113.7", "2001:db8::1"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my ip is 203.0.113.7.", f"my ip is {IP_PLACEHOLDER}."),
        ("connect to 203.0.113.7:8080 now", f"connect to {IP_PLACEHOLDER}:8080 now"),
        ("[2001:db8::1]:443", f"[{IP_PLACEHOLDER}]:443"),
        ("long form 2001:DB8:0:0:0:0:0:1 too", f"long form {IP_PLACEHOLDER} too"),
        ("203.0.113.70 is someone else", "203.0.113.70 is someone else"),
        ("at 12:30:45 on 2023-04-09", "at 12:30:45 on 2023-04-09"),
    ],
)
def test_scrub_only_the_given_addresses(text, expected):
    assert scrub_ips(text, CLIENTS)[0] == expected


def test_find_in_nested_fields_and_report_the_column():
    table = pa.Table.from_pylist(
        [{"id": "a", "conversation": [{"content": "hi from 2001:db8::1"}]}, {"id": "b", "conversation": []}]
    )
    assert find_raw_ips(table, CLIENTS) == [("conversation", "2001:db8::1")]
    assert find_raw_ips(table, canonical_ips(["198.51.100.1"])) == []


def test_ipv4_mapped_ipv6_is_the_ipv4_address_users_type():
    """Dual-stack servers log IPv4 clients as ::ffff:a.b.c.d; users write a.b.c.d."""
    mapped = canonical_ips(["::ffff:203.0.113.5"])
    assert mapped == {"203.0.113.5"}
    assert scrub_ips("my ip: 203.0.113.5", mapped)[0] == f"my ip: {IP_PLACEHOLDER}"
    assert find_raw_ips(pa.Table.from_pylist([{"t": "from 203.0.113.5"}]), mapped) == [("t", "203.0.113.5")]
