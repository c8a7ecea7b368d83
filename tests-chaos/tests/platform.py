"""A whole Crowdify platform of the fault tests' own, started process by process from the Procfile.

Everything a developer runs with ``make start`` runs here too, the same commands, but on free ports,
in a database, RabbitMQ virtual host, bucket and SMTP sink of its own, so killing and restarting
its processes disturbs nothing else on the machine. The harness starts each process itself
(instead of honcho, which stops every process when one dies) because the tests kill single
processes with SIGKILL and start them again.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from crowdify.db.provision import SERVICE_SCHEMAS
from crowdify.storage import ObjectStorageSettings, ensure_bucket
from crowdify.testing import free_port, wait_until
from crowdify.testing.mail_sink import MailSinkClient

REPO = Path(__file__).resolve().parents[2]
PROCFILE = REPO / "Procfile"
MAIL_SINK = REPO / "tools/mail-sink/node_modules/.bin/maildev"
PORT_FLAG = re.compile(r"--port (\d+)")
# ${NAME} and ${NAME:-default} in a Procfile command, which honcho's shell expands.
SHELL_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
# Procfile entries that stand in for third parties: the faults are not theirs to suffer.
EMULATORS = {"supabase-emulator", "mp-emulator"}


def _expand(arg: str, env: dict[str, str]) -> str:
    return SHELL_VARIABLE.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", arg)


def read_procfile(path: Path = PROCFILE) -> dict[str, str]:
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@dataclass
class Process:
    name: str
    argv: list[str]
    health_url: str | None
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def is_ours(self) -> bool:
        """One of Crowdify's own processes: a service's API or worker, or the edge."""
        return self.name not in EMULATORS

    def start(self, env: dict[str, str]) -> None:
        log = self.log_path.open("ab")
        # A session of its own: SIGKILL reaches the process, and nothing else, and the test
        # run's Ctrl-C does not.
        self.popen = subprocess.Popen(
            self.argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def kill(self) -> None:
        """``kill -9``: no clean shutdown, messages in hand are neither acked nor finished."""
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


@dataclass
class MailSink:
    """An SMTP sink of the platform's own, so the tests can take it down and bring it back."""

    smtp_port: int
    web_port: int
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _spawn(self) -> None:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [
                str(MAIL_SINK),
                "--ip",
                "127.0.0.1",
                "--smtp",
                str(self.smtp_port),
                "--web",
                str(self.web_port),
                # Kept on disk and read back at start: taking the server down must not lose mail.
                "--mail-directory",
                str(self.log_path.parent / "mail"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    async def start(self) -> None:
        self._spawn()
        async with MailSinkClient(self.api, timeout=2) as client:
            await client.wait_until_answering(within=30)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=10)

    async def messages(self) -> list[dict[str, Any]]:
        async with MailSinkClient(self.api) as client:
            return await client.messages()


@dataclass
class ChaosPlatform:
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    processes: dict[str, Process] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # Procfile port (and the gateway's, verifier's and emulators' usual ports) -> this run's port.
    ports: dict[int, int] = field(default_factory=dict)
    # Service role (event_svc) -> its worker's metrics port, which is also the worker's health probe.
    worker_ports: dict[str, int] = field(default_factory=dict)
    mail: MailSink | None = None

    @property
    def run_dir(self) -> Path:
        return REPO / ".run" / f"chaos-{self.run_id}"

    @property
    def database(self) -> str:
        return f"crowdify_chaos_{self.run_id}"

    @property
    def vhost(self) -> str:
        return f"crowdify-chaos-{self.run_id}"

    @property
    def bucket(self) -> str:
        return f"crowdify-chaos-{self.run_id}"

    def url(self, original_port: int) -> str:
        return f"http://127.0.0.1:{self.ports[original_port]}"

    @property
    def gateway_url(self) -> str:
        return self.url(8000)

    def _remap(self, command: str) -> str:
        return PORT_FLAG.sub(lambda m: f"--port {self.ports[int(m.group(1))]}", command)

    def _environment(self, procfile: dict[str, str]) -> dict[str, str]:
        # The processes get this test run's environment (PATH, HOME, what CI set) plus the overrides
        # below; this is the one place the harness passes the environment on, not reads settings.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}  # noqa: TID251
        assert self.mail is not None
        env.update(
            CROWDIFY_ENV="development",
            AMQP_URL=f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}",
            AMQP_QUEUE_TYPE="quorum",
            MINIO_BUCKET=self.bucket,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(self.mail.smtp_port),
            GATEWAY_LISTEN=f"127.0.0.1:{self.ports[8000]}",
            GATEWAY_VERIFIER_PORT=str(self.ports[8010]),
            GATEWAY_RUN_DIR=str(self.run_dir / "gateway"),
            GATEWAY_ACCESS_LOG="off",
            SUPABASE_EMULATOR_STATE_DIR=str(self.run_dir / "supabase"),
            SUPABASE_URL=self.url(8300),
            MERCADOPAGO_API_BASE_URL=self.url(8200),
            PURCHASE_SVC_PUBLIC_BASE_URL=self.gateway_url,
            NOTIFICATION_SVC_PUBLIC_BASE_URL=self.gateway_url,
            # Webhooks refused while purchase-svc is down come again soon (Mercado Pago's own
            # schedule is minutes apart), and so do emails that failed (production: 30 s doubling,
            # and a 5-minute lease on an email whose sender died).
            MP_EMULATOR_RETRY_SCHEDULE="1,2,3,5,8,13,21",
            NOTIFICATION_SVC_RETRY_BASE_SECONDS="2",
            NOTIFICATION_SVC_RETRY_MAX_SECONDS="10",
            NOTIFICATION_SVC_SEND_LEASE_SECONDS="30",
            NOTIFICATION_SVC_BREAKER_TTL_SECONDS="5",
            # Ten processes share this machine's max_connections (100) with whatever else runs.
            DB_POOL_SIZE="4",
            # The load comes from one address and a few hundred users in a minute: the limits
            # that protect production are not what these tests are about.
            GATEWAY_RATE_PURCHASE="5000r/s",
            GATEWAY_BURST_PURCHASE="5000",
            GATEWAY_RATE_ADDRESS="5000r/s",
            GATEWAY_BURST_ADDRESS="5000",
            GATEWAY_RATE_WEBHOOK="5000r/s",
            GATEWAY_BURST_WEBHOOK="5000",
            GATEWAY_RATE_SCAN="5000r/s",
            GATEWAY_BURST_SCAN="5000",
        )
        services = ",".join(
            f"{svc.service}=http://127.0.0.1:{self.ports[port]}"
            for svc in SERVICE_SCHEMAS
            for name, command in procfile.items()
            if name == f"{svc.service.removesuffix('-svc')}-api" and (port := _port_of(command))
        )
        env["GATEWAY_SERVICES"] = services
        for svc in SERVICE_SCHEMAS:
            prefix = svc.role.upper()
            env[f"{prefix}_DATABASE_URL"] = f"postgresql+asyncpg://{svc.role}@127.0.0.1:5432/{self.database}"
            env[f"{prefix}_WORKER_METRICS_HOST"] = "127.0.0.1"
            env[f"{prefix}_WORKER_METRICS_PORT"] = str(self.worker_ports[svc.role])
        return env

    async def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        procfile = read_procfile()
        for original in (8000, 8010, 8200, 8300):
            self.ports[original] = free_port()
        self.worker_ports = {svc.role: free_port() for svc in SERVICE_SCHEMAS}
        for command in procfile.values():
            if (port := _port_of(command)) is not None:
                self.ports.setdefault(port, free_port())

        run("rabbitmqctl", "-q", "add_vhost", self.vhost)
        run("rabbitmqctl", "-q", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        run(str(REPO / ".venv/bin/python"), "-m", "crowdify_tools.migrate", "--database", self.database)
        ensure_bucket(ObjectStorageSettings(), self.bucket)
        self.mail = MailSink(free_port(), free_port(), self.run_dir / "mail-sink.log")
        await self.mail.start()
        self.env = self._environment(procfile)

        for name, command in procfile.items():
            argv = [_expand(arg, self.env) for arg in shlex.split(self._remap(command))]
            self.processes[name] = Process(
                name, argv, self._health_url(name, command), self.run_dir / f"{name}.log"
            )
        for process in self.processes.values():
            process.start(self.env)
        await self.wait_ready()

    def _health_url(self, name: str, command: str) -> str | None:
        if name == "gateway":
            return f"{self.gateway_url}/ready"
        if (port := _port_of(command)) is not None:
            return f"{self.url(port)}/health"
        if name.endswith("-worker"):
            role = name.removesuffix("-worker") + "_svc"
            return f"http://127.0.0.1:{self.worker_ports[role]}/metrics"
        return None

    async def wait_healthy(self, process: Process, within: float = 60) -> None:
        if process.health_url is None:
            return
        url = process.health_url

        async def answers() -> bool:
            assert process.popen is not None
            if process.popen.poll() is not None:
                tail = process.log_path.read_text()[-3000:]
                raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{tail}")
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(url)).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(answers, within=within, interval=0.2, message=f"{process.name} answers on {url}")

    async def wait_ready(self) -> None:
        await asyncio.gather(*(self.wait_healthy(p) for p in self.processes.values()))

    async def kill_and_restart(self, name: str, down_for: float) -> None:
        process = self.processes[name]
        process.kill()
        await asyncio.sleep(down_for)  # the outage itself: traffic keeps coming meanwhile
        process.start(self.env)
        process.restarts += 1
        await self.wait_healthy(process)

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        if self.mail is not None:
            self.mail.stop()

    def drop_resources(self) -> None:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], check=False, capture_output=True)
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            ],
            check=False,
            capture_output=True,
        )


def _port_of(command: str) -> int | None:
    match = PORT_FLAG.search(command)
    return int(match.group(1)) if match else None
