"""geotagged_conversations: GeoLite2 lookups, snapshot choice, keyed IP hashes, the raw-IP check."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import pickle
import stat
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wildchat_dagster.assets.geo.geo import geotagged_conversations
from wildchat_dagster.assets.shared.checks import no_raw_ips_result
from wildchat_dagster.core.geo import geolocation as geo
from wildchat_dagster.core.geo.geolocation import (
    GeoLocator,
    Snapshot,
    find_snapshots,
    geotag_conversations,
    most_frequent,
)
from wildchat_dagster.core.geo.ip_hashing import (
    InsecureKeyFileError,
    IPHasher,
    key_file_path,
    load_ip_hasher,
)
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.geoip import GeoIPResource, embedded_database_path
from wildchat_dagster.resources.warehouse import WarehouseResource

from factories import conversation_record

UTC = dt.UTC
MONTH = "2023-04"
DB = embedded_database_path()
KEY = "test-ip-hash-key-not-secret"  # what the data_dir fixture sets


@pytest.fixture(scope="module")
def locator():
    with GeoLocator.from_path(DB) as located:
        yield located


# --- lookups in the shipped 2018-07-03 GeoLite2-City --------------------------------


@pytest.mark.parametrize(
    ("ip", "country", "state"),
    [
        ("8.8.8.8", "United States", None),
        ("1.1.1.1", "Australia", "Victoria"),
        ("2001:4860:4860::8888", "United States", "California"),
        ("2620:0:2d0:200::7", "United States", "California"),
        ("114.114.114.114", "China", "Jiangsu"),
        ("202.96.128.86", "China", "Guangdong"),
        ("223.5.5.5", "China", "Zhejiang"),
        ("95.173.136.70", "Russia", "Moscow"),
        ("213.180.204.62", "Russia", "St.-Petersburg"),
        ("2a00:1450:4001::1", "Germany", "Hesse"),
        ("85.214.0.1", "Germany", "Land Berlin"),
        ("81.2.69.142", "United Kingdom", "Brent"),  # most specific subdivision, not "England"
        ("89.160.20.128", "Sweden", "Stockholm"),
        ("2001:67c:2e8:22::c100:68b", "Netherlands", "North Holland"),
        ("::ffff:8.8.8.8", "United States", None),  # IPv4-mapped IPv6
        (" 1.1.1.1 ", "Australia", "Victoria"),
    ],
)
def test_known_public_addresses(locator, ip, country, state):
    found = locator(ip)
    assert (found.country, found.state, found.status) == (country, state, geo.LOCATED)


@pytest.mark.parametrize(
    ("ip", "status"),
    [
        ("10.0.0.1", geo.NON_PUBLIC),
        ("192.168.1.20", geo.NON_PUBLIC),
        ("172.16.5.4", geo.NON_PUBLIC),
        ("127.0.0.1", geo.NON_PUBLIC),
        ("::1", geo.NON_PUBLIC),
        ("fe80::1", geo.NON_PUBLIC),
        ("fd00::1", geo.NON_PUBLIC),
        ("203.0.113.7", geo.NON_PUBLIC),  # documentation range
        ("100.64.0.1", geo.NON_PUBLIC),  # carrier-grade NAT
        ("224.0.0.1", geo.NON_PUBLIC),
        ("0.0.0.0", geo.NON_PUBLIC),
        ("195.129.232.143", geo.NO_COUNTRY),  # only a continent (Europe) in the database
        ("23.144.48.218", geo.NO_COUNTRY),  # only a registered country: not where the user is
        ("2c0f:ffff::1", geo.NOT_IN_DATABASE),  # public, unallocated in 2018
        ("102.0.0.1", geo.NOT_IN_DATABASE),
        ("", geo.INVALID),
        ("unknown", geo.INVALID),
        ("999.1.1.1", geo.INVALID),
        ("1.2.3.4, 5.6.7.8", geo.INVALID),
        ("<script>", geo.INVALID),
    ],
)
def test_unlocatable_addresses_give_nulls_not_errors(locator, ip, status):
    found = locator(ip)
    assert (found.country, found.state, found.status) == (None, None, status)


def test_database_build_date_is_reported(locator):
    (described,) = locator.describe()
    assert described["build_date"] == "2018-07-03"
    assert described["database_type"] == "GeoLite2-City"


class CountingReader:
    """A real geoip2 reader that counts lookups and closes."""

    opened: list[Path] = []

    def __init__(self, path: Path):
        import geoip2.database

        CountingReader.opened.append(Path(path))
        self.reader = geoip2.database.Reader(str(path))
        self.lookups = 0
        self.closed = False

    def city(self, ip):
        self.lookups += 1
        return self.reader.city(ip)

    def metadata(self):
        return self.reader.metadata()

    def close(self):
        self.closed = True
        self.reader.close()


def test_lookups_are_cached_per_distinct_ip_and_readers_closed():
    CountingReader.opened = []
    locator = GeoLocator([Snapshot(Path(DB))], open_reader=CountingReader)
    for _ in range(50):
        locator("8.8.8.8")
        locator("1.1.1.1")
        locator("10.0.0.1")  # never reaches the database
    reader = locator._readers[0]
    assert reader.lookups == 2
    assert len(CountingReader.opened) == 1
    locator.close()
    assert reader.closed


# --- snapshots ---------------------------------------------------------------------


def _snapshot_dir(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "geoip"
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(DB)
    return folder


def test_each_turn_uses_the_newest_snapshot_on_or_before_its_day(tmp_path):
    folder = _snapshot_dir(tmp_path, ["GeoLite2-City_20230301.mmdb", "GeoLite2-City_20230501.mmdb", "README.txt.mmdb"])
    snapshots = find_snapshots(folder)
    assert [s.date for s in snapshots] == [dt.date(2023, 3, 1), dt.date(2023, 5, 1)]
    with GeoLocator(snapshots) as locator:
        assert locator("1.1.1.1", dt.date(2023, 4, 30)).snapshot == "2023-03-01"
        assert locator("1.1.1.1", dt.date(2023, 5, 1)).snapshot == "2023-05-01"
        assert locator("1.1.1.1", dt.date(2024, 1, 1)).snapshot == "2023-05-01"
        early = locator("1.1.1.1", dt.date(2023, 2, 1))
        assert (early.snapshot, early.before_oldest_snapshot, early.country) == ("2023-03-01", True, "Australia")
        assert [d["snapshot_date"] for d in locator.describe()] == ["2023-03-01", "2023-05-01"]


def test_maxmind_folder_layout_is_a_snapshot_directory(tmp_path):
    folder = _snapshot_dir(
        tmp_path, ["GeoLite2-City_20230404/GeoLite2-City.mmdb", "GeoLite2-City_20230110/GeoLite2-City.mmdb"]
    )
    assert [s.date for s in find_snapshots(folder)] == [dt.date(2023, 1, 10), dt.date(2023, 4, 4)]


def test_geotagging_counts_snapshot_use(tmp_path):
    folder = _snapshot_dir(tmp_path, ["city_20230301.mmdb", "city_20230405.mmdb"])
    rows = [
        conversation_record(
            "deduplicated_conversations",
            [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d")],
            start=start,
            ip="1.1.1.1",
        )
        for start in (dt.datetime(2023, 4, 4, 23, 59, tzinfo=UTC), dt.datetime(2023, 2, 1, tzinfo=UTC))
    ]
    with GeoLocator.from_path(folder) as locator:
        tagged, counts = geotag_conversations(rows, locator, IPHasher(KEY.encode(), "test"))
    # The first conversation's second user turn, two minutes later, is on the snapshot's day.
    assert counts.snapshot_use == {"2023-03-01": 3, "2023-04-05": 1}
    # Each user turn records the snapshot that placed it (for `explain`); replies have none.
    assert [u["geoip_snapshot"] for u in tagged[0]["conversation"]] == ["2023-03-01", None, "2023-04-05", None]
    assert counts.turns_before_oldest_snapshot == 2


def test_snapshot_directory_errors_are_clear(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="YYYYMMDD"):
        find_snapshots(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="not found"):
        find_snapshots(tmp_path / "missing.mmdb")
    folder = _snapshot_dir(tmp_path, ["a_20230301.mmdb", "b_20230301.mmdb"])
    with pytest.raises(ValueError, match="two GeoIP snapshots dated 2023-03-01"):
        find_snapshots(folder)


# --- conversations -----------------------------------------------------------------


def test_geotag_conversations_tags_user_turns_and_drops_raw_ips(locator):
    hasher = IPHasher(KEY.encode(), "test")
    turns = [
        ("user", "hi"),
        ("assistant", "hello"),
        ("user", "more"),
        ("assistant", "ok"),
        ("user", "x"),
        ("assistant", ""),
    ]
    row = conversation_record(
        "deduplicated_conversations",
        turns,
        utterance_overrides=[
            {"ip": "8.8.8.8"},
            {},
            {"ip": "1.1.1.1", "header": {"accept-language": "en-AU", "user-agent": "UA-2"}},
            {},
            {"ip": "1.1.1.1", "header": {"accept-language": "en-AU", "user-agent": "UA-2"}},
        ],
    )
    (tagged,), counts = geotag_conversations([row], locator, hasher)
    assert set(tagged) == set(geo.GEOTAGGED_CONVERSATIONS.names)
    for u in tagged["conversation"]:
        assert "ip" not in u
    users = [u for u in tagged["conversation"] if u["role"] == "user"]
    assistants = [u for u in tagged["conversation"] if u["role"] == "assistant"]
    assert [(u["country"], u["state"]) for u in users] == [
        ("United States", None),
        ("Australia", "Victoria"),
        ("Australia", "Victoria"),
    ]
    assert users[0]["hashed_ip"] == hmac.new(KEY.encode(), b"8.8.8.8", hashlib.sha256).hexdigest()
    assert all(u["hashed_ip"] is None and u["country"] is None and u["state"] is None for u in assistants)
    # Conversation level: the most frequent value over user turns.
    assert (tagged["country"], tagged["state"]) == ("Australia", "Victoria")
    assert tagged["hashed_ip"] == hasher("1.1.1.1")
    assert tagged["header"] == {"accept-language": "en-AU", "user-agent": "UA-2"}
    assert counts.user_turns == 3 and counts.distinct_ips == 2 and counts.located == 3
    assert counts.countries == {"Australia": 2, "United States": 1}


def test_conversation_level_ties_go_to_the_latest_turn_and_lost_logs_stay_null(locator):
    hasher = IPHasher(KEY.encode(), "test")
    turns = [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"), ("user", "e"), ("assistant", "f")]
    row = conversation_record(
        "deduplicated_conversations",
        turns,
        utterance_overrides=[
            {"ip": "8.8.8.8"},
            {},
            {"ip": None, "header": None, "log_id": None, "timestamp": None},  # its request log was lost
            {},
            {"ip": "114.114.114.114"},
        ],
    )
    (tagged,), counts = geotag_conversations([row], locator, hasher)
    lost = tagged["conversation"][2]
    assert (lost["hashed_ip"], lost["country"], lost["state"]) == (None, None, None)
    assert (tagged["country"], tagged["state"]) == ("China", "Jiangsu")
    assert tagged["hashed_ip"] == hasher("114.114.114.114")
    assert counts.user_turns == 3 and counts.user_turns_with_ip == 2


def test_unlocatable_conversation_is_null_but_hashed(locator):
    hasher = IPHasher(KEY.encode(), "test")
    rows = [
        conversation_record("deduplicated_conversations", [("user", "a"), ("assistant", "b")], ip="192.168.0.7"),
        conversation_record("deduplicated_conversations", [("assistant", "orphan reply")]),
    ]
    (private, no_user), counts = geotag_conversations(rows, locator, hasher)
    assert (private["country"], private["state"]) == (None, None)
    assert private["hashed_ip"] == hasher("192.168.0.7")
    assert (no_user["country"], no_user["state"], no_user["hashed_ip"], no_user["header"]) == (None,) * 4
    assert counts.non_public == 1 and counts.located == 0


def test_most_frequent():
    assert most_frequent(["a", "b", "a"]) == "a"
    assert most_frequent(["a", "b"]) == "b"  # tie: the latest
    assert most_frequent(["b", "a", "a", "b"]) == "b"
    assert most_frequent([None, None]) is None
    assert most_frequent([None, "x", None]) == "x"


# --- the key -----------------------------------------------------------------------


def test_env_key_gives_hmac_sha256_of_the_canonical_ip(tmp_path):
    hasher = load_ip_hasher(tmp_path, KEY)
    expected = hmac.new(KEY.encode(), b"2001:4860:4860::8888", hashlib.sha256).hexdigest()
    assert hasher("2001:4860:4860::8888") == expected
    assert hasher("2001:4860:4860:0:0:0:0:8888") == expected
    assert hasher("[2001:4860:4860::8888]") == expected
    assert hasher("8.8.8.8") != hashlib.sha256(b"8.8.8.8").hexdigest()
    assert load_ip_hasher(tmp_path, "another-key-of-enough-length")("8.8.8.8") != hasher("8.8.8.8")
    assert not key_file_path(tmp_path).exists()  # an env key writes no file


def test_generated_key_file_is_owner_only_and_reused(tmp_path):
    first = load_ip_hasher(tmp_path)
    path = key_file_path(tmp_path)
    assert path == tmp_path / "secrets" / "ip_hash.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    second = load_ip_hasher(tmp_path)
    assert first("8.8.8.8") == second("8.8.8.8")
    assert first.key_id == second.key_id
    assert load_ip_hasher(tmp_path / "other")("8.8.8.8") != first("8.8.8.8")  # a new root, a new key


def test_key_file_readable_by_others_is_refused(tmp_path):
    load_ip_hasher(tmp_path)
    path = key_file_path(tmp_path)
    key_text = path.read_text().strip()
    os.chmod(path, 0o644)
    with pytest.raises(InsecureKeyFileError, match="chmod 600") as error:
        load_ip_hasher(tmp_path)
    assert key_text not in str(error.value)


def test_bad_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 16 bytes"):
        load_ip_hasher(tmp_path, "short")
    path = key_file_path(tmp_path)
    path.parent.mkdir(mode=0o700)
    path.write_text("not hex at all")
    os.chmod(path, 0o600)
    with pytest.raises(ValueError, match="does not hold a hex key"):
        load_ip_hasher(tmp_path)


def test_key_never_shows_in_repr_str_or_pickle(tmp_path):
    secret = "a-very-distinctive-secret-key-123"
    hasher = load_ip_hasher(tmp_path, secret)
    for text in (repr(hasher), str(hasher), hasher.key_id):
        assert secret not in text and secret.encode().hex() not in text
    with pytest.raises(TypeError):
        pickle.dumps(hasher)
    resource = GeoIPResource(database_path=DB, data_dir=str(tmp_path), ip_hash_key=secret)
    assert secret not in repr(resource) and secret not in str(resource)
    assert secret not in str(resource.describe())


def test_resource_defaults_read_the_key_from_env_or_the_key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", KEY)
    with_env = GeoIPResource.from_defaults(tmp_path)
    assert with_env.database_path.endswith("GeoLite2-City.mmdb")
    monkeypatch.delenv("WILDCHAT_IP_HASH_KEY")
    without_env = GeoIPResource.from_defaults(tmp_path)
    assert without_env.ip_hash_key is None
    assert "key file" in without_env.describe()["ip_hash_key_source"]
    assert key_file_path(tmp_path).exists()


# --- the asset ---------------------------------------------------------------------


def _resources(data_dir: Path, **geoip) -> dict:
    return {
        "warehouse": WarehouseResource(data_dir=str(data_dir)),
        "geoip": GeoIPResource.from_defaults(data_dir) if not geoip else GeoIPResource(data_dir=str(data_dir), **geoip),
    }


def _store_month(data_dir: Path, rows: list[dict], client_ips: list[str]) -> Warehouse:
    warehouse = Warehouse(data_dir)
    warehouse.write_records("deduplicated_conversations", MONTH, rows)
    warehouse.write_records("raw_logs", MONTH, [{"log_id": f"l{i}", "ip": ip} for i, ip in enumerate(client_ips)])
    return warehouse


def _checks(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_materialize_geotagged_conversations(data_dir):
    rows = [
        conversation_record("deduplicated_conversations", [("user", "Hello"), ("assistant", "Hi!")], ip="8.8.8.8"),
        conversation_record(
            "deduplicated_conversations",
            [("user", "Bonjour"), ("assistant", "Salut"), ("user", "Merci"), ("assistant", "De rien")],
            ip="2a00:1450:4001::1",
        ),
        conversation_record("deduplicated_conversations", [("user", "test"), ("assistant", "ok")], ip="10.1.2.3"),
    ]
    warehouse = _store_month(data_dir, rows, ["8.8.8.8", "2a00:1450:4001::1", "10.1.2.3"])
    result = dg.materialize([geotagged_conversations], partition_key=MONTH, resources=_resources(data_dir))
    assert result.success
    checks = _checks(result)
    assert checks["no_raw_client_ips"].passed
    assert checks["client_ips_hashed"].passed
    assert checks["public_ips_located_share"].passed  # 3 of 3 public turns located

    stored = warehouse.read_table("geotagged_conversations", MONTH)
    assert stored.schema.equals(geo.GEOTAGGED_CONVERSATIONS)
    by_id = {r["conversation_id"]: r for r in stored.to_pylist()}
    assert [by_id[r["conversation_id"]]["country"] for r in rows] == ["United States", "Germany", None]
    assert by_id[rows[1]["conversation_id"]]["state"] == "Hesse"

    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["user_turns_processed"].value == 4
    assert metadata["distinct_ips"].value == 3
    assert metadata["unknown_or_private"].value == 1
    assert metadata["database_build_dates"].value == ["2018-07-03"]
    assert "Germany" in metadata["top_countries"].value
    assert metadata["ip_hash_key_source"].value == "environment variable WILDCHAT_IP_HASH_KEY"

    # The key is nowhere: not in the stored file, the metadata, or any event of the run.
    assert KEY.encode() not in warehouse.layout.partition("geotagged_conversations", MONTH).read_bytes()
    assert KEY not in str({k: v.value for k, v in metadata.items()})
    assert not any(KEY in str(event) for event in result.all_events)


def test_client_ip_typed_into_a_message_is_scrubbed(data_dir):
    rows = [
        conversation_record(
            "deduplicated_conversations",
            [("user", "My address is 1.1.1.1, can you see it?"), ("assistant", "No.")],
            ip="1.1.1.1",
        ),
        conversation_record("deduplicated_conversations", [("user", "hi"), ("assistant", "hello")], ip="8.8.8.8"),
    ]
    _store_month(data_dir, rows, ["1.1.1.1", "8.8.8.8"])
    result = dg.materialize([geotagged_conversations], partition_key=MONTH, resources=_resources(data_dir))
    assert _checks(result)["no_raw_client_ips"].passed
    stored = Warehouse(data_dir).read_records("geotagged_conversations", MONTH)
    texts = [u["content"] for r in stored for u in r["conversation"]]
    assert "My address is <PRESIDIO_ANONYMIZED_IP_ADDRESS>, can you see it?" in texts
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["client_ips_scrubbed_from_text"].value == 1


def test_raw_ip_check_fails_when_an_ip_is_in_a_text_field(data_dir):
    rows = [conversation_record("geotagged_conversations", [("user", "hi"), ("assistant", "hello")], ip="8.8.8.8")]
    _store_month(data_dir, [conversation_record("deduplicated_conversations", [("user", "x")])], ["1.1.1.1", "8.8.8.8"])
    rows[0]["header"] = {"accept-language": "en", "user-agent": "curl/8.0 (via 1.1.1.1)"}  # injected
    table = pa.Table.from_pylist(rows, schema=geo.GEOTAGGED_CONVERSATIONS)
    check = no_raw_ips_result(Warehouse(data_dir), MONTH, "geotagged_conversations", table)
    assert check.passed is False
    assert check.metadata["occurrences_found"].value == 1
    assert check.metadata["columns"].value == ["header"]
    rows[0]["header"] = None
    clean = pa.Table.from_pylist(rows, schema=geo.GEOTAGGED_CONVERSATIONS)
    assert no_raw_ips_result(Warehouse(data_dir), MONTH, "geotagged_conversations", clean).passed


def test_materialize_with_key_file_and_snapshot_directory(data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("WILDCHAT_IP_HASH_KEY")
    folder = _snapshot_dir(tmp_path, ["GeoLite2-City_20230301.mmdb", "GeoLite2-City_20230415.mmdb"])
    rows = [
        conversation_record(
            "deduplicated_conversations",
            [("user", "a"), ("assistant", "b")],
            ip="1.1.1.1",
            start=dt.datetime(2023, 4, day, tzinfo=UTC),
        )
        for day in (2, 20)
    ]
    warehouse = _store_month(data_dir, rows, ["1.1.1.1"])
    resources = _resources(data_dir, database_path=str(folder))
    first = dg.materialize([geotagged_conversations], partition_key=MONTH, resources=resources)
    metadata = first.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["snapshot_use"].value == {"2023-03-01": 1, "2023-04-15": 1}
    assert metadata["ip_hash_key_source"].value.startswith("key file")
    hashes = [r["hashed_ip"] for r in warehouse.read_records("geotagged_conversations", MONTH)]
    dg.materialize([geotagged_conversations], partition_key=MONTH, resources=resources)
    assert [r["hashed_ip"] for r in warehouse.read_records("geotagged_conversations", MONTH)] == hashes
    key_text = key_file_path(data_dir).read_text().strip()
    assert key_text.encode() not in warehouse.layout.partition("geotagged_conversations", MONTH).read_bytes()
    assert not any(key_text in str(event) for event in first.all_events)
    assert "ip" not in pq.read_schema(warehouse.layout.partition("geotagged_conversations", MONTH)).names


def test_ipv4_mapped_address_hashes_like_its_ipv4():
    hasher = IPHasher(b"k" * 32, "test")
    assert hasher("::ffff:203.0.113.5") == hasher("203.0.113.5")


def test_ip_pattern_hints_skip_no_address_on_real_text():
    """ip_spans skips a pattern only for texts without what its every match contains: same spans as without hints."""
    from wildchat_dagster.core.geo import client_ips
    from wildchat_dagster.kit.benchmarks.language import real_texts

    def without_hints(text: str) -> list[tuple[int, int, str]]:
        spans = []
        for pattern in (client_ips._IPV4, client_ips._IPV6):
            for match in pattern.finditer(text):
                token = match.group().rstrip(":.")
                if ip := client_ips.canonical_ip(token):
                    spans.append((match.start(), match.start() + len(token), ip))
        return spans

    crafted = [
        "::1 and fe80::1 and 2001:db8::ff00:42:8329, ::ffff:203.0.113.5 or [2001:db8::1]:443",
        "at 10:30:45 from 192.168.0.1; version 1.2.3.4.5; a:b:c; 1::; :: alone",
    ]
    texts = real_texts() + crafted
    assert sum(1 for t in texts if without_hints(t)) > 2  # the texts do hold addresses
    for text in texts:
        assert list(client_ips.ip_spans(text)) == without_hints(text)


def test_two_shards_geo_results_merge_into_the_one_pass_result(locator):
    """What the shard steps do: each shard hashes with its own memo, the merge unites the hashes."""
    ips = ["8.8.8.8", "1.1.1.1", "10.0.0.1", "not-an-ip", "114.114.114.114", "8.8.8.8", "1.1.1.1"]
    rows = [conversation_record("deduplicated_conversations", [("user", "q"), ("assistant", "a"), ("user", "r")],
                                utterance_overrides=[{"ip": ip}, {}, {"ip": ips[(i + 3) % len(ips)]}])
            for i, ip in enumerate(ips)]
    hasher = IPHasher(KEY.encode(), "test")
    _, whole = geotag_conversations(rows, locator, hasher)
    _, first = geotag_conversations(rows[:3], locator, hasher, hashes={})
    _, second = geotag_conversations(rows[3:], locator, hasher, hashes={})
    merged = first.merged(second)
    assert merged == whole
    assert (merged.distinct_ips, merged.located, merged.invalid, merged.non_public) == (5, 10, 2, 2)
    assert list(merged.countries) == ["United States", "Australia", "China"]  # biggest first
