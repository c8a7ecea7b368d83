"""Microbenchmark of ticket code verification: ``python -m crowdify.tickets.bench``.

Prints the best and median per-call time of each path over several ``timeit`` rounds. It never
passes or fails on time; ADR 0006 quotes its figures with the machine they came from.
"""

from __future__ import annotations

import argparse
import platform
import sys
import timeit
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography import __version__ as cryptography_version
from nacl import __version__ as pynacl_version

from crowdify.tickets.codes import TicketClaims, _b32decode, sign_ticket, verify_ticket
from crowdify.tickets.errors import InvalidTicketCode
from crowdify.tickets.keys import KeyRing, SigningKey


def _refusal(code: str, ring: KeyRing) -> Callable[[], object]:
    def attempt() -> object:
        try:
            return verify_ticket(code, ring)
        except InvalidTicketCode as exc:
            return exc.reason

    return attempt


def run(number: int = 5000, repeat: int = 7) -> list[tuple[str, float, float]]:
    """``(case, best µs, median µs)`` for each case."""
    key = SigningKey.generate("K2025A")
    ring = KeyRing.from_signing_keys([key, SigningKey.generate("K2024B")])
    claims = TicketClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), datetime.now(UTC))
    code = sign_ticket(claims, key)
    signed_text, signature_text = code.rsplit(".", 1)
    signature, message = _b32decode(signature_text, 64), signed_text.encode("ascii")
    verify_key = ring.verify_key(key.kid)
    assert verify_key is not None
    tampered = code[:-3] + ("B" if code[-3] == "A" else "A") + code[-2:]
    cases: list[tuple[str, Callable[[], object]]] = [
        ("verify_ticket, genuine code", lambda: verify_ticket(code, ring)),
        ("Ed25519 verify alone (libsodium)", lambda: verify_key.verify(message, signature)),
        ("Ed25519 verify alone (OpenSSL)", lambda: key.public_key.verify(signature, message)),
        ("verify_ticket, bad_signature", _refusal(tampered, ring)),
        ("verify_ticket, unknown_kid", _refusal(code.replace("K2025A", "K1999Z"), ring)),
        ("verify_ticket, malformed", _refusal("https://example.com/not-a-ticket", ring)),
        ("sign_ticket", lambda: sign_ticket(claims, key)),
    ]
    results = []
    for name, call in cases:
        times = sorted(timeit.repeat(call, number=number, repeat=repeat))
        results.append((name, times[0] / number * 1e6, times[len(times) // 2] / number * 1e6))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crowdify.tickets.bench")
    parser.add_argument("--number", type=int, default=5000, help="calls per round")
    parser.add_argument("--repeat", type=int, default=7, help="rounds")
    args = parser.parse_args(argv)
    print(
        f"Python {platform.python_version()}, cryptography {cryptography_version}, "
        f"PyNaCl {pynacl_version}, "
        f"{platform.machine()}, {args.repeat} rounds of {args.number} calls"
    )
    for name, best, median in run(args.number, args.repeat):
        print(f"{name:32s} best {best:7.1f} us   median {median:7.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
