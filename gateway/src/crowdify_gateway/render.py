"""Render the edge's nginx.conf from settings.

    python -m crowdify_gateway.render --out .run/gateway [--check]

writes ``<out>/nginx.conf`` (absolute paths; pid, temp dirs, logs and the auth cache all under
``<out>``), so nginx runs as a private instance: ``nginx -p <out>/ -c <out>/nginx.conf``.
Nothing under /etc/nginx is read or written.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from crowdify.errors import PROBLEM_TYPE_BASE
from crowdify_gateway.limits import after_auth_lines, after_auth_location, entry_limit_lines
from crowdify_gateway.routes import ROUTES
from crowdify_gateway.settings import GatewaySettings, Service

NJS_MODULE_CANDIDATES = (
    "/usr/lib/nginx/modules/ngx_http_js_module.so",
    "/usr/lib64/nginx/modules/ngx_http_js_module.so",
    "/usr/local/lib/nginx/modules/ngx_http_js_module.so",
    "/etc/nginx/modules/ngx_http_js_module.so",
    "/usr/local/nginx/modules/ngx_http_js_module.so",
)
NJS_SCRIPT = "crowdify_auth.js"
TEMPLATE = "nginx.conf.tmpl"

# Request headers a service may see from the client. Everything else is dropped at the edge, so
# identity headers an outsider could set (X-User-*, X-Auth-*, Remote-User...) never get through.
FORWARDED_HEADERS = (
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Authorization",
    "Cache-Control",
    "Content-Encoding",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Origin",
    "Prefer",
    "Range",
    "User-Agent",
    "X-Correlation-ID",
    "X-Signature",  # Mercado Pago webhook signature
    "traceparent",
    "tracestate",
)
# Names the edge owns; GATEWAY_FORWARD_HEADERS may not let a client set them.
_RESERVED_HEADER = re.compile(
    r"^(x-user-|x-auth-|x-forwarded-|x-real-ip$|x-request-id$|host$|connection$|remote-user$|"
    r"content-length$|transfer-encoding$|upgrade$|te$|keep-alive$|x-accel-)",
    re.IGNORECASE,
)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_LISTEN = re.compile(r"^(([0-9.]+|\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?[0-9]{1,5}$")
_CIDR = re.compile(r"^[0-9a-fA-F.:]+(/[0-9]{1,3})?$")


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str


PROBLEMS: dict[int, Problem] = {
    400: Problem("bad_request", "The request could not be read"),
    401: Problem("unauthorized", "Missing or invalid bearer token"),
    403: Problem("forbidden", "This request is not allowed"),
    404: Problem("not_found", "No such resource"),
    405: Problem("method_not_allowed", "This method is not allowed here"),
    408: Problem("request_timeout", "The request took too long to arrive"),
    413: Problem("payload_too_large", "The request body is too large"),
    414: Problem("uri_too_long", "The request URI is too long"),
    429: Problem("rate_limited", "Too many requests; slow down and retry shortly"),
    500: Problem("internal_error", "The gateway could not complete the request"),
    502: Problem("bad_gateway", "The service behind this route did not answer"),
    503: Problem("service_unavailable", "The service behind this route is not available"),
    504: Problem("gateway_timeout", "The service behind this route took too long to answer"),
}


class RenderError(ValueError):
    """Settings that cannot become a working nginx configuration."""


def template_dir() -> Path:
    """gateway/nginx in a checkout; crowdify_gateway/nginx inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "nginx", here.parents[1] / "nginx"):
        if (candidate / TEMPLATE).is_file():
            return candidate
    raise RenderError(f"cannot find {TEMPLATE} next to {here}")


def find_njs_module(configured: str) -> Path:
    candidates = (configured,) if configured else NJS_MODULE_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RenderError(
        "njs module not found (install libnginx-mod-http-js, or set NGINX_JS_MODULE); "
        f"looked in {', '.join(candidates)}"
    )


def _indent(lines: Sequence[str], spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else "" for line in lines)


