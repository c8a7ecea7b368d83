"""``python -m supabase_emulator [--host 127.0.0.1] [--port 8300]``."""

from __future__ import annotations

from crowdify_tools.emulator_cli import serve
from supabase_emulator.app import create_app
from supabase_emulator.settings import EmulatorSettings


def main(argv: list[str] | None = None) -> None:
    # Tokens name SUPABASE_URL as their issuer: keep it pointing at this host and port.
    serve("supabase_emulator", __doc__, EmulatorSettings(), create_app, argv)


if __name__ == "__main__":
    main()
