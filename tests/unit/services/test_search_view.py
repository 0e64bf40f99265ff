"""The search view on fakes: its aggregation is pure (a batch's changes per view item, the newest
image of each night winning), so after ANY sequence of inventory changes, cut into ANY batches,
the view equals a fresh computation from the inventory; search from it never offers what the
hold refuses for capacity or restrictions; its pages are a total order cut by cursors.

The stream is a diff of the fakes' inventory after each service call (what DynamoDB's stream
reports: the new image of each night written, none for a night deleted). The stream itself, on
ministack, is tests/concurrency/test_search_view.py.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import errors
from common.domain import Adjustment, InventoryNight, PriceRule, RoomType
from common.ports import InventoryChange, ViewKey
from common.services import admin, bookings, cancellation, expiry, search, search_view
from tests.unit.services.world import ADMIN, GUEST, OTHER, World, world

PLENTY = lambda: 60.0  # noqa: E731 - seconds left in a sweep
HOTELS = {'h1': 'Lisbon', 'h2': 'lisbon', 'h3': 'Porto'}  # a city is case-insensitive
DAYS = [date(2027, 3, 1) + timedelta(days=i) for i in range(4)]


# ---------------------------------------------------------------- the aggregation, pure

nights = st.builds(
    lambda allotment, taken, stop: (allotment, max(0, allotment - taken), stop),
    st.integers(0, 9),
    st.integers(0, 9),
    st.booleans(),
)
changes = st.lists(
    st.tuples(
        st.sampled_from(['a', 'b', 'c']), st.sampled_from(sorted(HOTELS)), st.sampled_from(DAYS), st.none() | nights
    ),
    max_size=40,
)


def as_change(room_type: str, hotel: str, day: date, value: tuple[int, int, bool] | None) -> InventoryChange:
    night = None if value is None else InventoryNight(f'{hotel}-{room_type}', day, value[0], value[1], value[2])
    return InventoryChange(f'{hotel}-{room_type}', hotel, day, night)


@settings(max_examples=300, deadline=None)
@given(changes, st.lists(st.integers(1, 10), max_size=10))
def test_any_changes_in_any_batches_leave_the_view_a_fresh_computation_gives(raw, cuts):
    stream = [as_change(*c) for c in raw]
    view: dict[ViewKey, search_view.Cells] = {}
    start = 0
    for size in [*cuts, len(stream)]:
        view = search_view.replay(view, search_view.aggregate(stream[start : start + size], HOTELS.get))
        start += size
    inventory = {(c.room_type_id, c.date): (c.hotel_id, c.night) for c in stream}  # the last write wins
    expected = search_view.fresh(((h, n) for h, n in inventory.values() if n is not None), HOTELS.get)
    assert view == expected
    # a replay of everything (a retried batch, a redriven DLQ message) changes nothing
    assert search_view.replay(view, search_view.aggregate(stream, HOTELS.get)) == expected


def test_one_write_per_view_item_per_batch_and_hotels_of_a_city_share_its_partition():
    batch = [as_change('a', 'h1', DAYS[0], (5, 4, False)), as_change('a', 'h1', DAYS[0], (5, 3, False))]
    batch += [as_change('b', 'h2', DAYS[0], (2, 2, False)), as_change('a', 'h3', DAYS[1], None)]
    items = search_view.aggregate(batch, HOTELS.get)
    assert {k.city for k in items} == {'lisbon', 'porto'}
    assert items[ViewKey.of('Lisbon', 'h1', DAYS[0])]['h1-a'] == InventoryNight('h1-a', DAYS[0], 5, 3)
    assert items[ViewKey.of('porto', 'h3', DAYS[1])] == {'h3-a': None}
    assert len(items) == len({ViewKey.of(HOTELS[c.hotel_id], c.hotel_id, c.date) for c in batch}) <= 3


def test_a_hotel_deleted_since_is_left_out():
    assert search_view.aggregate([as_change('a', 'gone', DAYS[0], (1, 1, False))], HOTELS.get) == {}


# ---------------------------------------------------------------- the services, through a stream


class Stream:
    """What the table's stream would report of the fakes' inventory since the last look."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.seen = dict(w.f.store.nights)
        self.hotel_of = {rt.id: rt.hotel_id for rt in w.f.store.room_types.values()}
        self.records: list[InventoryChange] = []

    def look(self) -> None:
        now = self.w.f.store.nights
        for key in sorted(set(self.seen) | set(now)):
            if self.seen.get(key) != now.get(key):
                self.records.append(InventoryChange(key[0], self.hotel_of[key[0]], key[1], now.get(key)))
        self.seen = dict(now)

    def deliver(self, cuts: list[int]) -> None:
        """Hand everything seen to the consumer in batches of the given sizes (the rest in one)."""
        start = 0
        for size in [*cuts, len(self.records)]:
            batch = self.records[start : start + size]
            report = search_view.apply(self.w.deps, list(enumerate(batch)))
            assert report.first_failed is None
            start += size
        self.records = self.records[start:]


