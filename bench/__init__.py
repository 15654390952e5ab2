"""Benchmarks of psp at a realistic volume (`make bench`); not tests. See docs/performance.md."""
