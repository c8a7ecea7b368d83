"""The Mercado Pago adapter against the emulator, through the official SDK."""

from __future__ import annotations

import json
import socketserver
import threading
import time
import uuid
from collections.abc import Iterator

import anyio
import httpx
import pytest

from mp_emulator.testing import running_emulator
from purchase_svc.adapters.mercadopago import (
    MercadoPagoClient,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
)


@pytest.fixture(scope="module")
def emulator_url():
    with running_emulator(retry_schedule=[]) as url:
        yield url


def client(url: str, **kwargs) -> MercadoPagoClient:
    return MercadoPagoClient(access_token="TEST-token", base_url=url, timeout_seconds=5, **kwargs)


def preference(order_id: str, amount: int = 15000) -> dict:
    return {
        "items": [
            {
                "id": "GA",
                "title": "Entrada General",
                "quantity": 2,
                "currency_id": "CLP",
                "unit_price": amount,
            }
        ],
        "external_reference": order_id,
        "binary_mode": True,
    }


async def test_preference_payment_search_and_refund(emulator_url):
    mp = client(emulator_url)
    order_id = str(uuid.uuid4())
    pref = await mp.create_preference(preference(order_id), idempotency_key=f"pref-{order_id}")
    assert pref.init_point == f"{emulator_url}/checkout/v1/redirect?pref_id={pref.id}"

    async with httpx.AsyncClient(base_url=emulator_url) as http:
        paid = await http.post(f"/__emulator/preferences/{pref.id}/pay", json={"status": "approved"})
    payment_id = str(paid.json()["payment_id"])

    payment = await mp.get_payment(payment_id)
    assert (payment["status"], payment["external_reference"], payment["transaction_amount"]) == (
        "approved",
        order_id,
        30000,
    )
    assert [str(p["id"]) for p in await mp.search_payments(order_id)] == [payment_id]

    first = await mp.refund(payment_id, amount=15000, idempotency_key=f"refund-{order_id}-1")
    again = await mp.refund(payment_id, amount=15000, idempotency_key=f"refund-{order_id}-1")
    assert first["id"] == again["id"]  # a retried refund is the same refund
    assert (await mp.get_payment(payment_id))["transaction_amount_refunded"] == 15000


async def test_a_bad_request_is_rejected_not_retried(emulator_url):
    mp = client(emulator_url)
    with pytest.raises(PaymentProviderRejected) as rejected:
        await mp.create_preference(preference(str(uuid.uuid4()), amount=-5), idempotency_key="bad")
    assert rejected.value.status == 400


async def test_an_outage_opens_the_breaker():
    with running_emulator(retry_schedule=[]) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            await http.post("/__emulator/outage", json={"enabled": True, "status": 503})
        mp = client(url, breaker_threshold=2, breaker_ttl_seconds=60, attempts=1)
        for _ in range(2):
            with pytest.raises(PaymentProviderUnavailable, match="503"):
                await mp.get_payment("1")
        with pytest.raises(PaymentProviderUnavailable, match="circuit open"):
            await mp.get_payment("1")


async def test_an_unreachable_provider_is_unavailable():
    mp = client("http://127.0.0.1:9", attempts=2)
    with pytest.raises(PaymentProviderUnavailable):
        await mp.get_payment("1")


async def test_calls_share_kept_alive_connections(emulator_url):
    """One connection serves calls one after another; concurrent calls each get one from the pool,
    which then serves later calls too (the SDK alone opens a connection per call)."""
    mp = client(emulator_url)
    order_id = str(uuid.uuid4())
    await mp.create_preference(preference(order_id), idempotency_key=f"pref-{order_id}")
    for _ in range(5):
        await mp.search_payments(order_id)
    assert mp.connections_opened() == 1

    async def search() -> None:
        await mp.search_payments(order_id)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(search)
    opened = mp.connections_opened()
    assert 1 <= opened <= 4
    for _ in range(5):
        await mp.search_payments(order_id)
    assert mp.connections_opened() == opened


async def test_the_configured_timeout_bounds_a_slow_provider():
    with running_emulator(retry_schedule=[]) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            await http.post("/__emulator/outage", json={"enabled": False, "latency_seconds": 5})
        mp = MercadoPagoClient(access_token="TEST-token", base_url=url, timeout_seconds=0.5, attempts=1)
        started = time.monotonic()
        with pytest.raises(PaymentProviderUnavailable, match="Timeout"):
            await mp.get_payment("1")
        assert time.monotonic() - started < 3


@pytest.mark.parametrize(("max_concurrent_calls", "in_flight"), [(4, 4), (None, 12)])
async def test_calls_in_flight_at_once_are_bounded_by_the_setting(max_concurrent_calls, in_flight):
    """Against a provider that takes its time, as the real API does, a batch's calls are all in
    flight at once up to the setting (one thread and one kept-alive connection each); beyond it
    they wait for a thread. The default leaves room for a whole batch of held orders."""
    with running_emulator(retry_schedule=[]) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            await http.post("/__emulator/outage", json={"enabled": False, "latency_seconds": 0.3})
        bound = {} if max_concurrent_calls is None else {"max_concurrent_calls": max_concurrent_calls}
        mp = client(url, **bound)

        async def create() -> None:
            order_id = str(uuid.uuid4())
            await mp.create_preference(preference(order_id), idempotency_key=f"pref-{order_id}")

        async with anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(create)
        assert mp.connections_opened() == in_flight


class _RecordingProxy(socketserver.StreamRequestHandler):
    """A forward proxy that answers every request itself and remembers its request line."""

    lines: list[str] = []

    def handle(self) -> None:
        self.lines.append(self.rfile.readline().decode("latin-1").strip())
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        body = json.dumps({"id": 1, "status": "approved"}).encode()
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )


@pytest.fixture
def recording_proxy() -> Iterator[tuple[str, list[str]]]:
    lines: list[str] = []
    handler = type("Handler", (_RecordingProxy,), {"lines": lines})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}", lines
        server.shutdown()


async def test_a_proxy_in_the_environment_is_used_unless_no_proxy_names_the_host(
    emulator_url, recording_proxy, monkeypatch
):
    """What ``requests`` would honour per call is read once, when the client is made."""
    proxy_url, lines = recording_proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = client(emulator_url)
    assert (await proxied.get_payment("1"))["status"] == "approved"
    assert lines == [f"GET {emulator_url}/v1/payments/1 HTTP/1.1"]  # absolute form: sent to a proxy

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = client(emulator_url)
    monkeypatch.delenv("HTTP_PROXY")
    with pytest.raises(PaymentProviderRejected) as rejected:  # the emulator knows no payment 1
        await direct.get_payment("1")
    assert rejected.value.status == 404
    assert len(lines) == 1
