"""Ingestion: landing files → validated raw request logs and rejected lines."""
