"""The sweeper (services/expiry.py) on fakes: expire what is due, within its budget, whatever Stripe does."""

from __future__ import annotations

from datetime import timedelta

from common.domain import BookingStatus, IntentStatus, RefundStatus
from common.services import checkout, expiry
from tests.unit.services.world import GUEST, world

PLENTY = lambda: 60.0  # noqa: E731 - seconds left in the run


def test_a_sweep_expires_the_holds_that_are_due_and_only_those():
    w = world()
    due = w.hold(10)
    w.f.clock.advance(minutes=10)
    later = w.hold(20)
    report = expiry.sweep(w.deps, due.hold_expires_at, PLENTY)
    assert (report.expired, report.examined, report.complete) == (1, 1, True)
    assert w.deps.bookings.get(due.id).status is BookingStatus.EXPIRED
    assert w.deps.bookings.get(later.id).status is BookingStatus.PENDING
    assert w.available(10) == [5, 5]


def test_a_sweep_stops_at_its_batch_and_the_next_run_continues():
    w = world(sweep_max_bookings=2, sweep_page_size=1)
    held = [w.hold(10 + i) for i in range(3)]
    after = held[-1].hold_expires_at
    first = expiry.sweep(w.deps, after, PLENTY)
    assert (first.expired, first.complete) == (2, False)
    second = expiry.sweep(w.deps, after, PLENTY)
    assert (second.expired, second.complete) == (1, True)


def test_a_sweep_stops_before_its_time_runs_out_and_the_next_run_continues():
    w = world()
    first = w.hold(10)
    w.f.clock.advance(minutes=1)
    held = [first, w.hold(20)]  # due oldest first
    after = held[-1].hold_expires_at
    left = iter([60.0, 60.0])  # then under the 5 s safety margin, before the second hold
    report = expiry.sweep(w.deps, after, lambda: next(left, 1.0))
    assert (report.expired, report.complete) == (1, False)
    assert [w.deps.bookings.get(b.id).status for b in held] == [BookingStatus.EXPIRED, BookingStatus.PENDING]
    again = expiry.sweep(w.deps, after, PLENTY)
    assert (again.expired, again.complete) == (1, True)


def test_expiry_cancels_the_payment_intent_at_stripe():
    w = world()
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    expiry.sweep(w.deps, held.hold_expires_at, PLENTY)
    assert w.f.stripe.intents[intent].status == IntentStatus.CANCELED
    stored = w.deps.bookings.get(held.id).payment
    assert stored is not None and (stored.status, stored.client_secret) == ('canceled', None)


def test_a_payment_that_won_the_race_is_confirmed_not_expired():
    w = world()
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)
    report = expiry.sweep(w.deps, held.hold_expires_at, PLENTY)
    assert (report.expired, report.confirmed) == (0, 1)
    assert w.deps.bookings.get(held.id).status is BookingStatus.CONFIRMED


def test_with_stripe_down_holds_are_released_anyway_and_stripe_is_asked_once():
    w = world()
    held = [w.hold(10 + i) for i in range(3)]
    for booking in held:
        checkout.checkout(w.deps, GUEST, booking.id, w.now)
    w.f.stripe.down = True
    calls = len(w.f.stripe.calls)
    report = expiry.sweep(w.deps, held[-1].hold_expires_at, PLENTY)
    assert (report.expired, report.payments_left_open) == (3, 3)
    assert w.f.stripe.calls[calls:] == ['cancel_payment_intent']
    assert all(w.deps.bookings.get(b.id).status is BookingStatus.EXPIRED for b in held)


def test_a_sweep_finishes_refunds_nobody_retried():
    w = world()
    booking = w.owing_refund()  # and the client never retries
    too_early = expiry.sweep(w.deps, w.now, PLENTY)
    assert too_early.refunds_settled == 0
    report = expiry.sweep(w.deps, w.now + timedelta(seconds=w.deps.settings.refund_retry_after_seconds), PLENTY)
    assert report.refunds_settled == 1
    refund = w.deps.bookings.get(booking.id).refund
    assert refund is not None and refund.status is RefundStatus.SUCCEEDED
    assert w.deps.bookings.get(booking.id).followup is None  # out of the outbox
