"""Serve an ASGI app over real HTTP inside a test process: uvicorn in a thread of its own.

    with serving(create_app(settings)) as base_url:
        ...
    with serving_built(lambda base_url: create_app(EmulatorSettings(api_base_url=base_url))) as url:
        ...

The server runs its own event loop in its thread, so the caller may block (a synchronous SDK) or
run any loop it likes; the port is free and bound before the app is built, so an app may embed its
own URL. Emulators, the gateway's tests, the benchmark and the services' tests all use this one.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn

Lifespan = Literal["auto", "on", "off"]


# Below the kernel's range for outgoing connections (net.ipv4.ip_local_port_range, 32768-60999 by
# default). A port bind(0) hands out comes from that range, and the kernel may give it a moment
# later to another process's outgoing connection: the server then told to listen there fails with
# "address already in use" (seen once as the fault tests started their platform's workers).
TEST_PORTS = range(20000, 32000)


def free_port() -> int:
    """A TCP port nobody uses at the moment (for servers that must be told their port), outside
    the range the kernel draws outgoing connections' ports from."""
    for _ in range(200):
        port = random.choice(TEST_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free TCP port in {TEST_PORTS.start}-{TEST_PORTS.stop - 1}")


@contextmanager
def serving_built(
    build: Callable[[str], Any],
    *,
    port: int | None = None,
    lifespan: Lifespan = "on",
    startup_timeout: float = 10.0,
    **config: Any,
) -> Iterator[str]:
    """Serve ``build(base_url)`` on 127.0.0.1 (``port`` or a free one); yields the base URL.

    ``config`` are further ``uvicorn.Config`` options. Keep-alive outlasts nginx's upstream
    keep-alive (60 s) so the edge never reuses a connection the app is closing.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    options = {"log_level": "warning", "timeout_keep_alive": 75, **config}
    server = uvicorn.Server(uvicorn.Config(build(base_url), lifespan=lifespan, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the app on {base_url} did not start")
            time.sleep(0.01)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        sock.close()


@contextmanager
def serving(
    app: Any,
    *,
    port: int | None = None,
    lifespan: Lifespan = "on",
    startup_timeout: float = 10.0,
    **config: Any,
) -> Iterator[str]:
    """Serve an ASGI app already built; see :func:`serving_built`."""
    with serving_built(
        lambda _url: app, port=port, lifespan=lifespan, startup_timeout=startup_timeout, **config
    ) as base_url:
        yield base_url
