"""Tokens and passwords (DESIGN §10, docs/accounts-and-security.md): the ``Tokens`` and ``Passwords``
ports.

Tokens are JWTs signed with **EdDSA (Ed25519)**. Only the auth function holds the private key
(``JWT_SIGNING_KEY``, a private JWK; in AWS an SSM SecureString named by ``JWT_SIGNING_KEY_PARAM``):
every other function verifies with the public keys (``JWT_PUBLIC_KEYS``, a JWKS of one or two keys
with their ``kid``; in AWS an SSM parameter named by ``JWT_PUBLIC_KEYS_PARAM``), so no function but
auth can mint a token, an admin's or anyone's. Both are read through powertools Parameters, cached
five minutes: a key rolled over in SSM is picked up without a deploy (docs: key rollover).

Claims, all required: ``sub role type jti iss aud iat nbf exp fam auth_time``. ``iss`` is
``hotel-booking-<stage>`` and ``aud`` ``hotel-booking-<stage>-api`` (access) or
``hotel-booking-<stage>-auth`` (refresh: only the auth routes take it), so a token of another
stage, or a refresh token offered as an access token, is refused. ``fam`` is the sign-in session
both tokens of a pair belong to, ``auth_time`` when that session signed in: no token outlives
``auth_time + SESSION_MAX_SECONDS``, and a refresh token refused for that reason says
``session_expired``. The header's ``alg`` must be EdDSA and its ``kid`` one of the public keys:
HS256 (the former algorithm), ``none`` or any other is refused before the signature is looked at.
Passwords are hashed with argon2id.

PyJWT (with cryptography) and argon2 are imported on first use: a function pays for them only when
a request signs, checks or hashes something.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common import errors
from common.domain import Principal, Role
from common.lazy import lazy_import
from common.observability import logger
from common.ports import IssuedToken, TokenType

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from common.config import Settings

jwt = lazy_import('jwt')
argon2 = lazy_import('argon2')
argon2_exceptions = lazy_import('argon2.exceptions')

ALGORITHM = 'EdDSA'
CLAIMS = ('exp', 'iat', 'nbf', 'jti', 'sub', 'type', 'role', 'iss', 'aud', 'fam', 'auth_time')
# Parameters are read again after this long: how fast a rolled-over key reaches a warm function.
KEY_CACHE_SECONDS = 300


def issuer(stage: str) -> str:
    return f'hotel-booking-{stage}'


def audience(stage: str, token_type: TokenType) -> str:
    return f'hotel-booking-{stage}-{"auth" if token_type == "refresh" else "api"}'  # noqa: S105 - a token kind


class SigningKeyUnavailable(RuntimeError):
    """This function holds no signing key (only the auth function does), or its key is not among
    the public keys. A configuration fault: 500, logged."""

    def __init__(self, detail: str = 'this function holds no JWT signing key: only the auth function signs') -> None:
        super().__init__(detail)


@dataclass(frozen=True)
class _SigningKey:
    kid: str
    key: Any  # cryptography's Ed25519PrivateKey


def _parameter(name: str, decrypt: bool) -> str | None:
    from aws_lambda_powertools.utilities import parameters  # only in AWS: keep cold starts lean

    value = parameters.get_parameter(name, decrypt=decrypt, max_age=KEY_CACHE_SECONDS)
    return value if isinstance(value, str) and value else None


class JwtTokens:
    """Issues (auth function only) and verifies the API's tokens."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        # Parsed keys by the text they came from: a new text (a rollover) is parsed once.
        self._public: tuple[str, dict[str, Any]] | None = None
        self._signing: tuple[str, _SigningKey] | None = None

    # ------------------------------------------------------------ keys

    def public_keys(self) -> dict[str, Any]:
        """The verification keys by ``kid`` (one, or two during a rollover)."""
        current = self._settings
        text = current.jwt_public_keys
        if not text and current.jwt_public_keys_param:
            text = _parameter(current.jwt_public_keys_param, decrypt=False)
        if not text:
            # Fail closed: without keys no token is accepted.
            raise RuntimeError('JWT public keys are not configured (JWT_PUBLIC_KEYS or JWT_PUBLIC_KEYS_PARAM)')
        cached = self._public
        if cached is not None and cached[0] is text:
            return cached[1]
        with self._lock:
            if self._public is None or self._public[0] != text:
                self._public = (text, _parse_public_keys(text))
            return self._public[1]

    def _signing_key(self) -> _SigningKey:
        current = self._settings
        text = current.jwt_signing_key
        if not text and current.jwt_signing_key_param:
            text = _parameter(current.jwt_signing_key_param, decrypt=True)
        if not text:
            # Only the auth function is given the private key (template.yaml): any other function
            # that tried to sign a token stops here.
            raise SigningKeyUnavailable()
        with self._lock:
            if self._signing is None or self._signing[0] != text:
                self._signing = (text, _parse_signing_key(text))
            signing = self._signing[1]
        if signing.kid not in self.public_keys():
            # A key nobody could verify: step 1 of a rollover (publish the public key) was skipped.
            logger.error('the signing key is not among the public keys', kid=signing.kid)
            raise SigningKeyUnavailable(f'the signing key {signing.kid} is not among the public keys')
        return signing

    # ------------------------------------------------------------ tokens

    def issue(
        self,
        user_id: str,
        role: Role,
        token_type: TokenType,
        now: datetime,
        family: str | None = None,
        session_started: datetime | None = None,
    ) -> IssuedToken:
        """Sign a token; without ``family`` it starts a session of its own (signed in ``now``).
        It expires after its lifetime or when its session ends, whichever comes first."""
        current = self._settings
        signing = self._signing_key()
        issued_at = int(now.timestamp())  # JWT times are whole seconds
        started = int((session_started or now).timestamp())
        lifetime = current.access_token_seconds if token_type == 'access' else current.refresh_token_seconds  # noqa: S105
        expires = min(issued_at + lifetime, started + current.session_max_seconds)
        if expires <= now.timestamp():
            raise errors.SessionExpired()
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            'sub': user_id,
            'role': role.value,
            'type': token_type,
            'jti': jti,
            'iss': issuer(current.stage),
            'aud': audience(current.stage, token_type),
            'iat': issued_at,
            'nbf': issued_at,
            'exp': expires,
            'fam': family or uuid.uuid4().hex,
            'auth_time': started,
        }
        token = jwt.encode(claims, signing.key, algorithm=ALGORITHM, headers={'kid': signing.kid})
        return IssuedToken(token, jti, datetime.fromtimestamp(claims['exp'], tz=UTC))

    def decode(self, token: str, expected_type: TokenType, now: datetime) -> dict[str, Any]:
        """Verify algorithm, key, signature, issuer, audience, times and type; any failure is
        ``InvalidToken``, a refresh token past the end of its session ``SessionExpired``."""
        current = self._settings
        try:
            header = jwt.get_unverified_header(token)
            key = self.public_keys().get(header.get('kid')) if header.get('alg') == ALGORITHM else None
            if key is None:
                raise errors.InvalidToken()
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer(current.stage),
                audience=audience(current.stage, expected_type),
                # Times are checked below against the service's clock (frozen in tests), not the wall's.
                options={'require': list(CLAIMS), 'verify_iat': False, 'verify_exp': False, 'verify_nbf': False},
            )
        except jwt.PyJWTError:
            raise errors.InvalidToken() from None
        if claims['type'] != expected_type or claims['role'] not in (Role.GUEST.value, Role.ADMIN.value):
            raise errors.InvalidToken()
        if not all(isinstance(claims[name], str) and claims[name] for name in ('sub', 'jti', 'fam')):
            raise errors.InvalidToken()
        times = [claims[name] for name in ('nbf', 'exp', 'auth_time')]
        if not all(isinstance(t, int) and not isinstance(t, bool) for t in times):
            raise errors.InvalidToken()
        stamp = now.timestamp()
        if stamp < claims['nbf']:
            raise errors.InvalidToken()
        if stamp >= claims['exp']:
            session_ended = stamp >= claims['auth_time'] + current.session_max_seconds
            if session_ended and expected_type == 'refresh':
                raise errors.SessionExpired()
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
        return Principal(user_id=claims['sub'], role=Role(claims['role']), session=claims['fam'])


