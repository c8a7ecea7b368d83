"""The ``limit_req`` lines of the limited routes (docs/security.md, "Rate limits at the edge").

nginx applies ``limit_req`` once per request, in its pre-access phase: before ``auth_request``
has verified the token. A limit per buyer must key on who the buyer *is* (the ``sub`` the
verifier accepted), not on the text of the Authorization header (a buyer can mint many tokens,
or spell one header many ways), so the order route takes two steps: its own location verifies
the token, then ``try_files`` (the content phase's first step, after access) hands the request to
a named location whose limits see the verified subject. A per-address limit runs there too (nginx
evaluates at most one set of limits per request): a flood guard far above what one household
sends, because the buyers of a mobile carrier share a handful of addresses (CGNAT).
"""

from __future__ import annotations

from crowdify_gateway.routes import Route
from crowdify_gateway.settings import GatewaySettings

# A path nothing ever creates: try_files finds no such file and goes to the named location.
_NO_FILE = "/.crowdify-after-auth"


def after_auth_location(route: Route) -> str | None:
    """The named location the route continues in once its token is verified, if it has one."""
    return "@crowdify_orders" if route.limit == "purchase" else None


def entry_limit_lines(route: Route, settings: GatewaySettings) -> list[str]:
    """Limits that run before the token is verified, in the route's own location."""
    if route.limit == "purchase":
        return [
            "# Limited per verified buyer after auth_request: see the named location below.",
            f"try_files {_NO_FILE} {after_auth_location(route)};",
        ]
    if route.limit == "scan":
        # Per device token only: a venue's door devices share one public address behind its
        # NAT, so a per-address limit would throttle the whole door (docs/security.md).
        return [f"limit_req zone=crowdify_scan burst={settings.burst_scan} nodelay;"]
    if route.limit == "webhook":
        return [f"limit_req zone=crowdify_webhook burst={settings.burst_webhook} nodelay;"]
    if route.limit == "token":
        return [
            f"limit_req zone=crowdify_token burst={settings.burst_token} nodelay;",
            f"limit_req zone=crowdify_address burst={settings.burst_address} nodelay;",
        ]
    return []


def after_auth_lines(settings: GatewaySettings, upstream: str) -> list[str]:
    """The body of the orders' named location: limits on the verified buyer and on the address."""
    return [
        "# Reached from `location = /api/v1/purchases` once auth_request has accepted the token,",
        "# so $crowdify_auth_user_id is the verified subject: every token and every spelling of",
        "# the header of one buyer share one bucket.",
        f"limit_req zone=crowdify_purchase burst={settings.burst_purchase} nodelay;",
        "# Flood guard per client address: many buyers share a carrier's address (CGNAT).",
        f"limit_req zone=crowdify_purchase_address burst={settings.burst_purchase_address} nodelay;",
        f"proxy_pass http://{upstream};",
    ]
