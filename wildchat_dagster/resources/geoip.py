"""GeoIP databases and the IP-hash key, as a Dagster resource."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field, PrivateAttr

from wildchat_dagster.core.geo.geolocation import GeoLocator, find_snapshots
from wildchat_dagster.core.geo.ip_hashing import IPHasher, key_file_path, load_ip_hasher
from wildchat_dagster.settings import IP_HASH_KEY_ENV, Settings


def embedded_database_path() -> str:
    """GeoLite2-City as shipped by maxminddb-geolite2: built 2018-07-03, so 2023
    addresses that moved since are placed where they were in 2018."""
    from _maxminddb_geolite2 import geolite2_database

    return str(geolite2_database())


class GeoIPResource(dg.ConfigurableResource):
    """Country/state lookups (GeoLite2-City) and the keyed hash that replaces raw IPs."""

    database_path: str = Field(
        description="A GeoLite2/GeoIP2 City .mmdb file, or a directory of dated snapshots "
        "(*_YYYYMMDD.mmdb files or GeoLite2-City_YYYYMMDD/ folders)."
    )
    data_dir: str = Field(description="Local data folder; holds secrets/ip_hash.key when no key is set.")
    ip_hash_key: str | None = Field(
        default=None,
        repr=False,
        description=f"HMAC key for hashed_ip; set through {IP_HASH_KEY_ENV}. Unset: the key file.",
    )
    key_from_environment_only: bool = Field(
        default=False,
        description="Never create a local key file: workers sharing an object-store data root must share one key.",
    )

    _locator: GeoLocator | None = PrivateAttr(default=None)

    @classmethod
    def from_defaults(
        cls, data_dir: Path, shared_data_root: bool = False, settings: Settings | None = None
    ) -> GeoIPResource:
        """The embedded database; the key as `dg.EnvVar` when the settings (default: the environment's) have one."""
        settings = Settings.from_environ() if settings is None else settings
        key = dg.EnvVar(IP_HASH_KEY_ENV) if settings.ip_hash_key else None
        return cls(database_path=embedded_database_path(), data_dir=str(data_dir), ip_hash_key=key,
                   key_from_environment_only=shared_data_root)

    def locator(self) -> GeoLocator:
        """The run's locator; readers open once, on first use, and close at teardown."""
        if self._locator is None:
            self._locator = GeoLocator(find_snapshots(self.database_path))
        return self._locator

    def hasher(self) -> IPHasher:
        # Inside a run Dagster has resolved an EnvVar already; outside one (definitions load) resolve it here.
        key = self.ip_hash_key.get_value() if isinstance(self.ip_hash_key, dg.EnvVar) else self.ip_hash_key
        if self.key_from_environment_only and not key:
            # A key file per machine would hash the same IP differently in months run on different workers.
            raise ValueError(f"the data root is an object store that several workers share: set {IP_HASH_KEY_ENV} "
                             "(the same secret for every worker) instead of a local key file")
        return load_ip_hasher(self.data_dir, key, key_source=f"environment variable {IP_HASH_KEY_ENV}")

    def fingerprint(self) -> dict[str, str]:
        """The databases' build dates, and the IP-hash key as its key id (an HMAC of a fixed label
        under the key, never the key). The key file is created here if missing, as geotagging
        would: otherwise the first run would record no key and the next one see a new key."""
        locator = GeoLocator(find_snapshots(self.database_path))
        try:
            builds = "+".join(database["build_date"] for database in locator.describe())
        finally:
            locator.close()
        try:
            key_id = self.hasher().key_id
        except (OSError, ValueError):  # preflight names the problem; geotagging refuses to run
            key_id = "unavailable"
        return {"geolite2": builds, "ipkey": key_id}

    def describe(self) -> dict:
        """The configuration in force, for metadata: databases and their build dates,
        where the key comes from (never the key)."""
        hasher = self.hasher()
        key_file = key_file_path(self.data_dir)
        return {
            "database_path": self.database_path,
            "databases": self.locator().describe(),
            "ip_hash_key_source": (
                f"environment variable {IP_HASH_KEY_ENV}" if self.ip_hash_key else f"key file {key_file}"
            ),
            "ip_hash_key_id": hasher.key_id,
        }

    def close(self) -> None:
        if self._locator is not None:
            self._locator.close()
            self._locator = None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close()
