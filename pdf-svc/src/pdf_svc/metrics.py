"""pdf-svc's own Prometheus metrics (the worker serves them on its metrics port)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PAGES_RENDERED = Counter(
    "crowdify_pdf_pages_rendered_total", "PDF pages rendered (order and ticket documents)"
)
RENDER_SECONDS = Histogram(
    "crowdify_pdf_render_seconds",
    "Time to render one order's documents",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STORE_SECONDS = Histogram(
    "crowdify_pdf_store_seconds",
    "Time to write one order's documents to object storage",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
