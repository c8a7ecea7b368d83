"""What JWT verification at the edge costs, against a trivial upstream, in one run (ADR 0005).

    uv run python -m crowdify_bench.edge [--duration 6] [--runs 5] [--connections 50]

Needs nginx (with libnginx-mod-http-js for the njs variant) and wrk
(``apt-get install -y nginx libnginx-mod-http-js wrk``); without wrk the same requests are sent
by the bench's own aiohttp generator, which spends more CPU per request (fine for a smoke run,
not for figures). Everything runs on free local ports: a one-worker FastAPI hello upstream, the
gateway's verifier app, the Supabase Auth emulator and one private nginx per variant, each
rendered by crowdify_gateway.render exactly as in production (access log off in every variant,
so logging is not what is measured). The plain nginx proxy in front of the bare upstream is also
the run's "nginx proxying to a bare uvicorn endpoint" baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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
from typing import Any

import httpx

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET
from crowdify.testing.server import free_port
from crowdify_bench.load import session
from crowdify_bench.stats import percentile
from crowdify_gateway.render import nginx_command, write_config
from crowdify_gateway.settings import GatewaySettings

PLAIN = "(0) nginx plain proxy"
DEPLOYED = "(b) auth_request + proxy_cache, backend HS256 token"
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
    tokens: list[str] = field(default_factory=list)  # sent round robin instead of one token
    script: Path | None = None
    runs: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r[0] for r in self.runs)


def wait_http(url: str, timeout: float = 60.0) -> None:
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


def wrk(variant: Variant, threads: int, connections: int, duration: float) -> tuple[float, float, float]:
    """``(requests/s, p50 ms, p99 ms)``; every answer must be a 2xx or the run is refused."""
    if shutil.which("wrk") is None:
        return asyncio.run(_python_load(variant, connections, duration))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
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


async def _python_load(variant: Variant, connections: int, duration: float) -> tuple[float, float, float]:
    """The same measurement without wrk: ``connections`` clients in a loop for ``duration``."""
    latencies: list[float] = []
    refused: list[int] = []
    tokens = itertools.cycle(variant.tokens) if variant.tokens else None
    async with session(None, connections) as http:
        deadline = time.perf_counter() + duration

        async def client() -> None:
            while (started := time.perf_counter()) < deadline:
                headers = dict(variant.headers)
                if tokens is not None:
                    headers["Authorization"] = f"Bearer {next(tokens)}"
                async with http.get(variant.url, headers=headers) as response:
                    await response.read()
                    if response.status >= 300:
                        refused.append(response.status)
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    if refused:
        raise RuntimeError(f"{variant.name}: {len(refused)} answers were not 2xx (first {refused[0]})")
    return len(latencies) / elapsed, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000


def token_rotation(directory: Path, count: int) -> tuple[list[str], Path]:
    """``count`` distinct valid tokens, and a wrk script that sends them round robin (the verdict
    cache mostly misses)."""
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
    return tokens, script


def start_variants(
    stack: ExitStack, work: Path, workers: str, skip_njs: bool, rotation: int
) -> list[Variant]:
    python = sys.executable
    upstream_port, verifier_port, supabase_port = free_port(), free_port(), free_port()
    supabase_url = f"http://127.0.0.1:{supabase_port}"
    upstream = [python, "-m", "uvicorn", "crowdify_bench.upstream:app", "--port", str(upstream_port)]
    upstream += ["--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "75"]
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
    session_body = httpx.post(
        f"{supabase_url}/auth/v1/token",
        params={"grant_type": "password"},
        json={"email": "buyer@crowdify.test", "password": "crowdify"},
    ).json()
    supabase = {"Authorization": f"Bearer {session_body['access_token']}"}
    tokens, script = token_rotation(work, rotation)
    path = "/api/v1/purchases"

    variants = [Variant("upstream direct (no nginx)", f"http://127.0.0.1:{upstream_port}{path}")]
    plain_port = free_port()
    plain = work / "plain"
    plain.mkdir()
    (plain / "nginx.conf").write_text(
        PLAIN_CONF.format(prefix=plain, workers=workers, upstream_port=upstream_port, port=plain_port)
    )
    plain_cmd = ["nginx", "-p", f"{plain}/", "-c", str(plain / "nginx.conf"), "-e", "stderr"]
    plain_cmd += ["-g", "daemon off;"]
    stack.enter_context(process(plain_cmd, {}, f"http://127.0.0.1:{plain_port}/health"))
    variants.append(Variant(PLAIN, f"http://127.0.0.1:{plain_port}{path}"))

    labels = {
        "auth_request": "(a) auth_request, no cache",
        "auth_request_cache": "(b) auth_request + proxy_cache",
        "njs_hs256": "(c) njs js_set HS256",
    }
    modes = ["auth_request", "auth_request_cache"] + ([] if skip_njs else ["njs_hs256"])
    for mode in modes:
        port = free_port()
        prefix = work / mode
        values: dict[str, Any] = {
            **common_env,
            "GATEWAY_AUTH_MODE": mode,
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "GATEWAY_ACCESS_LOG": "off",
            "GATEWAY_WORKER_PROCESSES": workers,
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
            name = f"{label}, {rotation} tokens round robin"
            variants.append(Variant(name, f"{base}{path}", tokens=tokens, script=script))
    return variants


def run_edge(
    *,
    duration: float = 4,
    runs: int = 3,
    threads: int = 2,
    connections: int = 50,
    workers: str = "auto",
    skip_njs: bool = False,
    rotation: int = 20000,
    log: bool = True,
    only: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Every variant (or those named in ``only``; the plain proxy and the deployed mode always) in
    ``runs`` shuffled rounds; figures are medians, ratios to the plain proxy."""
    if shutil.which("nginx") is None:
        raise RuntimeError("nginx is required: apt-get install -y nginx libnginx-mod-http-js")
    if not skip_njs and not Path("/usr/lib/nginx/modules/ngx_http_js_module.so").exists():
        skip_njs = True
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="crowdify-bench-", dir="/tmp"))
        work.chmod(0o755)
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        variants = start_variants(stack, work, workers, skip_njs, rotation)
        if only:
            variants = [v for v in variants if v.name in (PLAIN, DEPLOYED, *only)]
        for variant in variants:  # every answer a 2xx; warms keep-alive pools and the JWKS
            wrk(variant, 1, 8, 1)
        load_before = os.getloadavg()
        # Rounds that each run every variant once, in a shuffled order: noise from other work on
        # the machine is spread over all variants instead of landing on whichever ran at the wrong
        # moment, and no variant always follows the same neighbour.
        for number in range(runs):
            if log:
                print(f"  edge round {number + 1}/{runs}", file=sys.stderr, flush=True)
            order = list(variants)
            random.Random(number).shuffle(order)
            for variant in order:
                variant.runs.append(wrk(variant, threads, connections, duration))
        load_after = os.getloadavg()

    plain = next(v for v in variants if v.name == PLAIN).median
    deployed = next(v for v in variants if v.name == DEPLOYED).median
    return {
        "load_generator": "wrk" if shutil.which("wrk") else "aiohttp (wrk not installed)",
        "method": f"-t{threads} -c{connections} {duration}s per run, median of {runs} shuffled rounds",
        "nginx_workers": workers,
        "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
        "plain_proxy_rps": round(plain),
        "deployed_mode_rps": round(deployed),
        # The share of plain proxying's throughput that verification takes in the deployed mode.
        "jwt_cost_vs_plain": round(1 - deployed / plain, 3),
        "variants": [
            {
                "name": v.name,
                "rps": round(v.median),
                "runs": [round(r[0]) for r in v.runs],
                "p50_ms": round(statistics.median(r[1] for r in v.runs), 2),
                "p99_ms": round(statistics.median(r[2] for r in v.runs), 2),
                "vs_plain": round(v.median / plain, 2),
            }
            for v in variants
        ],
    }


def markdown(figures: dict[str, Any]) -> str:
    lines = [
        f"{figures['load_generator']} {figures['method']}; {os.cpu_count()} CPUs shared by the load "
        f"generator, nginx (worker_processes {figures['nginx_workers']}) and one uvicorn worker per app; "
        f"load average {figures['load_average'][0]} before, {figures['load_average'][1]} after",
        "",
        "| variant | req/s (median) | runs | p50 ms | p99 ms | vs plain proxy |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for v in figures["variants"]:
        runs = " / ".join(f"{r:,}" for r in v["runs"])
        latency = f"{v['p50_ms']:.2f} | {v['p99_ms']:.2f}"
        lines.append(f"| {v['name']} | {v['rps']:,} | {runs} | {latency} | {v['vs_plain']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=6, help="seconds per load run")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", default="auto", help="nginx worker_processes")
    parser.add_argument("--skip-njs", action="store_true")
    args = parser.parse_args(argv)
    figures = run_edge(
        duration=args.duration,
        runs=args.runs,
        threads=args.threads,
        connections=args.connections,
        workers=args.workers,
        skip_njs=args.skip_njs,
    )
    print("\n" + markdown(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
