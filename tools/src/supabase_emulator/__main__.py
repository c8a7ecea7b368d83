"""``python -m supabase_emulator [--host 127.0.0.1] [--port 8300]``."""

from __future__ import annotations

import argparse

import uvicorn

from supabase_emulator.app import create_app
from supabase_emulator.settings import EmulatorSettings


def main(argv: list[str] | None = None) -> None:
    settings = EmulatorSettings()
    parser = argparse.ArgumentParser(prog="python -m supabase_emulator", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    # Tokens name SUPABASE_URL as their issuer: keep it pointing at this host and port.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
