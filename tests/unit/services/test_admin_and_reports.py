"""Hotel staff's changes and reports (services/admin.py, reports.py) on fakes."""

from __future__ import annotations

import pytest

from common import errors
from common.domain import BookingStatus
from common.services import admin, reports
from tests.unit.services.world import ADMIN, world

HOTEL = {'id': 'porto', 'name': 'Riverside', 'city': 'Porto', 'currency': 'EUR'}
ROOM = {'id': 'river-king', 'hotel_id': 'porto', 'name': 'King', 'capacity': 2, 'base_price': 15000, 'total_rooms': 3}


def test_a_room_type_opens_its_sale_window_and_its_hotel_cannot_go_while_it_exists():
    w = world(sale_window_days=10)
    admin.create_hotel(w.deps, ADMIN, HOTEL)
    room, opened = admin.create_room_type(w.deps, ADMIN, ROOM, w.now)
    assert opened == 11 and room.currency == 'EUR'
    with pytest.raises(errors.HotelNotEmpty):
        admin.delete_hotel(w.deps, ADMIN, 'porto')
    admin.delete_room_type(w.deps, ADMIN, room.id)
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
        admin.delete_room_type(w.deps, ADMIN, w.room.id)


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
