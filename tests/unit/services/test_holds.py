"""Holding rooms (services/bookings.py) on fakes: the rules a hold must pass and what it takes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from common import errors
from common.domain import BookingStatus
from common.services import bookings
from tests.unit.services.world import GUEST, OTHER, world


def test_a_hold_takes_a_room_on_every_night_and_locks_the_quoted_price():
    w = world()
    w.rule(('amount', 500))
    booking = w.hold(10, 3)
    assert booking.status is BookingStatus.PENDING
    assert [n.price for n in booking.nightly] == [10500, 10500, 10500]
    assert booking.total_amount == 31500
    assert w.available(10, 3) == [4, 4, 4]
    assert booking.hold_expires_at == booking.created_at + timedelta(seconds=900)


def test_the_last_rooms_go_to_the_first_hold_and_a_sold_out_hold_takes_nothing():
    w = world(total_rooms=1)
    w.hold(10, 2)
    with pytest.raises(errors.SoldOut) as refused:
        w.hold(11, 2, guest=OTHER)
    assert refused.value.extra == {'nights': [w.day(11).isoformat()]}
    assert w.available(10, 3) == [0, 0, 1]


def test_a_night_not_on_sale_refuses_the_whole_stay():
    w = world()
    with pytest.raises(errors.NotOnSale):
        w.hold(58, 4)  # nights beyond the 60 opened
    assert w.available(58, 2) == [5, 5]


def test_a_stop_sell_night_refuses_the_stay():
    w = world()
    night = w.f.store.nights[(w.room.id, w.day(11))]
    w.f.store.nights[(w.room.id, w.day(11))] = replace(night, stop_sell=True)
    with pytest.raises(errors.SoldOut):
        w.hold(10, 2)


@pytest.mark.parametrize(
    ('start', 'nights', 'error'),
    [(10, 0, errors.InvalidDates), (10, 31, errors.StayTooLong), (-1, 2, errors.InvalidDates)],
    ids=['no nights', 'longer than MAX_STAY_NIGHTS', 'in the past'],
)
def test_dates_a_hold_refuses(start: int, nights: int, error: type[errors.DomainError]):
    w = world()
    with pytest.raises(error):
        w.hold(start, nights)


def test_a_stay_beyond_the_sale_window_is_not_on_sale():
    w = world(sale_window_days=20)
    with pytest.raises(errors.NotOnSale):
        w.hold(19, 2)


def test_today_is_the_hotels_own_date():
    # 23:30 UTC on March 1st is already March 2nd in Tokyo: March 1st is in the past there
    w = world(timezone='Asia/Tokyo')
    w.f.clock.now = w.now.replace(hour=23, minute=30)
    with pytest.raises(errors.InvalidDates):
        w.hold(0, 1)


def test_the_party_must_fit_the_rooms():
    w = world()
    request = bookings.HoldRequest(w.room.id, w.day(10), w.day(12), guests=5, rooms=2)
    with pytest.raises(errors.TooManyGuests):
        bookings.hold(w.deps, GUEST, request, w.now)
    with pytest.raises(errors.Unprocessable):
        bookings.hold(w.deps, GUEST, replace(request, guests=1), w.now)  # a room without a guest
    with pytest.raises(errors.Unprocessable):
        bookings.hold(w.deps, GUEST, replace(request, rooms=10, guests=10), w.now)  # MAX_ROOMS_PER_BOOKING
    assert w.available() == [5, 5]


def test_restrictions_on_the_arrival_night_refuse_the_hold():
    w = world()
    w.rule(('amount', 0), min_stay=3, start_date=w.day(10), end_date=w.day(10))
    with pytest.raises(errors.MinStay):
        w.hold(10, 2)
    w.rule(('amount', 0), closed_to_arrival=True, start_date=w.day(20), end_date=w.day(20))
    with pytest.raises(errors.ClosedToArrival):
        w.hold(20, 3)
    assert w.hold(10, 3).status is BookingStatus.PENDING


def test_the_instants_answered_are_those_stored():
    w = world()
    w.f.clock.now = w.now.replace(microsecond=123456)
    booking = w.hold()
    assert booking.created_at.microsecond == 123000
    assert w.deps.bookings.get(booking.id).created_at == booking.created_at


def test_someone_elses_booking_is_not_found():
    w = world()
    booking = w.hold()
    assert bookings.get_own(w.deps, GUEST, booking.id) == booking
    with pytest.raises(errors.NotFound):
        bookings.get_own(w.deps, OTHER, booking.id)


def test_a_guest_lists_their_own_bookings_newest_first_in_pages():
    w = world()
    made = []
    for start in (10, 12, 14):
        made.append(w.hold(start, 1))
        w.f.clock.advance(minutes=1)
    w.hold(16, 1, guest=OTHER)
    first = bookings.list_own(w.deps, GUEST, 2, None)
    second = bookings.list_own(w.deps, GUEST, 2, first.next_cursor)
    assert [b.id for b in first.items + second.items] == [b.id for b in reversed(made)]
    assert second.next_cursor is None
    with pytest.raises(errors.InvalidCursor):
        bookings.list_own(w.deps, OTHER, 2, first.next_cursor)
