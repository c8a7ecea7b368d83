"""Measure what JWT verification at the edge costs, against a trivial upstream, in one run.

    uv run python gateway/bench/edge_auth.py [--duration 6] [--runs 5] [--connections 50]

Needs nginx (with libnginx-mod-http-js for the njs variant) and wrk
(``apt-get install -y nginx libnginx-mod-http-js wrk``). Everything runs on free local ports:
a one-worker FastAPI hello upstream, the gateway's verifier app, the Supabase Auth emulator and
one private nginx per variant, each rendered by crowdify_gateway.render exactly as in production
(access log off in every variant, so logging is not what is measured). Prints a Markdown table:
median requests/s of ``--runs`` interleaved rounds, p50/p99 latency, and the ratio to the plain proxy.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET
from crowdify_gateway.render import nginx_command, write_config
from crowdify_gateway.settings import GatewaySettings
from crowdify_gateway.testing import free_port

HERE = Path(__file__).resolve().parent
PLAIN = "(0) nginx plain proxy"
PLAIN_CONF = """
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;
    access_log off;
    upstream app {{ server 127.0.0.1:{upstream_port}; keepalive 32; keepalive_timeout 60s; }}
    server {{
        listen 127.0.0.1:{port};
        location = /health {{ return 200 'ok'; }}
        location / {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }}
    }}
}}
"""


@dataclass
class Variant:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    script: Path | None = None
    runs: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r[0] for r in self.runs)


def wait_http(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=0.5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(args: list[str], env: dict[str, str], health_url: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args,
        env={**os.environ, **env},  # noqa: TID251 (children inherit PATH and the venv; not a settings read)
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(health_url)
        yield proc
    finally:
        proc.send_signal(signal.SIGQUIT if args[0].endswith("nginx") else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([0-9.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(variant: Variant, threads: int, connections: int, duration: int) -> tuple[float, float, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in variant.headers.items():
        command += ["-H", f"{name}: {value}"]
    if variant.script is not None:
        command += ["-s", str(variant.script)]
    output = subprocess.run([*command, variant.url], capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", output)
    if rps is None or non2xx:
        raise RuntimeError(f"{variant.name}: not every answer was a 2xx; misconfigured?\n{output}")
    return float(rps.group(1)), _latency_ms(output, "50"), _latency_ms(output, "99")


def token_rotation_script(directory: Path, count: int) -> Path:
    """A wrk script that sends ``count`` distinct valid tokens round robin (cache mostly misses)."""
    tokens = [issue_backend_token(DEV_JWT_SECRET, subject=f"bench-{i}", role="user") for i in range(count)]
    (directory / "tokens.txt").write_text("\n".join(tokens) + "\n")
    script = directory / "rotate.lua"
    script.write_text(
        "local tokens = {}\n"
        f'for line in io.lines("{directory / "tokens.txt"}") do tokens[#tokens + 1] = line end\n'
        "local i = math.random(#tokens)\n"
        "request = function()\n"
        "  i = i % #tokens + 1\n"
        '  return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. tokens[i]})\n'
        "end\n"
    )
    return script


def start_variants(stack: ExitStack, work: Path, args: argparse.Namespace) -> list[Variant]:
    python = sys.executable
    upstream_port, verifier_port, supabase_port = free_port(), free_port(), free_port()
    supabase_url = f"http://127.0.0.1:{supabase_port}"
    upstream = [
        python,
        "-m",
        "uvicorn",
        "upstream:app",
        "--app-dir",
        str(HERE),
        "--port",
        str(upstream_port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        "75",
    ]
    stack.enter_context(process(upstream, {}, f"http://127.0.0.1:{upstream_port}/health"))
    emulator_env = {"SUPABASE_URL": supabase_url, "SUPABASE_EMULATOR_STATE_DIR": str(work / "supabase")}
    stack.enter_context(
        process(
            [python, "-m", "supabase_emulator", "--port", str(supabase_port)],
            emulator_env,
            f"{supabase_url}/health",
        )
    )
    common_env = {
        "CROWDIFY_ENV": "development",
        "JWT_SECRET": DEV_JWT_SECRET,
        "SUPABASE_URL": supabase_url,
        "GATEWAY_VERIFIER_PORT": str(verifier_port),
        "GATEWAY_SERVICES": ",".join(
            f"{name}=http://127.0.0.1:{upstream_port}" for name in ("event-svc", "purchase-svc")
        ),
        "LOG_LEVEL": "WARNING",
    }
    stack.enter_context(
        process(
            [python, "-m", "crowdify_gateway.app"], common_env, f"http://127.0.0.1:{verifier_port}/health"
        )
    )

    backend = {"Authorization": "Bearer " + issue_backend_token(DEV_JWT_SECRET, subject="bench", role="user")}
    session = httpx.post(
        f"{supabase_url}/auth/v1/token",
        params={"grant_type": "password"},
        json={"email": "buyer@crowdify.test", "password": "crowdify"},
    ).json()
    supabase = {"Authorization": f"Bearer {session['access_token']}"}
    rotation = token_rotation_script(work, 20000)
    path = "/api/v1/purchases"

    variants = [Variant("upstream direct (no nginx)", f"http://127.0.0.1:{upstream_port}{path}")]
    plain_port = free_port()
    plain = work / "plain"
    plain.mkdir()
    (plain / "nginx.conf").write_text(
        PLAIN_CONF.format(prefix=plain, workers=args.workers, upstream_port=upstream_port, port=plain_port)
    )
    plain_cmd = [
        "nginx",
        "-p",
        f"{plain}/",
        "-c",
        str(plain / "nginx.conf"),
        "-e",
        "stderr",
        "-g",
        "daemon off;",
    ]
    stack.enter_context(process(plain_cmd, {}, f"http://127.0.0.1:{plain_port}/health"))
    variants.append(Variant(PLAIN, f"http://127.0.0.1:{plain_port}{path}"))

    labels = {
        "auth_request": "(a) auth_request, no cache",
        "auth_request_cache": "(b) auth_request + proxy_cache",
        "njs_hs256": "(c) njs js_set HS256",
    }
    modes = ["auth_request", "auth_request_cache"] + ([] if args.skip_njs else ["njs_hs256"])
    for mode in modes:
        port = free_port()
        prefix = work / mode
        values = {
            **common_env,
            "GATEWAY_AUTH_MODE": mode,
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "GATEWAY_ACCESS_LOG": "off",
            "GATEWAY_WORKER_PROCESSES": args.workers,
            "GATEWAY_RUN_DIR": str(prefix),
        }
        settings = GatewaySettings(_env_file=None, **values)
        conf = write_config(settings, prefix)
        command = nginx_command(settings, conf, "-g", "daemon off;")
        stack.enter_context(
            process(command, {"JWT_SECRET": DEV_JWT_SECRET}, f"http://127.0.0.1:{port}/health")
        )
        base, label = f"http://127.0.0.1:{port}", labels[mode]
        if mode == "auth_request":
            variants.append(Variant("edge config, anonymous public GET", f"{base}/api/v1/events"))
        variants.append(Variant(f"{label}, backend HS256 token", f"{base}{path}", backend))
        if mode != "njs_hs256":
            variants.append(Variant(f"{label}, Supabase ES256 token", f"{base}{path}", supabase))
        if mode == "auth_request_cache":
            variants.append(Variant(f"{label}, 20k tokens round robin", f"{base}{path}", script=rotation))
    return variants


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", default="auto", help="nginx worker_processes")
    parser.add_argument("--skip-njs", action="store_true")
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            print(f"{tool} is required: apt-get install -y nginx libnginx-mod-http-js wrk", file=sys.stderr)
            return 2

    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="crowdify-bench-", dir="/tmp"))
        work.chmod(0o755)
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        variants = start_variants(stack, work, args)
        for variant in variants:  # every answer a 2xx; warms keep-alive pools and the JWKS
            wrk(variant, 1, 8, 1)
        load_before = os.getloadavg()
        # Rounds that each run every variant once, in a shuffled order: noise from other work on
        # the machine is spread over all variants instead of landing on whichever ran at the wrong
        # moment, and no variant always follows the same neighbour.
        for number in range(args.runs):
            print(f"round {number + 1}/{args.runs}", file=sys.stderr, flush=True)
            order = list(variants)
            random.Random(number).shuffle(order)
            for variant in order:
                variant.runs.append(wrk(variant, args.threads, args.connections, args.duration))
                print(f"  {variant.name}: {variant.runs[-1][0]:,.0f} req/s", file=sys.stderr, flush=True)
        load_after = os.getloadavg()

    baseline = next(v for v in variants if v.name == PLAIN).median
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, median of {args.runs} interleaved "
        f"rounds; {os.cpu_count()} CPUs shared by wrk, nginx (worker_processes {args.workers}) and one "
        f"uvicorn worker per app; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print("| variant | req/s (median) | runs | p50 ms | p99 ms | vs plain proxy |")
    print("|---|---:|---|---:|---:|---:|")
    for v in variants:
        runs = " / ".join(f"{r[0]:,.0f}" for r in v.runs)
        p50 = statistics.median(r[1] for r in v.runs)
        p99 = statistics.median(r[2] for r in v.runs)
        print(f"| {v.name} | {v.median:,.0f} | {runs} | {p50:.2f} | {p99:.2f} | {v.median / baseline:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
