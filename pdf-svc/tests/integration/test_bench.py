"""The benchmark runs and reports (its figures are printed, never judged)."""

from __future__ import annotations

import pytest

from pdf_svc.bench import run
from pdf_svc.settings import PdfSettings

pytestmark = pytest.mark.integration


async def test_the_benchmark_reports_pages_per_second_and_cleans_up(settings: PdfSettings) -> None:
    figures = await run(tickets=3, orders=2, settings=settings)
    for name in (
        "order_of_3_render_pages_per_s",
        "order_of_3_render_store_pages_per_s",
        "2_single_ticket_orders_render_pages_per_s",
        "2_single_ticket_orders_render_store_pages_per_s",
    ):
        assert figures[name] > 0
    left = list(
        settings.storage.client().list_objects(settings.storage.bucket, prefix="bench/", recursive=True)
    )
    assert left == []
