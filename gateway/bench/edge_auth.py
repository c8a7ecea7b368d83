"""Measure what JWT verification at the edge costs (ADR 0005):

    uv run python gateway/bench/edge_auth.py [--duration 6] [--runs 5] [--connections 50]

The benchmark itself lives in the bench package (``crowdify_bench.edge``), where ``make bench``
runs it with the platform's other scenarios; this entry point keeps the command ADR 0005 quotes.
"""

from crowdify_bench.edge import main

if __name__ == "__main__":
    raise SystemExit(main())
