"""Benchmarks: seed a large dataset and load the busiest pages (see bench/README.md)."""
