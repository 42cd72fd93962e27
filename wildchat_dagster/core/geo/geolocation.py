"""Country and state of client IPs, and the geotagging of conversations.

As the WildChat authors did, each turn is located with the GeoLite2-City
snapshot dated on or before the turn's day, so a turn is placed where its
address was routed when it was made. country = `country.name`, state =
`subdivisions.most_specific.name`, English names. Addresses that cannot be
located (private, loopback, documentation ranges, absent from the database,
not an address at all) get null country and state: they are counted, never
an error.

Raw IPs end here: the rows this module returns carry only the keyed hash.
"""

from __future__ import annotations

import bisect
import datetime as dt
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from wildchat_dagster.core.geo.stats import GeoResult
from wildchat_dagster.schema import GEO_UTTERANCE_FIELDS, GEOTAGGED_CONVERSATIONS

LOCATED = "located"
NON_PUBLIC = "non_public"  # private, loopback, link-local, reserved, documentation ...
NOT_IN_DATABASE = "not_in_database"
NO_COUNTRY = "no_country"  # in the database, but without a country (e.g. only a continent)
INVALID = "invalid"

_DATED_FILE = re.compile(r"_(\d{8})\.mmdb$")
_DATED_DIR = re.compile(r"_(\d{8})$")


@dataclass(frozen=True)
class Snapshot:
    """One GeoIP database file; `date` comes from its name (None: a single, undated file)."""

    path: Path
    date: dt.date | None = None

    @property
    def label(self) -> str:
        return self.date.isoformat() if self.date else self.path.name


class Location(NamedTuple):
    """One lookup's answer."""

    country: str | None
    state: str | None
    status: str
    snapshot: str  # label of the snapshot consulted
    before_oldest_snapshot: bool  # the turn predates every snapshot; the oldest was used


def find_snapshots(database_path: str | Path) -> list[Snapshot]:
    """The databases at `database_path`, oldest first.

    A file is used for every turn. A directory holds dated snapshots, either
    `<name>_YYYYMMDD.mmdb` files or MaxMind's own `GeoLite2-City_YYYYMMDD/GeoLite2-City.mmdb`
    folders.
    """
    path = Path(database_path)
    if path.is_file():
        return [Snapshot(path)]
    if not path.is_dir():
        raise FileNotFoundError(f"GeoIP database not found: {path}")
    by_date: dict[dt.date, Path] = {}
    candidates = [(p, _DATED_FILE.search(p.name)) for p in path.glob("*.mmdb")]
    candidates += [(p, _DATED_DIR.search(p.parent.name)) for p in path.glob("*/*.mmdb")]
    for file, match in sorted(candidates):
        if not match:
            continue
        date = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        if date in by_date:
            raise ValueError(f"two GeoIP snapshots dated {date}: {by_date[date]} and {file}")
        by_date[date] = file
    if not by_date:
        raise FileNotFoundError(
            f"no dated GeoIP snapshots in {path}: expected files named *_YYYYMMDD.mmdb "
            "or folders named *_YYYYMMDD holding one .mmdb file"
        )
    return [Snapshot(by_date[d], d) for d in sorted(by_date)]


