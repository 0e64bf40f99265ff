"""Holding rooms through the real bookings handler (API Gateway events) against moto."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common.config import MAX_STAY_HARD_LIMIT
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def room():
    hotel = factories.hotel()
    return factories.room_type(hotel, total_rooms=3, capacity=2, base_price=10000)


def available(room_type_id: str, start: str, end: str) -> list[int]:
    nights = deps().inventory.nights(room_type_id, date.fromisoformat(start), date.fromisoformat(end), consistent=True)
    return [n.available for n in nights]


def all_bookings() -> list:
    from common.tables import BookingItem

    return list(BookingItem.scan(BookingItem.pk.startswith('BOOKING#')))


def test_a_hold_takes_the_rooms_of_every_night_and_locks_the_price(api: Api, room):
    check_in, check_out = factories.stay(days_ahead=5, nights=3)
    reply = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 3, 'rooms': 2},
        token=factories.token(),
    )
    assert reply.status == 201, reply.json
    booking = reply.json
    assert booking['status'] == 'PENDING'
    assert booking['total_amount'] == 3 * 2 * 10000
    assert [n['price'] for n in booking['nightly']] == [10000, 10000, 10000]
    assert reply.header('Location') == f'/api/bookings/{booking["id"]}'
    held_until = datetime.fromisoformat(booking['hold_expires_at'])
    assert timedelta(seconds=890) < held_until - datetime.now(UTC) <= timedelta(seconds=900)
    assert available(room.id, check_in, check_out) == [1, 1, 1]
    assert_inventory_balances()


TODAY = datetime.now(UTC).date()


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


BAD_BODIES = [
    ('check_out equals check_in', {'check_in': _day(5), 'check_out': _day(5)}, 422, 'invalid_dates'),
    ('check_out before check_in', {'check_in': _day(6), 'check_out': _day(5)}, 422, 'invalid_dates'),
    ('check_in in the past', {'check_in': _day(-2), 'check_out': _day(1)}, 422, 'invalid_dates'),
    ('malformed date', {'check_in': '2027-02-30'}, 422, 'validation_error'),
    ('date as a number', {'check_in': 1767225600}, 422, 'validation_error'),
    ('date not ISO', {'check_in': '12/03/2027'}, 422, 'validation_error'),
    ('stay longer than the maximum', {'check_in': _day(1), 'check_out': _day(40)}, 422, 'stay_too_long'),
    ('zero guests', {'guests': 0}, 422, 'validation_error'),
    ('guests above capacity x rooms', {'guests': 5, 'rooms': 2}, 422, 'too_many_guests'),
    ('guests as a string', {'guests': '2'}, 422, 'validation_error'),
    ('guests as a boolean', {'guests': True}, 422, 'validation_error'),
    ('zero rooms', {'rooms': 0}, 422, 'validation_error'),
    ('fewer guests than rooms', {'guests': 1, 'rooms': 2}, 422, 'validation_error'),
    ('unknown room type', {'room_type_id': 'no-such-room'}, 404, 'not_found'),
    ('room type id not a slug', {'room_type_id': '../../etc'}, 422, 'validation_error'),
    ('unknown field', {'discount': 50}, 422, 'validation_error'),
    ('privileged field status', {'status': 'CONFIRMED'}, 422, 'validation_error'),
    ('privileged field total_amount', {'total_amount': 1}, 422, 'validation_error'),
    ('privileged field user_id', {'user_id': 'someone-else'}, 422, 'validation_error'),
    ('missing field', {'check_in': None}, 422, 'validation_error'),
]


@pytest.mark.parametrize(('case', 'change', 'status', 'code'), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_input_is_refused_with_a_problem_and_writes_nothing(api: Api, room, case, change, status, code):
    body = {'room_type_id': room.id, 'check_in': _day(3), 'check_out': _day(5), 'guests': 2, 'rooms': 1}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    reply = api.post('/api/bookings', body, token=factories.token())
    assert (reply.status, reply.code) == (status, code), reply.json
    assert reply.header('Content-Type') == 'application/problem+json'
    problem = reply.json
    assert {'type', 'title', 'status', 'detail', 'code'} <= set(problem)
    assert 'Traceback' not in reply.body.decode()
    assert all_bookings() == []
    assert set(available(room.id, _day(0), _day(10))) == {3}


@pytest.mark.parametrize(
    ('case', 'raw', 'content_type', 'status', 'code'),
    [
        ('not JSON', b'{"room_type_id": ', 'application/json', 400, 'malformed_json'),
        ('a JSON list', b'[1, 2]', 'application/json', 422, 'validation_error'),
        ('form encoded', b'room_type_id=x', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'),
        ('huge body', b'{"x": "' + b'a' * 70000 + b'"}', 'application/json', 413, 'payload_too_large'),
        ('binary', bytes(range(256)), 'application/json', 400, 'malformed_json'),
    ],
)
def test_unreadable_bodies_are_refused(api: Api, room, case, raw, content_type, status, code):
    reply = api.post('/api/bookings', raw=raw, headers={'Content-Type': content_type}, token=factories.token())
    assert (reply.status, reply.code) == (status, code), reply.body[:300]
    assert all_bookings() == []


def test_the_maximum_stay_fits_one_transaction():
    assert MAX_STAY_HARD_LIMIT + 1 < 100


def test_the_same_idempotency_key_and_body_hold_the_rooms_once(api: Api, room):
    token = factories.token()
    check_in, check_out = factories.stay(days_ahead=3, nights=2)
    body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 2}
    first = api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'retry-1'})
    again = api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'retry-1'})
    assert first.status == again.status == 201
    assert first.json['id'] == again.json['id']
    assert available(room.id, check_in, check_out) == [2, 2]
    assert len(all_bookings()) == 1


def test_the_same_idempotency_key_with_another_body_is_refused(api: Api, room):
    token = factories.token()
    check_in, check_out = factories.stay(days_ahead=3, nights=2)
    body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 2}
    assert api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'k'}).status == 201
    reply = api.post('/api/bookings', {**body, 'guests': 1}, token=token, headers={'Idempotency-Key': 'k'})
    assert (reply.status, reply.code) == (422, 'idempotency_key_reused')
    assert len(all_bookings()) == 1


def test_idempotency_keys_belong_to_their_caller(api: Api, room):
    check_in, check_out = factories.stay(days_ahead=3, nights=1)
    body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    a = api.post('/api/bookings', body, token=factories.token(), headers={'Idempotency-Key': 'same'})
    b = api.post('/api/bookings', body, token=factories.token(), headers={'Idempotency-Key': 'same'})
    assert a.status == b.status == 201
    assert a.json['id'] != b.json['id']


def test_a_failed_attempt_is_not_remembered_under_its_key(api: Api, room):
    token = factories.token()
    check_in, check_out = factories.stay(days_ahead=3, nights=1)
    too_many = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 4, 'rooms': 4}
    assert api.post('/api/bookings', too_many, token=token, headers={'Idempotency-Key': 'k2'}).status == 409
    ok = {**too_many, 'rooms': 2}
    # a different body under the same key after a failure: the failure left no record
    assert api.post('/api/bookings', ok, token=token, headers={'Idempotency-Key': 'k2'}).status == 201


def test_a_guest_reads_and_lists_only_their_own_bookings(api: Api, room):
    alice, bob = factories.token('alice'), factories.token('bob')
    ids = []
    for offset in range(3):
        check_in, check_out = factories.stay(days_ahead=2 + offset, nights=1)
        reply = api.hold(room.id, check_in, check_out, token=alice)
        ids.append(reply.json['id'])
    first = api.get('/api/bookings', token=alice, query={'limit': 2})
    assert first.status == 200
    assert [b['id'] for b in first.json['items']] == [ids[2], ids[1]]  # newest first
    second = api.get('/api/bookings/', token=alice, query={'limit': 2, 'cursor': first.json['next_cursor']})
    assert [b['id'] for b in second.json['items']] == [ids[0]]
    assert api.get('/api/bookings', token=bob).json['items'] == []
    stolen = api.get(f'/api/bookings/{ids[0]}', token=bob)
    assert (stolen.status, stolen.code) == (404, 'not_found')
    assert ids[0] not in stolen.body.decode()
    assert api.get(f'/api/bookings/{ids[0]}', token=alice).json['id'] == ids[0]


def test_a_cursor_from_another_listing_is_refused(api: Api, room):
    alice = factories.token('alice')
    for offset in range(2):
        check_in, check_out = factories.stay(days_ahead=2 + offset, nights=1)
        body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
        api.post('/api/bookings', body, token=alice)
    cursor = api.get('/api/bookings', token=alice, query={'limit': 1}).json['next_cursor']
    for forged in (cursor, 'not-base64!', 'e30'):
        reply = api.get('/api/bookings', token=factories.token('mallory'), query={'cursor': forged})
        assert (reply.status, reply.code) == (400, 'invalid_cursor')


def test_cancelling_a_pending_hold_gives_the_rooms_back_once(api: Api, room):
    token = factories.token()
    check_in, check_out = factories.stay(days_ahead=4, nights=2)
    booking = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 2},
        token=token,
    ).json
    assert available(room.id, check_in, check_out) == [2, 2]
    cancelled = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert cancelled.status == 200
    assert cancelled.json['status'] == 'CANCELLED'
    assert available(room.id, check_in, check_out) == [3, 3]
    again = api.post(f'/api/bookings/{booking["id"]}/cancel/', token=token)
    assert again.json['status'] == 'CANCELLED'
    assert available(room.id, check_in, check_out) == [3, 3]
    assert_inventory_balances()


def test_nobody_cancels_someone_elses_booking(api: Api, room):
    check_in, check_out = factories.stay(days_ahead=4, nights=1)
    booking = api.hold(room.id, check_in, check_out, token=factories.token('owner')).json
    reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=factories.token('mallory'))
    assert (reply.status, reply.code) == (404, 'not_found')
    assert deps().bookings.get(booking['id']).status.value == 'PENDING'
