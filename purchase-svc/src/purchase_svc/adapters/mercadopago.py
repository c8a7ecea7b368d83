"""Mercado Pago through the official SDK, behind a circuit breaker and retries.

The SDK is synchronous, so every call runs on a worker thread of the client's own pool
(:data:`DEFAULT_CONCURRENT_CALLS` of them, ``MERCADOPAGO_MAX_CONCURRENT_CALLS``). Its transport is the SDK's
documented extension point (``http_client=``); :class:`_PooledHttpClient` replaces the default
one for three reasons. The SDK's own opens a new ``requests.Session``, so a new TCP (and TLS)
connection, for every call; ours keeps connections to Mercado Pago alive in one urllib3 pool
shared by the threads (docs/adr/0017-mercado-pago-off-the-order-lock.md). ``requests`` reads the
environment again on every call; ours reads it once. And the SDK's base URL is hard-wired; ours
sends requests to ``MERCADOPAGO_API_BASE_URL`` (the emulator in development and tests, the real
API in production), with ``MERCADOPAGO_TIMEOUT_SECONDS`` as the timeout.
The SDK retries nothing over ``http://`` and never retries POSTs, so retries are ours:
tenacity, only for calls that are safe to repeat (GETs, and POSTs carrying an idempotency key).
A purgatory circuit breaker stops calling a provider that keeps failing, so a Mercado Pago outage
costs buyers one fast, clear answer instead of a pile of timeouts.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import certifi
import mercadopago
import urllib3
from mercadopago.config import RequestOptions
from mercadopago.config.defaults import DEFAULT_MAX_RETRIES, DEFAULT_RETRY_ON
from mercadopago.errors.exceptions import MPServerError
from mercadopago.http import HttpClient
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from urllib3.util import Retry

log = logging.getLogger(__name__)

MERCADOPAGO_API = "https://api.mercadopago.com"
BREAKER = "mercadopago"
# Calls in flight at once, each on a thread of the client's pool, with a kept-alive connection
# each. A batch of event-svc's decisions (up to 128 orders) has a preference made for every held
# order at once; against the real API (a few hundred ms a call) the batch then takes one call's
# time. With 40 threads, anyio's default until now, an on-sale would have been held to about
# 40 calls per call time: 130-200 held orders/s at 200-300 ms a call.
DEFAULT_CONCURRENT_CALLS = 128
T = TypeVar("T")


class PaymentProviderUnavailable(Exception):
    """Mercado Pago could not be reached or kept failing (5xx, 429, timeouts, open breaker)."""


class PaymentProviderRejected(Exception):
    """Mercado Pago refused the request itself (4xx): retrying will not help."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"Mercado Pago answered {status}")
        self.status = status
        self.body = body


