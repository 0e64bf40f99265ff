"""The HTTP edge without AWS: who may call what, the problem mapping, the mount point."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common import errors, http


def _event(method: str = 'GET', resource: str | None = '/api/bookings', **fields: Any) -> dict[str, Any]:
    return {'httpMethod': method, 'resource': resource, 'path': resource, 'headers': {}, **fields}


@pytest.mark.parametrize(
    ('method', 'resource', 'access'),
    [
        ('GET', '/api/hotels', http.Access.PUBLIC),
        ('POST', '/api/webhook', http.Access.PUBLIC),
        ('GET', '/api/bookings/{booking_id}', http.Access.SIGNED_IN),
        ('post', '/api/auth/logout', http.Access.SIGNED_IN),
        ('DELETE', '/api/admin/hotels/{hotel_id}', http.Access.ADMIN),
        ('GET', None, http.Access.SIGNED_IN),
    ],
)
def test_access_is_what_the_declaration_says_and_fails_closed(method: str, resource: str | None, access: http.Access):
    assert http.access(method, resource) is access


def test_a_function_of_public_routes_only_refuses_anything_else_without_reading_anything():
    result = http.resolve(http.make_app(), _event(), None, None)  # type: ignore[arg-type]
    body = json.loads(result['body'])
    assert (result['statusCode'], body['code']) == (401, 'unauthorized')
    assert result['headers']['WWW-Authenticate'] == 'Bearer'


def test_an_oversized_body_is_refused_before_anything_else():
    event = _event('POST', body='x' * 20_000)
    result = http.resolve(http.make_app(), event, None, None, max_body_bytes=1024)  # type: ignore[arg-type]
    assert (result['statusCode'], json.loads(result['body'])['code']) == (413, 'payload_too_large')


def test_a_domain_error_is_a_problem_with_its_code_status_and_headers():
    response = http._problem_from(errors.TooManyLoginAttempts(retry_after=42))
    body = json.loads(response.body)
    assert (response.status_code, body['code'], body['type']) == (
        429,
        'too_many_attempts',
        'urn:hotel-booking:problem:too_many_attempts',
    )
    assert response.headers['Retry-After'] == '42'


@pytest.mark.parametrize(
    ('context', 'base'),
    [
        ({'stage': 'dev', 'path': '/dev/api/docs'}, '/dev'),
        ({'stage': 'dev', 'path': '/api/docs'}, ''),  # a custom domain: no stage in the path
        ({'stage': 'local', 'path': '/api/docs'}, ''),
        ({'stage': '$default', 'path': '/$default/api/docs'}, ''),
    ],
)
def test_the_docs_are_served_where_the_api_is_mounted(context: dict[str, str], base: str):
    class Stub:
        class current_event:
            raw_event = {'requestContext': context}

    assert http.base_path(Stub()) == base  # type: ignore[arg-type]