def _http_variable(header: str) -> str:
    return "$http_" + header.lower().replace("-", "_")


def forwarded_headers(settings: GatewaySettings) -> list[str]:
    extra = [h.strip() for h in settings.forward_headers_extra.split(",") if h.strip()]
    for header in extra:
        if not _HEADER_NAME.match(header) or _RESERVED_HEADER.match(header):
            raise RenderError(f"GATEWAY_FORWARD_HEADERS may not include {header!r}")
    seen: set[str] = set()
    headers: list[str] = []
    for header in (*FORWARDED_HEADERS, *extra):
        if header.lower() not in seen:
            seen.add(header.lower())
            headers.append(header)
    return headers


def _common_headers() -> list[str]:
    """Response headers on every answer, errors included (hence ``always``)."""
    return [
        "add_header X-Request-ID $crowdify_request_id always;",
        "add_header Access-Control-Allow-Origin $crowdify_cors_origin always;",
        "add_header Access-Control-Allow-Credentials $crowdify_cors_credentials always;",
        "add_header Access-Control-Expose-Headers $crowdify_cors_expose always;",
        "add_header Access-Control-Allow-Methods $crowdify_cors_methods always;",
        "add_header Access-Control-Allow-Headers $crowdify_cors_headers always;",
        "add_header Access-Control-Max-Age $crowdify_cors_max_age always;",
        "add_header Vary Origin always;",
        "add_header X-Content-Type-Options nosniff always;",
    ]


def _proxy_headers(settings: GatewaySettings) -> list[str]:
    lines = [
        "proxy_set_header Host $crowdify_host;",
        'proxy_set_header Connection "";',
        "proxy_set_header X-Request-ID $crowdify_request_id;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $crowdify_host;",
        "# A service's absolute redirect is built from the Host the client sent: hand it back as a",
        "# path, so a forged Host never becomes a Location (cache poisoning, open redirects).",
        "proxy_redirect ~^https?://[^/]+/(.*)$ /$1;",
        "# Set by the edge from the verifier's answer (empty, hence absent, when anonymous).",
        "# Services still verify the bearer token themselves; these are for logs and metrics.",
        "proxy_set_header X-User-Id $crowdify_auth_user_id;",
        "proxy_set_header X-User-Role $crowdify_auth_role;",
        "proxy_set_header X-User-Email $crowdify_auth_email;",
        "proxy_set_header X-Auth-Token-Kind $crowdify_auth_kind;",
    ]
    lines += [f"proxy_set_header {h} {_http_variable(h)};" for h in forwarded_headers(settings)]
    return lines


def _problem_body(status: int, problem: Problem, extra: str = "") -> str:
    title = HTTPStatus(status).phrase
    return (
        f'{{"type":"{PROBLEM_TYPE_BASE}{problem.code}","title":"{title}","status":{status},'
        f'"detail":"{problem.detail}","code":"{problem.code}"{extra},'
        '"request_id":"$crowdify_request_id"}'
    )


def _problem_locations(settings: GatewaySettings) -> list[str]:
    common = _common_headers()
    lines: list[str] = []
    for status, problem in PROBLEMS.items():
        extra = ""
        own_headers: list[str] = []
        if status == 401:
            extra = ',"reason":"$crowdify_problem_reason"'
            own_headers = ['add_header WWW-Authenticate "Bearer" always;']
        elif status == 429:
            own_headers = ['add_header Retry-After "1" always;']
        elif status in (502, 503, 504):
            extra = ',"service":"$crowdify_service"'
        elif status == 413:
            problem = Problem(problem.code, f"Request bodies are limited to {settings.client_max_body_size}B")
        lines += [f"location = /_problem/{status} {{", "    internal;"]
        if own_headers:
            # add_header in a location replaces the inherited list, so repeat the common ones.
            lines += ["    " + h for h in (*common, *own_headers)]
        lines.append("    default_type application/problem+json;")
        if status == 500:
            # Set by the auth subrequest when the verifier is unreachable: see /_auth.
            unavailable = Problem("auth_unavailable", "Tokens cannot be checked right now; retry shortly")
            lines += [
                "    if ($crowdify_auth_down) {",
                f"        return 503 '{_problem_body(503, unavailable)}';",
                "    }",
            ]
        lines += [f"    return {status} '{_problem_body(status, problem, extra)}';", "}"]
    services = ",".join(f'"{s.name}":"unknown"' for s in settings.services)
    lines += [
        "location = /_problem/ready {",
        "    internal;",
        "    default_type application/json;",
        '    return 503 \'{"status":"degraded","services":{' + services + "},"
        '"detail":"the readiness aggregator is not answering"}\';',
        "}",
    ]
    return lines