def two_types() -> tuple[World, RoomType]:
    w = world(total_rooms=3)
    other = RoomType('twin', w.hotel.id, 'Twin', '', 2, 9000, 'EUR', 2)
    w.deps.catalog.put_room_type(other, create=True)
    w.deps.inventory.open_fresh(w.deps.catalog.get_room_type('twin'), w.now.date(), w.now.date() + timedelta(days=59))
    return w, other


def fresh_view(w: World) -> dict[ViewKey, dict[str, InventoryNight]]:
    hotel_of = {rt.id: rt.hotel_id for rt in w.f.store.room_types.values()}
    pairs = [(hotel_of[rt], n) for (rt, _), n in w.f.store.nights.items() if rt in hotel_of]
    return search_view.fresh(pairs, lambda h: w.f.store.hotels[h].city)  # type: ignore[return-value]


operations = st.lists(
    st.tuples(
        st.sampled_from(['hold', 'hold', 'cancel', 'expire', 'allotment', 'stop_sell', 'delete']),
        st.sampled_from(['deluxe', 'twin']),
        st.integers(1, 4),  # first night, days from now
        st.integers(1, 3),  # nights, or the new allotment
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations, st.lists(st.integers(1, 8), max_size=6))
def test_after_holds_cancels_expiries_admin_changes_and_deletions_the_view_is_the_inventory(ops, cuts):
    w, _ = two_types()
    stream = Stream(w)
    search_view.rebuild(w.deps, 'Lisbon')  # the backfill, then the stream
    held: list[str] = []
    for op, room_type_id, start, count in ops:
        day = w.day(start)
        try:
            if op == 'hold':
                request = bookings.HoldRequest(room_type_id, day, day + timedelta(days=count), 1, 1)
                held.append(bookings.hold(w.deps, GUEST if len(held) % 2 else OTHER, request, w.now).id)
            elif op == 'cancel' and held:
                booking = w.deps.bookings.get(held.pop(0))
                cancellation.cancel(w.deps, GUEST if booking.user_id == GUEST.user_id else OTHER, booking.id, w.now)
            elif op == 'expire':
                w.f.clock.now += timedelta(seconds=w.deps.settings.booking_hold_seconds + 1)
                expiry.sweep(w.deps, w.now, PLENTY)
            elif op in ('allotment', 'stop_sell'):
                update = admin.InventoryUpdate(
                    day,
                    day + timedelta(days=2),
                    allotment=count + 1 if op == 'allotment' else None,
                    stop_sell=count % 2 == 0 if op == 'stop_sell' else None,
                )
                admin.set_inventory(w.deps, ADMIN, room_type_id, update, w.now)
            elif op == 'delete':
                admin.delete_room_type(w.deps, ADMIN, room_type_id, w.now)
        except (errors.DomainError, errors.NotFound):
            pass  # refused: nothing changed, so the stream reports nothing
        stream.look()
    stream.deliver(cuts)
    assert {k: v for k, v in w.f.store.view.items() if v} == fresh_view(w)


# ---------------------------------------------------------------- search from the view


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    guests=st.integers(1, 6),
    rooms=st.integers(1, 3),
    start=st.integers(1, 6),
    nights=st.integers(1, 4),
    min_stay=st.none() | st.integers(2, 3),
    closed_day=st.none() | st.integers(1, 6),
    taken=st.integers(0, 3),
)
def test_search_never_offers_a_room_type_the_hold_refuses(guests, rooms, start, nights, min_stay, closed_day, taken):
    w, _ = two_types()
    if min_stay:
        w.rule(('percent', 0), room_type_id='twin', min_stay=min_stay)
    if closed_day:
        w.rule(('percent', 0), start_date=w.day(closed_day), end_date=w.day(closed_day), closed_to_arrival=True)
    for i in range(taken):
        with contextlib.suppress(errors.DomainError):
            w.hold(start, 1, guest=OTHER if i % 2 else GUEST)
    search_view.rebuild(w.deps, 'Lisbon')
    query = search.SearchQuery(w.day(start), w.day(start + nights), guests=guests, rooms=rooms, city='lisbon')
    try:
        found = search.search(w.deps, query, w.now)
    except errors.DomainError:
        return  # refused as a whole: nothing offered
    for result in found.results:
        request = bookings.HoldRequest(result.room_type.id, query.check_in, query.check_out, guests, rooms)
        bookings.hold(w.deps, GUEST, request, w.now)  # raises if the hold refuses what search offered


