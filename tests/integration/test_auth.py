"""Register, login and refresh through the real auth handler, and tokens on protected routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from common import security
from common.domain import Role
from tests.support.api import Api

pytestmark = pytest.mark.usefixtures('aws')

SECRET = 'test-only-secret-0123456789abcdefghijklmnop'


def register(api: Api, email: str = 'ada@example.com', password: str = 'correct horse battery', name: str = 'Ada'):
    return api.post('/api/auth/register', {'email': email, 'password': password, 'name': name})


def login(api: Api, email: str = 'ada@example.com', password: str = 'correct horse battery'):
    return api.post('/api/auth/login', {'email': email, 'password': password})


def test_register_then_login_gives_a_working_token_pair(api: Api):
    created = register(api)
    assert created.status == 201
    assert created.json['email'] == 'ada@example.com'
    assert created.json['role'] == 'guest'
    assert 'password' not in created.body.decode() and 'argon2' not in created.body.decode()
    tokens = login(api, email='  ADA@example.com ').json
    assert tokens['token_type'] == 'Bearer'
    assert tokens['expires_in'] == 900
    claims = jwt.decode(tokens['access'], SECRET, algorithms=['HS256'], issuer='hotel-booking')
    assert claims['type'] == 'access' and claims['role'] == 'guest' and claims['sub'] == created.json['id']
    assert api.get('/api/bookings', token=tokens['access']).status == 200


def test_a_duplicate_email_is_a_conflict(api: Api):
    assert register(api).status == 201
    again = register(api, email='Ada@Example.com')
    assert (again.status, again.code) == (409, 'email_taken')


@pytest.mark.parametrize(
    ('password', 'email'),
    [('short', 'ada@example.com'), ('ada@example.com', 'ada@example.com')],
    ids=['too short', 'the email itself'],
)
def test_weak_passwords_are_refused(api: Api, password: str, email: str):
    reply = register(api, email=email, password=password)
    assert (reply.status, reply.code) == (422, 'weak_password')


def test_wrong_password_and_unknown_email_answer_the_same(api: Api):
    register(api)
    wrong = login(api, password='not the password')
    unknown = login(api, email='nobody@example.com')
    assert wrong.status == unknown.status == 401
    assert wrong.json == unknown.json


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api: Api):
    register(api)
    first = login(api).json
    rotated = api.post('/api/auth/refresh', {'refresh': first['refresh']})
    assert rotated.status == 200
    assert rotated.json['refresh'] != first['refresh']
    replay = api.post('/api/auth/refresh', {'refresh': first['refresh']})
    assert (replay.status, replay.code) == (401, 'invalid_token')
    assert api.post('/api/auth/refresh', {'refresh': rotated.json['refresh']}).status == 200


def _forge(claims: dict, key: str = SECRET, algorithm: str = 'HS256', headers: dict | None = None) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _claims(**overrides) -> dict:
    now = int(datetime.now(UTC).timestamp())
    base = {
        'sub': 'u1',
        'role': 'guest',
        'type': 'access',
        'jti': 'j',
        'iss': 'hotel-booking',
        'iat': now,
        'nbf': now,
        'exp': now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def _alg_none() -> str:
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip('=')

    return f'{part({"alg": "none", "typ": "JWT"})}.{part(_claims())}.'


BAD_TOKENS = {
    'missing': None,
    'garbage': 'not-a-token',
    'alg none': _alg_none(),
    'signed with another secret': _forge(_claims(), key='another-secret-0123456789abcdefghijklmnop'),
    'expired': _forge(_claims(exp=int(datetime.now(UTC).timestamp()) - 1)),
    'not yet valid': _forge(_claims(nbf=int(datetime.now(UTC).timestamp()) + 600)),
    'no type': _forge(_claims(type=None)),
    'refresh used as access': _forge(_claims(type='refresh')),
    'unknown role': _forge(_claims(role='superuser')),
    'other issuer': _forge(_claims(iss='someone-else')),
    'tampered payload': None,  # filled below
}


def _tampered() -> str:
    header, payload, signature = _forge(_claims()).split('.')
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + '=='))
    data['role'] = 'admin'
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip('=')
    return f'{header}.{forged}.{signature}'


BAD_TOKENS['tampered payload'] = _tampered()


@pytest.mark.parametrize('case', list(BAD_TOKENS))
def test_bad_access_tokens_are_refused_with_401(api: Api, case: str):
    reply = api.get('/api/bookings', token=BAD_TOKENS[case])
    assert reply.status == 401
    assert reply.code in ('unauthorized', 'invalid_token')
    assert reply.header('WWW-Authenticate') == 'Bearer'


def test_an_access_token_is_not_a_refresh_token(api: Api):
    access = security.issue('u1', Role.GUEST, 'access', datetime.now(UTC)).token
    reply = api.post('/api/auth/refresh', {'refresh': access})
    assert (reply.status, reply.code) == (401, 'invalid_token')


def test_tokens_expire_on_the_service_clock():
    issued = security.issue('u1', Role.GUEST, 'access', datetime.now(UTC))
    with pytest.raises(Exception, match='invalid or expired'):
        security.decode(issued.token, 'access', datetime.now(UTC) + timedelta(minutes=16))


def test_the_seeded_admin_gets_the_admin_role(api: Api):
    from local import seed

    summary = seed.seed(datetime.now(UTC), 'root@example.com', 'an admin password')
    assert summary['admin'] == 'created'
    claims = jwt.decode(
        login(api, 'root@example.com', 'an admin password').json['access'],
        SECRET,
        algorithms=['HS256'],
        issuer='hotel-booking',
    )
    assert claims['role'] == 'admin'
    assert seed.seed(datetime.now(UTC), 'root@example.com', 'an admin password')['admin'] == 'exists'


def test_register_refuses_unknown_fields_such_as_role(api: Api):
    reply = api.post(
        '/api/auth/register', {'email': 'x@example.com', 'password': 'long enough pw', 'name': 'X', 'role': 'admin'}
    )
    assert (reply.status, reply.code) == (422, 'validation_error')


def test_the_caller_is_checked_before_the_body(api: Api):
    # an anonymous client gets 401, not a validation report of what it sent
    reply = api.post('/api/bookings', {'nonsense': True})
    assert (reply.status, reply.code) == (401, 'unauthorized')
    assert 'errors' not in reply.json


def test_the_create_admin_command_writes_an_admin_once(api: Api, monkeypatch, capsys):
    from local import create_admin

    monkeypatch.setenv('ADMIN_PASSWORD', 'an admin password')
    monkeypatch.setattr('sys.argv', ['create_admin', '--table', 'hotel-booking-test', '--email', 'ops@example.com'])
    assert create_admin.main() == 0
    assert create_admin.main() == 1  # second time: already exists, nothing changed
    tokens = login(api, 'ops@example.com', 'an admin password').json
    assert jwt.decode(tokens['access'], SECRET, algorithms=['HS256'], issuer='hotel-booking')['role'] == 'admin'
