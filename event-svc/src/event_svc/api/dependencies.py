"""FastAPI dependencies of the catalogue API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from event_svc.service.catalog import Catalog


async def get_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
