"""Geo: geotagged_conversations (country, state, hashed IP)."""
