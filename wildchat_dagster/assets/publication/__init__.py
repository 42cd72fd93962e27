"""Publication: release_manifest, dataset_report and the duckdb_catalog over the published release."""
