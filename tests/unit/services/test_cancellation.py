"""Cancelling (services/cancellation.py) on fakes: what is released, refunded and kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from common import errors
from common.domain import BookingStatus, IntentStatus, RefundPolicy, RefundStatus
from common.services import cancellation, checkout
from tests.unit.services.world import GUEST, OTHER, world


def test_cancelling_a_hold_releases_its_rooms_and_cancels_its_payment_intent():
    w = world()
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    result = cancellation.cancel(w.deps, GUEST, held.id, w.now)
    assert (result.booking.status, result.completed, result.refund_issued) == (BookingStatus.CANCELLED, True, False)
    assert w.f.stripe.intents[intent].status == IntentStatus.CANCELED
    assert w.available() == [5, 5]


def test_a_hold_is_not_cancelled_while_stripe_cannot_cancel_its_payment_intent():
    w = world()
    held = w.hold()
    checkout.checkout(w.deps, GUEST, held.id, w.now)
    w.f.stripe.down = True
    with pytest.raises(errors.PaymentProviderUnavailable):
        cancellation.cancel(w.deps, GUEST, held.id, w.now)
    assert w.deps.bookings.get(held.id).status is BookingStatus.PENDING
    assert w.available() == [4, 4]


def test_a_payment_that_won_the_race_confirms_the_booking_instead():
    w = world()
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)  # the guest paid a moment ago
    with pytest.raises(errors.AlreadyPaid):
        cancellation.cancel(w.deps, GUEST, held.id, w.now)
    assert w.deps.bookings.get(held.id).status is BookingStatus.CONFIRMED
    assert w.available() == [4, 4]


def test_a_hold_past_its_expiry_is_expired_not_cancelled():
    w = world()
    held = w.hold()
    with pytest.raises(errors.HoldExpired):
        cancellation.cancel(w.deps, GUEST, held.id, held.hold_expires_at)
    assert w.deps.bookings.get(held.id).status is BookingStatus.EXPIRED
    assert w.available() == [5, 5]


def test_cancelling_48_hours_ahead_refunds_everything_once():
    w = world()
    booking = w.paid()
    result = cancellation.cancel(w.deps, GUEST, booking.id, w.now)
    assert result.booking.status is BookingStatus.CANCELLED and result.refund_issued
    refund = result.booking.refund
    assert refund is not None
    assert (refund.amount, refund.penalty, refund.status) == (20000, 0, RefundStatus.SUCCEEDED)
    assert [r.amount for r in w.f.stripe.refunds] == [20000]
    assert w.available() == [5, 5]
    again = cancellation.cancel(w.deps, GUEST, booking.id, w.now)  # a retry answers the same
    assert (again.booking.refund, again.completed, again.refund_issued) == (refund, False, False)
    assert len(w.f.stripe.refunds) == 1


def test_cancelling_late_keeps_the_first_night():
    w = world()
    booking = w.paid(1, 3)  # check-in tomorrow at 15:00: inside the 48 hours
    quote = cancellation.refund_quote(w.deps, GUEST, booking.id, w.now)
    assert (quote.policy, quote.penalty, quote.amount) == (RefundPolicy.LATE_CANCELLATION, 10000, 20000)
    refund = cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund
    assert refund is not None and (refund.amount, refund.penalty) == (20000, 10000)


def test_the_configured_penalty_applies():
    w = world(cancellation_penalty='percent:25')
    booking = w.paid(1, 2)
    refund = cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund
    assert refund is not None and (refund.amount, refund.penalty) == (15000, 5000)


def test_after_check_in_a_booking_cannot_be_cancelled():
    w = world()
    booking = w.paid(1, 2)
    check_in = datetime.combine(w.day(1), datetime.min.time(), w.now.tzinfo) + timedelta(hours=15)
    with pytest.raises(errors.TooLateToCancel):
        cancellation.cancel(w.deps, GUEST, booking.id, check_in)
    assert w.deps.bookings.get(booking.id).status is BookingStatus.CONFIRMED


def test_a_refund_stripe_could_not_make_is_owed_and_the_retry_makes_it():
    w = world()
    booking = w.paid()
    w.f.stripe.down = True
    with pytest.raises(errors.PaymentProviderUnavailable):
        cancellation.cancel(w.deps, GUEST, booking.id, w.now)
    stored = w.deps.bookings.get(booking.id)
    assert stored.status is BookingStatus.CANCELLED and stored.refund is not None
    assert (stored.refund.status, stored.refund.stripe_refund_id) == (RefundStatus.PENDING, None)
    assert w.available() == [5, 5]  # decided: the rooms are back on sale
    w.f.stripe.down = False
    retried = cancellation.cancel(w.deps, GUEST, booking.id, w.now)
    assert retried.completed and retried.refund_issued
    assert len(w.f.stripe.refunds) == 1


def test_a_quote_is_refused_for_what_cannot_be_cancelled():
    w = world()
    held = w.hold()
    cancellation.cancel(w.deps, GUEST, held.id, w.now)
    with pytest.raises(errors.AlreadyCancelled):
        cancellation.refund_quote(w.deps, GUEST, held.id, w.now)
    other = w.hold(20)
    with pytest.raises(errors.HoldExpired):
        cancellation.refund_quote(w.deps, GUEST, other.id, other.hold_expires_at)
    with pytest.raises(errors.NotFound):
        cancellation.refund_quote(w.deps, OTHER, other.id, w.now)


def test_an_unpaid_quote_refunds_nothing():
    w = world()
    held = w.hold()
    quote = cancellation.refund_quote(w.deps, GUEST, held.id, w.now)
    assert (quote.policy, quote.paid, quote.amount, quote.penalty) == (RefundPolicy.NO_CHARGE, 0, 0, 0)
