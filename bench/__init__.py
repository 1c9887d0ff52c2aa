"""Benchmarks: python bench/http, python -m bench.scale, python bench/demos.py."""
