"""Ingestion: raw_logs and rejected_logs from the landing folder."""
