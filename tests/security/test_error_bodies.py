"""Error bodies are problem+json with a stable code and say nothing about the inside: no stack
trace, file, module, library, table, key shape or class name, for bad input on every route of the
template and for failures of our own (storage errors, crashes)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import GetError

from common.domain import Role
from common.repos import BookingRepository
from tests.support import factories
from tests.support.api import Api, Reply
from tests.support.routes import BODY_METHODS, ApiRoute, api_routes

pytestmark = pytest.mark.usefixtures('shared_aws')

ROUTES = api_routes()
INTERNAL = re.compile(
    r'Traceback|File "|\.py\b|site-packages|pynamodb|botocore|boto3|pydantic|powertools|common\.|layers/'
    r'|hotel-booking-test|arn:aws|ConditionalCheck|TransactionCanceled|Exception|'
    r'(BOOKING|USER|ROOMTYPE|TOKEN|FAMILY|LIMIT|INV|HOTEL|EMAIL|REVIEW|WISH)#|gsi1|pending_shard'
    r'|\b[A-Z]\w*(Item|Body|Model|Error)\b',
)
NASTY_PATH_VALUES = ('%00', "'; DROP TABLE bookings; --", '..%2F..%2Fetc%2Fpasswd', 'ä' * 10, 'a' * 200, '${7*7}')
NASTY_RAW_BODIES = (
    b'{"a":',
    b'[]',
    b'"just a string"',
    b'null',
    b'[' * 5000 + b']' * 5000,
    b'{"a": ' * 3000 + b'1' + b'}' * 3000,
    bytes(range(256)),
    b'{"x": 1e999999, "y": NaN}',
)


def check(reply: Reply, where: str) -> None:
    assert reply.status < 500, (where, reply.status, reply.body[:300])
    if reply.status < 400:
        return
    assert reply.header('Content-Type') == 'application/problem+json', where
    problem = reply.json
    assert {'type', 'title', 'status', 'detail', 'code'} <= set(problem), where
    assert problem['status'] == reply.status
    leak = INTERNAL.search(reply.body.decode(errors='replace'))
    assert leak is None, (where, leak.group(0) if leak else None, reply.body[:300])


def _token(route: ApiRoute) -> str | None:
    if not route.needs_auth:
        return None
    if route.is_admin:
        return factories.token(role=Role.ADMIN)
    return factories.token(factories.user(email=f'{uuid.uuid4().hex[:8]}@example.com').id)


def _wrong_types(schema: dict[str, Any] | None) -> dict[str, Any]:
    properties = (schema or {}).get('properties', {})
    return {name: [{'$gt': ''}] for name in properties}


@pytest.fixture
def configured(override_settings) -> None:
    """Configured as deployed, so a 503 can only mean bad input reached a dependency: payment
    secrets set (unknown names are ignored where there are no payments), and a Stripe endpoint
    that refuses connections, so a request that reaches Stripe fails instead of leaving the machine."""
    override_settings(
        STRIPE_SECRET_KEY='sk_test_security_suite_0000000000',
        STRIPE_WEBHOOK_SECRET='whsec_security_suite_0000000000',
        STRIPE_API_BASE='http://127.0.0.1:9',
    )


@pytest.mark.usefixtures('configured')
@pytest.mark.parametrize('route', ROUTES, ids=lambda r: r.id)
def test_bad_input_never_gets_a_500_nor_an_internal_detail(api: Api, route: ApiRoute):
    token = _token(route)
    for value in NASTY_PATH_VALUES:
        url = route.url(**dict.fromkeys(route.path_parameters, value)) if route.path_parameters else route.url()
        body = (route.bodies() or [None])[0] if route.method in BODY_METHODS else None
        check(api.request(route.method, url, body, token=token), f'{route.id} path={value[:20]}')
    queries = [p['name'] for p in route.operation.get('parameters', []) if p.get('in') == 'query']
    for junk in ('-1', 'x' * 3000, '2027-02-30', 'NaN', '[]', '1e309'):
        check(api.request(route.method, route.url(), token=token, query=dict.fromkeys(queries, junk)), route.id)
    if route.method in BODY_METHODS:
        for raw in NASTY_RAW_BODIES:
            headers = {'Content-Type': 'application/json'}
            check(api.request(route.method, route.url(), raw=raw, headers=headers, token=token), f'{route.id} raw')
        check(api.request(route.method, route.url(), _wrong_types(route.body_schema), token=token), route.id)


def test_unknown_routes_answer_a_plain_404_and_undeclared_methods_a_405(api: Api):
    for method, path in (('GET', '/api/nope'), ('GET', '/api/../etc/passwd')):
        reply = api.request(method, path)
        check(reply, path)
        assert (reply.status, reply.code) == (404, 'route_not_found')
    for method, path in (('DELETE', '/api/bookings'), ('TRACE', '/api/bookings/b-1'), ('GET', '/api/auth/login')):
        reply = api.request(method, path)
        check(reply, path)
        assert (reply.status, reply.code) == (405, 'method_not_allowed')
    assert api.request('PUT', '/api/users/me').header('Allow') == 'GET, PATCH'


def _storage_error(code: str) -> GetError:
    message = 'Requested resource arn:aws:dynamodb:us-east-1:000000000000:table/hotel-booking-test key BOOKING#x'
    return GetError(cause=ClientError({'Error': {'Code': code, 'Message': message}}, 'GetItem'))


@pytest.mark.parametrize(
    ('failure', 'status', 'code'),
    [
        (_storage_error('ValidationException'), 500, 'internal_error'),
        (_storage_error('ProvisionedThroughputExceededException'), 503, 'service_unavailable'),
        (
            ClientError({'Error': {'Code': 'AccessDeniedException', 'Message': 'arn:aws:iam::0:role/x'}}, 'Query'),
            500,
            'internal_error',
        ),
        (RuntimeError('table hotel-booking-test pk BOOKING#x: pynamodb exploded'), 500, 'internal_error'),
    ],
    ids=['storage error', 'throttled', 'access denied', 'a bug'],
)
def test_our_own_failures_answer_a_generic_problem(api: Api, monkeypatch, failure: Exception, status: int, code: str):
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise failure

    monkeypatch.setattr(BookingRepository, 'get', fail)
    reply = api.get(f'/api/bookings/{uuid.uuid4()}', token=factories.token(factories.user().id))
    assert (reply.status, reply.code) == (status, code)
    assert reply.header('Content-Type') == 'application/problem+json'
    assert INTERNAL.search(reply.body.decode()) is None, reply.body
    if status == 503:
        assert reply.header('Retry-After') is not None
