"""Forged, expired, mistyped and revoked JWTs are refused with 401 on every protected route of the
template (read from template.yaml and the handlers' declarations, so new routes are covered)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWK
from jwt.algorithms import RSAAlgorithm

from common.domain import Role
from common.security import new_signing_key
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.routes import BODY_METHODS, api_routes

pytestmark = [
    pytest.mark.usefixtures('shared_aws'),
    # HS384/HS512 tokens are forged on purpose; PyJWT warns that the key is short for them.
    pytest.mark.filterwarnings('ignore::jwt.warnings.InsecureKeyLengthWarning'),
]

# The HS256 secret tokens were signed with before EdDSA: such a token must mean nothing now.
OLD_SECRET = 'test-only-secret-0123456789abcdefghijklmnop'
OTHER_SECRET = 'another-secret-0123456789abcdefghijklmnop'
PROTECTED = [r for r in api_routes() if r.needs_auth]
SIGNING_JWK = json.loads(os.environ['JWT_SIGNING_KEY'])  # the test process's key pair (tests/conftest.py)
SIGNING_KEY = PyJWK(SIGNING_JWK, algorithm='EdDSA').key
PUBLIC_JWK = json.loads(os.environ['JWT_PUBLIC_KEYS'])['keys'][0]


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip('=')


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    base = {
        'sub': 'u1',
        'role': 'guest',
        'type': 'access',
        'jti': 'j1',
        'fam': 'f1',
        'iss': 'hotel-booking-test',
        'aud': 'hotel-booking-test-api',
        'iat': now,
        'nbf': now,
        'exp': now + 600,
        'auth_time': now,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def _signed(claims: dict[str, Any], key: Any = SIGNING_KEY, algorithm: str = 'EdDSA', **headers: Any) -> str:
    """Signed with the real private key under its kid, unless told otherwise: the forger's best case."""
    if algorithm == 'EdDSA':
        headers.setdefault('kid', SIGNING_JWK['kid'])
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers or None)


def _hmac_signed(alg: str, claims: dict[str, Any], secret: bytes, **header: Any) -> str:
    signing_input = f'{_b64({"alg": alg, "typ": "JWT", **header})}.{_b64(claims)}'
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f'{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip("=")}'


def _unsigned(alg: str, claims: dict[str, Any], signature: str = '') -> str:
    return f'{_b64({"alg": alg, "typ": "JWT"})}.{_b64(claims)}.{signature}'


def _tampered() -> str:
    header, _, signature = _signed(_claims()).split('.')
    return f'{header}.{_b64(_claims(role="admin"))}.{signature}'


@cache
def _attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _rs256_with_embedded_key() -> str:
    # The attacker signs with their own key and offers it in the header (jwk): never trusted.
    key = _attacker_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return jwt.encode(_claims(role='admin'), key, algorithm='RS256', headers={'jwk': jwk})


def _rs256_header_hmac_signed() -> str:
    # Algorithm confusion: an RS256 header over an HMAC made with the old shared secret.
    return _hmac_signed('RS256', _claims(), OLD_SECRET.encode())


def _hs256_with_the_public_key() -> str:
    # Key confusion: an HMAC keyed with the (public) verification key, under its kid.
    return _hmac_signed('HS256', _claims(role='admin'), json.dumps(PUBLIC_JWK).encode(), kid=PUBLIC_JWK['kid'])


def _other_ed25519_key_same_kid() -> str:
    attacker, _ = new_signing_key(SIGNING_JWK['kid'])
    return _signed(_claims(role='admin'), key=PyJWK(json.loads(attacker), algorithm='EdDSA').key)


def forged_access_tokens() -> dict[str, str]:
    """Authorization header values that must all be refused."""
    now = int(datetime.now(UTC).timestamp())
    tokens = {
        'alg none': _unsigned('none', _claims()),
        'alg None': _unsigned('None', _claims()),
        'alg NONE with a signature': _unsigned('NONE', _claims(), 'c2lnbmF0dXJl'),
        'HS256 with the old shared secret': _signed(_claims(), key=OLD_SECRET, algorithm='HS256'),
        'HS256 admin role with the old shared secret': _signed(
            _claims(role='admin'), key=OLD_SECRET, algorithm='HS256'
        ),
        'HS256 with another secret': _signed(_claims(), key=OTHER_SECRET, algorithm='HS256'),
        'HS512 with the old secret': _signed(_claims(), key=OLD_SECRET, algorithm='HS512'),
        'HS256 keyed with the public key': _hs256_with_the_public_key(),
        'EdDSA with another key under our kid': _other_ed25519_key_same_kid(),
        'EdDSA under an unknown kid': _signed(_claims(), kid='someone-elses'),
        'EdDSA without a kid': jwt.encode(_claims(), SIGNING_KEY, algorithm='EdDSA'),
        'tampered payload': _tampered(),
        'signature stripped': _signed(_claims()).rsplit('.', 1)[0] + '.',
        'RS256 with an embedded attacker key': _rs256_with_embedded_key(),
        'RS256 header over an HMAC of the old secret': _rs256_header_hmac_signed(),
        'expired': _signed(_claims(iat=now - 1200, nbf=now - 1200, exp=now - 1)),
        'not yet valid': _signed(_claims(nbf=now + 600, exp=now + 1200)),
        'missing type': _signed(_claims(type=None)),
        'refresh token as access': deps().tokens.issue('u1', Role.GUEST, 'refresh', datetime.now(UTC)).token,
        'unknown type': _signed(_claims(type='id')),
        'unknown role': _signed(_claims(role='superuser')),
        'other issuer': _signed(_claims(iss='someone-else')),
        "another stage's issuer": _signed(_claims(iss='hotel-booking-prod', aud='hotel-booking-prod-api')),
        'the former issuer': _signed(_claims(iss='hotel-booking')),
        'no issuer': _signed(_claims(iss=None)),
        'refresh audience': _signed(_claims(aud='hotel-booking-test-auth')),
        'no audience': _signed(_claims(aud=None)),
        'no expiry': _signed(_claims(exp=None)),
        'no sign-in time': _signed(_claims(auth_time=None)),
        'no session': _signed(_claims(fam=None)),
        'no jti': _signed(_claims(jti=None)),
        'no subject': _signed(_claims(sub=None)),
        'subject not a string': _signed(_claims(sub=42)),
        'expiry not a number': _signed(_claims(exp='tomorrow')),
        'garbage': 'not-a-token',
    }
    headers = {name: f'Bearer {token}' for name, token in tokens.items()}
    headers.update(
        {
            'no header': '',
            'basic scheme': 'Basic dXNlcjpwYXNz',
            'bearer without token': 'Bearer ',
            'token without scheme': _signed(_claims()),
        }
    )
    return headers


