"""``python -m mp_emulator [--host 127.0.0.1] [--port 8200]``."""

from __future__ import annotations

from crowdify_tools.emulator_cli import serve
from mp_emulator.app import create_app
from mp_emulator.settings import EmulatorSettings


def main(argv: list[str] | None = None) -> None:
    # init_point links are built from MERCADOPAGO_API_BASE_URL: keep it pointing at this host and port.
    serve("mp_emulator", __doc__, EmulatorSettings(), create_app, argv)


if __name__ == "__main__":
    main()
