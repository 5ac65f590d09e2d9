"""Benchmarks measured against same-run baselines (``make bench``; see harness.py)."""