def _error_pages() -> list[str]:
    # "=" lets /_problem/500 answer 503 when the verifier is down; the others keep their code.
    lines = [f"error_page {status} {'= ' if status == 500 else ''}/_problem/{status};" for status in PROBLEMS]
    # 494 is nginx's "request header too large"; clients see it as 400.
    lines.append("error_page 494 =400 /_problem/400;")
    return lines


def _upstreams(settings: GatewaySettings) -> list[str]:
    lines: list[str] = []
    for service in settings.services:
        lines += [f"upstream {service.upstream} {{", f"    server {service.host}:{service.port};"]
        if settings.upstream_keepalive:
            lines += [
                f"    keepalive {settings.upstream_keepalive};",
                f"    keepalive_timeout {settings.upstream_keepalive_timeout}s;",
            ]
        lines.append("}")
    return lines


def _auth_lines(settings: GatewaySettings) -> list[str]:
    lines = [
        "# A protected route without a token stops here, before any subrequest.",
        "if ($crowdify_auth_missing) {",
        "    return 401;",
        "}",
    ]
    if settings.auth_mode == "njs_hs256":
        lines += ["if ($crowdify_njs_verdict = deny) {", "    return 401;", "}"]
    else:
        lines.append("auth_request /_auth;")
    return lines


def _api_locations(settings: GatewaySettings) -> list[str]:
    configured: dict[str, Service] = {s.name: s for s in settings.services}
    lines: list[str] = []
    after_auth: list[str] = []
    for route in ROUTES:
        service = configured.get(route.service)
        lines.append(f"location {route.match} {{")
        body = [f"set $crowdify_service {route.service};"]
        if service is None:
            body += _auth_lines(settings)[:4]  # a missing token is still 401 first
            body += [f"# {route.service} is not in GATEWAY_SERVICES.", "return 503;"]
        else:
            body += _auth_lines(settings)
            body += entry_limit_lines(route, settings)
            if route.max_body:
                body.append(f"client_max_body_size {route.max_body};")
            named = after_auth_location(route)
            if named is None:
                body.append(f"proxy_pass http://{service.upstream};")
            else:
                after_auth += [f"location {named} {{"]
                after_auth += ["    " + line for line in after_auth_lines(settings, service.upstream)]
                after_auth += ["}", ""]
        lines += ["    " + line for line in body]
        lines += ["}", ""]
    return lines + after_auth


# The web front's pages and what they may load: nothing from another origin, camera on this one.
WEB_PAGES = ("scanner", "console")
# The shop is the root page; these addresses are its screens (Mercado Pago sends buyers back to
# /orders/{id}, purchase-svc's back_urls), all answered with the same index.html.
SHOP_PATHS = r"^/(eventos/[^/]+|orders/[^/]+|mis-entradas)?$"
# Supabase Auth as the pages call it: through the edge, so they stay same-origin (the Content
# Security Policy allows connect-src 'self' only). Sign-in and refresh, and sign-out; never the
# admin API.
SUPABASE_AUTH_PATHS = ("token", "logout")
_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _page_headers() -> list[str]:
    return [
        *_common_headers(),
        'add_header Cache-Control "no-cache" always;',
        f'add_header Content-Security-Policy "{_CONTENT_SECURITY_POLICY}" always;',
        'add_header Permissions-Policy "camera=(self), microphone=()" always;',
        'add_header Referrer-Policy "no-referrer" always;',
    ]


