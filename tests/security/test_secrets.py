"""Passwords (and their hashes) never leave the server: not in any response, not in any log line,
whatever the request and however it ends (created, refused, rate-limited, crashed)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from common.repos import AccountRepository
from local import cfn
from tests.support.api import Api
from tests.support.logs import captured_logs as capture

pytestmark = pytest.mark.usefixtures('aws')

PASSWORD = 'Canary-Passw0rd-7f3a9c'
WRONG = 'Canary-Wrong-Passw0rd-c41d'
SHORT = 'Cnry-42!'
TOO_LONG = 'Canary-' + 'L' * 300


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged: the application's JSON lines and every library logger, at DEBUG."""
    with capture(logging.DEBUG) as stream:
        yield stream


def test_passwords_never_appear_in_responses_or_logs(
    api: Api, captured_logs: io.StringIO, override_settings, monkeypatch
):
    override_settings(LOGIN_FAILURES_PER_EMAIL=3)
    email = 'ada@example.com'
    replies = [
        api.post('/api/auth/register', {'email': email, 'password': PASSWORD, 'name': 'Ada'}),
        api.post('/api/auth/register', {'email': email, 'password': PASSWORD, 'name': 'Ada'}),  # taken
        api.post('/api/auth/register', {'email': 'b@example.com', 'password': SHORT, 'name': 'B'}),  # weak
        api.post('/api/auth/register', {'email': 'c@example.com', 'password': TOO_LONG, 'name': 'C'}),  # too long
        api.post('/api/auth/register', {'email': 'd@example.com', 'password': PASSWORD, 'name': 'D', 'role': 'admin'}),
        api.post('/api/auth/register', raw=f'{{"email": "e@example.com", "password": "{PASSWORD}"'.encode()),
        api.post('/api/auth/login', {'email': email, 'password': WRONG}),
        api.post('/api/auth/login', {'email': 'nobody@example.com', 'password': WRONG}),
        api.post('/api/auth/login', {'email': email, 'password': PASSWORD, 'extra': PASSWORD}),
    ]
    tokens = api.post('/api/auth/login', {'email': email, 'password': PASSWORD}).json
    replies += [
        api.get('/api/users/me', token=tokens['access']),
        api.patch('/api/users/me', {'name': 'Ada L', 'password': PASSWORD}, token=tokens['access']),
        api.patch('/api/users/me', {'phone': '+351 912 345 678'}, token=tokens['access']),
        api.post('/api/auth/refresh', {'refresh': tokens['refresh']}),
    ]
    replies += [api.post('/api/auth/login', {'email': email, 'password': WRONG}) for _ in range(3)]  # -> 429
    assert replies[-1].status == 429

    def crash(*args, **kwargs):
        raise RuntimeError('storage exploded')

    monkeypatch.setattr(AccountRepository, 'find_user_by_email', crash)
    override_settings(LOGIN_FAILURES_PER_EMAIL=0)
    crashed = api.post('/api/auth/login', {'email': email, 'password': PASSWORD})
    assert crashed.status == 500
    replies.append(crashed)

    statuses = [r.status for r in replies]
    assert {201, 409, 422, 400, 401, 200, 429, 500} <= set(statuses), statuses
    for reply in replies:
        body = reply.body.decode()
        for secret in (PASSWORD, WRONG, SHORT, TOO_LONG, '$argon2', 'password_hash'):
            assert secret not in body, (reply.status, body[:300])
    logs = captured_logs.getvalue()
    assert 'unhandled error' in logs and 'storage exploded' in logs, 'the capture works'
    for secret in (PASSWORD, WRONG, SHORT, TOO_LONG[:40]):
        assert secret not in logs
    app_lines = [line for line in logs.splitlines() if line.startswith('{')]
    assert app_lines and not any('$argon2' in line for line in app_lines)


def test_request_events_are_never_logged_whole():
    # powertools would log every event, bodies and passwords included, with this switched on
    template = cfn.load()
    variables = [template['Globals']['Function']['Environment']['Variables']]
    variables += [
        (f['Properties'].get('Environment') or {}).get('Variables') or {} for f in cfn.functions(template).values()
    ]
    assert all(str(v.get('POWERTOOLS_LOGGER_LOG_EVENT', 'false')).lower() == 'false' for v in variables)
