"""Demo and benchmark kit: synthetic logs, real samples, benchmarks and local fakes.

Nothing in core/, assets/ or resources/ imports it.
"""