def _web_locations(settings: GatewaySettings) -> list[str]:
    """Static files of the built web front: hashed assets kept a year, everything else revalidated."""
    root = settings.web_root.resolve()
    common = _common_headers()
    gzip = [
        "gzip on;",
        "gzip_types text/css application/javascript application/json application/manifest+json "
        "application/wasm image/svg+xml;",
    ]
    lines = [
        "# Hashed names (a changed file gets a new URL): browsers keep these for a year.",
        "location /assets/ {",
        f"    root {root};",
        *("    " + line for line in common),
        '    add_header Cache-Control "public, max-age=31536000, immutable" always;',
        *("    " + line for line in gzip),
        "    try_files $uri =404;",
        "}",
    ]
    for page in WEB_PAGES:
        lines += [
            f"location = /{page} {{",
            "    absolute_redirect off;",
            f"    return 301 /{page}/;",
            "}",
            "# The page, its service worker, manifest and icons keep their URLs: always revalidated,",
            "# so a new build reaches phones on their next load.",
            f"location /{page}/ {{",
            f"    root {root};",
            "    index index.html;",
            *("    " + line for line in _page_headers()),
            *("    " + line for line in gzip),
            "    try_files $uri $uri/ =404;",
            "}",
        ]
    lines += [
        "# The shop: its screens are addresses of one page.",
        f"location ~ {SHOP_PATHS} {{",
        f"    root {root};",
        *("    " + line for line in _page_headers()),
        *("    " + line for line in gzip),
        "    try_files /index.html =404;",
        "}",
    ]
    return lines + _supabase_auth_locations(settings)


def _supabase_auth_locations(settings: GatewaySettings) -> list[str]:
    """Supabase Auth's token and logout endpoints on the edge's origin, limited like a login."""
    base = settings.supabase_url.rstrip("/")
    host = urlsplit(base).netloc
    lines: list[str] = []
    for name in SUPABASE_AUTH_PATHS:
        lines += [
            f"location = /auth/v1/{name} {{",
            "    set $crowdify_service supabase-auth;",
            f"    limit_req zone=crowdify_address burst={settings.burst_address} nodelay;",
            "    limit_except POST { deny all; }",
            *("    " + line for line in _common_headers()),
            '    add_header Cache-Control "no-store" always;',
            f"    proxy_pass {base}/auth/v1/{name};",
            "    proxy_ssl_server_name on;",
            "    # Only what Supabase Auth reads: never the cookies or identity headers of the page.",
            f"    proxy_set_header Host {host};",
            '    proxy_set_header Connection "";',
            "    proxy_set_header Accept $http_accept;",
            "    proxy_set_header Content-Type $http_content_type;",
            "    proxy_set_header Authorization $http_authorization;",
            "    proxy_set_header X-Request-ID $crowdify_request_id;",
        ]
        if settings.supabase_anon_key:
            lines.append(f'    proxy_set_header apikey "{settings.supabase_anon_key}";')
        lines.append("}")
    return lines


def _cors_origins(settings: GatewaySettings) -> list[str]:
    lines: list[str] = []
    for origin in settings.cors_origin_list:
        if not _ORIGIN.match(origin):
            raise RenderError(f"CORS_ORIGINS entry {origin!r} is not an exact origin like https://host:port")
        pattern = "^" + origin.replace(".", r"\.") + "$"
        lines.append(f'"~{pattern}" $http_origin;')
    return lines


def _realip(settings: GatewaySettings) -> list[str]:
    cidrs = [c.strip() for c in settings.trusted_proxies.split(",") if c.strip()]
    if not cidrs:
        return []
    lines: list[str] = []
    for cidr in cidrs:
        if not _CIDR.match(cidr):
            raise RenderError(f"GATEWAY_TRUSTED_PROXIES entry {cidr!r} is not an address or CIDR")
        lines.append(f"set_real_ip_from {cidr};")
    return [*lines, "real_ip_header X-Forwarded-For;", "real_ip_recursive on;"]


