"""Benchmarks for sancha (not part of the test suite). See docs/performance.md."""