def _parse_public_keys(text: str) -> dict[str, Any]:
    """A JWKS (``{"keys": [...]}``) of Ed25519 public keys, each with its ``kid``."""
    try:
        found = {}
        for entry in json.loads(text)['keys']:
            if entry.get('kty') != 'OKP' or entry.get('crv') != 'Ed25519' or 'd' in entry or not entry.get('kid'):
                raise ValueError('each key must be a public Ed25519 JWK (kty OKP, crv Ed25519) with a kid')
            found[entry['kid']] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
    except (ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
        raise RuntimeError(f'JWT public keys are not a valid JWKS: {type(exc).__name__}') from None
    if not 1 <= len(found) <= 2:
        raise RuntimeError('JWT public keys: one key, or two during a rollover')
    return found


def _parse_signing_key(text: str) -> _SigningKey:
    try:
        entry = json.loads(text)
        if entry.get('kty') != 'OKP' or entry.get('crv') != 'Ed25519' or 'd' not in entry or not entry.get('kid'):
            raise ValueError('the signing key must be a private Ed25519 JWK with a kid')
        return _SigningKey(entry['kid'], jwt.PyJWK(entry, algorithm=ALGORITHM).key)
    except (ValueError, KeyError, TypeError, AttributeError, jwt.PyJWTError) as exc:
        # Never the value: only what kind of problem it is.
        raise RuntimeError(f'JWT signing key is not a private Ed25519 JWK: {type(exc).__name__}') from None


def new_signing_key(kid: str | None = None) -> tuple[str, dict[str, Any]]:
    """A new Ed25519 key pair: the private JWK (JSON text, the signing key's parameter) and its
    public JWK (one entry of the public keys' JWKS). ``kid`` defaults to the date and a random tail."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from jwt.algorithms import OKPAlgorithm

    kid = kid or f'{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}'
    key = Ed25519PrivateKey.generate()
    private = {**json.loads(OKPAlgorithm.to_jwk(key)), 'kid': kid}
    public = {**json.loads(OKPAlgorithm.to_jwk(key.public_key())), 'kid': kid}
    return json.dumps(private), public


def key_set(*public_keys: dict[str, Any]) -> str:
    """The public keys' parameter: a JWKS of the given public JWKs."""
    return json.dumps({'keys': list(public_keys)})


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
