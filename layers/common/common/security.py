"""Tokens and passwords (DESIGN §10): the ``Tokens`` and ``Passwords`` ports.

JWT HS256 only, with ``exp``, ``iat``, ``nbf``, ``jti``, ``iss``, ``type`` (access | refresh),
``role`` and ``fam``: the sign-in session (refresh-token family) both tokens of a pair belong to,
so signing out or a detected refresh-token replay revokes the access tokens of that session too.
The signing secret comes from configuration: ``JWT_SECRET`` locally, an SSM SecureString named by
``JWT_SECRET_PARAM`` in AWS (read with powertools Parameters, cached).
Passwords are hashed with argon2id.

PyJWT and argon2 are imported on first use: a function only pays for them when a request signs,
checks or hashes something.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from common import errors
from common.domain import Principal, Role
from common.lazy import lazy_import
from common.ports import IssuedToken, TokenType

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from common.config import Settings

jwt = lazy_import('jwt')
argon2 = lazy_import('argon2')
argon2_exceptions = lazy_import('argon2.exceptions')

ALGORITHM = 'HS256'
_CLAIMS = ['exp', 'iat', 'nbf', 'jti', 'sub', 'type', 'role', 'iss', 'fam']


class JwtTokens:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def secret(self) -> str:
        current = self._settings
        if current.jwt_secret:
            return current.jwt_secret
        if current.jwt_secret_param:
            from aws_lambda_powertools.utilities import parameters  # only in AWS: keep cold starts lean

            value = parameters.get_parameter(current.jwt_secret_param, decrypt=True, max_age=300)
            if isinstance(value, str) and len(value) >= 32:
                return value
        # Fail closed: without a proper secret no token is issued or accepted.
        raise RuntimeError('JWT secret is not configured (JWT_SECRET or JWT_SECRET_PARAM)')

    def issue(
        self, user_id: str, role: Role, token_type: TokenType, now: datetime, family: str | None = None
    ) -> IssuedToken:
        """Sign a token; without ``family`` it starts a session of its own."""
        current = self._settings
        lifetime = current.access_token_seconds if token_type == 'access' else current.refresh_token_seconds  # noqa: S105
        expires_at = now + timedelta(seconds=lifetime)
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            'sub': user_id,
            'role': role.value,
            'type': token_type,
            'jti': jti,
            'iss': current.jwt_issuer,
            'iat': int(now.timestamp()),
            'nbf': int(now.timestamp()),
            'exp': int(expires_at.timestamp()),
            'fam': family or uuid.uuid4().hex,
        }
        return IssuedToken(jwt.encode(claims, self.secret(), algorithm=ALGORITHM), jti, expires_at)

    def decode(self, token: str, expected_type: TokenType, now: datetime) -> dict[str, Any]:
        """Verify signature, algorithm, issuer, times and type; any failure is ``InvalidToken``."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get('alg') != ALGORITHM:
                raise errors.InvalidToken()
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret(),
                algorithms=[ALGORITHM],
                issuer=self._settings.jwt_issuer,
                options={'require': _CLAIMS, 'verify_iat': False},
                leeway=0,
            )
        except jwt.PyJWTError:
            raise errors.InvalidToken() from None
        # PyJWT checks exp/nbf against the wall clock; check them against ``now`` too so the
        # service's clock (frozen in tests) decides.
        stamp = now.timestamp()
        if claims['type'] != expected_type or not claims['nbf'] <= stamp < claims['exp']:
            raise errors.InvalidToken()
        if claims['role'] not in (Role.GUEST.value, Role.ADMIN.value):
            raise errors.InvalidToken()
        if not all(isinstance(claims[name], str) and claims[name] for name in ('sub', 'jti', 'fam')):
            raise errors.InvalidToken()
        return claims

    def access_claims(self, authorization: str | None, now: datetime) -> dict[str, Any]:
        """The verified claims of ``Authorization: Bearer <access token>`` (signature and times only;
        whether its session was revoked is ``accounts.authenticate``'s question)."""
        if not authorization:
            raise errors.Unauthorized('Send Authorization: Bearer <access token>')
        scheme, _, token = authorization.partition(' ')
        if scheme.lower() != 'bearer' or not token.strip():
            raise errors.Unauthorized('Send Authorization: Bearer <access token>')
        return self.decode(token.strip(), 'access', now)

    def principal(self, claims: dict[str, Any]) -> Principal:
        return Principal(user_id=claims['sub'], role=Role(claims['role']))


class Argon2Passwords:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._hasher: PasswordHasher | None = None
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def _argon2(self) -> PasswordHasher:
        with self._lock:
            if self._hasher is None:
                self._hasher = argon2.PasswordHasher(
                    time_cost=self._settings.password_hash_time_cost,
                    memory_cost=self._settings.password_hash_memory_kib,
                    parallelism=1,
                )
            return self._hasher

    def hash(self, password: str) -> str:
        return self._argon2().hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2().verify(password_hash, password)
        except (argon2_exceptions.VerificationError, argon2_exceptions.InvalidHashError):
            return False

    def burn_verification_time(self, password: str) -> None:
        """Verify against a throwaway hash so an unknown email costs as long as a wrong password."""
        if self._dummy is None:
            self._dummy = self.hash(uuid.uuid4().hex)
        self.verify(self._dummy, password)
