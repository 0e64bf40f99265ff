"""Register, login, refresh, logout and the abuse limits through the real auth handler.

Forged and revoked tokens on every kind of route are in tests/security/test_jwt.py.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine

from common.domain import Role
from common.security import Argon2Passwords
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')

PASSWORD = 'correct horse battery'


def verified(token: str, audience: str = 'hotel-booking-test-api') -> dict[str, Any]:
    """The claims of a token, checked as a client holding the public key would (EdDSA, issuer and
    audience of the stage)."""
    public = jwt.PyJWK(json.loads(os.environ['JWT_PUBLIC_KEYS'])['keys'][0], algorithm='EdDSA').key
    return jwt.decode(token, public, algorithms=['EdDSA'], issuer='hotel-booking-test', audience=audience)


def register(api: Api, email: str = 'ada@example.com', password: str = PASSWORD, name: str = 'Ada', **kwargs):
    return api.post('/api/auth/register', {'email': email, 'password': password, 'name': name}, **kwargs)


def login(api: Api, email: str = 'ada@example.com', password: str = PASSWORD, **kwargs):
    return api.post('/api/auth/login', {'email': email, 'password': password}, **kwargs)


def signed_in(api: Api, email: str = 'ada@example.com') -> dict:
    reply = login(api, email=email)
    assert reply.status == 200, reply.json
    return reply.json


# ------------------------------------------------------------------ register and login


def test_register_then_login_gives_a_working_token_pair(api: Api):
    created = register(api)
    assert created.status == 201
    assert created.json['email'] == 'ada@example.com'
    assert created.json['role'] == 'guest'
    assert 'password' not in created.body.decode() and 'argon2' not in created.body.decode()
    tokens = login(api, email='  ADA@example.com ').json
    assert tokens['token_type'] == 'Bearer'
    assert tokens['expires_in'] == 900
    claims = verified(tokens['access'], 'hotel-booking-test-api')
    assert claims['type'] == 'access' and claims['role'] == 'guest' and claims['sub'] == created.json['id']
    refresh_claims = verified(tokens['refresh'], 'hotel-booking-test-auth')
    assert claims['fam'] == refresh_claims['fam'], 'both tokens of a pair belong to one session'
    assert api.get('/api/bookings', token=tokens['access']).status == 200


def test_a_duplicate_email_is_a_conflict(api: Api):
    assert register(api).status == 201
    again = register(api, email='Ada@Example.com')
    assert (again.status, again.code) == (409, 'email_taken')


@pytest.mark.parametrize(
    ('password', 'rule', 'says'),
    [
        ('short', 'min_length', 'at least 10 characters (it has 5)'),
        ('ada.lovelace@example.com', 'not_email', 'must not be the email address'),
        ('ADA.Lovelace@Example.com', 'not_email', 'must not be the email address'),
        ('ada.lovelace', 'not_email', 'part before the @'),
    ],
    ids=['too short', 'the email itself', 'the email in other case', 'the part before the @'],
)
def test_weak_passwords_are_refused_with_a_rule_the_client_can_show(api: Api, password: str, rule: str, says: str):
    reply = register(api, email='ada.lovelace@example.com', password=password)
    assert (reply.status, reply.code) == (422, 'weak_password')
    assert reply.json['rule'] == rule
    assert says in reply.json['detail']
    assert password not in reply.body.decode()
    assert login(api, email='ada.lovelace@example.com', password=password).status == 401, 'nothing was created'


def test_wrong_password_and_unknown_email_answer_the_same(api: Api):
    register(api)
    wrong = login(api, password='not the password')
    unknown = login(api, email='nobody@example.com')
    assert wrong.status == unknown.status == 401
    assert wrong.json == unknown.json


# ------------------------------------------------------------------ refresh, reuse, logout


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api: Api):
    register(api)
    first = signed_in(api)
    rotated = api.post('/api/auth/refresh', {'refresh': first['refresh']})
    assert rotated.status == 200
    assert rotated.json['refresh'] != first['refresh']
    again = api.post('/api/auth/refresh', {'refresh': rotated.json['refresh']})
    assert again.status == 200, 'the newest refresh token of a session keeps working'
    assert api.get('/api/users/me', token=again.json['access']).status == 200


def test_logout_with_an_older_refresh_token_of_the_session_still_signs_it_out(api: Api):
    register(api)
    first = signed_in(api)
    current = api.post('/api/auth/refresh', {'refresh': first['refresh']}).json
    assert api.post('/api/auth/logout', {'refresh': first['refresh']}, token=current['access']).status == 204
    assert api.post('/api/auth/refresh', {'refresh': current['refresh']}).status == 401


@pytest.mark.parametrize('body', [{}, {'refresh': ''}, {'refresh': 'not-a-token'}])
def test_logout_needs_a_signed_in_caller_and_a_refresh_token(api: Api, body: dict):
    register(api)
    tokens = signed_in(api)
    assert api.post('/api/auth/logout', {'refresh': tokens['refresh']}).status == 401
    reply = api.post('/api/auth/logout', body, token=tokens['access'])
    assert reply.status in (401, 422)
    assert api.post('/api/auth/refresh', {'refresh': tokens['refresh']}).status == 200, 'nothing was revoked'


def test_a_session_lives_as_long_as_its_refresh_tokens(api: Api):
    register(api)
    start = datetime.now(UTC)
    tokens = signed_in(api)
    with time_machine.travel(start + timedelta(days=6), tick=False):
        tokens = api.post('/api/auth/refresh', {'refresh': tokens['refresh']}).json
        assert api.get('/api/users/me', token=tokens['access']).status == 200
    with time_machine.travel(start + timedelta(days=13, seconds=1), tick=False):
        assert api.post('/api/auth/refresh', {'refresh': tokens['refresh']}).status == 401


def test_tokens_expire_on_the_service_clock():
    issued = deps().tokens.issue('u1', Role.GUEST, 'access', datetime.now(UTC))
    with pytest.raises(Exception, match='invalid or expired'):
        deps().tokens.decode(issued.token, 'access', datetime.now(UTC) + timedelta(minutes=16))


# ------------------------------------------------------------------ abuse limits


def test_unknown_emails_are_counted_like_known_ones(api: Api, override_settings):
    override_settings(LOGIN_FAILURES_PER_EMAIL=2)
    register(api)
    for email in ('ada@example.com', 'nobody@example.com'):
        statuses = [login(api, email=email, password='wrong password').status for _ in range(3)]
        assert statuses == [401, 401, 429], email


def test_failed_logins_per_client_address_are_limited_across_emails(api: Api, override_settings):
    override_settings(LOGIN_FAILURES_PER_IP=3)
    register(api)
    spraying = [
        login(api, email=f'user{i}@example.com', password='Summer2030!', source_ip='198.51.100.7').status
        for i in range(4)
    ]
    assert spraying == [401, 401, 401, 429]
    assert login(api, email='user9@example.com', password='x' * 10, source_ip='198.51.100.8').status == 401
    assert login(api, source_ip='198.51.100.8').status == 200
    # the X-Forwarded-For header is the client's to invent: it does not move the limit
    spoofed = login(api, headers={'X-Forwarded-For': '192.0.2.1'}, source_ip='198.51.100.7')
    assert spoofed.status == 429


def test_a_refused_login_costs_no_password_hashing(api: Api, override_settings, monkeypatch):
    override_settings(LOGIN_FAILURES_PER_EMAIL=1)
    register(api)
    assert login(api, password='wrong password').status == 401
    verified = []
    real = Argon2Passwords.verify
    monkeypatch.setattr(Argon2Passwords, 'verify', lambda self, *a: verified.append(1) or real(self, *a))
    monkeypatch.setattr(Argon2Passwords, 'burn_verification_time', lambda self, *a: verified.append(1))
    assert login(api).status == 429
    assert verified == []


def test_a_weak_password_does_not_use_up_the_registrations_limit(api: Api, override_settings):
    override_settings(REGISTRATIONS_PER_IP=1)
    assert register(api, password='short').code == 'weak_password'
    assert register(api).status == 201


def test_what_a_login_costs_in_dynamodb_calls(api: Api, monkeypatch):
    register(api)
    with count_calls(monkeypatch) as success:
        assert login(api).status == 200
    with count_calls(monkeypatch) as failure:
        assert login(api, password='wrong password').status == 401
    # email lock + user; a conditional ADD per limit (email and IP, IP, email), given back when
    # the password is right; the new session listed under its user (for sign out everywhere)
    assert success.calls == {'GetItem': 2, 'UpdateItem': 6, 'PutItem': 1}
    assert failure.calls == {'GetItem': 2, 'UpdateItem': 3}


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(api: Api):
    register(api)
    guesses = [login(api, password=f'guess number {i}', source_ip='203.0.113.66').status for i in range(30)]
    assert guesses == [401] * 10 + [429] * 20  # the stranger is stopped after 10 (defaults)
    assert login(api, password='correct horse battery', source_ip='203.0.113.66').status == 429  # no oracle
    assert login(api, source_ip='198.51.100.20').status == 200  # the owner, from their own address


def test_limits_set_to_zero_are_off(api: Api, override_settings, monkeypatch):
    override_settings(
        LOGIN_FAILURES_PER_EMAIL_AND_IP=0, LOGIN_FAILURES_PER_EMAIL=0, LOGIN_FAILURES_PER_IP=0, REGISTRATIONS_PER_IP=0
    )
    register(api)
    with count_calls(monkeypatch) as calls:
        assert {login(api, password='wrong password').status for _ in range(12)} == {401}
    assert calls['UpdateItem'] == 0


def test_a_guest_token_is_refused_an_admin_role_before_the_session_is_read(monkeypatch):
    from common import errors
    from common.services import accounts

    header = f'Bearer {factories.token("guest-1", Role.GUEST)}'
    with count_calls(monkeypatch) as calls, pytest.raises(errors.Forbidden):
        accounts.authenticate(deps(), header, datetime.now(UTC), required_role=Role.ADMIN)
    assert calls.total == 0
    assert accounts.authenticate(deps(), header, datetime.now(UTC)).user_id == 'guest-1'


def test_the_create_admin_command_writes_an_admin_once(api: Api, monkeypatch, capsys):
    from local import create_admin

    monkeypatch.setenv('ADMIN_PASSWORD', 'an admin password')
    monkeypatch.setattr('sys.argv', ['create_admin', '--table', 'hotel-booking-test', '--email', 'ops@example.com'])
    assert create_admin.main() == 0
    assert create_admin.main() == 1  # second time: already exists, nothing changed
    tokens = login(api, 'ops@example.com', 'an admin password').json
    assert verified(tokens['access'])['role'] == 'admin'


# ------------------------------------------------------------------ sessions that end


def test_sign_out_everywhere_stops_every_access_token_of_the_user_at_once(api: Api):
    register(api)
    register(api, email='grace@example.com')
    sessions = [signed_in(api) for _ in range(3)]
    grace = signed_in(api, email='grace@example.com')
    assert api.post('/api/auth/logout-all', token=sessions[0]['access']).status == 204
    for pair in sessions:
        refused = api.get('/api/users/me', token=pair['access'])
        assert (refused.status, refused.code) == (401, 'invalid_token')
        assert api.post('/api/auth/refresh', {'refresh': pair['refresh']}).status == 401
    assert api.get('/api/users/me', token=grace['access']).status == 200
    assert api.post('/api/auth/logout-all').status == 401  # signed in only
    assert api.get('/api/users/me', token=signed_in(api)['access']).status == 200


def test_a_password_change_ends_the_other_sessions_and_the_old_password(api: Api):
    register(api)
    mine, other = signed_in(api), signed_in(api)
    change = {'current_password': PASSWORD, 'new_password': 'a new horse, a new battery'}
    wrong = api.post('/api/users/me/password', {**change, 'current_password': 'not it at all'}, token=mine['access'])
    assert (wrong.status, wrong.code) == (403, 'wrong_password')
    weak = api.post('/api/users/me/password', {**change, 'new_password': 'short'}, token=mine['access'])
    assert (weak.status, weak.code) == (422, 'weak_password')
    assert api.post('/api/users/me/password', change, token=mine['access']).status == 204
    assert api.get('/api/users/me', token=mine['access']).status == 200
    assert api.get('/api/users/me', token=other['access']).status == 401
    assert login(api).status == 401
    assert login(api, password='a new horse, a new battery').status == 200


def test_a_refresh_after_the_sessions_absolute_lifetime_is_refused(api: Api):
    register(api)
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        pair = signed_in(api)
        for _ in range(4):  # keep refreshing inside each refresh token's 7 days
            clock.shift(timedelta(days=6))
            pair = api.post('/api/auth/refresh', {'refresh': pair['refresh']}).json
        clock.shift(timedelta(days=6, seconds=1))  # day 30 and a second: the session is over
        ended = api.post('/api/auth/refresh', {'refresh': pair['refresh']})
    assert (ended.status, ended.code) == (401, 'session_expired')