def _auth_cache(settings: GatewaySettings, prefix: Path) -> tuple[list[str], list[str]]:
    if settings.auth_mode != "auth_request_cache":
        return [], []
    path = [
        "# Verdicts of the verifier, keyed by the exact Authorization header. The verifier sets",
        "# X-Accel-Expires: never past the token's exp, never above GATEWAY_AUTH_CACHE_SECONDS.",
        f"proxy_cache_path {prefix}/auth_cache levels=1:2 keys_zone=crowdify_auth:10m max_size=64m "
        "inactive=60s use_temp_path=off;",
    ]
    location = [
        "proxy_cache crowdify_auth;",
        "# The default key ($scheme$proxy_host$request_uri) would hand one caller's verdict to all.",
        'proxy_cache_key "v1|$http_authorization";',
        "proxy_cache_methods GET;",
        "proxy_cache_lock on;",
        "proxy_cache_lock_timeout 2s;",
        "proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;",
        "proxy_cache_use_stale off;",
    ]
    return path, location


def _listen(settings: GatewaySettings) -> str:
    listen = settings.listen.strip()
    if not _LISTEN.match(listen):
        raise RenderError(f"GATEWAY_LISTEN {listen!r} must be host:port or a port")
    return listen


def _access_log(settings: GatewaySettings, prefix: Path) -> tuple[str, str]:
    """(access_log directive, error_log target)."""
    target = settings.access_log.strip()
    if target == "off":
        return "access_log off;", f"{prefix}/logs/error.log"
    if target == "stdout":
        return "access_log /dev/stdout crowdify_json;", "stderr"
    path = target or f"{prefix}/logs/access.log"
    return f"access_log {path} crowdify_json;", f"{prefix}/logs/error.log"


def _user(settings: GatewaySettings, prefix: Path) -> str:
    """``user`` directive: only meaningful when the master runs as root."""
    if os.geteuid() != 0:
        return ""
    if settings.nginx_user:
        if not re.match(r"^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$", settings.nginx_user):
            raise RenderError(f"GATEWAY_NGINX_USER {settings.nginx_user!r} is not 'user' or 'user group'")
        return f"user {settings.nginx_user};"
    try:
        stat = prefix.stat()
        return f"user {pwd.getpwuid(stat.st_uid).pw_name} {grp.getgrgid(stat.st_gid).gr_name};"
    except (FileNotFoundError, KeyError):
        return ""


