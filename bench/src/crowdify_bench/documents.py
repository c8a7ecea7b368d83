"""Documents: PDF pages per second (pdf-svc's own benchmark, ``pdf_svc.bench``) and the time from
a payment approved to the tickets email in the SMTP sink.

Both depend on services that may not be part of the platform yet; each scenario says
``available: false`` and why instead of failing the run.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import time
from datetime import datetime
from typing import Any

import aiohttp

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import recipients
from crowdify_bench.load import Addresses, bearer, call, session
from crowdify_bench.platform import Platform
from crowdify_bench.stats import latency_summary

# The names pdf_svc.bench may give its entry point, in the order they are tried.
PDF_ENTRY_POINTS = ("run", "bench", "measure", "figures")
# Tickets in pdf-svc's big order and single-ticket orders: its defaults (500) take minutes here.
PDF_TICKETS = 60


async def pdf_pages(quick: bool = False) -> dict[str, Any]:
    """pdf-svc's own measurement (render alone, render and store) at a size that fits the run."""
    if importlib.util.find_spec("pdf_svc") is None or importlib.util.find_spec("pdf_svc.bench") is None:
        return {"available": False, "why": "pdf_svc.bench does not exist yet"}
    module = importlib.import_module("pdf_svc.bench")
    entry = next((getattr(module, n) for n in PDF_ENTRY_POINTS if callable(getattr(module, n, None))), None)
    if entry is None:
        return {"available": False, "why": f"pdf_svc.bench has none of {', '.join(PDF_ENTRY_POINTS)}"}
    size = 10 if quick else PDF_TICKETS
    parameters = inspect.signature(entry).parameters
    kwargs = {name: size for name in ("tickets", "orders") if name in parameters}
    if inspect.iscoroutinefunction(entry):
        result = await entry(**kwargs)
    else:  # rendering is CPU work in this process; a thread keeps the event loop free meanwhile
        result = await asyncio.to_thread(entry, **kwargs)
    figures = result if isinstance(result, dict) else {"result": result}
    rates = {k: v for k, v in figures.items() if k.endswith("pages_per_s")}
    # The headline: one- to few-ticket orders rendered and stored, what a rush of sales produces.
    headline = next((v for k, v in rates.items() if "single" in k and "store" in k), None)
    return {
        "available": True,
        "entry_point": f"pdf_svc.bench.{entry.__name__}({', '.join(f'{k}={v}' for k, v in kwargs.items())})",
        "pages_per_s": headline if headline is not None else max(rates.values(), default=None),
        **figures,
    }


async def _notification_service_ready(platform: Platform) -> bool:
    services = (await platform.ready()).get("services", {})
    return bool(services.get("notification-svc") == "ready" and services.get("pdf-svc") == "ready")


async def email_latency(platform: Platform, *, orders: int = 20, concurrency: int = 5) -> dict[str, Any]:
    """Buy and pay ``orders`` orders, each for a new buyer address; time from the approval on the
    Mercado Pago emulator to the tickets email's arrival in the sink (the sink's own receive time)."""
    if not await _notification_service_ready(platform):
        return {
            "available": False,
            "why": "notification-svc and pdf-svc are not both in the running platform",
        }
    addresses = Addresses(count=256, offset=50000)
    approved_at: dict[str, float] = {}
    gate = asyncio.Semaphore(concurrency)
    async with (
        platform.http(concurrency + 4, timeout=40) as http,
        session(platform.settings.mp_emulator_url, concurrency + 2) as mp,
        session(platform.settings.mail_api_url, 2) as mail,
    ):
        event_id, type_id = await platform.create_event(http, "email", orders * 2)

        async def buy_and_pay(n: int) -> None:
            email = f"mail{n}.{platform.run_id}@bench.example.com"
            body = {
                "event_id": event_id,
                "buyer": {"name": "Comprador Bench", "email": email},
                "items": [{"ticket_type_id": type_id, "quantity": 1 + n % 2}],
            }
            async with gate:
                token = platform.token("user", f"bench-{platform.run_id}-mail-{n}", email)
                placed = await call(
                    http,
                    "POST",
                    "/api/v1/purchases?wait=10",
                    json=body,
                    headers=bearer(token, addresses.next()),
                )
                if placed.status != 201 or not placed.body.get("payment_link"):
                    raise RuntimeError(f"order not held: {placed.status} {str(placed.body)[:200]}")
                preference = placed.body["payment_link"].split("pref_id=")[1]
                approved_at[email] = time.time()
                paid = await call(
                    mp, "POST", f"/__emulator/preferences/{preference}/pay", json={"status": "approved"}
                )
                if paid.status != 200:
                    raise RuntimeError(f"payment not approved: {paid.status} {str(paid.body)[:200]}")

        await asyncio.gather(*(buy_and_pay(n) for n in range(orders)))

        async def arrived() -> list[dict[str, Any]] | None:
            # The tickets email is the one with the PDF; any other email to the buyer is not timed.
            found = [m for m in await _emails_to(mail, set(approved_at)) if _pdfs(m)]
            return found if {r for m in found for r in recipients(m)} >= set(approved_at) else None

        emails = await wait_until(arrived, within=120, interval=0.25, message="every tickets email arrived")
    latencies, attachments = [], 0
    per_recipient: dict[str, int] = {}
    for message in emails:
        for recipient in recipients(message):
            per_recipient[recipient] = per_recipient.get(recipient, 0) + 1
            received = datetime.fromisoformat(str(message["time"]).replace("Z", "+00:00")).timestamp()
            latencies.append(max(0.0, received - approved_at[recipient]))
        attachments += _pdfs(message)
    return {
        "available": True,
        "orders": orders,
        "emails": len(emails),
        "pdf_attachments": attachments,
        "orders_with_more_than_one_email": sum(1 for n in per_recipient.values() if n > 1),
        "approved_to_email": latency_summary(latencies),
    }


def _pdfs(message: dict[str, Any]) -> int:
    return sum(1 for a in message.get("attachments") or [] if "pdf" in str(a.get("contentType", "")).lower())


async def _emails_to(mail: aiohttp.ClientSession, wanted: set[str]) -> list[dict[str, Any]]:
    listing = await call(mail, "GET", "/email")
    if listing.status != 200 or not isinstance(listing.body, list):
        return []
    return [m for m in listing.body if recipients(m) & wanted]
