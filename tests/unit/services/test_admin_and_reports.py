"""Hotel staff's changes and reports (services/admin.py, reports.py) on fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common import errors
from common.domain import BookingStatus
from common.sale_window import LEAD_NIGHTS
from common.services import admin, reports
from tests.unit.services.world import ADMIN, world

HOTEL = {'id': 'porto', 'name': 'Riverside', 'city': 'Porto', 'currency': 'EUR'}
ROOM = {'id': 'river-king', 'hotel_id': 'porto', 'name': 'King', 'capacity': 2, 'base_price': 15000, 'total_rooms': 3}


def test_a_room_type_opens_its_sale_window_and_its_hotel_cannot_go_while_it_exists():
    w = world(sale_window_days=10)
    admin.create_hotel(w.deps, ADMIN, HOTEL)
    room, opened = admin.create_room_type(w.deps, ADMIN, ROOM, w.now)
    assert opened == 10 + LEAD_NIGHTS + 1 and room.currency == 'EUR'  # the window and the lead housekeeping keeps
    with pytest.raises(errors.HotelNotEmpty):
        admin.delete_hotel(w.deps, ADMIN, 'porto')
    admin.delete_room_type(w.deps, ADMIN, room.id, w.now)
    admin.delete_hotel(w.deps, ADMIN, 'porto')


def test_a_room_type_in_another_currency_than_its_hotel_is_refused():
    w = world()
    admin.create_hotel(w.deps, ADMIN, HOTEL)
    with pytest.raises(errors.Unprocessable):
        admin.create_room_type(w.deps, ADMIN, {**ROOM, 'currency': 'USD'}, w.now)
    with pytest.raises(errors.InvalidReference):
        admin.create_room_type(w.deps, ADMIN, {**ROOM, 'hotel_id': 'nowhere'}, w.now)


def test_a_room_type_with_rooms_held_cannot_be_deleted():
    w = world()
    w.hold()
    with pytest.raises(errors.HasBookings):
        admin.delete_room_type(w.deps, ADMIN, w.room.id, w.now)


def test_an_allotment_below_what_is_held_refuses_the_whole_change():
    w = world()
    w.hold(10, 1, rooms=2)
    update = admin.InventoryUpdate(w.day(9), w.day(12), allotment=1)
    with pytest.raises(errors.AllotmentBelowHeld) as refused:
        admin.set_inventory(w.deps, ADMIN, w.room.id, update, w.now)
    assert refused.value.extra['nights'] == [{'date': w.day(10).isoformat(), 'held': 2, 'allotment': 1}]
    assert w.available(9, 3) == [5, 3, 5]


def test_an_inventory_change_keeps_what_is_held_and_a_repeat_changes_nothing():
    w = world()
    w.hold(10, 1)
    update = admin.InventoryUpdate(w.day(10), w.day(11), allotment=8)
    _, nights = admin.set_inventory(w.deps, ADMIN, w.room.id, update, w.now)
    assert [(n.allotment, n.available) for n in nights] == [(8, 7)]
    assert admin.plan_inventory(w.room, update, nights) == []


def test_a_rule_is_validated_before_it_is_written_and_versioned_when_changed():
    w = world()
    fields = {'name': 'Summer', 'hotel_id': 'lisbon', 'adjustment': {'type': 'percent', 'value': 10}}
    rule = admin.create_rule(w.deps, ADMIN, fields, w.now)
    assert (rule.version, rule.updated_by) == (1, ADMIN.user_id)
    with pytest.raises(errors.Unprocessable):
        admin.create_rule(w.deps, ADMIN, {**fields, 'adjustment': {'type': 'percent', 'value': -101}}, w.now)
    changed = admin.update_rule(w.deps, ADMIN, rule.id, {'priority': 5}, w.now)
    assert (changed.priority, changed.version) == (5, 2)
    with pytest.raises(errors.Unprocessable):
        admin.update_rule(w.deps, ADMIN, rule.id, {}, w.now)
    assert [r.id for r in admin.list_rules(w.deps, 'lisbon')] == [rule.id]


def test_the_booking_list_filters_on_the_status_clients_see():
    w = world()
    held = w.hold(10)
    paid = w.paid(12)
    later = held.hold_expires_at
    assert reports.parse_statuses('pending, Expired') == {BookingStatus.PENDING, BookingStatus.EXPIRED}
    for raw in ('nope', ','):
        with pytest.raises(errors.Unprocessable):
            reports.parse_statuses(raw)
    expired = reports.list_bookings(w.deps, reports.BookingQuery(statuses=frozenset({BookingStatus.EXPIRED})), later)
    assert [b.id for b in expired.items] == [held.id]
    everything = reports.list_bookings(w.deps, reports.BookingQuery(), w.now)
    assert [b.id for b in everything.items] == [held.id, paid.id]


def test_occupancy_balances_allotment_available_sold_and_held():
    w = world()
    w.hold(10, 1)
    w.paid(10, 2)
    query = reports.OccupancyQuery(start=w.day(10), end=w.day(12))
    [row] = reports.occupancy(w.deps, query, w.now).room_types
    assert [(n.allotment, n.available, n.sold, n.held) for n in row.nights] == [(5, 3, 1, 1), (5, 4, 1, 0)]
    assert (row.totals.revenue, row.totals.adr) == (20000, 10000)
    with pytest.raises(errors.RangeTooLong):
        reports.occupancy(w.deps, reports.OccupancyQuery(start=w.day(0), end=w.day(400)), w.now)


def test_the_report_has_each_hotels_nights_and_refuses_nights_past_the_retention():
    w = world(inventory_retention_days=40)
    w.paid(10, 2)
    report = reports.occupancy(w.deps, reports.OccupancyQuery(start=w.day(10), end=w.day(12)), w.now)
    [hotel] = report.hotels
    assert [(night, totals.sold, totals.revenue) for night, totals in hotel.nights.items()] == [
        (w.day(10), 1, 10000),
        (w.day(11), 1, 10000),
    ]
    with pytest.raises(errors.InvalidDates):  # TTL may or may not have deleted those nights
        reports.occupancy(w.deps, reports.OccupancyQuery(start=w.day(-41), end=w.day(1)), w.now)


def test_the_inventory_grid_starts_at_the_hotels_today_and_counts_what_is_sold_and_held():
    w = world(timezone='Pacific/Kiritimati')  # already tomorrow there
    w.hold(2, 1)
    w.paid(3, 1)
    grid = reports.inventory_grid(w.deps, w.hotel.id, None, None, w.now)
    assert (grid.today, grid.start, grid.end) == (w.day(1), w.day(1), w.day(1 + reports.DEFAULT_GRID_DAYS))
    [(room_type, nights)] = grid.rows
    by_day = {n.date: (n.available, n.sold, n.held) for n in nights}
    assert (room_type.id, by_day[w.day(2)], by_day[w.day(3)]) == (w.room.id, (4, 0, 1), (4, 1, 0))


def test_nights_opened_later_take_the_default_allotment_and_existing_nights_keep_theirs():
    w = world(sale_window_days=5)
    admin.create_hotel(w.deps, ADMIN, HOTEL)
    room, _ = admin.create_room_type(w.deps, ADMIN, {**ROOM, 'total_rooms': 6, 'default_allotment': 4}, w.now)
    assert {n.allotment for n in w.deps.inventory.all_nights(room.id)} == {4}
    admin.update_room_type(w.deps, ADMIN, room.id, {'default_allotment': 2})
    far = w.day(30)
    admin.set_inventory(
        w.deps, ADMIN, room.id, admin.InventoryUpdate(far, far + timedelta(days=1), stop_sell=True), w.now
    )
    nights = {n.date: n.allotment for n in w.deps.inventory.all_nights(room.id)}
    assert (nights[w.day(0)], nights[far]) == (4, 2)


def test_a_booking_older_than_the_retention_no_longer_keeps_its_room_type():
    w = world(inventory_retention_days=40)
    w.paid(1, 2)
    refused = w.now
    with pytest.raises(errors.HasBookings):
        admin.delete_room_type(w.deps, ADMIN, w.room.id, refused)
    # 45 days later the stay's nights are past the retention (TTL deletes them sooner or later)
    admin.delete_room_type(w.deps, ADMIN, w.room.id, w.now + timedelta(days=45))
    with pytest.raises(errors.NotFound):
        w.deps.catalog.get_room_type(w.room.id)
