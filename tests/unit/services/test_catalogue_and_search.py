"""The catalogue, search and the calendar (services/catalog.py, search.py) on fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from common import errors
from common.domain import Hotel, RoomType
from common.services import catalog, search
from common.services.deps import TtlCache
from tests.unit.services.world import world


def _query(w, **fields):
    return search.SearchQuery(check_in=w.day(10), check_out=w.day(12), **fields)


def test_hotels_are_listed_by_city_whatever_its_case_for_guests_and_staff_alike():
    w = world()
    w.deps.catalog.put_hotel(Hotel('a', 'Alfama', 'lisbon', '', 'UTC', 15, 'EUR'), create=True)
    w.deps.catalog.put_hotel(Hotel('z', 'Zenith', 'Amsterdam', '', 'UTC', 15, 'EUR'), create=True)
    assert [h.id for h in catalog.list_hotels(w.deps)] == ['z', 'a', 'lisbon']
    assert [h.id for h in catalog.list_hotels(w.deps, 'LISBON')] == ['a', 'lisbon']


def test_guests_see_a_hotels_room_types_cheapest_first():
    w = world()
    w.deps.catalog.put_room_type(RoomType('suite', 'lisbon', 'Suite', '', 4, 5000, 'EUR', 1), create=True)
    assert [r.id for r in catalog.list_room_types(w.deps, 'lisbon')] == ['suite', 'deluxe']
    assert catalog.list_room_types(w.deps, 'elsewhere') == []


def test_the_catalogue_cache_serves_reads_until_it_expires_or_is_cleared():
    w = world()
    clock = [0.0]
    cache = TtlCache(5, monotonic=lambda: clock[0])
    deps = replace(w.deps, catalog_cache=cache)
    assert catalog.hotel(deps, 'lisbon').name == 'Harbour'
    w.deps.catalog.update_hotel('lisbon', {'name': 'Renamed'})
    assert catalog.hotel(deps, 'lisbon').name == 'Harbour'
    clock[0] = 5.1
    assert catalog.hotel(deps, 'lisbon').name == 'Renamed'
    w.deps.catalog.update_hotel('lisbon', {'name': 'Again'})
    cache.clear()
    assert catalog.hotel(deps, 'lisbon').name == 'Again'


def test_search_prices_every_night_and_leaves_out_what_cannot_take_the_party():
    w = world()
    w.rule(('percent', 10))
    [result] = search.search(w.deps, _query(w, guests=2), w.now).results
    assert (result.quote.total, result.available_rooms) == (22000, 5)
    assert search.search(w.deps, _query(w, guests=3), w.now).results == []
    assert len(search.search(w.deps, _query(w, guests=3, rooms=2), w.now).results) == 1


def test_a_sold_out_room_type_is_left_out_or_listed_with_none_left():
    w = world(total_rooms=1)
    w.hold(10, 1)
    assert search.search(w.deps, _query(w), w.now).results == []
    [shown] = search.search(w.deps, _query(w, include_sold_out=True), w.now).results
    assert shown.available_rooms == 0


def test_search_filters_on_price_amenities_and_city():
    w = world()
    assert search.search(w.deps, _query(w, max_price=19999), w.now).results == []
    assert search.search(w.deps, _query(w, amenities=('spa',)), w.now).results == []
    assert search.search(w.deps, _query(w, city='LISBON'), w.now).results != []
    with pytest.raises(errors.Unprocessable):
        search.search(w.deps, _query(w, guests=1, rooms=2), w.now)


def test_the_calendar_defaults_to_thirty_days_from_today_at_the_hotel():
    w = world()
    room, nights = search.calendar(w.deps, w.room.id, None, None, w.now)
    assert room == w.room and len(nights) == 30 and nights[0].night.date == w.day(0)
    with pytest.raises(errors.InvalidDates):
        search.calendar(w.deps, w.room.id, w.day(5), w.day(5), w.now)
    with pytest.raises(errors.InvalidDates):
        search.calendar(w.deps, w.room.id, w.day(0), w.day(400), w.now)
    with pytest.raises(errors.NotFound):
        search.calendar(w.deps, 'nope', None, None, w.now)
