"""Small statistics the figures are made of: percentiles, rates, latency summaries."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/p99/max in milliseconds, rounded for the report."""

    def ms(fraction: float) -> float | None:
        value = percentile(seconds, fraction)
        return None if math.isnan(value) else round(value * 1000, 2)

    return {
        "count": len(seconds),
        "p50_ms": ms(0.50),
        "p95_ms": ms(0.95),
        "p99_ms": ms(0.99),
        "max_ms": ms(1),
    }


def p99_by_second(answers: Sequence[Any], began: float) -> list[float | None]:
    """The p99 in milliseconds of the answers due in each second of a step (``started`` is the
    instant an answer was due): one stall shows as one bad second, a queue that grows as a rise."""
    by_second: dict[int, list[float]] = {}
    for answer in answers:
        by_second.setdefault(int(answer.started - began), []).append(answer.seconds)
    return [latency_summary(by_second.get(n, []))["p99_ms"] for n in range(max(by_second, default=-1) + 1)]


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return round(value / baseline, 3)


def median_of(steps: Sequence[dict[str, Any]], *path: str) -> float | None:
    """The median over ``steps`` (rounds of one measurement) of the figure at ``path``."""
    values = []
    for step in steps:
        value: Any = step
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(float(value))
    return round(statistics.median(values), 2) if values else None
