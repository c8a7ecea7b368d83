"""Gateway settings: which services exist, where nginx listens, how the edge verifies tokens.

The set of backend services is configuration (``GATEWAY_SERVICES``), so services that arrive later
are switched on by an environment variable, not by editing nginx files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from crowdify.settings import DEVICE_AUDIENCE, ServiceSettings

DEFAULT_SERVICES = ",".join(
    [
        "event-svc=http://127.0.0.1:8101",
        "purchase-svc=http://127.0.0.1:8102",
        "validation-svc=http://127.0.0.1:8103",
        "notification-svc=http://127.0.0.1:8104",
        "pdf-svc=http://127.0.0.1:9002",
        "admin-svc=http://127.0.0.1:8105",
    ]
)

AuthMode = Literal["auth_request", "auth_request_cache", "njs_hs256"]

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_RATE = re.compile(r"^[1-9][0-9]*r/[sm]$")
_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")
_DURATION = re.compile(r"^[0-9]+(ms|s|m)?$")


@dataclass(frozen=True)
class Service:
    """One backend service: its name (``event-svc``) and where it listens."""

    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def upstream(self) -> str:
        """The nginx upstream block name for this service."""
        return "svc_" + self.name.replace("-", "_")


def parse_services(spec: str) -> tuple[Service, ...]:
    """Parse ``name=http://host:port,name=http://host:port`` (blank entries ignored)."""
    services: list[Service] = []
    seen: set[str] = set()
    for raw in spec.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, url = entry.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not _SERVICE_NAME.match(name):
            raise ValueError(f"GATEWAY_SERVICES entry {entry!r} must look like name=http://host:port")
        if name in seen:
            raise ValueError(f"GATEWAY_SERVICES names {name!r} twice")
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/") or parts.query:
            raise ValueError(f"GATEWAY_SERVICES url for {name!r} must be http://host:port, got {url!r}")
        host = parts.hostname
        if ":" in host:  # IPv6 literal: nginx wants it bracketed
            host = f"[{host}]"
        services.append(Service(name=name, host=host, port=parts.port or 80))
        seen.add(name)
    return tuple(services)


