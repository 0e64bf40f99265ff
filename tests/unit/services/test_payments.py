"""Stripe's word applied to bookings (services/payments.py) on fakes, whatever state they are in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from common.domain import BookingStatus, IntentStatus, PaymentIntent, RefundStatus
from common.services import admin, checkout, holds, payments
from common.services.outcomes import Outcome
from tests.unit.services.world import ADMIN, GUEST, OTHER, world


def _intent_of(w, booking_id: str) -> PaymentIntent:
    intent_id = checkout.checkout(w.deps, GUEST, booking_id, w.now).payment.payment_intent_id
    return w.f.stripe.set_status(intent_id, IntentStatus.SUCCEEDED)


def test_a_payment_confirms_its_hold_once():
    w = world()
    held = w.hold()
    intent = _intent_of(w, held.id)
    outcome, booking = payments.succeeded(w.deps, held.id, intent, w.now)
    assert (outcome, booking.status) == (Outcome.CONFIRMED, BookingStatus.CONFIRMED)
    assert booking.payment is not None and booking.payment.succeeded
    assert payments.succeeded(w.deps, held.id, intent, w.now)[0] is Outcome.NO_CHANGE  # a duplicate event


def test_a_payment_whose_intent_was_not_stored_yet_confirms_the_booking_it_was_made_for():
    w = world()
    held = w.hold()
    intent = w.f.stripe.create_payment_intent(
        amount=held.total_amount, currency='EUR', metadata={'booking_id': held.id}, idempotency_key='k'
    )
    paid = w.f.stripe.set_status(intent.id, IntentStatus.SUCCEEDED)
    outcome, booking = payments.succeeded(w.deps, held.id, paid, w.now)
    assert outcome is Outcome.CONFIRMED and booking.payment is not None
    assert booking.payment.payment_intent_id == intent.id
    assert w.f.stripe.refunds == []


def _expired_with_open_intent(w):
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.down = True  # the sweeper could not cancel it
    holds.expire(w.deps, w.deps.bookings.get(held.id), held.hold_expires_at)
    w.f.stripe.down = False
    return held, w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)


def test_a_late_payment_holds_the_rooms_again_when_it_can():
    w = world()
    held, intent = _expired_with_open_intent(w)
    assert w.available() == [5, 5]
    outcome, booking = payments.succeeded(w.deps, held.id, intent, held.hold_expires_at)
    assert (outcome, booking.status) == (Outcome.LATE_PAYMENT_CONFIRMED, BookingStatus.CONFIRMED)
    assert w.available() == [4, 4]


def test_a_late_payment_for_rooms_sold_since_is_refunded_in_full():
    w = world(total_rooms=1)
    held, intent = _expired_with_open_intent(w)
    w.hold(guest=OTHER)
    outcome, booking = payments.succeeded(w.deps, held.id, intent, held.hold_expires_at)
    assert (outcome, booking.status) == (Outcome.LATE_PAYMENT_REFUNDED, BookingStatus.EXPIRED)
    assert booking.refund is not None
    assert (booking.refund.amount, booking.refund.reason) == (held.total_amount, 'rooms_no_longer_available')
    assert [r.amount for r in w.f.stripe.refunds] == [held.total_amount]


def test_a_late_payment_after_check_in_is_refunded_even_with_rooms_free():
    w = world()
    held, intent = _expired_with_open_intent(w)
    after_check_in = held.hold_expires_at.replace(day=12, hour=16)
    outcome, booking = payments.succeeded(w.deps, held.id, intent, after_check_in)
    assert outcome is Outcome.LATE_PAYMENT_REFUNDED and booking.refund is not None
    assert booking.refund.reason == 'stay_already_started'


@pytest.mark.parametrize('deleted', ['room_type', 'hotel'])
def test_a_late_payment_for_a_deleted_room_type_or_hotel_is_refunded_in_full(deleted: str):
    w = world()
    held, intent = _expired_with_open_intent(w)
    # Staff delete the room type (its nights were given back by the expiry), then maybe the hotel
    admin.delete_room_type(w.deps, ADMIN, w.room.id, w.now)
    if deleted == 'hotel':
        admin.delete_hotel(w.deps, ADMIN, w.hotel.id)
    outcome, booking = payments.succeeded(w.deps, held.id, intent, held.hold_expires_at)
    assert (outcome, booking.status) == (Outcome.LATE_PAYMENT_REFUNDED, BookingStatus.EXPIRED)
    assert booking.refund is not None
    assert (booking.refund.amount, booking.refund.reason) == (held.total_amount, f'{deleted}_no_longer_exists')
    assert [r.amount for r in w.f.stripe.refunds] == [held.total_amount]


def test_a_payment_on_a_cancelled_booking_is_refunded():
    w = world()
    held = w.hold()
    intent_id = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent_id, 'processing')  # Stripe refuses to cancel it
    w.deps.bookings.transition(held, [BookingStatus.PENDING], BookingStatus.CANCELLED, w.now, release_rooms=True)
    intent = w.f.stripe.set_status(intent_id, IntentStatus.SUCCEEDED)
    outcome, booking = payments.succeeded(w.deps, held.id, intent, w.now)
    assert (outcome, booking.status) == (Outcome.PAYMENT_REFUNDED, BookingStatus.CANCELLED)
    assert booking.refund is not None and booking.refund.status is RefundStatus.SUCCEEDED


def test_money_on_an_intent_the_booking_does_not_use_is_refunded():
    w = world()
    held = w.hold()
    checkout.checkout(w.deps, GUEST, held.id, w.now)
    stray = w.f.stripe.create_payment_intent(amount=5000, currency='EUR', metadata={}, idempotency_key='s')
    paid = w.f.stripe.set_status(stray.id, IntentStatus.SUCCEEDED)
    outcome, _ = payments.succeeded(w.deps, held.id, paid, w.now)
    assert outcome is Outcome.STRAY_PAYMENT_REFUNDED
    assert [(r.payment_intent, r.amount) for r in w.f.stripe.refunds] == [(stray.id, 5000)]
    assert w.deps.bookings.get(held.id).status is BookingStatus.PENDING


def test_a_failed_payment_is_recorded_and_the_hold_stays():
    w = world()
    held = w.hold()
    intent_id = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    failed = w.f.stripe.set_status(intent_id, 'requires_payment_method', 'insufficient_funds')
    assert payments.failed(w.deps, held.id, failed, w.now) is Outcome.RECORDED
    stored = w.deps.bookings.get(held.id)
    assert stored.status is BookingStatus.PENDING and stored.payment is not None
    assert stored.payment.last_error == 'insufficient_funds'
    assert payments.failed(w.deps, held.id, failed, w.now) is Outcome.NO_CHANGE
    other = replace(failed, id='pi_other')
    assert payments.canceled(w.deps, held.id, other, w.now) is Outcome.NO_CHANGE
