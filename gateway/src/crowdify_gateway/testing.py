"""Run the real edge inside a test process: nginx as a private child (the apps behind it run in
uvicorn threads with :func:`crowdify.testing.server.serving`).

Used by gateway/tests and the benchmark; tests-e2e may use :func:`running_nginx` too.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from crowdify_gateway.render import nginx_command, write_config
from crowdify_gateway.settings import GatewaySettings

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The edge's error body: problem+json with the status, a code, a title, a detail and the
    request id of the response."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def nginx_available(binary: str = "nginx") -> bool:
    return shutil.which(binary) is not None


@contextmanager
def running_nginx(settings: GatewaySettings, prefix: Path, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Render into ``prefix``, start nginx in the foreground, wait for /health; yields its base URL.

    On exit nginx gets SIGQUIT (graceful), then SIGKILL if it lingers.
    """
    conf = write_config(settings, prefix)
    process = subprocess.Popen(
        nginx_command(settings, conf, "-g", "daemon off;"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    listen = settings.listen.rsplit(":", 1)
    host = listen[0] if len(listen) == 2 and listen[0] not in ("", "0.0.0.0", "*") else "127.0.0.1"
    base_url = f"http://{host}:{listen[-1]}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"nginx exited with {process.returncode}: {output.strip()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not answer on {base_url}")
            time.sleep(0.02)
        yield base_url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()
