"""Ticket signing keys from the command line.

    python -m crowdify.tickets.keys generate --kid K2025A [--json | --pem]
    python -m crowdify.tickets.keys jwks

``generate`` prints a new private key and its public JWK. The default output is itself a valid
``TICKET_SIGNING_KEY_FILE`` (the JWK is on a comment line), and its ``kid:key`` line is what goes
first in ``TICKET_SIGNING_KEYS``. ``jwks`` prints the public JWKS of the keys the environment
configures (``TICKET_SIGNING_KEYS`` or ``TICKET_SIGNING_KEY_FILE``), for the verifiers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from crowdify.tickets.keys import KID_MAX_LENGTH, SigningKey, validate_kid


def _kid(value: str) -> str:
    try:
        return validate_kid(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _generate(kid: str, output: str) -> str:
    key = SigningKey.generate(kid)
    jwk = json.dumps(key.public_jwk(), separators=(",", ":"))
    if output == "json":
        return json.dumps({"kid": kid, "private_key": key.private_text(), "public_jwk": key.public_jwk()})
    if output == "pem":
        return f"{key.private_pem()}# kid {kid}; public JWK: {jwk}"
    return (
        f"# Crowdify ticket signing key {kid} (Ed25519). The line below is SECRET: keep it in the\n"
        "# environment (first in TICKET_SIGNING_KEYS, newest first) or in TICKET_SIGNING_KEY_FILE.\n"
        f"{kid}:{key.private_text()}\n"
        f"# public JWK (verifiers, scanner manifest): {jwk}"
    )


def _jwks() -> str:
    # Imported here: generating a key must not need (or validate) the environment's settings.
    from crowdify.tickets.settings import TicketSigningSettings

    return json.dumps(TicketSigningSettings().ticket_keyring().to_jwks(), indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crowdify.tickets.keys", description="Crowdify ticket signing keys"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="print a new private key and its public JWK")
    generate.add_argument(
        "--kid", required=True, type=_kid, help=f"key id: 1-{KID_MAX_LENGTH} of A-Z, 0-9, inner '-'"
    )
    output = generate.add_mutually_exclusive_group()
    output.add_argument("--json", dest="output", action="store_const", const="json", help="one JSON object")
    output.add_argument("--pem", dest="output", action="store_const", const="pem", help="PKCS#8 PEM")
    commands.add_parser("jwks", help="print the public JWKS of the configured signing keys")
    args = parser.parse_args(argv)
    if args.command == "generate":
        print(_generate(args.kid, args.output or "env"))
    else:
        print(_jwks())
    return 0


if __name__ == "__main__":
    sys.exit(main())
