"""Print a backend token: ``python -m crowdify_tools.token --role admin [--sub ID] [--email E] [--ttl S]``.

Signed with ``JWT_SECRET`` from the environment or ``.env`` (``make token ROLE=admin``). Without
``--sub``/``--email`` the token names the Supabase emulator's seeded person with that role, so the
same people show up whichever way a developer signs in.
"""

from __future__ import annotations

import argparse

from crowdify.auth import ROLES, issue_backend_token
from crowdify.settings import ServiceSettings
from supabase_emulator.users import SEED_USERS

# role -> (user id, email) of the emulator's seeded user with that role
SEEDED_BY_ROLE = {role or "user": (user_id, email) for email, user_id, role in SEED_USERS}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m crowdify_tools.token", description=__doc__)
    parser.add_argument("--role", required=True, choices=sorted(ROLES))
    parser.add_argument("--sub", help="subject (user or device id); default: the seeded user's id")
    parser.add_argument("--email", help="email claim; default: the seeded user's email")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    args = parser.parse_args(argv)

    seeded_id, seeded_email = SEEDED_BY_ROLE[args.role]
    settings = ServiceSettings()
    token = issue_backend_token(
        settings.jwt_secret.get_secret_value(),
        subject=args.sub or seeded_id,
        role=args.role,
        ttl_seconds=args.ttl,
        email=args.email if args.email is not None else (None if args.sub else seeded_email),
    )
    print(token)


if __name__ == "__main__":
    main()
