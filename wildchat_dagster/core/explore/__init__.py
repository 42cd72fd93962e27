"""Search and read the published release: the explorer's index, queries and conversation view (Dagster-free)."""
