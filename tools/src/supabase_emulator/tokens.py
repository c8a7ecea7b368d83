"""Access tokens with Supabase's claim set, sessions and refresh tokens."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final, Literal

import jwt

from supabase_emulator.keys import KeyRing
from supabase_emulator.settings import EmulatorSettings
from supabase_emulator.users import User

AUDIENCE: Final = "authenticated"
PROJECT_REF: Final = "crowdify-local"
TEN_YEARS: Final = 10 * 365 * 86400
SigningAlgorithm = Literal["ES256", "HS256"]


@dataclass
class Session:
    id: str
    user_id: str
    amr: list[dict[str, Any]]


class TokenService:
    def __init__(self, settings: EmulatorSettings, keys: KeyRing) -> None:
        self._settings = settings
        self._keys = keys
        self._sessions: dict[str, Session] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> session id

    def start_session(self, user: User, method: str = "password") -> Session:
        session = Session(
            id=str(uuid.uuid4()),
            user_id=user.id,
            amr=[{"method": method, "timestamp": int(time.time())}],
        )
        self._sessions[session.id] = session
        return session

    def new_refresh_token(self, session: Session) -> str:
        token = secrets.token_urlsafe(16)
        self._refresh_tokens[token] = session.id
        return token

    def use_refresh_token(self, token: str) -> Session | None:
        """The refresh token's session; the token is spent (Supabase rotates refresh tokens)."""
        session_id = self._refresh_tokens.pop(token, None)
        return self._sessions.get(session_id) if session_id else None

    def end_session(self, session_id: str) -> None:
        """Sign-out: the session's refresh tokens stop working (access tokens run to their exp)."""
        self._sessions.pop(session_id, None)
        self._refresh_tokens = {t: s for t, s in self._refresh_tokens.items() if s != session_id}

    def claims(self, user: User, session: Session, *, expires_in: int | None = None) -> dict[str, Any]:
        now = int(time.time())
        ttl = self._settings.access_token_ttl_seconds if expires_in is None else expires_in
        return {
            "iss": self._settings.issuer,
            "aud": AUDIENCE,
            "exp": now + ttl,
            "iat": now,
            "sub": user.id,
            "email": user.email,
            "phone": "",
            "app_metadata": user.app_metadata(),
            "user_metadata": dict(user.user_metadata),
            "role": "authenticated",
            "aal": "aal1",
            "amr": session.amr,
            "session_id": session.id,
            "is_anonymous": False,
        }

    def sign(self, claims: dict[str, Any], *, alg: SigningAlgorithm = "ES256", kid: str | None = None) -> str:
        """Sign with the current ES256 key (``kid`` may name another, for tests) or the HS256 secret."""
        if alg == "HS256":
            return jwt.encode(claims, self._legacy_secret, algorithm="HS256")
        key = self._keys.current
        return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": kid or key.kid})

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a token this emulator issued (any published key, or the legacy secret)."""
        header = jwt.get_unverified_header(token)
        common: dict[str, Any] = {"audience": AUDIENCE, "issuer": self._settings.issuer}
        if header.get("alg") == "HS256":
            return jwt.decode(token, self._legacy_secret, algorithms=["HS256"], **common)
        signing_key = self._keys.find(str(header.get("kid")))
        if signing_key is None:
            raise jwt.InvalidTokenError("unknown kid")
        return jwt.decode(token, signing_key.private_key.public_key(), algorithms=["ES256"], **common)

    def api_key(self, role: Literal["anon", "service_role"]) -> str:
        """A legacy project API key, as ``supabase start`` prints them: not a user token."""
        now = int(time.time())
        claims = {"iss": "supabase", "ref": PROJECT_REF, "role": role, "iat": now, "exp": now + TEN_YEARS}
        return jwt.encode(claims, self._legacy_secret, algorithm="HS256")

    @property
    def _legacy_secret(self) -> str:
        return self._settings.supabase_jwt_secret.get_secret_value()