def lookup_address(
    reader, address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> tuple[str | None, str | None] | None:
    """(country, state) of a public address in one geoip2 reader; None when absent."""
    import geoip2.errors

    try:
        try:
            record = reader.city(address)
            state = record.subdivisions.most_specific.name
        except TypeError:  # a Country database: no subdivisions
            record = reader.country(address)
            state = None
    except geoip2.errors.AddressNotFoundError:
        return None
    return record.country.name, state


def public_address(ip: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address | None, str | None]:
    """The address to look up, or None and the reason it cannot be located."""
    try:
        address = ipaddress.ip_address(ip.strip().strip("[]"))
    except ValueError:
        return None, INVALID
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return None, NON_PUBLIC
    return address, None


class GeoLocator:
    """Locates IPs on given days; opens each snapshot's reader once, on first use,
    and remembers every answer (an IP recurs in many turns)."""

    def __init__(self, snapshots: list[Snapshot], open_reader: Callable[[Path], object] | None = None):
        if not snapshots:
            raise ValueError("GeoLocator needs at least one database")
        self.snapshots = snapshots
        self._dates = [s.date for s in snapshots]
        self._open_reader = open_reader or _open_geoip2_reader
        self._readers: dict[int, object] = {}
        self._answers: dict[tuple[str, int], tuple[str | None, str | None, str]] = {}

    @classmethod
    def from_path(cls, database_path: str | Path) -> GeoLocator:
        return cls(find_snapshots(database_path))

    def snapshot_index(self, day: dt.date | None) -> tuple[int, bool]:
        """Index of the newest snapshot dated on or before `day`, and whether `day`
        predates them all (then the oldest is used). Undated: the newest."""
        if len(self.snapshots) == 1 or day is None:
            return len(self.snapshots) - 1, False
        i = bisect.bisect_right(self._dates, day) - 1
        return (i, False) if i >= 0 else (0, True)

    def __call__(self, ip: str, day: dt.date | None = None) -> Location:
        index, before = self.snapshot_index(day)
        key = (ip, index)
        answer = self._answers.get(key)
        if answer is None:
            address, reason = public_address(ip)
            if address is None:
                answer = (None, None, reason)
            else:
                found = lookup_address(self._reader(index), address)
                if found is None:
                    answer = (None, None, NOT_IN_DATABASE)
                elif found[0] is None:  # e.g. only a continent: a state alone would mislead
                    answer = (None, None, NO_COUNTRY)
                else:
                    answer = (*found, LOCATED)
            self._answers[key] = answer
        return Location(answer[0], answer[1], answer[2], self.snapshots[index].label, before)

    def _reader(self, index: int):
        reader = self._readers.get(index)
        if reader is None:
            reader = self._readers[index] = self._open_reader(self.snapshots[index].path)
        return reader

    def describe(self) -> list[dict]:
        """Every configured database with its build date (opening readers as needed)."""
        out = []
        for i, snapshot in enumerate(self.snapshots):
            meta = self._reader(i).metadata()
            out.append(
                {
                    "path": str(snapshot.path),
                    "snapshot_date": snapshot.date.isoformat() if snapshot.date else None,
                    "database_type": meta.database_type,
                    "build_date": dt.datetime.fromtimestamp(meta.build_epoch, dt.UTC).date().isoformat(),
                }
            )
        return out

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def __enter__(self) -> GeoLocator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _open_geoip2_reader(path: Path):
    import geoip2.database

    reader = geoip2.database.Reader(str(path), locales=["en"])
    kind = reader.metadata().database_type
    if not (kind.endswith("City") or kind.endswith("Country")):
        reader.close()
        raise ValueError(f"{path} is a {kind} database; a GeoIP2/GeoLite2 City or Country database is needed")
    return reader


# --- conversations ------------------------------------------------------------

_UTTERANCE_NAMES = [name for name, _ in GEO_UTTERANCE_FIELDS]
_ROW_NAMES = GEOTAGGED_CONVERSATIONS.names


def most_frequent(values: Iterable):
    """The most frequent non-null value; ties go to the value seen last (the latest turn)."""
    counts: dict = {}
    last: dict = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        counts[value] = counts.get(value, 0) + 1
        last[value] = i
    if not counts:
        return None
    return max(counts, key=lambda v: (counts[v], last[v]))


def _freeze(header: dict | None):
    return None if header is None else tuple(header.items())


def _day(ts: dt.datetime | None) -> dt.date | None:
    return None if ts is None else ts.astimezone(dt.UTC).date()


def _conversation_row(row: dict, conversation: list[dict], places: list, hashed_ips: list, headers: list) -> dict:
    """The conversation's row: the most frequent (country, state), hashed_ip and header of its user turns."""
    place = most_frequent(places) or (None, None)
    header = most_frequent(headers)
    tagged_row = {name: row.get(name) for name in _ROW_NAMES}
    tagged_row.update(
        conversation=conversation,
        country=place[0],
        state=place[1],
        hashed_ip=most_frequent(hashed_ips),
        header=dict(header) if header is not None else None,
    )
    return tagged_row


def geotag_conversations(
    rows: Iterable[dict],
    lookup: Callable[[str, dt.date | None], Location],
    hasher: Callable[[str], str],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 20_000,
    hashes: dict[str, str] | None = None,
) -> tuple[list[dict], GeoResult]:
    """DEDUPLICATED_CONVERSATIONS rows -> GEOTAGGED_CONVERSATIONS rows, and what was done.

    Each user turn with an IP gets hashed_ip, country and state (assistant turns
    and turns whose request log was lost: null); `ip` is dropped. The
    conversation gets the most frequent (country, state) pair, hashed_ip and
    header of its user turns. `progress(conversations_done)` is called every
    `progress_every` conversations. `hashes` (ip -> keyed hash) carries the
    hashes over from earlier batches of the month; the result holds the hashes of this batch's IPs.
    """
    hashes = {} if hashes is None else hashes
    statuses: Counter = Counter()
    countries: Counter = Counter()
    conversation_countries: Counter = Counter()
    snapshot_use: Counter = Counter()
    seen: set[str] = set()
    counts = GeoResult()
    out = []
    for row in rows:
        counts.conversations += 1
        conversation = []
        places, hashed_ips, headers = [], [], []
        for utterance in row["conversation"] or []:
            tagged = {name: utterance.get(name) for name in _UTTERANCE_NAMES}
            tagged["hashed_ip"] = tagged["country"] = tagged["state"] = tagged["geoip_snapshot"] = None
            ip = utterance.get("ip")
            if utterance.get("role") == "user":
                counts.user_turns += 1
                if ip:
                    counts.user_turns_with_ip += 1
                    hashed = hashes.get(ip)
                    if hashed is None:
                        hashed = hashes[ip] = hasher(ip)
                    seen.add(hashed)
                    found = lookup(ip, _day(utterance.get("timestamp") or row.get("timestamp")))
                    tagged["hashed_ip"], tagged["country"], tagged["state"] = hashed, found.country, found.state
                    tagged["geoip_snapshot"] = found.snapshot
                    statuses[found.status] += 1
                    snapshot_use[found.snapshot] += 1
                    counts.turns_before_oldest_snapshot += found.before_oldest_snapshot
                    if found.country:
                        countries[found.country] += 1
                elif given := utterance.get("given_location"):
                    # Imported from a published release: its hash and place are kept as given.
                    counts.user_turns_with_given_location += 1
                    tagged["hashed_ip"], tagged["country"], tagged["state"] = (
                        given.get("hashed_ip"), given.get("country"), given.get("state"))
                    if tagged["country"]:
                        countries[tagged["country"]] += 1
                places.append((tagged["country"], tagged["state"]) if tagged["country"] else None)
                hashed_ips.append(tagged["hashed_ip"])
                headers.append(_freeze(tagged.get("header")))
            conversation.append(tagged)
        tagged_row = _conversation_row(row, conversation, places, hashed_ips, headers)
        if tagged_row["country"]:
            conversation_countries[tagged_row["country"]] += 1
        out.append(tagged_row)
        if progress and counts.conversations % progress_every == 0:
            progress(counts.conversations)
    counts.located, counts.non_public = statuses[LOCATED], statuses[NON_PUBLIC]
    counts.not_in_database, counts.no_country, counts.invalid = (
        statuses[NOT_IN_DATABASE], statuses[NO_COUNTRY], statuses[INVALID])
    counts.countries = dict(countries.most_common())
    counts.conversation_countries = dict(conversation_countries.most_common())
    counts.snapshot_use = dict(sorted(snapshot_use.items()))
    counts.ip_hashes = seen
    return out, counts
