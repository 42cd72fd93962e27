"""Lineage: lineage_index and each stage's column lineage."""
