"""Warm worker processes for per-batch work: one pool per run, each worker building a stage's batch
function once (spec.py) and the pool mapping batches through it in order (pool.py)."""
