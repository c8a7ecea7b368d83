"""deploy/k8s: the kustomization rendered by a real kustomize (the one inside kubectl, from its
wheel), every built-in object validated against the Kubernetes schemas (kubernetes-validate,
strict: unknown fields are errors), the Traefik CRDs compared with the compose edge, and what the
production shape promises checked on the rendered objects."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import REPO, venv_binary

KUBERNETES_VERSION = "1.33"
OVERLAYS = ["base", "overlays/staging", "overlays/production"]
SERVICES = {
    "event-svc": "event_svc",
    "purchase-svc": "purchase_svc",
    "validation-svc": "validation_svc",
    "notification-svc": "notification_svc",
    "pdf-svc": "pdf_svc",
    "admin-svc": "admin_svc",
}
SECRET_NAMES = {
    "JWT_SECRET",
    "SUPABASE_JWT_SECRET",
    "AMQP_URL",
    "MERCADOPAGO_ACCESS_TOKEN",
    "MERCADOPAGO_WEBHOOK_SECRET",
    "TICKET_SIGNING_KEYS",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
    "EMAIL_API_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "VALIDATION_SVC_CODE_DIGEST_KEY",
}


def render(path: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(venv_binary("kubectl")), "kustomize", str(REPO / "deploy/k8s" / path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_built_in_objects_are_valid_kubernetes(rendered: list[dict[str, Any]]) -> None:
    checked = 0
    for obj in rendered:
        if obj["apiVersion"].startswith("traefik.io/"):
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 40


def test_the_validator_can_fail() -> None:
    deployment = of_kind(render("base"), "Deployment")["event-svc-api"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_has_an_api_and_a_worker_each_scaled_and_protected(
    rendered: list[dict[str, Any]], service: str
) -> None:
    deployments = of_kind(rendered, "Deployment")
    hpas = of_kind(rendered, "HorizontalPodAutoscaler")
    pdbs = of_kind(rendered, "PodDisruptionBudget")
    package = SERVICES[service]
    api, worker = deployments[f"{service}-api"], deployments[f"{service}-worker"]
    api_container = api["spec"]["template"]["spec"]["containers"][0]
    worker_container = worker["spec"]["template"]["spec"]["containers"][0]
    assert api_container["command"][:2] == ["uvicorn", f"{package}.main:create_app"]
    assert worker_container["command"] == ["python", "-m", f"{package}.worker"]
    assert (
        api_container["image"].split(":")[0]
        == worker_container["image"].split(":")[0]
        == f"crowdify/{service}"
    )
    for name, deployment in ((f"{service}-api", api), (f"{service}-worker", worker)):
        hpa = hpas[name]
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = pdbs[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items(), f"PDB {name} selects no pod of its Deployment"
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_probes_use_health_for_liveness_and_ready_for_readiness(
    rendered: list[dict[str, Any]], service: str
) -> None:
    deployments = of_kind(rendered, "Deployment")
    api = deployments[f"{service}-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert str(ports["http"]) in api["command"]
    worker = deployments[f"{service}-worker"]["spec"]["template"]["spec"]["containers"][0]
    metrics_port = {e["name"]: e.get("value") for e in worker["env"]}[
        f"{SERVICES[service].upper()}_WORKER_METRICS_PORT"
    ]
    assert worker["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
    assert {p["name"]: p["containerPort"] for p in worker["ports"]}["metrics"] == int(metrics_port)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_object_fronts_the_api_pods(rendered: list[dict[str, Any]], service: str) -> None:
    svc = of_kind(rendered, "Service")[service]
    pod_labels = of_kind(rendered, "Deployment")[f"{service}-api"]["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert svc["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_migrations_run_as_a_job_with_the_services_own_database_url(
    rendered: list[dict[str, Any]], service: str
) -> None:
    job = of_kind(rendered, "Job")[f"{service}-migrate"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["alembic", "-c", f"{service}/alembic.ini", "upgrade", "head"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    url = f"{SERVICES[service].upper()}_DATABASE_URL"
    env = {e["name"]: e for e in container["env"]}
    assert env[url]["valueFrom"]["secretKeyRef"]["name"] == f"{service}-database"


def test_secrets_are_only_referenced(rendered: list[dict[str, Any]]) -> None:
    assert not of_kind(rendered, "Secret"), "no Secret objects (or values) in the repository"
    config = of_kind(rendered, "ConfigMap")["crowdify-config"]["data"]
    assert not SECRET_NAMES & set(config)
    containers = [
        c
        for o in rendered
        if o["kind"] in ("Deployment", "Job")
        for c in o["spec"]["template"]["spec"]["containers"]
        # The web front's static server reads no settings and holds no secret.
        if not c["image"].startswith("crowdify/web:")
    ]
    assert len(containers) >= 16
    for container in containers:
        assert {"configMapRef": {"name": "crowdify-config"}} in container["envFrom"]
        for entry in container["env"]:
            if entry["name"] in SECRET_NAMES or entry["name"].endswith("_DATABASE_URL"):
                assert "secretKeyRef" in entry["valueFrom"], entry["name"]
                assert "value" not in entry


def test_pods_run_as_non_root_with_a_read_only_root(rendered: list[dict[str, Any]]) -> None:
    for obj in rendered:
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_overlays_set_their_environment_and_image_tags() -> None:
    staging, production = render("overlays/staging"), render("overlays/production")
    assert of_kind(staging, "ConfigMap")["crowdify-config"]["data"]["CROWDIFY_ENV"] == "staging"
    assert of_kind(production, "ConfigMap")["crowdify-config"]["data"]["CROWDIFY_ENV"] == "production"
    for objects, tag in ((staging, "main"), (production, "0.1.0")):
        images = {
            c["image"]
            for o in objects
            if o["kind"] in ("Deployment", "Job")
            for c in o["spec"]["template"]["spec"]["containers"]
        }
        assert images and all(image.endswith(f":{tag}") for image in images), images
    assert of_kind(production, "HorizontalPodAutoscaler")["purchase-svc-api"]["spec"]["maxReplicas"] == 20
    assert all(h["spec"]["minReplicas"] == 1 for h in of_kind(staging, "HorizontalPodAutoscaler").values())


def compose_edge() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO / "deploy/traefik/dynamic/crowdify.yml").read_text())[
        "http"
    ]
    return config


def test_the_ingress_route_has_the_compose_edges_routes(rendered: list[dict[str, Any]]) -> None:
    """The Kubernetes edge and the compose edge (tested live in test_traefik_edge) stay one."""
    route = of_kind(rendered, "IngressRoute")["crowdify"]
    services = of_kind(rendered, "Service")
    k8s_routes = {
        " ".join(r["match"].split()): (
            r["priority"],
            [m["name"] for m in r.get("middlewares", [])],
            r["services"][0]["name"],
            r["services"][0]["port"],
        )
        for r in route["spec"]["routes"]
    }
    edge = compose_edge()
    compose_routes = {
        " ".join(r["rule"].split()): (r["priority"], r.get("middlewares", []), r["service"])
        for r in edge["routers"].values()
    }
    assert set(k8s_routes) == set(compose_routes)
    for match, (priority, middlewares, service, port) in k8s_routes.items():
        assert (priority, middlewares, service) == compose_routes[match], match
        assert services[service]["spec"]["ports"][0]["port"] == port
        compose_port = re.search(r":(\d+)$", edge["services"][service]["loadBalancer"]["servers"][0]["url"])
        assert compose_port is not None and int(compose_port.group(1)) == port


def test_the_middlewares_are_the_compose_edges(rendered: list[dict[str, Any]]) -> None:
    middlewares = of_kind(rendered, "Middleware")
    edge = compose_edge()["middlewares"]
    assert set(middlewares) == set(edge)
    for name, spec in edge.items():
        k8s = middlewares[name]["spec"]
        if "forwardAuth" in spec:
            assert (
                k8s["forwardAuth"]["address"] == "http://gateway-auth.crowdify.svc.cluster.local:8010/verify"
            )
            k8s = {"forwardAuth": {**k8s["forwardAuth"], "address": spec["forwardAuth"]["address"]}}
        assert k8s == spec, name
    namespace = {o["metadata"].get("namespace") for o in rendered}
    assert namespace == {"crowdify"}
