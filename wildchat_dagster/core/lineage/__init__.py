"""Record-level lineage: from a released row back to its request logs, stage by stage."""
