"""Demo and benchmark kit: synthetic logs, real samples, benchmarks and local fakes.

Nothing in core/, defs/ or resources/ imports it.
"""
