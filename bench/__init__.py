"""Benchmarks: each scenario beside its anchors (`make bench`, `make bench-quick`)."""
