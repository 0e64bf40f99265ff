"""Pricing preview, quote locking, the admin booking list and the occupancy report, through the
real handlers against moto."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from common import wiring
from common.domain import MAX_STAY_HARD_LIMIT, Principal, Role
from common.services import bookings, cancellation
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')

NOW = datetime.now(UTC)
TODAY = NOW.date()


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@pytest.fixture
def admin() -> str:
    return factories.token('admin-7', Role.ADMIN)


def hold(room_type_id: str, check_in: date, nights: int = 1, rooms: int = 1, guest: str = 'guest-1', now=None):
    request = bookings.HoldRequest(room_type_id, check_in, check_in + timedelta(days=nights), guests=rooms, rooms=rooms)
    return bookings.hold(deps(), Principal(guest, Role.GUEST), request, now or datetime.now(UTC))


def confirm(booking):
    # what the payment webhook does: a guarded status change that records the payment
    return factories.confirmed(booking)


def cancel(booking):
    return cancellation.cancel(deps(), Principal(booking.user_id, Role.GUEST), booking.id, datetime.now(UTC)).booking


# ---------------------------------------------------------------- pricing preview


@pytest.fixture
def priced():
    hotel = factories.hotel('preview-hotel')
    room = factories.room_type(hotel, 'preview-room', base_price=10005, open_days=30)
    monday = day(7 - TODAY.weekday() + 7)  # a Monday one to two weeks ahead
    factories.rule(
        hotel,
        ('percent', 50),
        id='season',
        name='Season',
        priority=1,
        start_date=monday,
        end_date=monday + timedelta(3),
    )
    factories.rule(hotel, ('amount', -5), id='friday', name='Friday', priority=2, weekdays=(5,))
    factories.rule(hotel, ('amount', 0), id='min3', name='Min 3', start_date=monday, end_date=monday, min_stay=3)
    return room, monday


def test_the_preview_shows_each_night_with_every_rule_step(api: Api, admin: str, priced):
    room, monday = priced
    reply = api.get(
        '/api/admin/pricing/preview',
        query={
            'room_type_id': room.id,
            'check_in': monday.isoformat(),
            'check_out': (monday + timedelta(5)).isoformat(),
            'rooms': 2,
        },
        token=admin,
    )
    assert reply.status == 200, reply.json
    body = reply.json
    # Mon-Thu in season: 10005 * 1.5 = 15007.5 -> 15008; Friday: 10005 - 5 = 10000
    assert [(n['weekday'], n['price'], n['rule_ids']) for n in body['nightly']] == [
        (1, 15008, ['min3', 'season']),  # min3 has priority 0, so it comes first
        (2, 15008, ['season']),
        (3, 15008, ['season']),
        (4, 15008, ['season']),
        (5, 10000, ['friday']),
    ]
    assert body['nightly'][0]['steps'] == [
        {
            'rule_id': 'min3',
            'name': 'Min 3',
            'priority': 0,
            'adjustment': {'type': 'amount', 'value': 0},
            'price_before': 10005,
            'price_after': 10005,
        },
        {
            'rule_id': 'season',
            'name': 'Season',
            'priority': 1,
            'adjustment': {'type': 'percent', 'value': 50},
            'price_before': 10005,
            'price_after': 15008,
        },
    ]
    assert (body['per_room_price'], body['total_price'], body['bookable'], body['restriction']) == (
        4 * 15008 + 10000,
        2 * (4 * 15008 + 10000),
        True,
        None,
    )


def test_the_preview_reports_a_restriction_instead_of_refusing(api: Api, admin: str, priced):
    room, monday = priced
    query = {'room_type_id': room.id, 'check_in': monday.isoformat(), 'check_out': (monday + timedelta(2)).isoformat()}
    body = api.get('/api/admin/pricing/preview', query=query, token=admin).json
    assert body['bookable'] is False
    assert body['restriction']['code'] == 'min_stay'
    # and a guest asking for the same stay is refused with that code
    refused = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': query['check_in'], 'check_out': query['check_out'], 'guests': 1},
        token=factories.token(),
    )
    assert (refused.status, refused.code) == (422, 'min_stay')


@pytest.mark.parametrize(
    ('query', 'status', 'code'),
    [
        ({'check_in': '2027-01-05', 'check_out': '2027-01-05'}, 422, 'invalid_dates'),
        ({'check_in': '2027-01-05', 'check_out': '2028-02-05'}, 422, 'range_too_long'),
        ({'check_in': '5/1/2027', 'check_out': '2027-01-06'}, 422, 'validation_error'),
        ({'room_type_id': 'nope'}, 404, 'not_found'),
        ({'rooms': 0}, 422, 'validation_error'),
    ],
)
def test_bad_preview_queries_are_problems(api: Api, admin: str, priced, query, status, code):
    room, _ = priced
    full = {'room_type_id': room.id, 'check_in': '2027-01-05', 'check_out': '2027-01-07', **query}
    reply = api.get('/api/admin/pricing/preview', query=full, token=admin)
    assert (reply.status, reply.code) == (status, code)


def test_pricing_a_30_night_stay_reads_no_more_than_a_1_night_stay(api: Api, admin: str, priced, monkeypatch):
    room, monday = priced
    counts = []
    for nights in (1, 30):
        query = {
            'room_type_id': room.id,
            'check_in': monday.isoformat(),
            'check_out': (monday + timedelta(nights)).isoformat(),
        }
        with count_calls(monkeypatch) as calls:
            assert api.get('/api/admin/pricing/preview', query=query, token=admin).status == 200
        counts.append(calls.calls)
    # the caller's session (revocation check), the room type, its hotel, the hotel's pricing
    # terms (rules, rate plans and taxes: one Query)
    assert counts[0] == counts[1] == {'GetItem': 3, 'Query': 1}


def test_a_warm_lambda_reads_a_hotels_rules_once_per_request_then_from_its_cache(api: Api, priced, monkeypatch):
    room, monday = priced
    monkeypatch.setenv('CATALOG_CACHE_SECONDS', '30')
    wiring.reset()
    try:
        query = {'check_in': monday.isoformat(), 'hotel_id': room.hotel_id}
        with count_calls(monkeypatch) as cold:
            assert (
                api.get('/api/rooms/search', query={**query, 'check_out': (monday + timedelta(1)).isoformat()}).status
                == 200
            )
        with count_calls(monkeypatch) as warm:
            assert (
                api.get('/api/rooms/search', query={**query, 'check_out': (monday + timedelta(30)).isoformat()}).status
                == 200
            )
    finally:
        monkeypatch.delenv('CATALOG_CACHE_SECONDS')
        wiring.reset()
    # hotels, room types, the hotel's rules, the city's search view (empty here: no stream under moto)
    # and so the room type's inventory
    assert cold.calls == {'Query': 5}
    assert warm.calls == {'Query': 2}  # availability only (view, inventory): it is never cached


# ---------------------------------------------------------------- quote locking


def test_changing_rules_and_base_price_after_booking_leaves_the_booking_price_unchanged(api: Api, admin: str, priced):
    room, monday = priced
    guest = factories.token('guest-lock')
    booked = api.post(
        '/api/bookings',
        {
            'room_type_id': room.id,
            'check_in': monday.isoformat(),
            'check_out': (monday + timedelta(5)).isoformat(),
            'guests': 2,
        },
        token=guest,
    )
    assert booked.status == 201, booked.json
    locked = booked.json
    assert [n['price'] for n in locked['nightly']] == [15008, 15008, 15008, 15008, 10000]

    api.request(
        'PATCH', '/api/admin/price-rules/season', {'adjustment': {'type': 'percent', 'value': 100}}, token=admin
    )
    api.request('DELETE', '/api/admin/price-rules/friday', token=admin)
    api.request('PATCH', f'/api/admin/room-types/{room.id}', {'base_price': 20000}, token=admin)

    seen = api.get(f'/api/bookings/{locked["id"]}', token=guest).json
    assert (seen['total_amount'], seen['nightly']) == (locked['total_amount'], locked['nightly'])
    listed = api.get('/api/admin/bookings', query={'from': monday.isoformat()}, token=admin).json['items']
    assert [(b['id'], b['total_amount']) for b in listed] == [(locked['id'], locked['total_amount'])]
    # while a new quote uses the new prices
    preview = api.get(
        '/api/admin/pricing/preview',
        query={
            'room_type_id': room.id,
            'check_in': monday.isoformat(),
            'check_out': (monday + timedelta(5)).isoformat(),
        },
        token=admin,
    ).json
    assert [n['price'] for n in preview['nightly']] == [40000, 40000, 40000, 40000, 20000]


# ---------------------------------------------------------------- the booking list


@pytest.fixture
def ledger():
    """Five bookings over four months, two hotels, every status."""
    lisbon, porto = factories.hotel('lisbon'), factories.hotel('porto')
    a = factories.room_type(lisbon, 'a', total_rooms=5, open_days=120)
    b = factories.room_type(porto, 'b', total_rooms=5, open_days=120)
    confirmed = confirm(hold(a.id, day(3), guest='g1'))
    pending = hold(b.id, day(3), guest='g2')
    cancelled = cancel(hold(a.id, day(35), guest='g3'))
    expired = hold(b.id, day(64), guest='g4', now=NOW - timedelta(hours=2))  # unpaid, past its expiry, not swept
    later = confirm(hold(a.id, day(95), nights=2, guest='g5'))
    return {'confirmed': confirmed, 'pending': pending, 'cancelled': cancelled, 'expired': expired, 'later': later}


def listing(api: Api, admin: str, **query) -> list[str]:
    reply = api.get(
        '/api/admin/bookings', query={'from': day(0).isoformat(), 'to': day(120).isoformat(), **query}, token=admin
    )
    assert reply.status == 200, reply.json
    return [b['id'] for b in reply.json['items']]


def test_the_admin_lists_bookings_by_check_in_across_months(api: Api, admin: str, ledger):
    in_order = sorted(ledger.values(), key=lambda b: (b.check_in, b.id))
    assert listing(api, admin) == [b.id for b in in_order]
    assert listing(api, admin, order='desc') == [b.id for b in reversed(in_order)]
    first = api.get('/api/admin/bookings', query={'from': day(0).isoformat(), 'to': day(4).isoformat()}, token=admin)
    by_id = {b['id']: b for b in first.json['items']}
    assert by_id[ledger['confirmed'].id]['user_id'] == 'g1'
    assert by_id[ledger['confirmed'].id]['status'] == 'CONFIRMED'


@pytest.mark.parametrize(
    ('status', 'expected'),
    [
        ('CONFIRMED', ['confirmed', 'later']),
        ('PENDING', ['pending']),
        ('EXPIRED', ['expired']),  # effective status: past its expiry even before the sweeper ran
        ('cancelled', ['cancelled']),
        ('PENDING,EXPIRED', ['pending', 'expired']),
    ],
)
def test_the_booking_list_filters_by_the_status_clients_see(api: Api, admin: str, ledger, status, expected):
    ids = listing(api, admin, status=status)
    assert ids == [ledger[name].id for name in expected]
    statuses = {
        b['status']
        for b in api.get(
            '/api/admin/bookings',
            query={'from': day(0).isoformat(), 'to': day(120).isoformat(), 'status': status},
            token=admin,
        ).json['items']
    }
    assert statuses == {s.strip().upper() for s in status.split(',')}


def test_the_booking_list_filters_by_dates_hotel_and_room_type(api: Api, admin: str, ledger):
    assert listing(api, admin, **{'from': day(30).isoformat(), 'to': day(65).isoformat()}) == [
        ledger['cancelled'].id,
        ledger['expired'].id,
    ]
    assert listing(api, admin, hotel_id='porto') == [ledger['pending'].id, ledger['expired'].id]
    assert listing(api, admin, room_type_id='a', status='CONFIRMED') == [ledger['confirmed'].id, ledger['later'].id]


def test_cursor_pagination_walks_every_booking_once(api: Api, admin: str, ledger):
    for order in ('asc', 'desc'):
        seen, cursor, pages = [], None, 0
        while True:
            query = {'from': day(0).isoformat(), 'to': day(120).isoformat(), 'limit': 2, 'order': order}
            if cursor:
                query['cursor'] = cursor
            page = api.get('/api/admin/bookings', query=query, token=admin).json
            seen += [b['id'] for b in page['items']]
            pages += 1
            cursor = page['next_cursor']
            if not cursor:
                break
            assert pages < 10
        assert seen == listing(api, admin, order=order)
        assert len(seen) == 5


def test_the_list_reads_one_partition_per_month_of_the_hotel_named_or_of_each_hotel(
    api: Api, admin: str, ledger, monkeypatch
):
    months = len({day(n).strftime('%Y-%m') for n in range(120)})
    with count_calls(monkeypatch) as one_hotel:
        assert listing(api, admin, hotel_id='porto', limit=100) == [ledger['pending'].id, ledger['expired'].id]
    assert one_hotel.calls == {'GetItem': 1, 'Query': months}  # the session; the hotel's month partitions
    with count_calls(monkeypatch) as every_hotel:
        assert len(listing(api, admin, limit=100)) == 5
    # the session; the hotel list (no catalogue cache in tests); each hotel's month partitions
    assert every_hotel.calls == {'GetItem': 1, 'Query': 1 + 2 * months}


def test_filtered_pages_fill_up_across_empty_months(api: Api, admin: str, ledger):
    page = api.get(
        '/api/admin/bookings',
        query={'from': day(0).isoformat(), 'to': day(120).isoformat(), 'status': 'CONFIRMED', 'limit': 2},
        token=admin,
    ).json
    assert [b['id'] for b in page['items']] == [ledger['confirmed'].id, ledger['later'].id]


def forged_cursor(month: str, after: object = None) -> str:
    raw = json.dumps({'m': month, 'a': f'{month}-01#x' if after is None else after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


@pytest.mark.parametrize(
    ('query', 'status', 'code'),
    [
        ({'cursor': 'not-a-cursor!'}, 400, 'invalid_cursor'),
        ({'cursor': forged_cursor(day(0).strftime('%Y-%m'), after='1999-01-01#x')}, 400, 'invalid_cursor'),
        ({'cursor': forged_cursor(day(0).strftime('%Y-%m'), after={'pk': 'USER#x'})}, 400, 'invalid_cursor'),
        ({'cursor': forged_cursor('1999-01')}, 400, 'invalid_cursor'),
        ({'to': day(0).isoformat()}, 422, 'invalid_dates'),
        ({'to': day(400).isoformat()}, 422, 'range_too_long'),
        ({'status': 'PAID'}, 422, 'validation_error'),
        ({'status': ','}, 422, 'validation_error'),  # found by schemathesis: was a 500
        ({'status': ' , '}, 422, 'validation_error'),
        ({'order': 'random'}, 422, 'validation_error'),
        ({'limit': 0}, 422, 'validation_error'),
    ],
)
def test_bad_booking_list_queries_are_problems(api: Api, admin: str, query, status, code):
    reply = api.get('/api/admin/bookings', query={'from': day(0).isoformat(), **query}, token=admin)
    assert (reply.status, reply.code) == (status, code)


# ---------------------------------------------------------------- occupancy report


def test_the_occupancy_report_counts_sold_held_and_locked_revenue_per_night(api: Api, admin: str):
    hotel = factories.hotel('occ-hotel')
    room = factories.room_type(hotel, 'occ', total_rooms=4, base_price=10000, open_days=20)
    other = factories.room_type(factories.hotel('elsewhere'), 'far', total_rooms=2, open_days=20)
    factories.rule(hotel, ('percent', 50), id='peak', start_date=day(11), end_date=day(11))
    confirm(hold(room.id, day(10), nights=2, rooms=2, guest='a'))  # 10000 + 15000 per room
    hold(room.id, day(11), nights=2, rooms=1, guest='b')  # pending
    cancel(hold(room.id, day(10), rooms=1, guest='c'))
    confirm(hold(room.id, day(8), nights=3, rooms=1, guest='d'))  # arrived before the report starts
    confirm(hold(other.id, day(10), guest='e'))
    # a later price change never changes revenue already booked
    api.request('PATCH', '/api/admin/price-rules/peak', {'adjustment': {'type': 'percent', 'value': 300}}, token=admin)

    reply = api.get(
        '/api/admin/reports/occupancy',
        query={'from': day(10).isoformat(), 'to': day(13).isoformat(), 'hotel_id': 'occ-hotel'},
        token=admin,
    )
    assert reply.status == 200, reply.json
    report = reply.json
    assert (report['start_date'], report['end_date']) == (day(10).isoformat(), day(13).isoformat())
    [occ] = report['room_types']
    rows = [
        (n['date'], n['allotment'], n['available'], n['sold'], n['held'], n['occupancy'], n['revenue'])
        for n in occ['nights']
    ]
    assert rows == [
        (day(10).isoformat(), 4, 1, 3, 0, 75.0, 2 * 10000 + 10000),
        (day(11).isoformat(), 4, 1, 2, 1, 50.0, 2 * 15000),
        (day(12).isoformat(), 4, 3, 0, 1, 0.0, 0),
    ]
    assert all(n['allotment'] == n['available'] + n['sold'] + n['held'] for n in occ['nights'])
    totals = {
        'room_nights': 12,
        'sold': 5,
        'held': 2,
        'occupancy': 41.7,
        'revenue': 60000,
        'revenue_by_plan': {'STANDARD': 60000},  # the hotel has no rate plans: every room type sells STANDARD
        'adr': 12000,
        'revpar': 5000,
    }
    assert occ['totals'] == totals
    assert [(n['adr'], n['revpar']) for n in occ['nights']] == [(10000, 7500), (15000, 7500), (None, 0)]
    [hotel_totals] = report['hotels']
    assert (hotel_totals['hotel_id'], hotel_totals['currency'], hotel_totals['totals']) == ('occ-hotel', 'EUR', totals)
    # per night for the whole hotel (one room type here: the same figures)
    assert [
        (n['date'], n['room_nights'], n['sold'], n['held'], n['occupancy'], n['adr']) for n in hotel_totals['nights']
    ] == [
        (day(10).isoformat(), 4, 3, 0, 75.0, 10000),
        (day(11).isoformat(), 4, 2, 1, 50.0, 15000),
        (day(12).isoformat(), 4, 0, 1, 0.0, None),
    ]

    everything = api.get(
        '/api/admin/reports/occupancy', query={'from': day(10).isoformat(), 'to': day(13).isoformat()}, token=admin
    ).json
    assert [r['room_type_id'] for r in everything['room_types']] == ['far', 'occ']
    assert everything['room_types'][0]['totals']['sold'] == 1


@pytest.mark.parametrize(
    ('query', 'status', 'code'),
    [
        ({'from': '2027-02-01', 'to': '2027-01-01'}, 422, 'invalid_dates'),
        ({'from': '2027-01-01', 'to': '2028-06-01'}, 422, 'range_too_long'),
        ({'from': 'yesterday'}, 422, 'validation_error'),
        ({'room_type_id': 'nope'}, 404, 'not_found'),
    ],
)
def test_bad_report_queries_are_problems(api: Api, admin: str, query, status, code):
    reply = api.get('/api/admin/reports/occupancy', query=query, token=admin)
    assert (reply.status, reply.code) == (status, code)


def test_the_hotel_series_adds_up_every_room_type_of_the_night(api: Api, admin: str):
    hotel = factories.hotel('series-hotel')
    big = factories.room_type(hotel, 'series-big', total_rooms=6, base_price=10000, open_days=10)
    small = factories.room_type(hotel, 'series-small', total_rooms=2, base_price=30000, open_days=10)
    confirm(hold(big.id, day(3), rooms=3, guest='a'))
    confirm(hold(small.id, day(3), rooms=1, guest='b'))

    report = api.get(
        '/api/admin/reports/occupancy',
        query={'from': day(3).isoformat(), 'to': day(4).isoformat(), 'hotel_id': hotel.id},
        token=admin,
    ).json
    [night] = report['hotels'][0]['nights']
    # 4 of 8 rooms sold for 3 x 100.00 + 300.00
    assert night == {
        'date': day(3).isoformat(),
        'room_nights': 8,
        'sold': 4,
        'held': 0,
        'occupancy': 50.0,
        'revenue': 60000,
        'revenue_by_plan': {'STANDARD': 60000},
        'adr': 15000,
        'revpar': 7500,
    }


# ---------------------------------------------------------------- the inventory grid


def test_the_grid_shows_every_room_type_of_the_hotel_with_sold_held_and_stop_sell(api: Api, admin: str):
    hotel = factories.hotel('grid-hotel')
    deluxe = factories.room_type(hotel, 'grid-deluxe', total_rooms=4, open_days=10)
    single = factories.room_type(hotel, 'grid-single', total_rooms=2, open_days=3)  # nights 3.. not opened
    factories.room_type(factories.hotel('grid-elsewhere'), 'grid-far', open_days=10)
    confirm(hold(deluxe.id, day(1), nights=2, rooms=2, guest='a'))
    hold(deluxe.id, day(2), rooms=1, guest='b')  # pending
    assert (
        api.request(
            'PUT',
            f'/api/admin/room-types/{single.id}/inventory',
            {'start_date': day(2).isoformat(), 'end_date': day(3).isoformat(), 'stop_sell': True},
            token=admin,
        ).status
        == 200
    )

    reply = api.get(
        f'/api/admin/hotels/{hotel.id}/inventory',
        query={'from': day(1).isoformat(), 'to': day(5).isoformat()},
        token=admin,
    )
    assert reply.status == 200, reply.json
    grid = reply.json
    assert (grid['hotel_id'], grid['today'], grid['start_date'], grid['end_date']) == (
        hotel.id,
        TODAY.isoformat(),
        day(1).isoformat(),
        day(5).isoformat(),
    )
    rows = {r['room_type_id']: r for r in grid['room_types']}
    assert list(rows) == ['grid-deluxe', 'grid-single']
    assert rows['grid-deluxe']['total_rooms'] == 4
    cells = [
        (n['date'], n['allotment'], n['available'], n['sold'], n['held'], n['stop_sell'])
        for n in rows['grid-deluxe']['nights']
    ]
    assert cells == [
        (day(1).isoformat(), 4, 2, 2, 0, False),
        (day(2).isoformat(), 4, 1, 2, 1, False),
        (day(3).isoformat(), 4, 4, 0, 0, False),
        (day(4).isoformat(), 4, 4, 0, 0, False),
    ]
    # only the nights that exist; the stop-sell night says so
    assert [(n['date'], n['stop_sell']) for n in rows['grid-single']['nights']] == [
        (day(1).isoformat(), False),
        (day(2).isoformat(), True),
    ]


def test_the_grid_defaults_to_four_weeks_from_the_hotels_today_and_reads_in_one_request(
    api: Api, admin: str, monkeypatch
):
    hotel = factories.hotel('grid-default', timezone='Pacific/Kiritimati')  # UTC+14: often a day ahead
    for n in range(3):
        factories.room_type(hotel, f'grid-default-{n}', open_days=40, open_from=TODAY - timedelta(days=1))
    with count_calls(monkeypatch) as calls:
        reply = api.get(f'/api/admin/hotels/{hotel.id}/inventory', token=admin)
    grid = reply.json
    hotel_today = hotel.today(datetime.now(UTC))
    assert (grid['today'], grid['start_date']) == (hotel_today.isoformat(), hotel_today.isoformat())
    assert grid['end_date'] == (hotel_today + timedelta(days=28)).isoformat()
    assert [len(r['nights']) for r in grid['room_types']] == [28, 28, 28]
    # the caller's session and the hotel; the room types, one inventory Query per room type, and
    # the bookings by check-in month, from the longest stay before the range to its end
    earliest = hotel_today - timedelta(days=MAX_STAY_HARD_LIMIT)
    last = hotel_today + timedelta(days=27)
    months = (last.year - earliest.year) * 12 + last.month - earliest.month + 1
    assert calls.calls == {'GetItem': 2, 'Query': 1 + 3 + months}


@pytest.mark.parametrize(
    ('path', 'query', 'status', 'code'),
    [
        ('/api/admin/hotels/nope/inventory', {}, 404, 'not_found'),
        ('/api/admin/hotels/{hotel}/inventory', {'from': '2027-02-01', 'to': '2027-01-01'}, 422, 'invalid_dates'),
        ('/api/admin/hotels/{hotel}/inventory', {'from': '2027-01-01', 'to': '2028-06-01'}, 422, 'range_too_long'),
        ('/api/admin/hotels/{hotel}/inventory', {'from': 'soon'}, 422, 'validation_error'),
    ],
)
def test_bad_grid_queries_are_problems(api: Api, admin: str, path, query, status, code):
    hotel = factories.hotel()
    reply = api.get(path.format(hotel=hotel.id), query=query, token=admin)
    assert (reply.status, reply.code) == (status, code)


def test_a_guest_cannot_read_the_grid(api: Api):
    hotel = factories.hotel()
    reply = api.get(f'/api/admin/hotels/{hotel.id}/inventory', token=factories.token())
    assert (reply.status, reply.code) == (403, 'forbidden')
