"""One OpenAPI document for the public API, merged from each service's ``/openapi.json``.

Paths under ``/api/`` are taken as they are (each service owns distinct prefixes). Component
names that two services define differently are renamed ``<service>__<name>`` in the second one,
with its ``$ref`` pointers rewritten, so nothing is silently replaced.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from crowdify_gateway.settings import Service

_REF_PREFIX = "#/components/"


async def fetch_openapi(
    client: httpx.AsyncClient, service: Service, timeout_seconds: float
) -> dict[str, Any] | None:
    try:
        response = await client.get(f"{service.url}/openapi.json", timeout=timeout_seconds)
        document = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
                out[key] = _REF_PREFIX + renames.get(value[len(_REF_PREFIX) :], value[len(_REF_PREFIX) :])
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def merge(documents: list[tuple[str, dict[str, Any] | None]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    status: dict[str, str] = {}
    for service, document in documents:
        if document is None:
            status[service] = "unavailable"
            continue
        status[service] = "merged"
        renames: dict[str, str] = {}
        for kind, entries in (document.get("components") or {}).items():
            if not isinstance(entries, dict):
                continue
            for name, value in entries.items():
                existing = components.get(kind, {}).get(name)
                if existing is not None and existing != value:
                    renames[f"{kind}/{name}"] = f"{kind}/{service}__{name}"
        document = _rewrite_refs(document, renames)
        for kind, entries in (document.get("components") or {}).items():
            if not isinstance(entries, dict):
                continue
            for name, value in entries.items():
                target = renames.get(f"{kind}/{name}", f"{kind}/{name}").split("/", 1)[1]
                components.setdefault(kind, {})[target] = value
        for path, item in (document.get("paths") or {}).items():
            if isinstance(path, str) and path.startswith("/api/"):
                paths[path] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Crowdify API",
            "version": "v1",
            "description": "Every service's public routes as served through the gateway.",
        },
        "paths": dict(sorted(paths.items())),
        "components": components,
        "x-crowdify-services": status,
    }


async def combined_openapi(
    client: httpx.AsyncClient, services: tuple[Service, ...], timeout_seconds: float
) -> dict[str, Any]:
    documents = await asyncio.gather(*(fetch_openapi(client, s, timeout_seconds) for s in services))
    return merge([(s.name, d) for s, d in zip(services, documents, strict=True)])
