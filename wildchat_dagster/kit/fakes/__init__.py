"""Local stand-ins that speak the protocol of an external service (tests and benchmarks only)."""
