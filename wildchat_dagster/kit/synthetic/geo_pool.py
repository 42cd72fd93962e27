"""Client IPs per country, sampled from the GeoLite2 database so the geo stage can be checked against it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from dataclasses import dataclass, field

from wildchat_dagster.kit.synthetic import text


@dataclass(frozen=True, slots=True)
class Place:
    """A client IP and where the GeoLite2-City database puts it."""

    ip: str
    iso: str | None
    country: str | None
    state: str | None


@dataclass
class GeoPool:
    v4: dict[str, list[Place]]
    v6: dict[str, list[Place]]
    regions: dict[tuple[str, str | None], list[Place]]  # same country and state, v4 and v6
    unknown: list[Place]  # public addresses the database does not place
    database: str
    build_date: str
    raw: object = field(repr=False, default=None)  # an open maxminddb reader

    def neighbour(self, seed: Place, rng: random.Random) -> Place:
        """Another address of the seed's network (same last-octet block or /64), placed
        by the database as geoip2 would read it; the seed itself if it lands elsewhere."""
        if ":" in seed.ip:
            n = (int(ipaddress.IPv6Address(seed.ip)) >> 64 << 64) | rng.getrandbits(64)
            ip = str(ipaddress.IPv6Address(n))
        else:
            head = seed.ip.rsplit(".", 1)[0]
            ip = f"{head}.{rng.randint(1, 254)}"
        record = self.raw.get(ip) if self.raw is not None else None  # type: ignore[attr-defined]
        place = _place_from_record(ip, record)
        return place if place is not None and place.iso == seed.iso else seed


_POOLS: dict[str, GeoPool] = {}


def geo_pool(database: str | None = None) -> GeoPool:
    """Public IPs per country, sampled once per process and placed by the database.

    The pool is drawn with a fixed seed, so it does not depend on the
    generator's seed and can be shared by every call in a process.
    """
    if database is None:
        from _maxminddb_geolite2 import geolite2_database

        database = geolite2_database()
    if database not in _POOLS:
        _POOLS[database] = _build_pool(database)
    return _POOLS[database]


def _place_from_record(ip: str, record: dict | None) -> Place | None:
    """What geoip2's city() reports: country.name and subdivisions.most_specific.name (English)."""
    if not record or not record.get("country"):
        return None
    country = record["country"]
    subdivisions = record.get("subdivisions") or []
    state = subdivisions[-1].get("names", {}).get("en") if subdivisions else None
    return Place(ip, country.get("iso_code"), country.get("names", {}).get("en"), state)


def _wanted_countries() -> list[str]:
    seen: dict[str, None] = {}
    for bank in text.LANGUAGES:
        for iso, _ in bank.countries:
            seen[iso] = None
    return list(seen)


def _v4_text(n: int) -> str:
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _sample_v6(raw, rng: random.Random, v6: dict[str, list[str]]) -> None:
    """Add up to 30 random IPv6 addresses per wanted country to `v6`, from the allocated blocks."""
    for _ in range(40_000):
        top = rng.choice((0x2001, 0x2400, 0x2600, 0x2800, 0x2A00, 0x2C00))
        if top == 0x2001:  # 2001:200::/23 .. 2001:dff::, the regional registries' first blocks
            n = (0x2001 << 112) | (rng.randint(0x200, 0xDFF) << 96) | rng.getrandbits(96)
        else:
            n = (top << 112) | rng.getrandbits(116)
        address = ipaddress.IPv6Address(n)
        record = raw.get(address)
        iso = (record.get("country") or {}).get("iso_code") if record else None
        if iso in v6 and len(v6[iso]) < 30:
            v6[iso].append(str(address))


def _build_pool(database: str) -> GeoPool:
    import geoip2.database
    import geoip2.errors
    import maxminddb

    rng = random.Random(20180703)
    wanted = _wanted_countries()
    v4: dict[str, list[str]] = {iso: [] for iso in wanted}
    v6: dict[str, list[str]] = {iso: [] for iso in wanted}
    unknown: list[str] = []
    with maxminddb.open_database(database) as raw:
        # The raw reader is ~3x faster than geoip2 for the bulk sampling; every
        # kept address is then placed again through geoip2, as the pipeline does.
        for _ in range(80_000):
            n = rng.getrandbits(32)
            ip = _v4_text(n)
            record = raw.get(ip)
            if record is None:
                if len(unknown) < 40:
                    address = ipaddress.IPv4Address(n)
                    if address.is_global and not address.is_multicast:
                        unknown.append(ip)
                continue
            iso = (record.get("country") or {}).get("iso_code")
            if iso in v4 and len(v4[iso]) < 80:
                v4[iso].append(ip)
        # Small address spaces: look around the addresses already found.
        for iso, found in v4.items():
            seeds = list(found)
            attempts = 0
            while seeds and len(found) < 30 and attempts < 4000:
                attempts += 1
                base = int(ipaddress.IPv4Address(rng.choice(seeds))) & 0xFFFF0000
                ip = _v4_text(base | rng.getrandbits(16))
                record = raw.get(ip)
                if record and (record.get("country") or {}).get("iso_code") == iso and ip not in found:
                    found.append(ip)
        _sample_v6(raw, rng, v6)

    reader = geoip2.database.Reader(database)
    try:
        build_date = dt.datetime.fromtimestamp(reader.metadata().build_epoch, dt.UTC).date().isoformat()

        def place(ip: str) -> Place | None:
            try:
                city = reader.city(ip)
            except geoip2.errors.AddressNotFoundError:
                return Place(ip, None, None, None)
            if not city.country.name:
                return None
            return Place(ip, city.country.iso_code, city.country.name, city.subdivisions.most_specific.name)

        def placed(ips: list[str], iso: str) -> list[Place]:
            return [p for ip in ips if (p := place(ip)) is not None and p.iso == iso]

        pool_v4 = {iso: placed(ips, iso) for iso, ips in v4.items()}
        pool_v6 = {iso: placed(ips, iso) for iso, ips in v6.items()}
        pool_unknown = [p for ip in unknown if (p := place(ip)) is not None and p.iso is None]
    finally:
        reader.close()
    regions: dict[tuple[str, str | None], list[Place]] = {}
    for pool in (pool_v4, pool_v6):
        for iso, places in pool.items():
            for p in places:
                regions.setdefault((iso, p.state), []).append(p)
    return GeoPool(
        v4={k: v for k, v in pool_v4.items() if v},
        v6={k: v for k, v in pool_v6.items() if v},
        regions=regions,
        unknown=pool_unknown,
        database=database,
        build_date=build_date,
        raw=maxminddb.open_database(database),
    )
