"""Run the emulator over real HTTP inside a test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from supabase_emulator.app import create_app
from supabase_emulator.settings import EmulatorSettings


@contextmanager
def running_emulator(state_dir: Path, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve a fresh emulator on a free local port; yields its base URL (also its SUPABASE_URL).

    uvicorn runs in a thread with its own event loop, so tests may use any loop they like.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = EmulatorSettings(supabase_url=base_url, state_dir=state_dir, key_file=None)
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Supabase emulator did not start")
            time.sleep(0.01)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        sock.close()
