"""docker-compose.yml, checked by Docker Compose v2 itself (`docker compose config`, which parses,
merges and validates the file against the Compose specification without an engine) and then for
what matters to Crowdify in Compose's own normalised output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, compose_binary

SERVICES = {
    "event-svc": "event_svc",
    "purchase-svc": "purchase_svc",
    "validation-svc": "validation_svc",
    "notification-svc": "notification_svc",
    "pdf-svc": "pdf_svc",
    "admin-svc": "admin_svc",
}
INFRASTRUCTURE = {"postgres", "rabbitmq", "redis", "minio", "minio-init", "mailhog", "traefik"}
ONE_SHOT = {"minio-init", "seed", *(f"migrate-{svc.removesuffix('-svc')}" for svc in SERVICES)}


def short(service: str) -> str:
    return service.removesuffix("-svc")


def run_compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(compose_binary()),
            "--project-directory",
            str(REPO),
            "-f",
            str(REPO / "docker-compose.yml"),
            "--env-file",
            str(env_file),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_accepts_the_file_with_the_development_env() -> None:
    result = run_compose(REPO / ".env.example", "config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_a_missing_secret_stops_compose_with_its_name(tmp_path: Path) -> None:
    env = [
        line
        for line in (REPO / ".env.example").read_text().splitlines()
        if not line.startswith("JWT_SECRET=")
    ]
    (tmp_path / ".env").write_text("\n".join(env) + "\n")
    result = run_compose(tmp_path / ".env", "config", "--quiet")
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr


def test_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    """The validator can fail: an unknown key under a service is refused by the specification."""
    broken = (
        (REPO / "docker-compose.yml")
        .read_text()
        .replace("  redis:\n", "  redis:\n    restart_policy: always\n", 1)
    )
    (tmp_path / "docker-compose.yml").write_text(broken)
    result = subprocess.run(
        [
            str(compose_binary()),
            "--project-directory",
            str(REPO),
            "-f",
            str(tmp_path / "docker-compose.yml"),
            "--env-file",
            str(REPO / ".env.example"),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "restart_policy" in result.stderr


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_has_an_api_a_worker_and_a_migration_job(
    compose_config: dict[str, Any], service: str
) -> None:
    containers = compose_config["services"]
    name = short(service)
    api, worker, migrate = (
        containers[f"{name}-api"],
        containers[f"{name}-worker"],
        containers[f"migrate-{name}"],
    )
    package = SERVICES[service]
    assert api["command"][:2] == ["uvicorn", f"{package}.main:create_app"]
    assert "--factory" in api["command"]
    assert worker["command"] == ["python", "-m", f"{package}.worker"]
    assert migrate["command"] == ["alembic", "-c", f"{service}/alembic.ini", "upgrade", "head"]
    # One image per service: API, worker and migrations run the same build.
    assert api["image"] == worker["image"] == migrate["image"]
    assert api["build"]["args"]["PACKAGES"] == f"crowdify-{service}"
    # Each container connects with its service's own role (ADR 0003).
    url_name = f"{package.upper()}_DATABASE_URL"
    for container in (api, worker, migrate):
        assert container["environment"][url_name].startswith(f"postgresql+asyncpg://{package}:")
        assert "@postgres:5432/" in container["environment"][url_name]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_apis_and_workers_start_after_their_migrations_and_healthy_infrastructure(
    compose_config: dict[str, Any], service: str
) -> None:
    name = short(service)
    for role in ("api", "worker"):
        depends = compose_config["services"][f"{name}-{role}"]["depends_on"]
        assert depends[f"migrate-{name}"]["condition"] == "service_completed_successfully"
        for infra in ("postgres", "rabbitmq", "redis"):
            assert depends[infra]["condition"] == "service_healthy"


def test_migration_jobs_wait_for_a_healthy_database_and_run_once(compose_config: dict[str, Any]) -> None:
    for name, container in compose_config["services"].items():
        if name.startswith("migrate-"):
            assert container["depends_on"]["postgres"]["condition"] == "service_healthy"
            assert container["restart"] == "no"


def test_every_depends_on_target_exists_and_one_shot_targets_are_awaited_to_completion(
    compose_config: dict[str, Any],
) -> None:
    containers = compose_config["services"]
    for name, container in containers.items():
        for target, condition in container.get("depends_on", {}).items():
            assert target in containers, f"{name} depends on unknown {target}"
            expected = "service_completed_successfully" if target in ONE_SHOT else "service_healthy"
            assert condition["condition"] == expected, f"{name} -> {target}"


def test_long_running_containers_have_healthchecks(compose_config: dict[str, Any]) -> None:
    for name, container in compose_config["services"].items():
        if name in ONE_SHOT:
            continue
        check = container.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"


def test_crowdify_containers_probe_their_own_port(compose_config: dict[str, Any]) -> None:
    """HEALTHCHECK_URL must name the port the container listens on (its API or its metrics)."""
    for name, container in compose_config["services"].items():
        url = container.get("environment", {}).get("HEALTHCHECK_URL")
        if url is None:
            continue
        port = re.search(r":(\d+)/", url)
        assert port is not None
        command = " ".join(container["command"])
        metrics_port = next(
            (v for k, v in container["environment"].items() if k.endswith("_WORKER_METRICS_PORT")), None
        )
        assert port.group(1) in command or port.group(1) == metrics_port, name


DEV_ONLY = ("supabase-emulator", "mp-emulator", "mailhog", "seed")


def test_emulators_smtp_sink_and_demo_data_only_in_the_dev_profile(compose_config: dict[str, Any]) -> None:
    containers = compose_config["services"]
    for name in DEV_ONLY:
        assert containers[name]["profiles"] == ["dev"]
    for name, container in containers.items():
        if name not in DEV_ONLY:
            assert not container.get("profiles"), f"{name} should run without a profile"


def test_only_the_edge_is_published_and_only_on_the_loopback(compose_config: dict[str, Any]) -> None:
    published = {
        name: container["ports"]
        for name, container in compose_config["services"].items()
        if container.get("ports")
    }
    outside_dev = {name for name in published if name not in DEV_ONLY}
    assert outside_dev == {"traefik"}
    for name, ports in published.items():
        for port in ports:
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond the loopback"


def test_a_forgotten_crowdify_env_runs_compose_as_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CROWDIFY_ENV", raising=False)
    env = [
        line
        for line in (REPO / ".env.example").read_text().splitlines()
        if not line.startswith("CROWDIFY_ENV=")
    ]
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(env) + "\n")
    result = run_compose(env_file, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"CROWDIFY_ENV": "production"' in result.stdout


def test_postgres_creates_the_roles_and_rabbitmq_loads_the_topology(compose_config: dict[str, Any]) -> None:
    containers = compose_config["services"]
    postgres_mounts = {m["target"]: m["source"] for m in containers["postgres"]["volumes"]}
    assert Path(postgres_mounts["/docker-entrypoint-initdb.d"]) == REPO / "deploy/postgres/init"
    assert Path(postgres_mounts["/crowdify/roles.sql"]) == REPO / "deploy/postgres/roles.sql"
    environment = containers["postgres"]["environment"]
    for package in SERVICES.values():
        assert environment[f"{package.upper()}_DB_PASSWORD"]
    rabbit_mounts = {m["target"]: m["source"] for m in containers["rabbitmq"]["volumes"]}
    assert (
        Path(rabbit_mounts["/etc/rabbitmq/definitions.d/10-topology.json"])
        == REPO / "deploy/rabbitmq/definitions.json"
    )
    assert Path(rabbit_mounts["/etc/rabbitmq/rabbitmq.conf"]) == REPO / "deploy/rabbitmq/rabbitmq.conf"
    for mounts in (postgres_mounts, rabbit_mounts):
        for source in mounts.values():
            assert not source.startswith(str(REPO)) or Path(source).exists(), source


def test_the_bucket_is_created_by_a_one_shot_job_before_pdf_svc_starts(
    compose_config: dict[str, Any],
) -> None:
    containers = compose_config["services"]
    assert "mc mb --ignore-existing" in " ".join(containers["minio-init"]["command"])
    assert containers["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"
    for name in ("pdf-api", "pdf-worker"):
        assert containers[name]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"


def test_the_edge_is_traefik_on_8000_with_the_routes_and_the_verifier(compose_config: dict[str, Any]) -> None:
    containers = compose_config["services"]
    traefik = containers["traefik"]
    assert any(p["published"] == "8000" and p["target"] == 8000 for p in traefik["ports"])
    targets = {m["target"] for m in traefik["volumes"]}
    assert {"/etc/traefik/traefik.yml", "/etc/traefik/dynamic"} <= targets
    assert containers["gateway-auth"]["command"][:2] == ["uvicorn", "crowdify_gateway.app:create_app"]
    assert containers["gateway-auth"]["build"]["args"]["APP"] == "crowdify_gateway.app:create_app"


def test_the_verifiers_services_are_the_compose_apis(compose_config: dict[str, Any]) -> None:
    containers = compose_config["services"]
    spec = containers["gateway-auth"]["environment"]["GATEWAY_SERVICES"]
    for entry in spec.split(","):
        service, url = entry.split("=", 1)
        host, port = re.fullmatch(r"http://([a-z-]+):(\d+)", url).groups()  # type: ignore[union-attr]
        assert host == f"{short(service)}-api"
        assert port in " ".join(containers[host]["command"])


def test_no_secret_values_are_written_in_the_compose_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    secrets = (
        "JWT_SECRET",
        "SUPABASE_JWT_SECRET",
        "MERCADOPAGO_ACCESS_TOKEN",
        "MERCADOPAGO_WEBHOOK_SECRET",
        "TICKET_SIGNING_KEYS",
        "MINIO_SECRET_KEY",
        "RABBITMQ_PASSWORD",
        "POSTGRES_PASSWORD",
        "VALIDATION_SVC_CODE_DIGEST_KEY",
    )
    for name in secrets:
        for line in text.splitlines():
            if re.match(rf"\s+{name}:", line):
                assert f"${{{name}:?" in line, line


def settings_aliases() -> set[str]:
    aliases: set[str] = set()
    for path in [*REPO.glob("*/src/**/settings.py"), REPO / "libs/src/crowdify/storage.py"]:
        aliases.update(re.findall(r'alias="([A-Z0-9_]+)"', path.read_text()))
    return aliases


# Read by the container, not by a settings class.
CONTAINER_ONLY = {"HEALTHCHECK_URL"}


def test_every_variable_given_to_a_crowdify_container_is_a_setting(compose_config: dict[str, Any]) -> None:
    """A typo (or a guess) in an environment name would be silently ignored by pydantic-settings."""
    aliases = settings_aliases()
    checked = 0
    for name, container in compose_config["services"].items():
        if not str(container.get("image", "")).startswith("crowdify/"):
            continue
        package = {short(s): p for s, p in SERVICES.items()}.get(
            name.split("-")[0] if name.endswith(("-api", "-worker")) else name.removeprefix("migrate-")
        )
        if package and not (REPO / f"{package.replace('_', '-')}/src/{package}/settings.py").exists():
            continue  # that service's settings are not written yet in this checkout
        for variable in container.get("environment", {}):
            assert variable in aliases | CONTAINER_ONLY, f"{name}: {variable} is read by no settings class"
        checked += 1
    assert checked >= 10
