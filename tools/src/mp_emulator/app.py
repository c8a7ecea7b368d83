"""The emulator's HTTP app: the Mercado Pago API (``api.py``), the checkout page behind
``init_point`` (``checkout.py``) and the ``/__emulator/`` knobs (``controls.py``). Always JSON,
except the checkout pages, which a browser opens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mp_emulator.api import api_router
from mp_emulator.checkout import checkout_router
from mp_emulator.controls import controls_router
from mp_emulator.emulator import Emulator
from mp_emulator.errors import install_handlers
from mp_emulator.settings import EmulatorSettings


def create_app(settings: EmulatorSettings | None = None) -> FastAPI:
    emu = Emulator(settings or EmulatorSettings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await emu.notifier.aclose()  # pending deliveries die with the process, as they would anyway

    app = FastAPI(
        title="Mercado Pago emulator",
        docs_url="/__emulator/docs",
        openapi_url="/__emulator/openapi.json",
        lifespan=lifespan,
    )
    app.state.emulator = emu
    install_handlers(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api_router(emu))
    app.include_router(checkout_router(emu))
    app.include_router(controls_router(emu))
    return app
