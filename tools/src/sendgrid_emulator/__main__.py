"""``python -m sendgrid_emulator [--host 127.0.0.1] [--port 8400]``."""

from __future__ import annotations

import argparse

import uvicorn

from sendgrid_emulator.app import create_app
from sendgrid_emulator.settings import EmulatorSettings


def main(argv: list[str] | None = None) -> None:
    settings = EmulatorSettings()
    parser = argparse.ArgumentParser(prog="python -m sendgrid_emulator", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
