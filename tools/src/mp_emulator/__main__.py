"""``python -m mp_emulator [--host 127.0.0.1] [--port 8200]``."""

from __future__ import annotations

import argparse

import uvicorn

from mp_emulator.app import create_app
from mp_emulator.settings import EmulatorSettings


def main(argv: list[str] | None = None) -> None:
    settings = EmulatorSettings()
    parser = argparse.ArgumentParser(prog="python -m mp_emulator", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    # init_point links are built from MERCADOPAGO_API_BASE_URL: keep it pointing at this host and port.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
