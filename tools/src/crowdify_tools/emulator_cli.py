"""The command line every emulator shares: ``python -m <emulator> [--host H] [--port P]
[--access-log]``.

No access line per request by default, as the services' uvicorn writes none: in an on-sale the
Mercado Pago emulator's lines were 44% of what ``make start``'s log relay carried, a cost the
benchmark counts as the platform's. ``--access-log`` turns them back on for a debugging session."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Protocol, TypeVar

import uvicorn
from fastapi import FastAPI


class ListenSettings(Protocol):
    host: str
    port: int


S = TypeVar("S", bound=ListenSettings)


def serve(
    prog: str,
    description: str | None,
    settings: S,
    create_app: Callable[[S], FastAPI],
    argv: list[str] | None = None,
) -> None:
    """Parse ``--host``/``--port`` (defaults from the emulator's settings) and run its app."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--access-log", action="store_true", help="log a line per request")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_level="info", access_log=args.access_log
    )
