"""Buyers signed in with Supabase Auth, as the shop's buyers are (``--onsale-tokens supabase``).

By default the on-sale's buyers carry backend tokens (HS256, signed by the benchmark). A real
buyer's token is Supabase's: ES256, checked against the project's JWKS at the edge and again in
purchase-api, which costs more than an HMAC. Here each buyer is a user of Supabase Auth (the
emulator's admin knob in development) with a token of its own, all made before the clock starts.
"""

from __future__ import annotations

import asyncio

from crowdify_bench.load import session
from crowdify_bench.platform import PlatformError
from crowdify_bench.settings import BenchSettings

# Users and tokens made at once: the emulator is one process on the same two cores.
AT_ONCE = 16


async def supabase_tokens(settings: BenchSettings, emails: list[str]) -> list[str]:
    """An access token for each email, its user created first (one that exists is reused)."""
    gate = asyncio.Semaphore(AT_ONCE)
    async with session(settings.supabase_url, AT_ONCE) as http:

        async def token_for(email: str) -> str:
            async with gate:
                async with http.post("/__emulator/users", json={"email": email}) as created:
                    if created.status not in (201, 422):  # 422: the user exists already
                        raise PlatformError(f"Supabase Auth refused user {email}: {created.status}")
                async with http.post("/__emulator/tokens", json={"email": email}) as issued:
                    if issued.status != 200:
                        raise PlatformError(f"Supabase Auth refused a token for {email}: {issued.status}")
                    token: str = (await issued.json())["access_token"]
                    return token

        return list(await asyncio.gather(*(token_for(email) for email in emails)))
