"""Synthetic request logs with ground truth, for the demo, tests and benchmarks."""
