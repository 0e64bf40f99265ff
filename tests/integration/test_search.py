"""Search, calendar and catalogue through the real search handler against moto."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common import wiring
from common.services import search_view
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def catalogue():
    lisbon = factories.hotel('lisbon', city='Lisbon')
    porto = factories.hotel('porto', city='Porto')
    return {
        'small': factories.room_type(lisbon, 'small', capacity=2, base_price=8000, total_rooms=2, amenities=('wifi',)),
        'big': factories.room_type(
            lisbon, 'big', capacity=4, base_price=20000, total_rooms=1, amenities=('wifi', 'balcony'), view_type='sea'
        ),
        'porto': factories.room_type(porto, 'porto-double', capacity=2, base_price=9000, total_rooms=3),
    }


def search(api: Api, nights: int = 2, days_ahead: int = 7, **query):
    check_in, check_out = factories.stay(days_ahead=days_ahead, nights=nights)
    return api.get('/api/rooms/search', query={'check_in': check_in, 'check_out': check_out, **query})


def ids(reply) -> list[str]:
    return [r['room_type_id'] for r in reply.json['results']]


def test_search_lists_what_can_take_the_party_cheapest_first(api: Api, catalogue):
    reply = search(api, guests=2)
    assert reply.status == 200
    assert ids(reply) == ['small', 'porto-double', 'big']
    small = reply.json['results'][0]
    assert small['total_price'] == 16000 and small['available_rooms'] == 2
    assert [n['price'] for n in small['nightly']] == [8000, 8000]
    assert ids(search(api, guests=3)) == ['big']
    assert ids(search(api, guests=4, rooms=2)) == ['small', 'porto-double']


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ({'city': 'porto'}, ['porto-double']),
        ({'hotel_id': 'lisbon'}, ['small', 'big']),
        ({'amenities': 'wifi,balcony'}, ['big']),
        ({'view_type': 'sea'}, ['big']),
        ({'min_price': 17000}, ['porto-double', 'big']),
        ({'max_price': 17999}, ['small']),
        ({'max_price': 18000}, ['small', 'porto-double']),
        ({'sort': 'availability'}, ['porto-double', 'small', 'big']),
    ],
)
def test_search_filters(api: Api, catalogue, query, expected):
    assert ids(search(api, **query)) == expected


def test_sold_out_types_are_left_out_unless_asked_for(api: Api, catalogue):
    check_in, check_out = factories.stay(days_ahead=7, nights=2)
    booked = api.post(
        '/api/bookings',
        {'room_type_id': 'big', 'check_in': check_in, 'check_out': check_out, 'guests': 1},
        token=factories.token(),
    )
    assert booked.status == 201
    assert 'big' not in ids(search(api))
    listed = search(api, include_sold_out='true')
    big = next(r for r in listed.json['results'] if r['room_type_id'] == 'big')
    assert big['available_rooms'] == 0


@pytest.mark.parametrize(
    ('query', 'status', 'code'),
    [
        ({'check_in': '2027-01-05', 'check_out': '2027-01-05'}, 422, 'invalid_dates'),
        ({'check_in': 'tomorrow', 'check_out': '2027-01-05'}, 422, 'validation_error'),
        ({'check_in': '2020-01-01', 'check_out': '2020-01-03'}, 422, 'invalid_dates'),
        ({'guests': 0}, 422, 'validation_error'),
        ({'guests': 'two'}, 422, 'validation_error'),
        ({'sort': 'random'}, 422, 'validation_error'),
    ],
)
def test_bad_search_queries_are_problems(api: Api, catalogue, query, status, code):
    check_in, check_out = factories.stay(days_ahead=7, nights=2)
    reply = api.get('/api/rooms/search', query={'check_in': check_in, 'check_out': check_out, **query})
    assert (reply.status, reply.code) == (status, code)


def test_search_reads_do_not_grow_with_the_number_of_nights(api: Api, catalogue, monkeypatch):
    for city in ('Lisbon', 'Porto'):
        search_view.rebuild(deps(), city)  # as the stream consumer keeps it
    with count_calls(monkeypatch) as one_night:
        assert search(api, nights=1).status == 200
    with count_calls(monkeypatch) as month:
        assert search(api, nights=30).status == 200
    assert one_night.calls == month.calls
    # catalogue (hotels + room types) + rules per hotel (2) + the view of each city (2)
    assert month.calls == {'Query': 2 + 2 + 2}
    assert month['Scan'] == 0


def test_a_search_page_is_one_view_query_per_city_whatever_its_room_types(api: Api, catalogue, monkeypatch):
    lisbon = deps().catalog.get_hotel('lisbon')
    for i in range(10):
        factories.room_type(lisbon, f'extra-{i:02d}', base_price=10000 + i, total_rooms=2, open_days=38)
    search_view.rebuild(deps(), 'Lisbon')
    monkeypatch.setenv('CATALOG_CACHE_SECONDS', '60')  # a warm function: the catalogue is cached
    wiring.reset()
    assert search(api, city='Lisbon', limit=10).status == 200  # warms the cache
    with count_calls(monkeypatch) as first:
        page = search(api, nights=30, city='Lisbon', limit=5)
    with count_calls(monkeypatch) as second:
        following = search(api, nights=30, city='Lisbon', limit=5, cursor=page.json['next_cursor'])
    assert first.calls == second.calls == {'Query': 1}  # 12 room types, 30 nights: one Query
    assert len(page.json['results']) == len(following.json['results']) == 5
    assert not set(ids(page)) & set(ids(following))


def test_a_city_of_many_hotels_is_one_view_query(api: Api, catalogue, monkeypatch):
    for i in range(6):  # hotels in as many shards as it takes to pass a key read's worth
        hotel = factories.hotel(f'lisbon-{i}', city='Lisbon')
        factories.room_type(hotel, f'lisbon-{i}-double', total_rooms=2, open_days=38)
    search_view.rebuild(deps(), 'Lisbon')
    monkeypatch.setenv('CATALOG_CACHE_SECONDS', '60')
    wiring.reset()
    assert search(api, nights=30, city='lisbon').status == 200  # warms the cache
    with count_calls(monkeypatch) as calls:
        found = search(api, nights=30, city='lisbon', limit=100)
    assert calls.calls == {'Query': 1}
    assert len(found.json['results']) == 8


def test_room_types_the_view_lacks_are_read_from_the_inventory(api: Api, catalogue, monkeypatch):
    """A view still being filled (a new city, a room type created a moment ago) is no "sold out"."""
    with count_calls(monkeypatch) as calls:
        reply = search(api, city='Lisbon')
    assert sorted(ids(reply)) == ['big', 'small']
    assert calls.calls == {'Query': 2 + 1 + 1 + 2}  # catalogue, rules, the (empty) view, each room type


def test_booking_makes_one_transaction_and_reads_that_do_not_grow_with_the_stay(api: Api, catalogue, monkeypatch):
    counts = []
    for nights in (1, 7, 30):
        check_in, check_out = factories.stay(days_ahead=2, nights=nights)
        with count_calls(monkeypatch) as calls:
            reply = api.post(
                '/api/bookings',
                {'room_type_id': 'porto-double', 'check_in': check_in, 'check_out': check_out, 'guests': 1},
                token=factories.token(),
            )
        assert reply.status == 201
        counts.append(calls.calls)
    assert counts[0] == counts[1] == counts[2]
    assert counts[0]['TransactWriteItems'] == 1
    # room type + hotel + the caller's session (revocation check), rules, the hold
    assert counts[0] == {'GetItem': 3, 'Query': 1, 'TransactWriteItems': 1}


def test_hotels_and_room_types_are_listed_and_fetched(api: Api, catalogue):
    hotels = api.get('/api/hotels').json['items']
    assert [h['id'] for h in hotels] == ['lisbon', 'porto']
    assert [h['id'] for h in api.get('/api/hotels', query={'city': 'PORTO'}).json['items']] == ['porto']
    assert api.get('/api/hotels/porto').json['city'] == 'Porto'
    assert api.get('/api/hotels/nowhere').code == 'not_found'
    types = api.get('/api/room-types', query={'hotel_id': 'lisbon'}).json['items']
    assert [t['id'] for t in types] == ['small', 'big']
    big = api.get('/api/room-types/big/').json
    assert big['capacity'] == 4 and big['average_rating'] is None and big['review_count'] == 0
    assert api.get('/api/room-types/nope').status == 404


def test_the_calendar_shows_each_night_with_price_and_availability(api: Api, catalogue):
    start = datetime.now(UTC).date() + timedelta(days=3)
    end = start + timedelta(days=4)
    reply = api.get('/api/room-types/small/calendar', query={'from': start.isoformat(), 'to': end.isoformat()})
    assert reply.status == 200
    nights = reply.json['nights']
    assert [date.fromisoformat(n['date']) for n in nights] == [start + timedelta(days=i) for i in range(4)]
    assert {(n['available'], n['price']) for n in nights} == {(2, 8000)}
    too_long = api.get(
        '/api/room-types/small/calendar',
        query={'from': start.isoformat(), 'to': (start + timedelta(days=400)).isoformat()},
    )
    assert (too_long.status, too_long.code) == (422, 'invalid_dates')


def test_unknown_routes_are_problems(api: Api):
    reply = api.get('/api/nothing-here')
    assert (reply.status, reply.code) == (404, 'route_not_found')
    assert reply.header('Content-Type') == 'application/problem+json'


def test_a_configured_browser_origin_gets_cors_headers(monkeypatch):
    import importlib

    monkeypatch.setenv('CORS_ALLOW_ORIGIN', 'https://book.example.com')
    wiring.reset()
    try:
        module = importlib.import_module('functions.search.app')
        fresh = importlib.reload(module)
        api = Api()
        api.gateway._pools['SearchFunction']._free[:] = [fresh.lambda_handler]
        reply = api.get('/api/health', headers={'Origin': 'https://book.example.com'})
        assert reply.header('Access-Control-Allow-Origin') == 'https://book.example.com'
    finally:
        monkeypatch.delenv('CORS_ALLOW_ORIGIN')
        wiring.reset()
        importlib.reload(module)
    assert (
        Api().get('/api/health', headers={'Origin': 'https://evil.example'}).header('Access-Control-Allow-Origin')
        is None
    )
