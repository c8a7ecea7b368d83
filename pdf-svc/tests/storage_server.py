"""An S3-compatible server of a test's own (``moto_server``), to stop and start at will."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from crowdify.storage import ObjectStorageSettings, ensure_bucket
from crowdify.testing import free_port, wait_until


class StorageServer:
    def __init__(self, bucket: str) -> None:
        self.port = free_port()
        self.bucket = bucket
        self.process: asyncio.subprocess.Process | None = None

    @property
    def settings(self) -> ObjectStorageSettings:
        return ObjectStorageSettings(endpoint=f"127.0.0.1:{self.port}", bucket=self.bucket)

    async def start(self) -> None:
        """Start the server and create the bucket (it keeps objects in memory only)."""
        executable = Path(sys.executable).with_name("moto_server")
        self.process = await asyncio.create_subprocess_exec(
            str(executable),
            *("-H", "127.0.0.1", "-p", str(self.port)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

        async def answering() -> bool:
            try:
                async with httpx.AsyncClient(timeout=1) as http:
                    await http.get(f"http://127.0.0.1:{self.port}/")
            except httpx.HTTPError:
                return False
            return True

        await wait_until(answering, within=30, interval=0.1, message=f"moto_server on :{self.port}")
        await asyncio.to_thread(ensure_bucket, self.settings, self.bucket)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), timeout=10)
        self.process = None
