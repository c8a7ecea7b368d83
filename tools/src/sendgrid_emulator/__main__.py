"""``python -m sendgrid_emulator [--host 127.0.0.1] [--port 8400]``."""

from __future__ import annotations

from crowdify_tools.emulator_cli import serve
from sendgrid_emulator.app import create_app
from sendgrid_emulator.settings import EmulatorSettings


def main(argv: list[str] | None = None) -> None:
    serve("sendgrid_emulator", __doc__, EmulatorSettings(), create_app, argv)


if __name__ == "__main__":
    main()
