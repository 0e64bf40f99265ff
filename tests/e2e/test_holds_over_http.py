"""Holds over real HTTP on the local stack with a sweeper that (almost) never runs: the room is
bookable again within 2 s of ``hold_expires_at`` (docs/holds.md)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import LocalStack, start_stack, stop_local_stack

pytestmark = pytest.mark.e2e

HOLD_SECONDS = 3


@pytest.fixture
def lazy_sweeper(tmp_path: Path) -> Iterator[LocalStack]:
    """Holds of 3 s, and a sweep every 300 s (the emulated stack: 30 s holds, rate(1 minute))."""
    stack = start_stack(tmp_path, hold_seconds=HOLD_SECONDS, sweep_every=300)
    try:
        yield stack
    finally:
        stop_local_stack(stack)


def _session(base: str, email: str | None = None, password: str = 'a long password') -> requests.Session:
    session = requests.Session()
    if email is None:
        email = f'{factories.unique("guest")}@example.com'
        body = {'email': email, 'password': password, 'name': 'Guest'}
        assert session.post(f'{base}/auth/register', json=body, timeout=10).status_code == 201
    tokens = session.post(f'{base}/auth/login', json={'email': email, 'password': password}, timeout=10)
    assert tokens.status_code == 200, tokens.text
    session.headers['Authorization'] = f'Bearer {tokens.json()["access"]}'
    return session


def _one_room(stack: LocalStack) -> str:
    """A hotel with a room type of one room, made through the admin API."""
    base = f'{stack.url}/api'
    admin = _session(base, stack.admin_email, stack.admin_password)
    suffix = uuid.uuid4().hex[:6]
    hotel = {
        'id': f'lone-{suffix}',
        'name': 'Lone Room Inn',
        'city': f'Solo {suffix}',
        'timezone': 'UTC',
        'currency': 'EUR',
    }
    assert admin.post(f'{base}/admin/hotels', json=hotel, timeout=10).status_code == 201
    room_type = {'id': f'lone-{suffix}-room', 'hotel_id': hotel['id'], 'name': 'The Room', 'capacity': 2,
                 'base_price': 12000, 'total_rooms': 1}  # fmt: skip
    created = admin.post(f'{base}/admin/room-types', json=room_type, timeout=30)
    assert created.status_code == 201, created.text
    return room_type['id']


def test_an_expired_hold_s_room_is_bookable_again_within_two_seconds_whatever_the_sweeper(lazy_sweeper: LocalStack):
    base = f'{lazy_sweeper.url}/api'
    room_type_id = _one_room(lazy_sweeper)
    check_in, check_out = factories.stay(days_ahead=20, nights=2)
    body = {'room_type_id': room_type_id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    first, second = _session(base), _session(base)
    # Given the only room held by a guest who walks away
    held = first.post(f'{base}/bookings', json=body, timeout=10)
    assert held.status_code == 201, held.text
    booking = held.json()
    refused = second.post(f'{base}/bookings', json=body, timeout=10)
    assert (refused.status_code, refused.json()['code']) == (409, 'sold_out')
    # When its hold_expires_at passes, another guest keeps trying
    expires = datetime.fromisoformat(booking['hold_expires_at'])
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))
    deadline = time.monotonic() + 2 + 10 * (lazy_sweeper.kind == 'emulated')
    while True:
        reply = second.post(f'{base}/bookings', json=body, timeout=10)
        if reply.status_code == 201 or time.monotonic() > deadline:
            break
        assert reply.json()['code'] == 'sold_out', reply.text
        time.sleep(0.1)
    # Then the room is theirs within 2 s of the expiry, though no sweep ran
    took = (
        datetime.fromisoformat(reply.json().get('created_at', '9999-12-31T00:00:00+00:00')) - expires
    ).total_seconds()
    assert reply.status_code == 201, reply.text
    assert took <= 2, f'booked {took:.2f} s after hold_expires_at'
    assert first.get(f'{base}/bookings/{booking["id"]}', timeout=10).json()['status'] == 'EXPIRED'
    if lazy_sweeper.kind == 'local':
        assert 'sweeper: ' not in lazy_sweeper.log()  # no sweep released anything
