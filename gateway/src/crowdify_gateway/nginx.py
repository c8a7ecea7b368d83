"""Render the configuration, then become nginx in the foreground (for the Procfile).

    python -m crowdify_gateway.nginx

The process *is* nginx after ``exec``: SIGTERM from honcho or a container runtime reaches the
master directly, which stops its workers and removes its pid file (SIGQUIT drains in-flight
requests first). Logs, pid and temp files stay under ``GATEWAY_RUN_DIR``.
"""

from __future__ import annotations

import os
import shutil
import sys

from crowdify_gateway.render import RenderError, check_config, nginx_command, write_config
from crowdify_gateway.settings import GatewaySettings


def main() -> int:
    settings = GatewaySettings()
    if shutil.which(settings.nginx_bin) is None:
        print(
            f"crowdify_gateway.nginx: {settings.nginx_bin!r} not found "
            "(apt-get install -y nginx libnginx-mod-http-js)",
            file=sys.stderr,
        )
        return 127
    try:
        conf = write_config(settings, settings.run_dir)
        check_config(settings, conf)
    except RenderError as exc:
        print(f"crowdify_gateway.nginx: {exc}", file=sys.stderr)
        return 2
    command = nginx_command(settings, conf, "-g", "daemon off;")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    raise SystemExit(main())
