"""Each service's committed OpenAPI document matches its code."""

from __future__ import annotations

import pytest

from crowdify_tools.openapi import REPO_ROOT, render, service_apps


@pytest.mark.parametrize("service", sorted(service_apps()))
def test_committed_openapi_is_current(service):
    committed = (REPO_ROOT / service / "openapi.json").read_text()
    assert committed == render(service_apps()[service]), "run: make openapi"
