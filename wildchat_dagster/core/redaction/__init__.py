"""PII and secret redaction (Presidio) under the WildChat policy."""
