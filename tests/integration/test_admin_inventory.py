"""PUT /api/admin/room-types/{id}/inventory through the real admin handler against moto:
allotments keep what is held, stop-sell takes nights off sale, ranges are all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common import errors
from common.domain import Principal, Role
from common.services import admin as admin_service
from common.services import bookings
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def admin() -> str:
    return factories.token('admin-7', Role.ADMIN)


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=3, open_days=200)


def day(offset: int) -> date:
    """A day from today, read when asked (a module-level "today" goes stale when a run crosses
    midnight UTC, and the room's nights open from the real today)."""
    return datetime.now(UTC).date() + timedelta(days=offset)


def put(api: Api, admin: str, room_type_id: str, start: date, end: date, **fields):
    body = {'start_date': start.isoformat(), 'end_date': end.isoformat(), **fields}
    return api.request('PUT', f'/api/admin/room-types/{room_type_id}/inventory', body, token=admin)


def book(api: Api, room_type_id: str, check_in: date, nights: int = 1, rooms: int = 1, guest: str = 'guest-1'):
    return api.post(
        '/api/bookings',
        {
            'room_type_id': room_type_id,
            'check_in': check_in.isoformat(),
            'check_out': (check_in + timedelta(days=nights)).isoformat(),
            'guests': rooms,
            'rooms': rooms,
        },
        token=factories.token(guest),
    )


def nights(room_type_id: str, start: date, end: date) -> list[tuple[int, int, bool]]:
    return [
        (n.allotment, n.available, n.stop_sell)
        for n in deps().inventory.nights(room_type_id, start, end, consistent=True)
    ]


def test_raising_the_allotment_keeps_what_is_held_and_makes_rooms_bookable_at_once(api: Api, admin: str, room):
    # Given night 10 is sold out (3 of 3 held)
    assert book(api, room.id, day(10), rooms=3).status == 201
    assert book(api, room.id, day(10)).code == 'sold_out'
    # When the admin raises the allotment of nights 9-11 to 5
    reply = put(api, admin, room.id, day(9), day(12), allotment=5)
    # Then held rooms stay held and two more are for sale on night 10 at once
    assert reply.status == 200, reply.json
    assert [(n['allotment'], n['available'], n['held']) for n in reply.json['nights']] == [
        (5, 5, 0),
        (5, 2, 3),
        (5, 5, 0),
    ]
    assert book(api, room.id, day(10), rooms=2).status == 201
    assert nights(room.id, day(10), day(11)) == [(5, 0, False)]
    assert_inventory_balances()


def test_lowering_below_held_rooms_is_refused_with_the_nights_and_nothing_changes(api: Api, admin: str, room):
    assert book(api, room.id, day(20), nights=2, rooms=2).status == 201
    before = nights(room.id, day(5), day(180))
    # a long range: the conflicting nights sit in the first of two blocks of 100 nights
    reply = put(api, admin, room.id, day(5), day(180), allotment=1)
    assert (reply.status, reply.code) == (409, 'allotment_below_held')
    assert reply.json['nights'] == [
        {'date': day(20).isoformat(), 'held': 2, 'allotment': 1},
        {'date': day(21).isoformat(), 'held': 2, 'allotment': 1},
    ]
    assert nights(room.id, day(5), day(180)) == before
    # down to exactly what is held is fine: nothing left for sale
    assert put(api, admin, room.id, day(20), day(22), allotment=2).status == 200
    assert nights(room.id, day(20), day(22)) == [(2, 0, False), (2, 0, False)]
    assert_inventory_balances()


def test_stop_sell_hides_a_night_from_search_and_refuses_bookings_touching_it(api: Api, admin: str, room):
    query = {'check_in': day(30).isoformat(), 'check_out': day(33).isoformat(), 'hotel_id': room.hotel_id}
    assert [r['room_type_id'] for r in api.get('/api/rooms/search', query=query).json['results']] == [room.id]
    reply = put(api, admin, room.id, day(31), day(32), stop_sell=True)
    assert reply.json['nights'] == [
        {'date': day(31).isoformat(), 'allotment': 3, 'available': 3, 'held': 0, 'stop_sell': True}
    ]
    assert api.get('/api/rooms/search', query=query).json['results'] == []
    listed = api.get('/api/rooms/search', query={**query, 'include_sold_out': 'true'}).json['results']
    assert [r['available_rooms'] for r in listed] == [0]
    calendar = api.get(
        f'/api/room-types/{room.id}/calendar', query={'from': day(31).isoformat(), 'to': day(32).isoformat()}
    )
    assert [(n['available'], n['stop_sell']) for n in calendar.json['nights']] == [(0, True)]
    refused = book(api, room.id, day(30), nights=3)
    assert refused.status == 409 and refused.json['nights'] == [day(31).isoformat()]
    assert nights(room.id, day(30), day(33)) == [(3, 3, False), (3, 3, True), (3, 3, False)]
    # nights around it still sell, and lifting stop-sell puts the night back on sale
    assert book(api, room.id, day(32)).status == 201
    assert put(api, admin, room.id, day(31), day(32), stop_sell=False).status == 200
    assert book(api, room.id, day(30), nights=3).status == 201
    assert_inventory_balances()


def test_stop_sell_keeps_existing_bookings(api: Api, admin: str, room):
    held = book(api, room.id, day(40))
    assert put(api, admin, room.id, day(40), day(41), stop_sell=True, allotment=2).status == 200
    assert nights(room.id, day(40), day(41)) == [(2, 1, True)]
    assert api.get(f'/api/bookings/{held.json["id"]}', token=factories.token('guest-1')).json['status'] == 'PENDING'
    assert_inventory_balances()


def test_weekdays_limit_a_change_to_those_days_of_the_range(api: Api, admin: str, room):
    start = day(7 - day(0).weekday() + 14)  # a Monday two weeks ahead
    reply = put(api, admin, room.id, start, start + timedelta(days=14), weekdays=[5, 6], allotment=1)
    changed = {date.fromisoformat(n['date']).isoweekday() for n in reply.json['nights'] if n['allotment'] == 1}
    assert changed == {5, 6}
    assert sum(1 for n in reply.json['nights'] if n['allotment'] == 1) == 4


def test_missing_nights_are_opened_with_the_requested_allotment(api: Api, admin: str, room):
    reply = put(api, admin, room.id, day(199), day(203), allotment=7)
    assert reply.status == 200
    assert [(n['date'], n['allotment'], n['available']) for n in reply.json['nights']] == [
        (day(i).isoformat(), 7, 7) for i in range(199, 203)
    ]
    assert book(api, room.id, day(201), rooms=7).status == 201


@pytest.mark.parametrize(
    ('body', 'status', 'code'),
    [
        ({'start_date': day(5).isoformat(), 'end_date': day(5).isoformat(), 'allotment': 1}, 422, 'invalid_dates'),
        ({'start_date': day(-1).isoformat(), 'end_date': day(2).isoformat(), 'allotment': 1}, 422, 'invalid_dates'),
        ({'start_date': day(1).isoformat(), 'end_date': day(400).isoformat(), 'allotment': 1}, 422, 'range_too_long'),
        (
            {'start_date': day(1200).isoformat(), 'end_date': day(1201).isoformat(), 'allotment': 1},
            422,
            'invalid_dates',
        ),
        ({'start_date': day(1).isoformat(), 'end_date': day(3).isoformat()}, 422, 'validation_error'),
        ({'start_date': day(1).isoformat(), 'end_date': day(3).isoformat(), 'allotment': -1}, 422, 'validation_error'),
        ({'start_date': day(1).isoformat(), 'end_date': day(3).isoformat(), 'allotment': '2'}, 422, 'validation_error'),
        (
            {'start_date': day(1).isoformat(), 'end_date': day(3).isoformat(), 'stop_sell': 'yes'},
            422,
            'validation_error',
        ),
        ({'start_date': day(1).isoformat(), 'end_date': day(3).isoformat(), 'available': 9}, 422, 'validation_error'),
        ({'start_date': day(1).isoformat(), 'end_date': day(3).isoformat(), 'weekdays': [9]}, 422, 'validation_error'),
        ({'end_date': day(3).isoformat(), 'allotment': 1}, 422, 'validation_error'),
    ],
    ids=[
        'empty',
        'past',
        'too long',
        'too far',
        'no change',
        'negative',
        'text',
        'bool',
        'available',
        'weekday',
        'no start',
    ],
)
def test_a_bad_inventory_request_changes_nothing(api: Api, admin: str, room, body, status, code):
    before = nights(room.id, day(0), day(200))
    reply = api.request('PUT', f'/api/admin/room-types/{room.id}/inventory', body, token=admin)
    assert (reply.status, reply.code) == (status, code)
    assert nights(room.id, day(0), day(200)) == before


def test_an_unknown_room_type_has_no_inventory(api: Api, admin: str):
    reply = put(api, admin, 'nothing-here', day(1), day(2), allotment=1)
    assert (reply.status, reply.code) == (404, 'not_found')


# ---------------------------------------------------------------- races between the plan and the write


def plan(room, start: date, end: date, **fields):
    update = admin_service.InventoryUpdate(start=start, end=end, **fields)
    return admin_service.plan_inventory(room, update, deps().inventory.nights(room.id, start, end, consistent=True))


def test_an_undo_never_takes_back_rooms_a_guest_has_just_booked(room):
    # Given a block that raised night 10 from 3 to 5 rooms, and a guest who booked all 5 at once
    changes = plan(room, day(10), day(11), allotment=5)
    deps().inventory.apply(room, changes)
    request = bookings.HoldRequest(room.id, day(10), day(11), guests=5, rooms=5)
    bookings.hold(deps(), Principal('guest-quick', Role.GUEST), request, datetime.now(UTC))
    # When that block is undone (a later block of the same request was refused)
    with pytest.raises(errors.InventoryConflict) as refused:
        deps().inventory.undo(room, [changes])
    # Then the undo is refused by its guard, the answer says the change partly stayed, and the
    # guest keeps the rooms
    assert refused.value.extra == {'partial': True, 'applied': [day(10).isoformat()]}
    assert nights(room.id, day(10), day(11)) == [(5, 0, False)]
    assert_inventory_balances()
