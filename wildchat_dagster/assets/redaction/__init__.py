"""Redaction: redacted_conversations (PII removed)."""
