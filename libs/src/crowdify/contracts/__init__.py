"""Integration message contracts, defined once and imported by producer and consumers alike."""

from crowdify.contracts import catalog, pdf, purchase, tickets, validation
from crowdify.contracts.base import REGISTRY, Contract, register

__all__ = ["REGISTRY", "Contract", "catalog", "pdf", "purchase", "register", "tickets", "validation"]