class GatewaySettings(ServiceSettings):
    """Everything the renderer, the launcher and the verifier app read."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    service_name: str = "gateway"

    # Where nginx listens; "host:port" or a bare port.
    listen: str = Field(default="127.0.0.1:8000", alias="GATEWAY_LISTEN")
    services_spec: str = Field(default=DEFAULT_SERVICES, alias="GATEWAY_SERVICES")

    # The verifier / readiness aggregator app (auth_request target, /ready, /docs).
    verifier_host: str = Field(default="127.0.0.1", alias="GATEWAY_VERIFIER_HOST")
    verifier_port: int = Field(default=8010, alias="GATEWAY_VERIFIER_PORT")

    auth_mode: AuthMode = Field(default="auth_request_cache", alias="GATEWAY_AUTH_MODE")
    # Upper bound for caching an "allow" verdict; the verifier also never exceeds the token's exp.
    auth_cache_seconds: int = Field(default=30, ge=0, le=300, alias="GATEWAY_AUTH_CACHE_SECONDS")
    # How long a "deny" verdict for one exact token is cached (stops replays of one bad token).
    auth_deny_cache_seconds: int = Field(default=5, ge=0, le=60, alias="GATEWAY_AUTH_DENY_CACHE_SECONDS")

    run_dir: Path = Field(default=Path(".run/gateway"), alias="GATEWAY_RUN_DIR")
    nginx_bin: str = Field(default="nginx", alias="NGINX_BIN")
    # Path of ngx_http_js_module.so; empty: detect it (only the njs_hs256 mode needs it).
    njs_module: str = Field(default="", alias="NGINX_JS_MODULE")
    # "stdout" (launcher under a Procfile), "" (<run_dir>/logs/access.log), "off" or a path.
    access_log: str = Field(default="", alias="GATEWAY_ACCESS_LOG")

    # Worker user when the master runs as root; empty: the owner of GATEWAY_RUN_DIR, so workers
    # can always reach the private prefix (auth cache, temp files).
    nginx_user: str = Field(default="", alias="GATEWAY_NGINX_USER")
    worker_processes: str = Field(default="auto", alias="GATEWAY_WORKER_PROCESSES")
    worker_connections: int = Field(default=1024, ge=64, alias="GATEWAY_WORKER_CONNECTIONS")
    client_max_body_size: str = Field(default="1m", alias="GATEWAY_CLIENT_MAX_BODY_SIZE")
    proxy_connect_timeout: str = Field(default="3s", alias="GATEWAY_PROXY_CONNECT_TIMEOUT")
    # POST /api/v1/purchases may wait up to 10 s by contract; leave room above that.
    proxy_read_timeout: str = Field(default="30s", alias="GATEWAY_PROXY_READ_TIMEOUT")
    proxy_send_timeout: str = Field(default="30s", alias="GATEWAY_PROXY_SEND_TIMEOUT")
    # Idle keep-alive connections each nginx worker keeps per service. Sized to the door: a burst
    # of scans from a venue's 256 devices needs that many connections to validation-api at once,
    # and with fewer nginx opens a fresh one per excess request and closes it after (measured at
    # 32: about a hundred new connections a second at 1,000-1,500 scans/s offered, each a
    # handshake and a protocol set-up in the service; at 256 none; docs/performance.md).
    upstream_keepalive: int = Field(default=256, ge=0, alias="GATEWAY_UPSTREAM_KEEPALIVE")
    # Keep below uvicorn's --timeout-keep-alive (services run with 75), or nginx reuses
    # connections the service already closed.
    upstream_keepalive_timeout: int = Field(default=60, ge=1, alias="GATEWAY_UPSTREAM_KEEPALIVE_TIMEOUT")

    # limit_req (docs/security.md): orders per verified buyer (the token's sub) and per address;
    # the door's scan and sync per device token only (a venue's devices share one address);
    # scanner tokens per credential and per address.
    rate_purchase: str = Field(default="2r/s", alias="GATEWAY_RATE_PURCHASE")
    burst_purchase: int = Field(default=5, ge=0, alias="GATEWAY_BURST_PURCHASE")
    # Orders per client address: a flood guard, not a per-person limit. A mobile carrier puts
    # thousands of subscribers behind one address (CGNAT), and at an on-sale hundreds of them
    # may be buying in the same second.
    rate_purchase_address: str = Field(default="300r/s", alias="GATEWAY_RATE_PURCHASE_ADDRESS")
    burst_purchase_address: int = Field(default=600, ge=0, alias="GATEWAY_BURST_PURCHASE_ADDRESS")
    rate_scan: str = Field(default="20r/s", alias="GATEWAY_RATE_SCAN")
    burst_scan: int = Field(default=40, ge=0, alias="GATEWAY_BURST_SCAN")
    rate_webhook: str = Field(default="50r/s", alias="GATEWAY_RATE_WEBHOOK")
    burst_webhook: int = Field(default=100, ge=0, alias="GATEWAY_BURST_WEBHOOK")
    rate_token: str = Field(default="1r/s", alias="GATEWAY_RATE_TOKEN")
    burst_token: int = Field(default=5, ge=0, alias="GATEWAY_BURST_TOKEN")
    # Per client address on scanner-token issuing and on Supabase sign-in (login-like endpoints).
    rate_address: str = Field(default="30r/s", alias="GATEWAY_RATE_ADDRESS")
    burst_address: int = Field(default=60, ge=0, alias="GATEWAY_BURST_ADDRESS")

    # CIDRs of load balancers whose X-Forwarded-For is believed (realip); empty: none.
    trusted_proxies: str = Field(default="", alias="GATEWAY_TRUSTED_PROXIES")
    # Extra request headers passed to services, beyond the built-in allow-list (comma-separated).
    forward_headers_extra: str = Field(default="", alias="GATEWAY_FORWARD_HEADERS")

    # The built web front (web/dist: `make up` builds it): /scanner/, /console/, the shop at /
    # and /assets/. A missing directory only makes those paths 404.
    web_root: Path = Field(default=Path("web/dist"), alias="GATEWAY_WEB_ROOT")
    # The Supabase project's public (anon) key, sent as `apikey` on the sign-in calls the edge
    # passes to SUPABASE_URL's /auth/v1/ (a hosted project asks for it; the emulator does not).
    supabase_anon_key: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$", alias="SUPABASE_ANON_KEY")

    ready_timeout_seconds: float = Field(default=1.0, gt=0, le=10, alias="GATEWAY_READY_TIMEOUT_SECONDS")

    @field_validator(
        "rate_purchase", "rate_purchase_address", "rate_scan", "rate_webhook", "rate_token", "rate_address"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        if not _RATE.match(value):
            raise ValueError(f"rate {value!r} must look like 10r/s or 30r/m")
        return value

    @field_validator("client_max_body_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _SIZE.match(value):
            raise ValueError(f"size {value!r} must look like 1m or 512k")
        return value

    @field_validator("proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError(f"duration {value!r} must look like 30s or 500ms")
        return value

    @field_validator("services_spec")
    @classmethod
    def _services(cls, value: str) -> str:
        parse_services(value)
        return value

    @property
    def services(self) -> tuple[Service, ...]:
        return parse_services(self.services_spec)

    @property
    def accepted_token_audiences(self) -> tuple[str, ...]:
        """The edge passes door-device tokens on; validation-svc alone accepts them, and every
        other service refuses them (401 wrong_audience)."""
        return (DEVICE_AUDIENCE,)

    @property
    def verifier_url(self) -> str:
        return f"http://{self.verifier_host}:{self.verifier_port}"
