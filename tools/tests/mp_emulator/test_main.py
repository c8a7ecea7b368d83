"""``python -m mp_emulator --port N`` serves the emulator, configured from the environment."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def test_python_dash_m_serves_on_the_given_port(tmp_path, monkeypatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("MERCADOPAGO_API_BASE_URL", base)  # inherited by the child
    process = subprocess.Popen(
        [sys.executable, "-m", "mp_emulator", "--port", str(port)],
        cwd=tmp_path,  # no .env there: the environment alone configures it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.05)
        answer = httpx.post(
            f"{base}/checkout/preferences",
            headers={"Authorization": "Bearer TEST"},
            json={"items": [{"title": "Entrada", "quantity": 1, "unit_price": 5000}]},
        )
        assert answer.status_code == 201
        assert answer.json()["init_point"].startswith(f"{base}/checkout/v1/redirect?pref_id=")
    finally:
        process.terminate()
        process.wait(timeout=10)
