"""The order's PDF from object storage, by the key pdf-svc announced (claim check: the bytes
never travel on the bus). The minio client is synchronous, so reads run in a worker thread."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import anyio
from minio import Minio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredDocument:
    bucket: str
    key: str
    sha256: str
    size: int


class DocumentUnavailable(Exception):
    """The stored PDF could not be read, or is not the one announced."""


class DocumentStore:
    def __init__(self, client: Minio, *, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.client = client
        # SendGrid refuses messages over 30 MB and base64 adds a third: beyond this, send a link.
        self.max_bytes = max_bytes

    async def read(self, document: StoredDocument) -> bytes:
        if document.size > self.max_bytes:
            raise DocumentUnavailable(f"{document.size} bytes is too big to attach")

        def fetch() -> bytes:
            response = self.client.get_object(document.bucket, document.key)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        try:
            content = await anyio.to_thread.run_sync(fetch)
        except Exception as error:  # S3 errors, connection errors: all mean "not now"
            raise DocumentUnavailable(type(error).__name__) from error
        if hashlib.sha256(content).hexdigest() != document.sha256.lower():
            raise DocumentUnavailable("the stored bytes do not match the announced sha256")
        return content
