"""Geotagging throughput: GeoLite2 lookups + keyed hashes on synthetic conversations.

Addresses are random public IPv4/IPv6 addresses (one in five user turns brings
a new one, as returning users do), looked up in the embedded 2018 GeoLite2-City.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import time

from wildchat_dagster.core.geo.geolocation import GeoLocator, geotag_conversations
from wildchat_dagster.core.geo.ip_hashing import IPHasher
from wildchat_dagster.resources.geoip import embedded_database_path


def _public_ips(count: int, rng: random.Random) -> list[str]:
    ips: list[str] = []
    while len(ips) < count:
        if rng.random() < 0.85:
            address = ipaddress.IPv4Address(rng.getrandbits(32))
        else:
            address = ipaddress.IPv6Address((0x2001 << 112) | (rng.getrandbits(3) << 109) | rng.getrandbits(100))
        if address.is_global and not address.is_multicast:
            ips.append(str(address))
    return ips


def _conversations(user_turns: int, new_ip_share: float, rng: random.Random) -> list[dict]:
    """Two-round conversations; a share of user turns brings an address never seen before."""
    fresh = iter(_public_ips(user_turns, rng))
    seen: list[str] = []
    start = dt.datetime(2023, 4, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(user_turns // 2):
        ts = start + dt.timedelta(minutes=n)
        conversation = []
        for i in range(2):
            if not seen or rng.random() < new_ip_share:
                seen.append(next(fresh))
                ip = seen[-1]
            else:
                ip = rng.choice(seen)
            header = {"accept-language": "en-US", "user-agent": "bench"}
            turn = {"log_id": f"{n}-{i}", "timestamp": ts, "model": "m"}
            conversation.append({**turn, "role": "user", "content": "q", "ip": ip, "header": header})
            conversation.append({**turn, "role": "assistant", "content": "a", "ip": None, "header": None})
        rows.append({"conversation_id": str(n), "timestamp": ts, "turn": 2, "conversation": conversation})
    return rows


def run(size: int) -> dict:
    """`size` user turns (plus as many assistant turns)."""
    rng = random.Random(0)
    hasher = IPHasher(b"benchmark-key-not-secret-0123456789", "benchmark")
    figures = {}
    for label, new_ip_share in (("1 new IP per 5 user turns", 0.2), ("every user turn a new IP", 1.0)):
        rows = _conversations(size, new_ip_share, rng)
        with GeoLocator.from_path(embedded_database_path()) as locator:
            locator("8.8.8.8")  # open the reader outside the timing
            started, cpu_started = time.perf_counter(), time.process_time()
            _, counts = geotag_conversations(rows, locator, hasher)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        n = counts.user_turns
        figures[label] = {
            "user_turns": n,
            "distinct_ips": counts.distinct_ips,
            "located": counts.located,
            "cpu_seconds": round(cpu_seconds, 3),
            "user_turns_per_cpu_second": round(n / cpu_seconds),
            "user_turns_per_wall_second": round(n / seconds),
        }
        # CPU time is the one-core figure on a machine shared with other work.
        print(
            f"geo, {label}: {n} user turns, {counts.distinct_ips} distinct IPs, {counts.located} located: "
            f"{n / cpu_seconds:,.0f} user turns/s per core (CPU time {cpu_seconds:.2f} s), "
            f"{n / seconds:,.0f}/s wall clock"
        )
    return figures