def revoked_access_header(api: Api, role: Role = Role.GUEST) -> str:
    """A real session, signed out: its (unexpired) access token must stop working."""
    user = factories.user(role=role)
    tokens = api.post('/api/auth/login', {'email': user.email, 'password': 'correct horse battery'}).json
    assert api.post('/api/auth/logout', {'refresh': tokens['refresh']}, token=tokens['access']).status == 204
    return f'Bearer {tokens["access"]}'


def _call(api: Api, route, authorization: str):
    headers = {'Authorization': authorization} if authorization else {}
    body = {} if route.method in BODY_METHODS else None
    return api.request(route.method, route.url(), body, headers=headers)


def test_there_are_protected_routes_to_check():
    assert len(PROTECTED) >= 8


def test_a_genuine_token_is_accepted_so_the_refusals_below_mean_something(api: Api):
    user = factories.user()
    reply = api.get('/api/users/me', token=factories.token(user.id))
    assert reply.status == 200
    assert reply.json['id'] == user.id
    forged_same_claims = _signed(_claims(sub=user.id))
    assert api.get('/api/users/me', token=forged_same_claims).status == 200, 'the forger has the real key here'


@pytest.mark.parametrize('route', PROTECTED, ids=[r.id for r in PROTECTED])
def test_bad_access_tokens_are_refused_with_401_on_every_protected_route(api: Api, route):
    revoked = revoked_access_header(api, Role.ADMIN if route.is_admin else Role.GUEST)
    cases = {**forged_access_tokens(), 'revoked (signed out)': revoked}
    wrong = {}
    for case, authorization in cases.items():
        reply = _call(api, route, authorization)
        if (
            reply.status != 401
            or reply.code not in ('unauthorized', 'invalid_token')
            or reply.header('WWW-Authenticate') != 'Bearer'
            or reply.header('Content-Type') != 'application/problem+json'
        ):
            wrong[case] = (reply.status, reply.body[:200])
    assert not wrong, f'{route.id} accepted or mis-answered: {wrong}'


def _refresh_token_cases(api: Api) -> dict[str, str]:
    user = factories.user()
    credentials = {'email': user.email, 'password': 'correct horse battery'}
    rotated_away = api.post('/api/auth/login', credentials).json
    assert api.post('/api/auth/refresh', {'refresh': rotated_away['refresh']}).status == 200
    signed_out = api.post('/api/auth/login', credentials).json
    api.post('/api/auth/logout', {'refresh': signed_out['refresh']}, token=signed_out['access'])
    now = int(datetime.now(UTC).timestamp())
    refresh_claims = _claims(sub=user.id, type='refresh', aud='hotel-booking-test-auth')
    return {
        'access token as refresh': factories.token(user.id),
        'alg none': _unsigned('none', refresh_claims),
        'HS256 with the old shared secret': _signed(refresh_claims, key=OLD_SECRET, algorithm='HS256'),
        'RS256 with an embedded attacker key': _rs256_with_embedded_key(),
        'access audience': _signed({**refresh_claims, 'aud': 'hotel-booking-test-api'}),
        "another stage's refresh token": _signed(
            {**refresh_claims, 'iss': 'hotel-booking-prod', 'aud': 'hotel-booking-prod-auth'}
        ),
        'expired': _signed({**refresh_claims, 'iat': now - 99, 'nbf': now - 99, 'exp': now - 1}),
        'not yet valid': _signed({**refresh_claims, 'nbf': now + 60}),
        'missing type': _signed({k: v for k, v in refresh_claims.items() if k != 'type'}),
        'already rotated': rotated_away['refresh'],
        'revoked (signed out)': signed_out['refresh'],
    }


def test_bad_refresh_tokens_are_refused_with_401(api: Api):
    wrong = {}
    for case, token in _refresh_token_cases(api).items():
        reply = api.post('/api/auth/refresh', {'refresh': token})
        if (reply.status, reply.code) != (401, 'invalid_token'):
            wrong[case] = (reply.status, reply.body[:200])
    assert not wrong


def test_logout_refuses_what_refresh_refuses(api: Api):
    cases = _refresh_token_cases(api)
    caller = factories.token(factories.user().id)
    for case in ('access token as refresh', 'alg none', 'HS256 with the old shared secret', 'expired', 'missing type'):
        reply = api.post('/api/auth/logout', {'refresh': cases[case]}, token=caller)
        assert (reply.status, reply.code) == (401, 'invalid_token'), case


def test_the_caller_is_checked_before_the_body(api: Api):
    # an anonymous client gets 401, not a validation report of what it sent
    reply = api.post('/api/bookings', {'nonsense': True})
    assert (reply.status, reply.code) == (401, 'unauthorized')
    assert 'errors' not in reply.json
