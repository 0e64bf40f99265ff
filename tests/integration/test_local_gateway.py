"""The local gateway runs many requests at once on threads of one process; each must see only its
own event, as each Lambda process would (powertools keeps the current request on a class). It
refuses a request whose body it cannot frame (a bad Content-Length) as API Gateway would."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from common.domain import Review
from common.repos import AccountRepository
from common.services import reviews
from local.gateway import MAX_REQUEST_BYTES, free_port, serve
from tests.support import factories
from tests.support.api import Api


def test_concurrent_requests_never_see_each_others_body_or_token(api: Api, monkeypatch):
    # Given a session check slow enough that every request is between reading its token and
    # reading its body while the others start
    def slow_session_check(repository: AccountRepository, family: str) -> bool:
        time.sleep(0.05)
        return False

    def echo(deps, caller, booking_id, rating, comment, now):
        return Review('r', booking_id, 'rt', 'h', caller.user_id, caller.user_id, rating, comment, date.today(), now)

    monkeypatch.setattr(AccountRepository, 'family_revoked', slow_session_check)
    monkeypatch.setattr(reviews, 'post', echo)
    barrier = threading.Barrier(10, timeout=30)

    def send(i: int):
        barrier.wait()
        body = {'rating': 1 + i % 5, 'comment': f'from guest {i}'}
        return api.post(f'/api/bookings/b{i}/review', body, token=factories.token(f'guest-{i}'))

    # When ten guests post at once
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(send, range(10)))
    # Then each request was validated with its own body and authorised with its own token
    seen = [(r.json['author'], r.json['rating'], r.json['comment']) for r in replies]
    assert seen == [(f'guest-{i}', 1 + i % 5, f'from guest {i}') for i in range(10)]


@pytest.fixture
def served(api: Api) -> Iterator[int]:
    """The local gateway over real HTTP on a free port (stopped after the test)."""
    port = free_port()
    server = serve(api.gateway, '127.0.0.1', port)
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(('127.0.0.1', port), timeout=5) as conn:
        conn.sendall(request)
        received = b''
        while chunk := conn.recv(65536):  # the gateway closes the connection after a refusal
            received += chunk
    return received


@pytest.mark.parametrize('length', ['-1', '-100', 'abc', '1e3', '+5', ' 5 5', '²'])
def test_a_content_length_that_is_not_a_non_negative_integer_answers_400(served: int, length: str):
    head = f'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n'
    reply = _raw(served, head.encode() + b'{}')
    status_line, _, rest = reply.partition(b'\r\n')
    assert status_line == b'HTTP/1.1 400 Bad Request', reply[:300]
    assert b'Content-Type: application/problem+json' in rest
    assert json.loads(rest.split(b'\r\n\r\n', 1)[1])['code'] == 'bad_request'


def test_a_declared_body_past_api_gateways_limit_is_refused_unread(served: int):
    head = f'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n'
    reply = _raw(served, head.encode())
    assert reply.startswith(b'HTTP/1.1 413 '), reply[:300]


def test_a_well_formed_request_still_goes_through(aws: None, served: int):
    body = b'{"email": "nobody@example.com", "password": "wrong password!"}'
    head = f'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n'
    assert _raw(served, head.encode() + body).startswith(b'HTTP/1.1 401 ')
