"""Benchmarks of the node's write and read paths; each prints its figures and writes them as JSON.

Run one with ``python -m bench.<name> [--backend sqlite|postgresql|both] [--quick]``;
``bench/README.md`` lists them, their goals and how to read the ratios.
"""
