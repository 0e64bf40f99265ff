"""Tokens and passwords (DESIGN §10).

JWT HS256 only, with ``exp``, ``iat``, ``nbf``, ``jti``, ``iss``, ``type`` (access | refresh),
``role`` and ``fam``: the sign-in session (refresh-token family) both tokens of a pair belong to,
so signing out or a detected refresh-token replay revokes the access tokens of that session too.
The signing secret comes from configuration: ``JWT_SECRET`` locally, an SSM SecureString named by
``JWT_SECRET_PARAM`` in AWS (read with powertools Parameters, cached).
Passwords are hashed with argon2id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from common import errors
from common.config import settings
from common.domain import Principal, Role

ALGORITHM = 'HS256'
TokenType = Literal['access', 'refresh']


def jwt_secret() -> str:
    current = settings()
    if current.jwt_secret:
        return current.jwt_secret
    if current.jwt_secret_param:
        from aws_lambda_powertools.utilities import parameters  # only in AWS: keep cold starts lean

        value = parameters.get_parameter(current.jwt_secret_param, decrypt=True, max_age=300)
        if isinstance(value, str) and len(value) >= 32:
            return value
    # Fail closed: without a proper secret no token is issued or accepted.
    raise RuntimeError('JWT secret is not configured (JWT_SECRET or JWT_SECRET_PARAM)')


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def issue(user_id: str, role: Role, token_type: TokenType, now: datetime, family: str | None = None) -> IssuedToken:
    """Sign a token; without ``family`` it starts a session of its own."""
    current = settings()
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
    return IssuedToken(jwt.encode(claims, jwt_secret(), algorithm=ALGORITHM), jti, expires_at)


def decode(token: str, expected_type: TokenType, now: datetime) -> dict[str, Any]:
    """Verify signature, algorithm, issuer, times and type; any failure is ``InvalidToken``."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get('alg') != ALGORITHM:
            raise errors.InvalidToken()
        claims = jwt.decode(
            token,
            jwt_secret(),
            algorithms=[ALGORITHM],
            issuer=settings().jwt_issuer,
            options={
                'require': ['exp', 'iat', 'nbf', 'jti', 'sub', 'type', 'role', 'iss', 'fam'],
                'verify_iat': False,
            },
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


def access_claims_from_header(authorization: str | None, now: datetime) -> dict[str, Any]:
    """The verified claims of ``Authorization: Bearer <access token>`` (signature and times only;
    whether its session was revoked is ``accounts.authenticate``'s question)."""
    if not authorization:
        raise errors.Unauthorized('Send Authorization: Bearer <access token>')
    scheme, _, token = authorization.partition(' ')
    if scheme.lower() != 'bearer' or not token.strip():
        raise errors.Unauthorized('Send Authorization: Bearer <access token>')
    return decode(token.strip(), 'access', now)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    return Principal(user_id=claims['sub'], role=Role(claims['role']))


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    current = settings()
    return PasswordHasher(
        time_cost=current.password_hash_time_cost,
        memory_cost=current.password_hash_memory_kib,
        parallelism=1,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(uuid.uuid4().hex)


def burn_verification_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown email costs as long as a wrong password."""
    verify_password(_dummy_hash(), password)