def render(settings: GatewaySettings, prefix: Path) -> str:
    """The nginx.conf text for a private instance whose prefix is ``prefix`` (made absolute)."""
    prefix = prefix.resolve()
    access_log, error_log = _access_log(settings, prefix)
    cache_path, cache_location = _auth_cache(settings, prefix)

    load_modules: list[str] = []
    env: list[str] = []
    njs_http: list[str] = []
    if settings.auth_mode == "njs_hs256":
        load_modules.append(f"load_module {find_njs_module(settings.njs_module)};")
        env.append("env JWT_SECRET;")
        njs_http = [
            f"js_import crowdify_auth from {prefix}/{NJS_SCRIPT};",
            "js_set $crowdify_njs_verdict crowdify_auth.verdict;",
        ]
        auth_variables = [
            'map $crowdify_njs_verdict $crowdify_auth_reason { deny invalid_token; default ""; }',
            'map $crowdify_njs_verdict $crowdify_auth_kind { ok backend; default ""; }',
            'map $crowdify_njs_verdict $crowdify_auth_user_id { default ""; }',
            'map $crowdify_njs_verdict $crowdify_auth_role { default ""; }',
            'map $crowdify_njs_verdict $crowdify_auth_email { default ""; }',
        ]
        auth_request_set: list[str] = []
    else:
        auth_variables = []
        auth_request_set = [
            "# What the verifier found, for the headers sent upstream and the logs.",
            "auth_request_set $crowdify_auth_user_id $upstream_http_x_auth_user_id;",
            "auth_request_set $crowdify_auth_role $upstream_http_x_auth_role;",
            "auth_request_set $crowdify_auth_email $upstream_http_x_auth_email;",
            "auth_request_set $crowdify_auth_kind $upstream_http_x_auth_token_kind;",
            "auth_request_set $crowdify_auth_reason $upstream_http_x_auth_reason;",
        ]

    values = {
        "prefix": str(prefix),
        "user": _user(settings, prefix),
        "load_modules": "\n".join(load_modules),
        "env": "\n".join(env),
        "worker_processes": settings.worker_processes,
        "worker_connections": str(settings.worker_connections),
        "error_log": error_log,
        "access_log": access_log,
        "client_max_body_size": settings.client_max_body_size,
        "realip": _indent(_realip(settings), 4),
        "cors_origins": _indent(_cors_origins(settings), 8),
        "rate_purchase": settings.rate_purchase,
        "rate_scan": settings.rate_scan,
        "rate_webhook": settings.rate_webhook,
        "rate_token": settings.rate_token,
        "rate_address": settings.rate_address,
        "rate_purchase_address": settings.rate_purchase_address,
        "verifier_address": f"{settings.verifier_host}:{settings.verifier_port}",
        "upstream_keepalive": str(max(settings.upstream_keepalive, 1)),
        "upstream_keepalive_timeout": str(settings.upstream_keepalive_timeout),
        "upstreams": _indent(_upstreams(settings), 4),
        "auth_cache_path": _indent(cache_path, 4),
        "njs_http": _indent(njs_http, 4),
        "auth_variables": _indent(auth_variables, 4),
        "listen": _listen(settings),
        "common_headers": _indent(_common_headers(), 8),
        "auth_request_set": _indent(auth_request_set, 8),
        "proxy_headers": _indent(_proxy_headers(settings), 8),
        "proxy_connect_timeout": settings.proxy_connect_timeout,
        "proxy_read_timeout": settings.proxy_read_timeout,
        "proxy_send_timeout": settings.proxy_send_timeout,
        "error_pages": _indent(_error_pages(), 8),
        "api_locations": _indent(_api_locations(settings), 8),
        "web_locations": _indent(_web_locations(settings), 8),
        "auth_cache": _indent(cache_location, 12),
        "problem_locations": _indent(_problem_locations(settings), 8),
    }
    template = (template_dir() / TEMPLATE).read_text(encoding="utf-8")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RenderError(f"template placeholder {{{{{name}}}}} has no value")
        return values[name]

    return re.sub(r"\{\{([a-z_]+)\}\}", substitute, template)


def write_config(settings: GatewaySettings, out: Path) -> Path:
    """Render into ``out`` (created, with ``logs/``); returns the absolute nginx.conf path."""
    out = out.resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    out.chmod(0o755)  # workers (www-data when the master runs as root) must reach the cache
    text = render(settings, out)
    if settings.auth_mode == "njs_hs256":
        shutil.copyfile(template_dir() / NJS_SCRIPT, out / NJS_SCRIPT)
    conf = out / "nginx.conf"
    tmp = out / "nginx.conf.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(conf)
    return conf


def nginx_command(settings: GatewaySettings, conf: Path, *extra: str) -> list[str]:
    """The command line for the private instance (``-e stderr``: never the system error log)."""
    prefix = conf.parent
    return [settings.nginx_bin, "-p", f"{prefix}/", "-c", str(conf), "-e", "stderr", *extra]


def check_config(settings: GatewaySettings, conf: Path) -> None:
    result = subprocess.run(
        nginx_command(settings, conf, "-t", "-q"), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RenderError(f"nginx -t rejected {conf}:\n{result.stderr.strip()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=None, help="output directory (default GATEWAY_RUN_DIR)")
    parser.add_argument("--check", action="store_true", help="also run nginx -t on the result")
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    try:
        conf = write_config(settings, args.out or settings.run_dir)
        if args.check:
            check_config(settings, conf)
    except RenderError as exc:
        print(f"crowdify_gateway.render: {exc}", file=sys.stderr)
        return 2
    print(conf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
