"""What geotagging did: counts of turns by outcome, and the keyed hashes seen (never raw IPs)."""

from __future__ import annotations

from dataclasses import dataclass

from wildchat_dagster.core.stats import StageResult, tally, total, union


@dataclass(slots=True)
class GeoResult(StageResult):
    conversations: int = total()
    user_turns: int = total()
    user_turns_with_ip: int = total()
    user_turns_with_given_location: int = total()  # hash and place kept as an imported release gave them
    turns_before_oldest_snapshot: int = total()
    located: int = total()
    non_public: int = total()
    not_in_database: int = total()
    no_country: int = total()
    invalid: int = total()
    client_ips_scrubbed_from_text: int = total()  # users typing their own address into a message
    countries: dict[str, int] = tally()  # user turns by country
    conversation_countries: dict[str, int] = tally()
    snapshot_use: dict[str, int] = tally()  # user turns by GeoIP snapshot consulted
    ip_hashes: set[str] = union()  # keyed hashes (released anyway): they unite into the month's distinct IPs

    @property
    def distinct_ips(self) -> int:
        return len(self.ip_hashes)

    @property
    def unknown_or_private(self) -> int:
        return self.non_public + self.not_in_database + self.no_country
