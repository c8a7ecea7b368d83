"""Ticket documents in S3-compatible object storage, through the ``minio`` client.

Every call runs in a worker thread (the client is synchronous) behind a purgatory circuit
breaker: while storage keeps failing, calls fail at once instead of each waiting for its
timeout, so the consumer hands the message to its retry tiers quickly and the API answers 503
without tying up a connection. The client gets short timeouts and at most one quick retry: the
retry tiers are the real retry policy, and a message must never sit in a handler for minutes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import anyio
import urllib3
from minio.error import MinioException, S3Error
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from crowdify.storage import ObjectStorageSettings
from pdf_svc.settings import PdfSettings

log = logging.getLogger(__name__)

BREAKER = "object-storage"
PDF = "application/pdf"
CHUNK = 64 * 1024
T = TypeVar("T")


class StorageUnavailable(Exception):
    """Object storage could not be reached, failed, or the breaker is open: try again later."""


class DocumentMissing(Exception):
    """The object is not in the bucket (storage itself answered)."""


@dataclass(frozen=True)
class StoredObject:
    size: int
    chunks: AsyncIterator[bytes]


class DocumentStore:
    def __init__(
        self,
        settings: ObjectStorageSettings,
        *,
        timeout_seconds: float = 5.0,
        concurrency: int = 8,
        breaker_threshold: int = 5,
        breaker_ttl_seconds: float = 10.0,
        bucket: str | None = None,
    ) -> None:
        self.bucket = bucket or settings.bucket
        self._client = settings.client(timeout_seconds=timeout_seconds, max_connections=concurrency)
        self._concurrency = concurrency
        # A missing object is an answer, not an outage: it must not open the breaker.
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=breaker_threshold, default_ttl=breaker_ttl_seconds, exclude=[DocumentMissing]
        )

    async def _call(self, operation: Callable[[], T]) -> T:
        try:
            async with await self._breakers.get_breaker(BREAKER):
                try:
                    return await anyio.to_thread.run_sync(operation)
                except S3Error as error:
                    if error.code in ("NoSuchKey", "NoSuchObject"):
                        raise DocumentMissing(str(error.object_name)) from error
                    raise StorageUnavailable(f"object storage answered {error.code}") from error
                except (MinioException, urllib3.exceptions.HTTPError, OSError) as error:
                    raise StorageUnavailable(f"object storage failed: {error!r}") from error
        except OpenedState as open_breaker:
            raise StorageUnavailable("circuit open: object storage keeps failing") from open_breaker

    async def put(self, key: str, data: bytes, sha256: str) -> None:
        def upload() -> None:
            self._client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=PDF, metadata={"sha256": sha256}
            )

        await self._call(upload)

    async def put_many(self, objects: Sequence[tuple[str, bytes, str]]) -> None:
        """Store ``(key, data, sha256)`` objects, a few at a time; the first failure cancels the
        rest and is raised (what was already written stays: the same keys get the same bytes
        when the message is retried)."""
        limiter = anyio.CapacityLimiter(self._concurrency)

        async def one(key: str, data: bytes, sha256: str) -> None:
            async with limiter:
                await self.put(key, data, sha256)

        try:
            async with anyio.create_task_group() as group:
                for key, data, sha256 in objects:
                    group.start_soon(one, key, data, sha256)
        except BaseExceptionGroup as group_error:
            # Surface the cause itself (StorageUnavailable...), not the group wrapping it.
            raise group_error.exceptions[0] from None

    async def open(self, key: str) -> StoredObject:
        """The object's size and its bytes as they arrive; iterate the chunks to the end (or
        close them) so the connection goes back to the pool."""
        response = await self._call(lambda: self._client.get_object(self.bucket, key))
        size = int(response.headers.get("Content-Length") or 0)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await anyio.to_thread.run_sync(response.read, CHUNK):
                    yield chunk
            finally:
                response.close()
                response.release_conn()

        return StoredObject(size=size, chunks=chunks())

    async def read(self, key: str) -> bytes:
        stored = await self.open(key)
        return b"".join([chunk async for chunk in stored.chunks])


def document_store(settings: PdfSettings) -> DocumentStore:
    """The store as the service's settings describe it."""
    return DocumentStore(
        settings.storage,
        timeout_seconds=settings.storage_timeout_seconds,
        concurrency=settings.storage_concurrency,
        breaker_threshold=settings.storage_breaker_threshold,
        breaker_ttl_seconds=settings.storage_breaker_ttl_seconds,
    )
