"""Races with real threads against the ministack DynamoDB server (moto's server is not safe for
concurrent transactions: DESIGN §11). Requests go through the gateway into the real handlers,
each thread in its own execution environment, as concurrent Lambda invocations would."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.race import race

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def test_sixty_guests_racing_for_the_last_five_rooms_get_exactly_five(api: Api):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=5, open_days=20)
    check_in, check_out = factories.stay(days_ahead=5, nights=1)
    tokens = [factories.token(f'guest-{i}') for i in range(60)]

    def book(i: int):
        return api.post(
            '/api/bookings',
            {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1},
            token=tokens[i],
        )

    replies = race(60, book)
    outcomes = Counter((r.status, r.code) for r in replies)
    assert outcomes == {(201, None): 5, (409, 'sold_out'): 55}, outcomes
    night = deps().inventory.nights(
        room.id, date.fromisoformat(check_in), date.fromisoformat(check_out), consistent=True
    )
    assert [n.available for n in night] == [0]
    assert_inventory_balances()


def test_overlapping_multi_night_stays_never_oversell_any_night(api: Api):
    # 3 rooms; 30 guests ask for random 1-3 night windows inside a 5-night span
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=3, open_days=20)
    start = date.fromisoformat(factories.stay(days_ahead=5)[0])
    windows = [(start + timedelta(days=i % 4), 1 + i % 3) for i in range(30)]

    def book(i: int):
        first, nights = windows[i]
        return api.post(
            '/api/bookings',
            {
                'room_type_id': room.id,
                'check_in': first.isoformat(),
                'check_out': (first + timedelta(days=nights)).isoformat(),
                'guests': 1,
            },
            token=factories.token(f'guest-{i}'),
        )

    replies = race(30, book)
    assert {r.status for r in replies} <= {201, 409}
    assert any(r.status == 201 for r in replies)
    nights = deps().inventory.nights(room.id, start, start + timedelta(days=7), consistent=True)
    assert all(n.available >= 0 for n in nights)
    assert_inventory_balances()


def test_cancels_racing_each_other_release_the_rooms_once(api: Api):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=4, open_days=20)
    check_in, check_out = factories.stay(days_ahead=5, nights=2)
    token = factories.token('owner')
    booking = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 2, 'rooms': 2},
        token=token,
    ).json
    replies = race(10, lambda i: api.post(f'/api/bookings/{booking["id"]}/cancel', token=token))
    assert {r.status for r in replies} == {200}
    assert {r.json['status'] for r in replies} == {'CANCELLED'}
    nights = deps().inventory.nights(
        room.id, date.fromisoformat(check_in), date.fromisoformat(check_out), consistent=True
    )
    assert [n.available for n in nights] == [4, 4]
    assert_inventory_balances()


def test_retries_with_one_idempotency_key_hold_once(api: Api):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=10, open_days=20)
    check_in, check_out = factories.stay(days_ahead=5, nights=1)
    token = factories.token('retrier')
    body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    # Warm environments, as Lambda's would be: a request's in-progress claim lasts the function's
    # remaining time (10 s), and on a loaded machine eight cold starts in one process (the local
    # gateway cannot stop a handler at its timeout, Lambda does) outlasted it and let a second run in.
    api.gateway.provision('POST', '/api/bookings', 8)
    replies = race(8, lambda i: api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'once'}))
    created = {r.json['id'] for r in replies if r.status == 201}
    assert len(created) == 1
    # concurrent duplicates either replay the result or are told to retry (still in progress)
    assert {(r.status, r.code) for r in replies} <= {(201, None), (409, 'idempotency_in_progress')}
    nights = deps().inventory.nights(
        room.id, date.fromisoformat(check_in), date.fromisoformat(check_out), consistent=True
    )
    assert [n.available for n in nights] == [9]
    assert_inventory_balances()
