"""The geo stage's batch function, as the step builds it inline and as a pool worker builds it once."""

from __future__ import annotations

from collections.abc import Callable

from wildchat_dagster.core.geo.client_ips import scrub_client_ips
from wildchat_dagster.core.geo.geolocation import geotag_conversations
from wildchat_dagster.core.geo.stats import GeoResult
from wildchat_dagster.resources.geoip import GeoIPResource


def geotag_batches(
    geoip: GeoIPResource, client_ips: frozenset[str], log: Callable[[str], None] | None = None
) -> Callable[[list[dict]], tuple[list[dict], GeoResult]]:
    """rows -> geotagged rows and figures, the keyed hashes memoised over every batch this function sees."""
    hasher, locator = geoip.hasher(), geoip.locator()
    hashes: dict[str, str] = {}  # ip -> keyed hash

    def process(source: list[dict]) -> tuple[list[dict], GeoResult]:
        rows, result = geotag_conversations(source, locator, hasher, hashes=hashes)
        # Users sometimes type their own address into a message: it goes here, not at redaction.
        result.client_ips_scrubbed_from_text = scrub_client_ips(rows, client_ips)
        return rows, result

    return process