def test_a_view_behind_the_inventory_offers_at_worst_a_room_the_hold_then_refuses_as_sold_out():
    w, _ = two_types()
    search_view.rebuild(w.deps, 'Lisbon')
    for guest in (GUEST, OTHER, GUEST):
        w.hold(3, 2, guest=guest)  # the deluxe rooms are gone; the view has not heard yet
    query = search.SearchQuery(w.day(3), w.day(5), city='Lisbon')
    stale = {r.room_type.id: r.available_rooms for r in search.search(w.deps, query, w.now).results}
    assert stale == {'deluxe': 3, 'twin': 2}
    with pytest.raises(errors.SoldOut):
        w.hold(3, 2, guest=OTHER)
    search_view.rebuild(w.deps, 'Lisbon')  # the stream catches up
    assert [r.room_type.id for r in search.search(w.deps, query, w.now).results] == ['twin']


def test_expired_holds_count_as_available_in_a_search_from_the_view():
    w, _ = two_types()
    for guest in (GUEST, OTHER, GUEST):
        w.hold(3, 2, guest=guest)
    search_view.rebuild(w.deps, 'Lisbon')  # the view knows: deluxe sold out
    query = search.SearchQuery(w.day(3), w.day(5), city='Lisbon')
    assert [r.room_type.id for r in search.search(w.deps, query, w.now).results] == ['twin']
    w.f.clock.now += timedelta(seconds=w.deps.settings.booking_hold_seconds + 1)  # due, not yet swept
    assert {r.room_type.id: r.available_rooms for r in search.search(w.deps, query, w.now).results} == {
        'deluxe': 3,
        'twin': 2,
    }


def test_a_search_reads_the_view_once_and_the_inventory_only_for_what_the_view_lacks():
    w, _ = two_types()
    query = search.SearchQuery(w.day(3), w.day(5), city='Lisbon')
    reads: list[str] = []
    inventory_nights = w.deps.inventory.nights
    w.f.deps.inventory.nights = lambda rt, *a, **k: reads.append(rt) or inventory_nights(rt, *a, **k)  # type: ignore[method-assign]
    assert len(search.search(w.deps, query, w.now).results) == 2
    assert sorted(reads) == ['deluxe', 'twin']  # an empty view: read from the inventory
    reads.clear()
    search_view.rebuild(w.deps, 'Lisbon')
    assert len(search.search(w.deps, query, w.now).results) == 2
    assert reads == []


def test_a_hotels_page_in_a_big_city_reads_its_own_items_by_key_and_a_city_search_one_query():
    from local import seed_scale
    from tests.fakes import NOW, fakes

    f = fakes()
    f.clock.now = NOW
    seed_scale.create(f.deps, 'Scaleton', 200, per_hotel=10, days=10)
    view = f.deps.view
    reads: list[str] = []
    view.read = lambda *a, _read=view.read: reads.append('Query') or _read(*a)  # type: ignore[method-assign]
    view.read_items = lambda keys, _read=view.read_items: reads.append(f'by key: {len(keys)}') or _read(keys)  # type: ignore[method-assign]
    stay = (NOW.date() + timedelta(days=1), NOW.date() + timedelta(days=8))
    assert search.search(f.deps, search.SearchQuery(*stay, hotel_id='scaleton-0003'), NOW).results
    assert search.search(f.deps, search.SearchQuery(*stay, city='Scaleton', limit=5), NOW).results
    assert reads == ['by key: 7', 'Query']  # the hotel's 7 nights of its shard; the city's range


# ---------------------------------------------------------------- pages and order


def many_types(count: int = 7) -> World:
    w = world(total_rooms=2)
    for i in range(count):
        rt = RoomType(f'type-{i}', w.hotel.id, f'Type {i}', '', 2, 5000 + (i * 37) % 5 * 1000, 'EUR', 1 + i % 3)
        w.deps.catalog.put_room_type(rt, create=True)
        w.deps.inventory.open_fresh(w.deps.catalog.get_room_type(rt.id), w.now.date(), w.now.date() + timedelta(30))
        w.f.store.room_types[rt.id] = w.f.store.room_types[rt.id].__class__(
            **{**w.f.store.room_types[rt.id].__dict__, 'rating_sum': (i * 3) % 11, 'review_count': 2 if i % 4 else 0}
        )
    search_view.rebuild(w.deps, 'Lisbon')
    return w


