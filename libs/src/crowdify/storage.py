"""S3-compatible object storage: one settings class for every process that reads or writes it.

pdf-svc writes ticket documents; notification-svc reads them (by the key carried in
``pdf.tickets.rendered.v1``) to attach them to emails; the setup creates the bucket. MinIO
in compose and production, a local S3-compatible server for ``make up`` and the tests.
"""

from __future__ import annotations

import certifi
import urllib3
from minio import Minio
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_MINIO_SECRET_KEY = "minio12345"


class ObjectStorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # host:port, no scheme (the minio client's form).
    endpoint: str = Field(default="localhost:9000", alias="MINIO_ENDPOINT")
    access_key: str = Field(default="minio", alias="MINIO_ACCESS_KEY")
    secret_key: SecretStr = Field(default=SecretStr(DEV_MINIO_SECRET_KEY), alias="MINIO_SECRET_KEY")
    bucket: str = Field(default="crowdify-tickets", alias="MINIO_BUCKET")
    secure: bool = Field(default=False, alias="MINIO_SECURE")
    region: str = Field(default="us-east-1", alias="MINIO_REGION")

    def client(self, *, timeout_seconds: float = 5.0, max_connections: int = 8) -> Minio:
        """A client that gives up quickly: minio's own default (5 retries, 5-minute reads) would hold
        a worker for minutes during an outage that retry tiers and breakers handle better."""
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
            maxsize=max_connections,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            retries=urllib3.Retry(total=1, backoff_factor=0.1, status_forcelist=(500, 502, 503, 504)),
        )
        # The region is fixed so the client never asks the server for a bucket's location
        # before signing (one request less, and presigned URLs need no network at all).
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key.get_secret_value(),
            secure=self.secure,
            region=self.region,
            http_client=http,
        )


def ensure_bucket(settings: ObjectStorageSettings, bucket: str | None = None) -> bool:
    """Create the bucket if it is missing; True when it was created."""
    client = settings.client()
    name = bucket or settings.bucket
    if client.bucket_exists(name):
        return False
    client.make_bucket(name)
    return True
