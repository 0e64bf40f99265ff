"""Tokens signed by one (common/security.py): EdDSA with a private key only the auth function holds,
verified everywhere with the public keys; issuer and audience of the stage; key rollover by ``kid``;
no token outlives its session."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from common import errors
from common.config import Settings
from common.domain import Role
from common.security import JwtTokens, SigningKeyUnavailable, key_set, new_signing_key

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SIGNING, PUBLIC = new_signing_key('key-a')
NEXT_SIGNING, NEXT_PUBLIC = new_signing_key('key-b')
HOUR = timedelta(hours=1)


def tokens(**settings: Any) -> JwtTokens:
    values: dict[str, Any] = {'stage': 'dev', 'jwt_signing_key': SIGNING, 'jwt_public_keys': key_set(PUBLIC)}
    return JwtTokens(Settings(**{**values, **settings}))


def verifier(**settings: Any) -> JwtTokens:
    """What every function but auth has: the public keys, no private key."""
    return tokens(jwt_signing_key=None, **settings)


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip('=')


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={'verify_signature': False})


def test_a_token_is_signed_with_eddsa_under_its_key_id_with_the_stages_issuer_and_audience():
    issued = tokens().issue('u1', Role.GUEST, 'access', NOW).token
    assert jwt.get_unverified_header(issued) == {'alg': 'EdDSA', 'kid': 'key-a', 'typ': 'JWT'}
    claims = _claims(issued)
    assert (claims['iss'], claims['aud']) == ('hotel-booking-dev', 'hotel-booking-dev-api')
    refresh = _claims(tokens().issue('u1', Role.GUEST, 'refresh', NOW).token)
    assert refresh['aud'] == 'hotel-booking-dev-auth'  # only the auth routes take a refresh token
    assert verifier().decode(issued, 'access', NOW)['sub'] == 'u1'


def test_a_function_without_the_private_key_verifies_but_cannot_mint():
    with pytest.raises(SigningKeyUnavailable):
        verifier().issue('attacker', Role.ADMIN, 'access', NOW)
    # and what it could build by hand with the public key alone is refused
    forged = jwt.encode(_claims(tokens().issue('u1', Role.ADMIN, 'access', NOW).token), 'x' * 32, algorithm='HS256')
    with pytest.raises(errors.InvalidToken):
        verifier().decode(forged, 'access', NOW)


def test_a_token_of_another_stage_is_refused():
    staging = tokens(stage='staging').issue('u1', Role.ADMIN, 'access', NOW).token  # same keys even
    with pytest.raises(errors.InvalidToken):
        verifier(stage='prod').decode(staging, 'access', NOW)


def test_a_refresh_token_is_not_an_access_token_and_the_reverse():
    refresh = tokens().issue('u1', Role.GUEST, 'refresh', NOW).token
    access = tokens().issue('u1', Role.GUEST, 'access', NOW).token
    with pytest.raises(errors.InvalidToken):
        verifier().decode(refresh, 'access', NOW)
    with pytest.raises(errors.InvalidToken):
        verifier().decode(access, 'refresh', NOW)


@pytest.mark.parametrize(
    'header',
    [
        {'alg': 'HS256', 'kid': 'key-a'},  # the former algorithm, e.g. with the old shared secret
        {'alg': 'none', 'kid': 'key-a'},
        {'alg': 'EdDSA'},  # no key id
        {'alg': 'EdDSA', 'kid': 'unknown'},
        {'alg': 'ES256', 'kid': 'key-a'},
    ],
)
def test_only_eddsa_under_a_known_key_id_is_looked_at(header: dict[str, str]):
    genuine = tokens().issue('u1', Role.GUEST, 'access', NOW).token
    _, payload, signature = genuine.split('.')
    with pytest.raises(errors.InvalidToken):
        verifier().decode(f'{_b64(header)}.{payload}.{signature}', 'access', NOW)


def test_an_hs256_token_signed_with_the_old_secret_is_refused():
    old_secret = 'test-only-secret-0123456789abcdefghijklmnop'
    claims = _claims(tokens().issue('u1', Role.ADMIN, 'access', NOW).token)
    legacy = jwt.encode({**claims, 'iss': 'hotel-booking'}, old_secret, algorithm='HS256')
    with pytest.raises(errors.InvalidToken):
        verifier().decode(legacy, 'access', NOW)


def test_a_signature_made_with_another_ed25519_key_under_our_key_id_is_refused():
    attacker, attacker_public = new_signing_key('key-a')  # same kid, another key
    forged = tokens(jwt_signing_key=attacker, jwt_public_keys=key_set(attacker_public)).issue(
        'u1', Role.ADMIN, 'access', NOW
    )
    with pytest.raises(errors.InvalidToken):
        verifier().decode(forged.token, 'access', NOW)


def test_a_rollover_accepts_both_keys_then_only_the_new_one():
    old_token = tokens().issue('u1', Role.GUEST, 'access', NOW).token
    # 1. the next public key is published next to the current one; 2. the signing key is swapped
    both = key_set(PUBLIC, NEXT_PUBLIC)
    new_token = tokens(jwt_signing_key=NEXT_SIGNING, jwt_public_keys=both).issue('u1', Role.GUEST, 'access', NOW)
    assert jwt.get_unverified_header(new_token.token)['kid'] == 'key-b'
    for token in (old_token, new_token.token):
        assert verifier(jwt_public_keys=both).decode(token, 'access', NOW)['sub'] == 'u1'
    # 3. once the old key's tokens have expired, it is retired
    retired = verifier(jwt_public_keys=key_set(NEXT_PUBLIC))
    assert retired.decode(new_token.token, 'access', NOW)['sub'] == 'u1'
    with pytest.raises(errors.InvalidToken):
        retired.decode(old_token, 'access', NOW)


def test_a_signing_key_whose_public_key_is_not_published_signs_nothing():
    with pytest.raises(SigningKeyUnavailable):
        tokens(jwt_signing_key=NEXT_SIGNING).issue('u1', Role.GUEST, 'access', NOW)


@pytest.mark.parametrize(
    'keys',
    [
        '{"keys": []}',
        'not json',
        key_set(PUBLIC, NEXT_PUBLIC, new_signing_key('key-c')[1]),  # at most two
        key_set(json.loads(SIGNING)),  # a private key where public keys belong
    ],
)
def test_public_keys_that_are_not_one_or_two_public_jwks_fail_closed(keys: str):
    token = tokens().issue('u1', Role.GUEST, 'access', NOW).token
    with pytest.raises(RuntimeError):
        verifier(jwt_public_keys=keys).decode(token, 'access', NOW)


def test_no_token_outlives_its_session():
    started = NOW
    late = NOW + timedelta(days=30) - timedelta(minutes=5)  # a refresh five minutes before the end
    issuer = tokens(session_max_seconds=30 * 24 * 3600)
    access = issuer.issue('u1', Role.GUEST, 'access', late, family='f', session_started=started)
    refresh = issuer.issue('u1', Role.GUEST, 'refresh', late, family='f', session_started=started)
    session_end = started + timedelta(days=30)
    assert access.expires_at == refresh.expires_at == session_end  # not 15 minutes, not 7 days later
    assert _claims(refresh.token)['auth_time'] == int(started.timestamp())
    # past the end, a refresh token says the session is over, an access token is just invalid
    with pytest.raises(errors.SessionExpired):
        issuer.decode(refresh.token, 'refresh', session_end)
    with pytest.raises(errors.InvalidToken) as refused:
        issuer.decode(access.token, 'access', session_end)
    assert not isinstance(refused.value, errors.SessionExpired)
    with pytest.raises(errors.SessionExpired):
        issuer.issue('u1', Role.GUEST, 'refresh', session_end, family='f', session_started=started)


def test_an_ordinary_expiry_is_not_called_the_end_of_the_session():
    refresh = tokens().issue('u1', Role.GUEST, 'refresh', NOW)
    with pytest.raises(errors.InvalidToken) as refused:
        tokens().decode(refresh.token, 'refresh', refresh.expires_at)
    assert not isinstance(refused.value, errors.SessionExpired)
    assert tokens().decode(refresh.token, 'refresh', refresh.expires_at - HOUR)['type'] == 'refresh'