@pytest.mark.parametrize('sort', ['price', 'availability', 'rating'])
@pytest.mark.parametrize('limit', [1, 3, 20])
def test_pages_follow_one_another_in_the_order_asked_without_gaps_or_repeats(sort, limit):
    w = many_types()
    query = search.SearchQuery(w.day(2), w.day(4), city='Lisbon', sort=sort)
    everything = search.search(w.deps, query, w.now).results
    seen, cursor = [], None
    while True:
        page = search.search(w.deps, search.SearchQuery(**{**query.__dict__, 'limit': limit, 'cursor': cursor}), w.now)
        assert len(page.results) <= limit
        seen += page.results
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [r.room_type.id for r in seen] == [r.room_type.id for r in everything]
    assert len(everything) == 8
    if sort == 'rating':
        ratings = [r.room_type.average_rating or -1 for r in everything]
        assert ratings == sorted(ratings, reverse=True)
    if sort == 'price':
        assert [r.total for r in everything] == sorted(r.total for r in everything)


def test_a_cursor_of_another_search_or_forged_is_refused():
    w = many_types()
    query = search.SearchQuery(w.day(2), w.day(4), city='Lisbon', limit=2)
    cursor = search.search(w.deps, query, w.now).next_cursor
    assert cursor is not None
    other = search.SearchQuery(w.day(2), w.day(4), city='Lisbon', limit=2, guests=2, cursor=cursor)
    for bad in (other, search.SearchQuery(w.day(2), w.day(4), city='Lisbon', cursor='bm90LWpzb24')):
        with pytest.raises(errors.InvalidCursor):
            search.search(w.deps, bad, w.now)


def test_rating_is_a_sort_the_hotel_can_read():
    w = world()
    w.f.store.room_types['deluxe'] = w.f.store.room_types['deluxe'].__class__(
        **{**w.f.store.room_types['deluxe'].__dict__, 'rating_sum': 9, 'review_count': 2}
    )
    w.deps.catalog.put_room_type(RoomType('basic', w.hotel.id, 'Basic', '', 2, 100, 'EUR', 1), create=True)
    w.deps.inventory.open_fresh(w.deps.catalog.get_room_type('basic'), w.now.date(), w.now.date() + timedelta(20))
    query = search.SearchQuery(w.day(2), w.day(4), city='Lisbon', sort='rating')
    assert [r.room_type.id for r in search.search(w.deps, query, w.now).results] == ['deluxe', 'basic']
    assert [r.room_type.id for r in search.search(w.deps, search.SearchQuery(w.day(2), w.day(4)), w.now).results] == [
        'basic',
        'deluxe',
    ]


def test_price_rules_restrictions_come_from_the_catalogue_not_the_view():
    """The view holds rooms only: a min-stay rule added a second ago already hides the type."""
    w, _ = two_types()
    search_view.rebuild(w.deps, 'Lisbon')
    query = search.SearchQuery(w.day(2), w.day(3), city='Lisbon')
    assert {r.room_type.id for r in search.search(w.deps, query, w.now).results} == {'deluxe', 'twin'}
    w.deps.catalog.put_rule(
        PriceRule('ms', w.hotel.id, 'min stay', Adjustment('percent', 0), room_type_id='twin', min_stay=2)
    )
    assert {r.room_type.id for r in search.search(w.deps, query, w.now).results} == {'deluxe'}


def test_seed_scale_makes_a_searchable_city_and_a_second_run_adds_nothing():
    from local import seed_scale
    from tests.fakes import NOW, fakes

    f = fakes()
    f.clock.now = NOW
    first = seed_scale.create(f.deps, 'Scaleton', 25, per_hotel=10, days=5)
    again = seed_scale.create(f.deps, 'Scaleton', 25, per_hotel=10, days=5)
    assert (first['hotels'], first['new_room_types'], first['nights']) == (3, 25, 125)
    assert (again['new_room_types'], again['nights']) == (0, 0)
    stay = (NOW.date() + timedelta(days=1), NOW.date() + timedelta(days=3))
    page = search.search(f.deps, search.SearchQuery(*stay, city='scaleton', limit=10), NOW)
    assert len(page.results) == 10 and page.next_cursor is not None
    assert {n.room_type_id for n in f.deps.view.read('Scaleton', NOW.date(), NOW.date() + timedelta(days=5))} == set(
        f.store.room_types
    )
