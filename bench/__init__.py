"""Benchmarks. Each script runs on its own: ``python -m bench.<name>`` (see bench/README.md)."""
