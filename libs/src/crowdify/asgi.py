"""What an ASGI request scope carries, read without building a request object (the pure-ASGI
middleware and the hot routes that answer before the framework's stack)."""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the header ``name`` (lower case, as ASGI servers give them), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None
