"""Benchmarks with ratio targets: `python -m bench [--quick]`. Each measures a baseline in the same run."""
