"""The trivial upstream of the edge benchmark; it lives in ``crowdify_bench.upstream``."""

from crowdify_bench.upstream import app

__all__ = ["app"]
