"""Benchmarks: `wildchat-dagster bench NAME` runs `NAME.run(size)`."""
