"""Crowdify's load benchmarks: ``python -m crowdify_bench`` (``make bench``).

Every scenario is a function that takes a :class:`~crowdify_bench.context.Bench` and sizes and
returns a dict of figures; the runner adds the baselines of the same run, writes
``bench/results/<date>-<name>.json`` and prints a table. Nothing here passes or fails on time.
"""
