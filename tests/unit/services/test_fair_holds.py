"""Fair holds on fakes: at most MAX_ACTIVE_HOLDS_PER_USER unpaid holds per account, hold attempts
per account and client IP per hour (services/bookings.py, services/limits.py)."""

from __future__ import annotations

import pytest

from common import errors
from common.domain import BookingStatus, IntentStatus
from common.services import audit, bookings, cancellation, checkout, payments
from common.services.outcomes import Outcome
from tests.unit.services.world import GUEST, OTHER, world


def test_an_account_holds_at_most_its_cap_and_then_waits_for_its_oldest_hold():
    # Given a guest with 3 unpaid holds made a minute apart (cap 3)
    w = world(max_active_holds_per_user=3)
    first = w.hold(10)
    for start in (12, 14):
        w.f.clock.advance(minutes=1)
        w.hold(start)
    # When they try a fourth
    with pytest.raises(errors.TooManyHolds) as refused:
        w.hold(16)
    # Then 429 too_many_holds, Retry-After until the first one expires, and nothing taken
    assert refused.value.status == 429
    assert refused.value.headers == {'Retry-After': str(15 * 60 - 2 * 60)}
    assert refused.value.extra == {'max_active_holds': 3}
    assert str(first.hold_expires_at.isoformat()) in refused.value.detail
    assert w.available(16) == [5, 5]
    assert len(w.f.store.bookings) == 3
    # (another guest is not affected)
    assert w.hold(16, guest=OTHER).status is BookingStatus.PENDING


def test_cancelling_a_hold_gives_its_slot_back_once():
    w = world(max_active_holds_per_user=2)
    first, _ = w.hold(10), w.hold(12)
    cancellation.cancel(w.deps, GUEST, first.id, w.now)
    cancellation.cancel(w.deps, GUEST, first.id, w.now)  # a retry gives nothing back twice
    w.hold(14)
    with pytest.raises(errors.TooManyHolds):
        w.hold(16)


def test_a_paid_booking_does_not_count():
    w = world(max_active_holds_per_user=1)
    w.paid(10)
    held = w.hold(12)
    assert held.hold_slot and w.deps.bookings.hold_slots(GUEST.user_id) == [held.slot]


def test_an_expired_hold_frees_its_slot_at_once_without_the_sweeper():
    # Given a guest at the cap whose oldest hold has just expired (not swept)
    w = world(max_active_holds_per_user=2)
    oldest = w.hold(10)
    w.f.clock.advance(minutes=5)
    w.hold(12)
    w.f.clock.now = oldest.hold_expires_at
    # When they hold again
    newest = w.hold(14)
    # Then the expired hold was released (rooms back, slot given back) and the new one took its slot
    assert w.deps.bookings.get(oldest.id).status is BookingStatus.EXPIRED
    assert w.available(10) == [5, 5]
    assert newest.id in {s.booking_id for s in w.deps.bookings.hold_slots(GUEST.user_id)}
    assert audit.all_violations(w.deps) == []


def test_an_expired_hold_paid_late_is_held_again_whatever_the_cap():
    # Given an expired hold with an open PaymentIntent, and the guest at the cap with newer holds
    w = world(max_active_holds_per_user=2)
    late = w.hold(10)
    intent_id = checkout.checkout(w.deps, GUEST, late.id, w.now).payment.payment_intent_id
    w.f.clock.now = late.hold_expires_at
    w.hold(12)
    w.hold(14)  # released `late` on the way (its slot)
    assert w.deps.bookings.get(late.id).status is BookingStatus.EXPIRED
    # When its payment lands after all
    intent = w.f.stripe.set_status(intent_id, IntentStatus.SUCCEEDED)
    outcome, booking = payments.succeeded(w.deps, late.id, intent, w.now)
    # Then it is confirmed with its rooms (a paid booking takes no slot), money kept for a stay
    assert (outcome, booking.status) == (Outcome.LATE_PAYMENT_CONFIRMED, BookingStatus.CONFIRMED)
    assert len(w.deps.bookings.hold_slots(GUEST.user_id)) == 2
    assert audit.all_violations(w.deps) == []


def test_a_cap_of_zero_turns_it_off():
    w = world(max_active_holds_per_user=0)
    held = [w.hold(10 + 2 * i) for i in range(5)]
    assert not any(b.hold_slot for b in held)
    assert w.deps.bookings.hold_slots(GUEST.user_id) == []


def test_hold_attempts_per_account_per_hour_count_refusals_too():
    # Given a limit of 3 attempts an hour and a room type with one room
    w = world(holds_per_user_per_hour=3, total_rooms=1)
    w.hold(10)
    with pytest.raises(errors.SoldOut):
        w.hold(10)  # refused, but an attempt
    w.hold(20)
    # When a fourth attempt comes within the hour
    with pytest.raises(errors.TooManyHoldAttempts) as refused:
        w.hold(30)
    # Then 429 until the end of the hour's window, nothing taken
    seconds_into_hour = int(w.now.timestamp()) % 3600
    assert refused.value.headers == {'Retry-After': str(3600 - seconds_into_hour)}
    assert w.available(30) == [1, 1]
    # And the next window has room again
    w.f.clock.advance(hours=1)
    w.hold(30)


def test_a_refused_attempt_over_the_limit_gets_the_limits_answer():
    w = world(holds_per_user_per_hour=1, total_rooms=1)
    w.hold(10, guest=OTHER)
    with pytest.raises(errors.SoldOut):
        w.hold(10)
    with pytest.raises(errors.TooManyHoldAttempts):
        w.hold(10)


def test_hold_attempts_per_client_ip_span_accounts():
    w = world(holds_per_ip_per_hour=2)

    def hold(guest, start):
        request = bookings.HoldRequest(w.room.id, w.day(start), w.day(start + 1), 1)
        return bookings.hold(w.deps, guest, request, w.now, client_ip='203.0.113.7')

    hold(GUEST, 10)
    hold(OTHER, 12)
    with pytest.raises(errors.TooManyHoldAttempts):
        hold(OTHER, 14)
    # Another address is another window
    request = bookings.HoldRequest(w.room.id, w.day(14), w.day(15), 1)
    bookings.hold(w.deps, OTHER, request, w.now, client_ip='198.51.100.1')


def test_limits_of_zero_turn_the_attempt_limits_off():
    w = world(holds_per_user_per_hour=0, max_active_holds_per_user=0)
    for i in range(40):
        w.hold(1 + i % 50, 1)
    assert w.f.store.counters == {}
