"""Benchmark scripts (not unit tests): quality against baselines, latency and memory at scale."""
