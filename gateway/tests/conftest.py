"""A real private nginx in front of a header-echoing upstream, the real verifier app and the
Supabase Auth emulator, all on free local ports."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from crowdify.settings import DEV_JWT_SECRET, DEV_SUPABASE_JWT_SECRET
from crowdify.testing.server import free_port, serving
from crowdify_gateway.app import create_app
from crowdify_gateway.settings import GatewaySettings
from crowdify_gateway.testing import nginx_available, running_nginx

ALLOWED_ORIGIN = "https://app.crowdify.test"
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class EchoUpstream:
    """Stands in for every service: answers with what it received and remembers it by request id."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, Any]] = {}
        self.ready = True

    def app(self) -> Starlette:
        async def ready(request: Request) -> Response:
            return JSONResponse(
                {"status": "ready" if self.ready else "not_ready"}, 200 if self.ready else 503
            )

        async def echo(request: Request) -> Response:
            body = (await request.body()).decode("utf-8", "replace")
            record = {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": body,
            }
            self.seen[request.headers.get("x-request-id", "")] = record
            return JSONResponse(record, headers={"X-Request-ID": "upstream-must-not-win"})

        async def redirect(request: Request) -> Response:
            # What Starlette's redirect_slashes answers: an absolute URL from the request's Host.
            return RedirectResponse(f"{request.base_url}api/v1/events")

        return Starlette(
            routes=[
                Route("/ready", ready),
                Route("/api/v1/events/redirect-me", redirect),
                Route("/{path:path}", echo, methods=HTTP_METHODS),
            ]
        )


def make_prefix() -> Path:
    # Not under pytest's 0700 tmp root: nginx workers may run as another user.
    path = Path(tempfile.mkdtemp(prefix="crowdify-gateway-test-", dir="/tmp"))
    path.chmod(0o755)
    return path


def make_settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "CROWDIFY_ENV": "test",
        "JWT_SECRET": DEV_JWT_SECRET,
        "SUPABASE_JWT_SECRET": DEV_SUPABASE_JWT_SECRET,
        "CORS_ORIGINS": f"{ALLOWED_ORIGIN},http://localhost:5173",
        "GATEWAY_AUTH_MODE": "auth_request_cache",
        "GATEWAY_WORKER_PROCESSES": "1",
        "GATEWAY_RATE_PURCHASE": "2r/s",
        "GATEWAY_BURST_PURCHASE": 3,
        "GATEWAY_CLIENT_MAX_BODY_SIZE": "16k",
        "GATEWAY_ACCESS_LOG": "",
        "GC_FREEZE_AFTER_STARTUP": False,  # an app per test (crowdify.heap)
    }
    values.update(overrides)
    return GatewaySettings(_env_file=None, **values)  # type: ignore[call-arg]


WEB_FILES = {
    "index.html": "<!doctype html><title>Tienda</title>",
    "console/index.html": "<!doctype html><title>Consola</title>",
    "scanner/index.html": "<!doctype html><title>Escáner</title>",
    "scanner/sw.js": "self.addEventListener('fetch', () => {});",
    "scanner/manifest.webmanifest": '{"name": "Escáner"}',
    "assets/scanner-AbC123.js": "console.log('scanner');",
    "assets/zxing_reader-XyZ789.wasm": "\0asm",
}


def make_web_build(root: Path) -> Path:
    """A small stand-in for web/dist, laid out as `npm run build` lays it out."""
    for name, content in WEB_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


class Edge:
    """Everything a test needs to know about the running edge."""

    def __init__(
        self,
        url: str,
        upstream: EchoUpstream,
        settings: GatewaySettings,
        prefix: Path,
        supabase_url: str,
        flaky_port: int,
    ) -> None:
        self.url = url
        self.upstream = upstream
        self.settings = settings
        self.prefix = prefix
        self.supabase_url = supabase_url
        self.flaky_port = flaky_port


@pytest.fixture
def gateway_settings() -> Any:
    """``gateway_settings(**ENV_NAME=value)`` -> GatewaySettings with test defaults."""
    return make_settings


@pytest.fixture
def nginx_prefix() -> Iterator[Any]:
    """``nginx_prefix()`` -> a fresh private nginx prefix, removed after the test."""
    made: list[Path] = []

    def factory() -> Path:
        made.append(make_prefix())
        return made[-1]

    yield factory
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def supabase_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from supabase_emulator.testing import running_emulator

    with running_emulator(tmp_path_factory.mktemp("supabase")) as url:
        yield url


@pytest.fixture(scope="session")
def upstream() -> Iterator[tuple[EchoUpstream, str]]:
    echo = EchoUpstream()
    with serving(echo.app(), lifespan="off") as url:
        yield echo, url


@pytest.fixture(scope="session")
def edge(upstream: tuple[EchoUpstream, str], supabase_url: str) -> Iterator[Edge]:
    echo, echo_url = upstream
    verifier_port, listen_port, flaky_port = free_port(), free_port(), free_port()
    if not nginx_available():
        pytest.skip("nginx is not installed (apt-get install -y nginx libnginx-mod-http-js)")
    prefix = make_prefix()
    web_root = make_web_build(prefix / "web")
    services = ",".join(
        [
            f"event-svc={echo_url}",
            f"purchase-svc={echo_url}",
            f"validation-svc={echo_url}",
            # pdf-svc is configured but nothing listens there (until a test starts it);
            # notification-svc is not configured at all.
            f"pdf-svc=http://127.0.0.1:{flaky_port}",
        ]
    )
    settings = make_settings(
        GATEWAY_LISTEN=f"127.0.0.1:{listen_port}",
        GATEWAY_VERIFIER_PORT=verifier_port,
        GATEWAY_SERVICES=services,
        GATEWAY_RUN_DIR=str(prefix),
        GATEWAY_WEB_ROOT=str(web_root),
        SUPABASE_URL=supabase_url,
    )
    try:
        with serving(create_app(settings), port=verifier_port), running_nginx(settings, prefix) as url:
            yield Edge(url, echo, settings, prefix, supabase_url, flaky_port)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(scope="session")
async def client(edge: Edge) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge.url, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
async def supabase(supabase_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=supabase_url, timeout=10) as http:
        yield http
