"""Geography: GeoLite2 lookups, the keyed IP hash, and client IPs in text."""
