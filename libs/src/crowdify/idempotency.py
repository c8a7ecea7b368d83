"""``Idempotency-Key`` for writes that create things (docs/api.md, "Conventions").

Same key and same body: the first answer is replayed (with ``Idempotent-Replayed: true``).
Same key, different body: ``409 idempotency_key_reused``. Same key while the first request is
still being processed: ``409 idempotency_key_in_flight``. Keys are scoped to the verified caller
and kept 24 hours in Redis. Server errors (5xx) are not stored, so the client may retry them.

The caller is identified by verifying the bearer token here, never by reading it unverified:
otherwise a forged token naming another user could replay that user's answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowdify.asgi import header
from crowdify.errors import DEPENDENCY_DOWN, problem_body

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
TTL_SECONDS = 24 * 3600
IN_FLIGHT_SECONDS = 60  # a crashed request frees its key after this long
MAX_KEY_LENGTH = 255
# Answers about the caller's credentials or pace, not about the request: a retry must be judged
# afresh, not replayed.
NOT_REPLAYED = frozenset({401, 403, 408, 429})


class IdempotencyMiddleware:
    """Pure-ASGI middleware applying ``Idempotency-Key`` to POSTs on the given path prefixes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        redis: Redis,
        service: str,
        path_prefixes: Iterable[str],
        ttl_seconds: int = TTL_SECONDS,
    ) -> None:
        self.app = app
        self.redis = redis
        self.service = service
        self.prefixes = tuple(path_prefixes)
        self.ttl_seconds = ttl_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await self._problem(send, 422, "validation_error", "Idempotency-Key must be 1-255 characters")
            return
        body, receive = await _read_body(receive)
        caller = await self._caller(scope)
        if caller is None:
            # No verified caller, nothing to scope a replay to: the route answers (401) as usual.
            await self.app(scope, receive, send)
            return
        storage_key = ":".join(
            ["idempotency", self.service, caller, scope["path"], hashlib.sha256(key.encode()).hexdigest()]
        )
        fingerprint = _fingerprint(body)
        try:
            claimed = await self.redis.set(
                storage_key,
                json.dumps({"state": "in_flight", "fingerprint": fingerprint}),
                nx=True,
                ex=IN_FLIGHT_SECONDS,
            )
            if not claimed:
                await self._answer_existing(storage_key, fingerprint, send)
                return
        except RedisError as error:
            # Without the key's record the request cannot be made safe to retry: it is not run,
            # and the client tries again shortly with the same key.
            log.warning("idempotency store unavailable", extra={"error": type(error).__name__})
            await self._problem(
                send,
                503,
                "service_unavailable",
                DEPENDENCY_DOWN,
                retry_after=1,
            )
            return
        await self._run_and_store(scope, receive, send, storage_key, fingerprint)

    async def _caller(self, scope: Scope) -> str | None:
        authorization = header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        verifier = getattr(scope["app"].state, "token_verifier", None)
        if scheme.lower() != "bearer" or not token or verifier is None:
            return None
        try:
            principal = await verifier.verify(token)
        except Exception:
            return None
        return f"{principal.token_kind}:{principal.user_id}"

    async def _answer_existing(self, storage_key: str, fingerprint: str, send: Send) -> None:
        raw = await self.redis.get(storage_key)
        if raw is None:  # expired between SET NX and GET: treat as in flight, the client retries
            await self._problem(
                send, 409, "idempotency_key_in_flight", "This request is still being processed"
            )
            return
        record = json.loads(raw)
        if record["fingerprint"] != fingerprint:
            await self._problem(
                send, 409, "idempotency_key_reused", "This Idempotency-Key was used with a different body"
            )
        elif record["state"] == "in_flight":
            await self._problem(
                send, 409, "idempotency_key_in_flight", "This request is still being processed"
            )
        else:
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record["headers"]]
            headers.append((b"idempotent-replayed", b"true"))
            await send({"type": "http.response.start", "status": record["status"], "headers": headers})
            await send({"type": "http.response.body", "body": base64.b64decode(record["body"])})

    async def _run_and_store(
        self, scope: Scope, receive: Receive, send: Send, storage_key: str, fingerprint: str
    ) -> None:
        status = 500
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-request-id", b"x-correlation-id", b"date", b"server")
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self._forget(storage_key)
            raise
        if status >= 500 or status in NOT_REPLAYED:
            await self._forget(storage_key)
            return
        record: dict[str, Any] = {
            "state": "done",
            "fingerprint": fingerprint,
            "status": status,
            "headers": headers,
            "body": base64.b64encode(b"".join(chunks)).decode(),
        }
        try:
            await self.redis.set(storage_key, json.dumps(record), ex=self.ttl_seconds)
        except RedisError as error:
            # The answer has gone out. A retry within IN_FLIGHT_SECONDS is told the key is in
            # flight (409); after that it runs again: an order finds the order this request placed
            # (its id is derived from the key), other routes do their work again.
            log.warning("could not store an idempotent answer", extra={"error": type(error).__name__})

    async def _forget(self, storage_key: str) -> None:
        """Free the key for a retry; if Redis cannot be told, the in-flight record expires."""
        try:
            await self.redis.delete(storage_key)
        except RedisError as error:
            log.warning("could not free an idempotency key", extra={"error": type(error).__name__})

    async def _problem(
        self, send: Send, status: int, code: str, detail: str, *, retry_after: int | None = None
    ) -> None:
        body = json.dumps(problem_body(status, code, detail)).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _fingerprint(body: bytes) -> str:
    """The same JSON document gives the same fingerprint, whatever its spacing or key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body and give the app a ``receive`` that replays it."""
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