class _PooledHttpClient(HttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    """The SDK's transport on one urllib3 pool manager: kept-alive connections, set up once.

    urllib3's pools are thread-safe, so the worker threads that run the calls share one manager:
    up to ``max_connections`` connections per host stay open between calls. ``requests`` (the SDK's
    own transport) spent about 1 ms of CPU a call here, half of it reading the environment on
    every call (proxies, CA bundle, ``.netrc``); urllib3 alone spends about 0.5 ms. So what that
    environment says is read once, at start: a proxy from ``HTTPS_PROXY``/``HTTP_PROXY`` (and
    ``NO_PROXY``), as ``requests`` would honour it; certificates are checked against certifi's
    bundle, as ``requests`` checks them.
    ``https://`` keeps the SDK's retry policy (its defaults, which this service never changes:
    idempotent requests on 429 and 5xx); ``http://`` has none, as in the SDK. Redirects are not
    followed: Mercado Pago's API answers, it does not redirect.
    """

    def __init__(self, base_url: str, timeout: float, max_connections: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._retries = {
            "https": Retry(total=DEFAULT_MAX_RETRIES, status_forcelist=DEFAULT_RETRY_ON, backoff_factor=0),
            "http": Retry(total=0, read=False, redirect=False),
        }
        ca_bundle = certifi.where()  # the CA bundle requests verifies with
        base = urllib.parse.urlsplit(self.base_url)
        proxy = urllib.request.getproxies().get(base.scheme)
        if proxy and not urllib.request.proxy_bypass(base.hostname or ""):
            self._pool: urllib3.PoolManager = urllib3.ProxyManager(
                proxy, maxsize=max_connections, ca_certs=ca_bundle
            )
        else:
            self._pool = urllib3.PoolManager(maxsize=max_connections, ca_certs=ca_bundle)

    def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        data: str | None = None,
        **_sdk_only: Any,
    ) -> dict[str, Any]:
        # The SDK's per-call retry arguments are its defaults, set above, and its timeout (60 s)
        # gives way to ours.
        target = url.replace(MERCADOPAGO_API, self.base_url, 1)
        if params:
            target += ("&" if "?" in target else "?") + urllib.parse.urlencode(params, doseq=True)
        scheme = "https" if target.startswith("https://") else "http"
        answer = self._pool.request(
            method,
            target,
            body=data.encode("utf-8") if data is not None else None,
            headers=headers,
            timeout=self.timeout,
            retries=self._retries[scheme],
            redirect=False,
        )
        result: dict[str, Any] = {"status": answer.status, "response": None}
        if answer.status != 204 and answer.data:
            try:
                result["response"] = answer.json()
            except ValueError as error:
                raise MPServerError(
                    answer.status,
                    {"message": "Invalid JSON in response body", "error": "invalid_response"},
                ) from error
        return result

    def connections_opened(self) -> int:
        """How many connections the pools have opened so far (a kept-alive one counts once)."""
        pools = self._pool.pools
        # urllib3's pool container refuses plain iteration (not thread-safe); keys() is a locked copy.
        return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118


@dataclass(frozen=True)
class Preference:
    id: str
    init_point: str


class MercadoPagoClient:
    def __init__(
        self,
        *,
        access_token: str,
        base_url: str,
        timeout_seconds: float = 10.0,
        breaker_threshold: int = 5,
        breaker_ttl_seconds: float = 30.0,
        attempts: int = 3,
        max_concurrent_calls: int = DEFAULT_CONCURRENT_CALLS,
    ) -> None:
        self._http = _PooledHttpClient(base_url, timeout_seconds, max_concurrent_calls)
        # The calls' own threads, started as needed. A plain executor's hand-off costs less than
        # anyio's worker threads did (against the emulator, 30 calls at a time: 545-568 µs of this
        # process's CPU per call, against 744-785).
        self._threads = ThreadPoolExecutor(max_concurrent_calls, thread_name_prefix="mercadopago")
        self._sdk = mercadopago.SDK(access_token, http_client=self._http)
        # A 4xx is our request's fault, not the provider's health: it must not open the breaker.
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=breaker_threshold,
            default_ttl=breaker_ttl_seconds,
            exclude=[PaymentProviderRejected],
        )
        self._attempts = attempts

    def connections_opened(self) -> int:
        """How many connections to Mercado Pago this client has opened (kept alive between calls)."""
        return self._http.connections_opened()

    async def _call(self, operation: Callable[[], Any], *, retry: bool) -> Any:
        async def once() -> Any:
            try:
                async with await self._breakers.get_breaker(BREAKER):
                    response = await asyncio.get_running_loop().run_in_executor(self._threads, operation)
            except OpenedState as open_breaker:
                raise PaymentProviderUnavailable("circuit open: Mercado Pago keeps failing") from open_breaker
            except (PaymentProviderRejected, PaymentProviderUnavailable):
                raise
            except Exception as error:  # connection refused, timeout, unreadable body
                raise PaymentProviderUnavailable(repr(error)) from error
            return response

        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts if retry else 1),
            wait=wait_exponential(multiplier=0.2, max=2),
            retry=retry_if_exception_type(PaymentProviderUnavailable),
            reraise=True,
        ):
            with attempt:
                return await once()
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _unwrap(response: dict[str, Any]) -> Any:
        status = int(response.get("status") or 0)
        if status >= 500 or status in (0, 429):
            raise PaymentProviderUnavailable(f"Mercado Pago answered {status}")
        if status >= 400:
            raise PaymentProviderRejected(status, response.get("response"))
        return response.get("response")

    async def create_preference(self, preference: dict[str, Any], *, idempotency_key: str) -> Preference:
        options = RequestOptions(custom_headers={"x-idempotency-key": idempotency_key})

        def create() -> Any:
            # The SDK warns that notification_url is deprecated in favour of the panel's webhook
            # setting; the API still honours it and a per-preference URL is what we need.
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message="notification_url is deprecated", category=DeprecationWarning
                )
                return self._unwrap(self._sdk.preference().create(preference, options))

        body = await self._call(create, retry=True)
        return Preference(id=str(body["id"]), init_point=str(body["init_point"]))

    async def get_payment(self, payment_id: str) -> dict[str, Any]:
        body = await self._call(lambda: self._unwrap(self._sdk.payment().get(payment_id)), retry=True)
        return dict(body)

    async def search_payments(self, external_reference: str) -> list[dict[str, Any]]:
        filters = {"external_reference": external_reference, "sort": "date_created", "criteria": "desc"}
        body = await self._call(lambda: self._unwrap(self._sdk.payment().search(filters)), retry=True)
        return list(body.get("results", []))

    async def refund(self, payment_id: str, *, amount: int | None, idempotency_key: str) -> dict[str, Any]:
        """Full refund when ``amount`` is None. The stable key makes a retried refund the same refund."""
        options = RequestOptions(custom_headers={"x-idempotency-key": idempotency_key})
        body = {"amount": amount} if amount is not None else None

        def refund() -> Any:
            return self._unwrap(self._sdk.refund().create(payment_id, body, options))

        return dict(await self._call(refund, retry=True))
