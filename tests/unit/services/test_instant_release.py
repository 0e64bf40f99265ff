"""Rooms are back on sale the instant a hold expires, whatever the sweeper's interval, on fakes:
a hold refused as sold out releases the due holds in its way and tries once more; search, the
calendar and the occupancy report count their rooms as available (docs/holds.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from common import errors
from common.domain import BookingStatus, IntentStatus, Principal, Role
from common.services import audit, checkout, holds, reports, search
from tests.unit.services.world import GUEST, OTHER, world


def _search(w, start=10, nights=2, **fields):
    query = search.SearchQuery(check_in=w.day(start), check_out=w.day(start + nights), **fields)
    return search.search(w.deps, query, w.now).results


def test_the_last_room_is_bookable_from_the_instant_its_hold_expires():
    # Given the last room held, and the hold just past its expiry (no sweep)
    w = world(total_rooms=1)
    first = w.hold(10)
    with pytest.raises(errors.SoldOut):
        w.hold(10, guest=OTHER)
    w.f.clock.now = first.hold_expires_at
    # When another guest holds it
    second = w.hold(10, guest=OTHER)
    # Then they get it, the first hold is EXPIRED (released once), and the books balance
    assert second.status is BookingStatus.PENDING
    assert w.deps.bookings.get(first.id).status is BookingStatus.EXPIRED
    assert w.available(10) == [0, 0]
    assert audit.all_violations(w.deps) == []


def test_a_hold_one_millisecond_before_the_expiry_is_still_refused():
    w = world(total_rooms=1)
    first = w.hold(10)
    w.f.clock.now = first.hold_expires_at - timedelta(milliseconds=1)
    with pytest.raises(errors.SoldOut):
        w.hold(10, guest=OTHER)
    assert w.deps.bookings.get(first.id).status is BookingStatus.PENDING


def test_only_due_holds_on_the_refused_nights_are_released():
    # Given two due holds: one on the nights wanted, one on other nights
    w = world(total_rooms=1)
    wanted, elsewhere = w.hold(10), w.hold(20)
    w.f.clock.now = wanted.hold_expires_at
    # When a hold of nights 11-12 is refused on night 11
    w.hold(11, 2, guest=OTHER)
    # Then only the hold on night 11 was released; the other waits for the sweeper
    assert w.deps.bookings.get(wanted.id).status is BookingStatus.EXPIRED
    assert w.deps.bookings.get(elsewhere.id).status is BookingStatus.PENDING


def test_a_due_hold_whose_payment_won_is_confirmed_and_the_new_hold_refused():
    # Given a due hold whose guest paid at Stripe (the webhook has not arrived)
    w = world(total_rooms=1)
    paid = w.hold(10)
    intent_id = checkout.checkout(w.deps, GUEST, paid.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent_id, IntentStatus.SUCCEEDED)
    w.f.clock.now = paid.hold_expires_at
    # When another guest wants the room
    with pytest.raises(errors.SoldOut):
        w.hold(10, guest=OTHER)
    # Then Stripe arbitrated: the payment won, the booking is confirmed with its room
    assert w.deps.bookings.get(paid.id).status is BookingStatus.CONFIRMED
    assert w.available(10) == [0, 0]


def test_the_payment_intent_of_a_due_hold_is_cancelled_before_its_rooms_are_released():
    w = world(total_rooms=1)
    due = w.hold(10)
    intent_id = checkout.checkout(w.deps, GUEST, due.id, w.now).payment.payment_intent_id
    w.f.clock.now = due.hold_expires_at
    w.hold(10, guest=OTHER)
    assert w.f.stripe.intents[intent_id].status == IntentStatus.CANCELED


def test_stripe_down_does_not_keep_a_due_hold_s_rooms_off_sale():
    w = world(total_rooms=1)
    due = w.hold(10)
    checkout.checkout(w.deps, GUEST, due.id, w.now)
    w.f.clock.now = due.hold_expires_at
    w.f.stripe.down = True
    w.hold(10, guest=OTHER)  # released anyway: a payment landing later is a late payment
    assert w.deps.bookings.get(due.id).status is BookingStatus.EXPIRED


def test_search_and_the_calendar_show_the_rooms_of_due_holds_as_available_and_change_nothing():
    w = world(total_rooms=1)
    held = w.hold(10)
    assert _search(w) == []
    w.f.clock.now = held.hold_expires_at
    [result] = _search(w)
    assert result.available_rooms == 1
    _, nights = search.calendar(w.deps, w.room.id, w.day(9), w.day(13), w.now)
    assert [n.night.available for n in nights] == [1, 1, 1, 1]
    assert w.deps.bookings.get(held.id).status is BookingStatus.PENDING  # read-only
    assert w.available(10) == [0, 0]


def test_search_reads_due_holds_only_where_they_could_change_the_answer(monkeypatch: pytest.MonkeyPatch):
    w = world(total_rooms=3)
    held = w.hold(10)
    w.f.clock.now = held.hold_expires_at
    looked: list[object] = []
    original = w.deps.bookings.due_holds_on
    monkeypatch.setattr(w.deps.bookings, 'due_holds_on', lambda *a: looked.append(a) or original(*a))
    # 2 of 3 rooms free: a party of one or two finds them without looking further
    assert [r.available_rooms for r in _search(w, guests=2, rooms=2)] == [2]
    assert looked == []
    # three rooms: short on those nights, so the due hold is counted
    assert [r.available_rooms for r in _search(w, guests=3, rooms=3)] == [3]
    assert len(looked) == 1


def test_the_occupancy_report_counts_a_due_hold_as_available_not_held_nor_revenue():
    w = world()
    due = w.hold(10, 1)
    w.paid(10, 1)
    w.f.clock.now = due.hold_expires_at
    query = reports.OccupancyQuery(start=w.day(10), end=w.day(11))
    [row] = reports.occupancy(w.deps, query, w.now).room_types
    assert [(n.allotment, n.available, n.sold, n.held, n.revenue) for n in row.nights] == [(5, 4, 1, 0, 10000)]


def test_the_inventory_grid_shows_a_due_hold_as_stored_what_the_next_allotment_change_is_checked_against():
    w = world()
    due = w.hold(10, 1)
    w.f.clock.now = due.hold_expires_at
    grid = reports.inventory_grid(w.deps, w.hotel.id, w.day(10), w.day(11), w.now)
    [(_, [night])] = grid.rows
    assert (night.allotment, night.available, night.sold, night.held) == (5, 4, 0, 1)


def test_the_auditor_balances_at_the_instant_after_expiry_and_counts_the_due_hold():
    w = world(total_rooms=1)
    due = w.hold(10)
    w.f.clock.now = due.hold_expires_at
    assert audit.all_violations(w.deps) == []
    assert [b.id for b in audit.due_holds(w.deps.bookings.scan(), w.now)] == [due.id]


def test_the_auditor_finds_a_hold_slot_given_back_twice_or_never():
    w = world()
    held = w.hold(10)
    w.deps.bookings.drop_hold_slots(GUEST.user_id, [held.slot])
    [missing] = audit.slot_violations(w.deps)
    assert (missing.booking_id, missing.reason) == (held.id, 'is a PENDING hold without its slot')
    w.f.store.hold_slots[GUEST.user_id] = {held.slot}
    w.f.store.bookings[held.id] = replace(held, status=BookingStatus.CANCELLED)  # moved without giving it back
    [stale] = audit.slot_violations(w.deps)
    assert stale.reason == 'holds a slot but is not a PENDING hold that took one'


def test_a_refused_hold_releases_only_as_many_due_holds_as_it_needs_oldest_first():
    # Given 4 rooms held by 4 due holds made a minute apart
    w = world(total_rooms=4, max_active_holds_per_user=0)
    due = []
    for _ in range(4):
        due.append(w.hold(10))
        w.f.clock.advance(minutes=1)
    w.f.clock.now = due[-1].hold_expires_at
    # When a party wants 2 rooms
    w.hold(10, guest=OTHER, rooms=2)
    # Then the 2 oldest were released for it; the 2 others wait for the sweeper or the next guest
    statuses = [w.deps.bookings.get(b.id).status for b in due]
    assert statuses == [BookingStatus.EXPIRED] * 2 + [BookingStatus.PENDING] * 2
    assert w.available(10) == [0, 0]
    assert audit.all_violations(w.deps) == []


def test_one_request_releases_at_most_a_bounded_number_of_due_holds(monkeypatch: pytest.MonkeyPatch):
    # Given 3 rooms held by 3 due holds, and a bound of 2 releases per request
    monkeypatch.setattr(holds, 'MAX_RELEASED_ON_DEMAND', 2)
    w = world(total_rooms=3)
    due = [w.hold(10) for _ in range(3)]
    w.f.clock.now = due[0].hold_expires_at
    # When a party wants all 3 rooms, it is refused after releasing 2 (the work of one request is
    # bounded: each release may call Stripe)
    with pytest.raises(errors.SoldOut):
        w.hold(10, guest=OTHER, rooms=3)
    assert sorted(w.deps.bookings.get(b.id).status for b in due) == sorted(
        [BookingStatus.EXPIRED, BookingStatus.EXPIRED, BookingStatus.PENDING]
    )
    # And the next try releases the last one and gets the 3 rooms
    assert w.hold(10, guest=OTHER, rooms=3).rooms == 3
    assert audit.all_violations(w.deps) == []


def test_a_hold_whose_due_holds_all_turned_out_paid_is_not_tried_again(monkeypatch: pytest.MonkeyPatch):
    w = world(total_rooms=1)
    paid = w.hold(10)
    intent_id = checkout.checkout(w.deps, GUEST, paid.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent_id, IntentStatus.SUCCEEDED)
    w.f.clock.now = paid.hold_expires_at
    writes: list[object] = []
    original = w.deps.bookings.create_hold
    monkeypatch.setattr(w.deps.bookings, 'create_hold', lambda *a: writes.append(a) or original(*a))
    with pytest.raises(errors.SoldOut):
        w.hold(10, guest=OTHER)
    assert len(writes) == 1  # nothing was freed: no second transaction


def test_a_due_hold_a_racing_guest_released_first_is_theirs_so_the_next_one_is_released(
    monkeypatch: pytest.MonkeyPatch,
):
    # Given two due holds; a racing guest released the oldest and took its room, but the index
    # (eventually consistent) still lists it as due
    w = world(total_rooms=2)
    oldest, newer = w.hold(10), w.hold(10)
    w.f.clock.now = newer.hold_expires_at
    listed = [oldest, newer]
    monkeypatch.setattr(w.deps.bookings, 'due_holds_on', lambda *a: list(listed))
    holds.expire(w.deps, oldest, w.now)
    w.hold(10, guest=Principal('racer', Role.GUEST))
    # When another guest is refused and releases due holds
    held = w.hold(10, guest=OTHER)
    # Then it did not stop at the hold the racer released: it released the next and got its room
    assert held.status is BookingStatus.PENDING
    assert w.deps.bookings.get(newer.id).status is BookingStatus.EXPIRED
    assert audit.all_violations(w.deps) == []
