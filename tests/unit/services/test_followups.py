"""The work owed on bookings (services/followups.py) on fakes: PaymentIntents left open and refunds
owed, retried by every sweep, pushed back when they fail, handed to a person when Stripe keeps
refusing (issue 22, points 1, 2, 5 and 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common import errors
from common.domain import Booking, BookingStatus, IntentStatus, RefundStatus, Work
from common.services import cancellation, checkout, expiry, followups, payments, refunds
from tests.unit.services.world import GUEST, OTHER, World, world

PLENTY = lambda: 60.0  # noqa: E731 - seconds left in the run


def expired_with_intent_open(w: World, *, start: int = 10, status: str | None = None) -> tuple[Booking, str]:
    """A hold with a PaymentIntent, expired while Stripe was down (or its intent ``status``)."""
    held = w.hold(start)
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    if status is None:
        w.f.stripe.down = True
    else:
        w.f.stripe.set_status(intent, status)
    report = expiry.sweep(w.deps, held.hold_expires_at, PLENTY)
    w.f.stripe.down = False
    assert report.payments_left_open == 1
    return w.deps.bookings.get(held.id), intent


def sell_again(w: World) -> Booking:
    """Another guest holds the rooms an expired hold gave back (a hold that outlives the tests' sweeps)."""
    w.f.clock.advance(minutes=10)
    return w.hold(guest=OTHER)


# ---------------------------------------------------------------- 1. PaymentIntents left open


def test_a_payment_intent_the_expiry_could_not_cancel_is_in_the_outbox():
    w = world()
    booking, _ = expired_with_intent_open(w)
    assert booking.status is BookingStatus.EXPIRED
    assert booking.followup is not None and booking.followup.work is Work.OPEN_INTENT
    assert booking.followup.due_at == booking.hold_expires_at + timedelta(seconds=60)  # OPEN_INTENT_RETRY_SECONDS
    assert w.available() == [5, 5]  # the rooms went back on sale all the same


def test_the_next_sweep_cancels_it_and_it_leaves_the_outbox():
    w = world()
    booking, intent = expired_with_intent_open(w)
    report = expiry.sweep(w.deps, booking.followup.due_at, PLENTY)
    assert report.intents_closed == 1
    assert w.f.stripe.intents[intent].status == IntentStatus.CANCELED
    stored = w.deps.bookings.get(booking.id)
    assert (stored.followup, stored.payment.status, stored.payment.client_secret) == (None, 'canceled', None)


def test_paid_after_expiry_and_never_reported_the_sweeper_refunds_it_in_full_when_the_rooms_are_gone():
    w = world(total_rooms=1)
    booking, intent = expired_with_intent_open(w)
    sell_again(w)
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)  # the guest pays; the webhook is lost
    report = expiry.sweep(w.deps, booking.followup.due_at, PLENTY)
    assert report.late_payments_refunded == 1
    stored = w.deps.bookings.get(booking.id)
    assert stored.status is BookingStatus.EXPIRED and stored.refund is not None
    assert (stored.refund.amount, stored.refund.reason) == (booking.total_amount, 'rooms_no_longer_available')
    assert [r.amount for r in w.f.stripe.refunds] == [booking.total_amount]
    assert stored.followup is None


def test_paid_after_expiry_and_never_reported_the_sweeper_confirms_it_when_the_rooms_are_free():
    w = world()
    booking, intent = expired_with_intent_open(w)
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)
    report = expiry.sweep(w.deps, booking.followup.due_at, PLENTY)
    assert report.late_payments_confirmed == 1
    stored = w.deps.bookings.get(booking.id)
    assert (stored.status, stored.followup, stored.refund) == (BookingStatus.CONFIRMED, None, None)
    assert w.available() == [4, 4]


def test_a_late_payment_the_webhook_applied_first_leaves_the_outbox_without_a_second_refund():
    w = world(total_rooms=1)
    booking, intent = expired_with_intent_open(w)
    sell_again(w)
    paid = w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)
    payments.succeeded(w.deps, booking.id, paid, w.now)  # the webhook after all: refunded at once
    assert w.deps.bookings.get(booking.id).followup is None
    report = expiry.sweep(w.deps, booking.followup.due_at + timedelta(hours=1), PLENTY)
    assert report.late_payments_refunded == report.refunds_settled == 0
    assert len(w.f.stripe.refunds) == 1
    assert w.deps.bookings.get(booking.id).followup is None


def test_a_processing_payment_is_looked_at_again_later_and_never_handed_to_a_person():
    w = world()
    booking, intent = expired_with_intent_open(w, status=IntentStatus.PROCESSING)
    when = booking.followup.due_at
    for attempt in range(1, 12):
        report = expiry.sweep(w.deps, when, PLENTY)
        followup = w.deps.bookings.get(booking.id).followup
        assert followup is not None and (followup.attempts, followup.last_error) == (attempt, 'processing')
        assert report.needs_attention == 0
        when = followup.due_at
    assert followup.due_at - w.now <= timedelta(hours=12)  # backed off, at most an hour apart
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)
    assert expiry.sweep(w.deps, when, PLENTY).late_payments_confirmed == 1


# ---------------------------------------------------------------- 2. one processing intent does not switch Stripe off


def test_a_processing_payment_does_not_stop_the_sweep_asking_stripe_about_the_next_hold():
    w = world(pending_shards=1)
    first = w.hold(10)
    w.f.clock.advance(seconds=1)
    second = w.hold(20)
    processing = checkout.checkout(w.deps, GUEST, first.id, w.now).payment.payment_intent_id
    paid = checkout.checkout(w.deps, GUEST, second.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(processing, IntentStatus.PROCESSING)
    w.f.stripe.set_status(paid, IntentStatus.SUCCEEDED)  # paid in time; its webhook is late
    report = expiry.sweep(w.deps, second.hold_expires_at, PLENTY)
    assert (report.payments_left_open, report.confirmed, report.stripe_available) == (1, 1, True)
    assert w.deps.bookings.get(second.id).status is BookingStatus.CONFIRMED  # the guest keeps the stay
    assert w.f.stripe.refunds == []


# ---------------------------------------------------------------- 5. the refund outbox never starves


def owing(w: World, count: int, *, start: int = 10) -> list[Booking]:
    """``count`` paid bookings cancelled while Stripe was down: refunds owed, in the outbox."""
    owed = []
    for i in range(count):
        booking = w.paid(start + i % 40, 1) if count > 1 else w.paid(start, 1)
        w.f.stripe.down = True
        with pytest.raises(errors.PaymentProviderUnavailable):
            cancellation.cancel(w.deps, GUEST, booking.id, w.now)
        w.f.stripe.down = False
        owed.append(w.deps.bookings.get(booking.id))
        w.f.clock.advance(seconds=1)
    return owed


def test_refunds_that_fail_for_good_go_to_a_person_and_the_good_one_behind_them_is_made():
    w = world(total_rooms=200, sweep_page_size=100, holds_per_user_per_hour=0)  # one guest, 151 holds
    disputed = owing(w, 150)
    good = owing(w, 1, start=50)[0]  # due after all of them
    for booking in disputed:
        w.f.stripe.refusals[booking.payment.payment_intent_id] = 'charge_disputed'
    w.f.clock.advance(hours=1)  # every lease has lapsed
    report = expiry.sweep(w.deps, w.now, PLENTY)
    assert (report.refunds_settled, report.needs_attention) == (1, 150)
    stored = w.deps.bookings.get(good.id)
    assert stored.refund is not None and stored.refund.status is RefundStatus.SUCCEEDED
    flagged = w.deps.bookings.get(disputed[0].id)
    assert (flagged.followup, flagged.attention.reason) == (None, 'charge_disputed')
    assert flagged.refund is not None and flagged.refund.status is RefundStatus.PENDING  # still owed: a person acts
    assert list(w.deps.bookings.due_followups(Work.REFUND, w.now + timedelta(days=1), 500)) == [[]] * 1


def test_a_refund_that_keeps_failing_is_pushed_back_counted_and_then_handed_over():
    w = world(followup_max_attempts=3)
    booking = owing(w, 1)[0]
    w.f.stripe.refusals[booking.payment.payment_intent_id] = 'some_new_refusal'
    when = w.now + timedelta(hours=1)
    for attempt, delay in ((1, 60), (2, 120)):
        report = expiry.sweep(w.deps, when, PLENTY)
        followup = w.deps.bookings.get(booking.id).followup
        assert report.followups_failed == 1
        assert (followup.attempts, followup.last_error, followup.due_at) == (
            attempt,
            'some_new_refusal',
            when + timedelta(seconds=delay),
        )
        when = followup.due_at
    assert expiry.sweep(w.deps, when, PLENTY).needs_attention == 1
    assert w.deps.bookings.get(booking.id).attention.reason == 'some_new_refusal'


def test_stripe_down_stops_the_phase_and_pushes_back_only_what_it_tried():
    w = world()
    first, second = owing(w, 2)
    w.f.stripe.down = True
    report = expiry.sweep(w.deps, w.now + timedelta(hours=1), PLENTY)
    assert (report.stripe_available, report.followups_failed, report.needs_attention) == (False, 1, 0)
    tried = [b for b in (first, second) if w.deps.bookings.get(b.id).followup.attempts == 1]
    assert len(tried) == 1  # the other was not even asked about


def test_the_follow_ups_have_their_own_time_in_every_run():
    w = world(sweep_max_bookings=1)
    booking = owing(w, 1)[0]
    for start in (30, 32, 34):
        w.hold(start, 1)
    later = w.now + timedelta(hours=1)
    report = expiry.sweep(w.deps, later, PLENTY)
    assert (report.complete, report.refunds_settled) == (False, 1)  # expiry stopped at its batch, refunds ran
    assert w.deps.bookings.get(booking.id).refund.stripe_refund_id is not None


def test_expiry_stops_early_to_leave_the_follow_ups_their_time():
    w = world()
    booking = owing(w, 1)[0]
    w.hold(30, 1)
    later = w.now + timedelta(hours=1)
    left = iter([19.0, 19.0, 19.0, 19.0])  # margin 5 + follow-ups 15 = 20 s: expiry may not start
    report = expiry.sweep(w.deps, later, lambda: next(left, 19.0))
    assert (report.expired, report.complete, report.refunds_settled) == (0, False, 1)
    assert w.deps.bookings.get(booking.id).refund.stripe_refund_id is not None


# ---------------------------------------------------------------- 6. leases that cannot double-refund


def timing_out(**kwargs):
    raise errors.PaymentProviderUnavailable()


def test_a_refund_lease_runs_from_the_current_time_not_from_the_start_of_the_run():
    w = world()
    booking = owing(w, 1)[0]
    run_started = w.now + timedelta(hours=1)
    w.f.clock.now = run_started + timedelta(seconds=90)  # the run has been going for 90 s
    create = w.f.stripe.create_refund
    w.f.stripe.create_refund = timing_out  # type: ignore[method-assign]
    expiry.sweep(w.deps, run_started, PLENTY)  # its refund's outcome is unknown: the lease is kept
    w.f.stripe.create_refund = create  # type: ignore[method-assign]
    # Another process, 30 s later in real time: the lease (60 s from the claim) still holds
    w.f.clock.advance(seconds=30)
    assert w.deps.bookings.claim_refund(booking.id, w.now, 60) is None
    w.f.clock.advance(seconds=31)
    assert w.deps.bookings.claim_refund(booking.id, w.now, 60) is not None


def test_after_an_ambiguous_failure_the_lease_is_kept_and_no_second_refund_is_made():
    w = world()
    booking = owing(w, 1)[0]
    create = w.f.stripe.create_refund

    def made_then_timed_out(**kwargs):
        create(**kwargs)  # Stripe made it; the answer never came
        raise errors.PaymentProviderUnavailable()

    w.f.stripe.create_refund = made_then_timed_out  # type: ignore[method-assign]
    w.f.clock.advance(hours=1)
    with pytest.raises(errors.PaymentProviderUnavailable):
        refunds.settle(w.deps, booking.id, w.now)
    w.f.stripe.create_refund = create  # type: ignore[method-assign]
    # A retry at once cannot take the lease: it makes nothing
    assert refunds.settle(w.deps, booking.id, w.now).refund.stripe_refund_id is None
    w.f.clock.advance(seconds=61)
    settled = refunds.settle(w.deps, booking.id, w.now)
    assert settled.refund.stripe_refund_id == w.f.stripe.refunds[0].id
    assert len(w.f.stripe.refunds) == 1


def test_a_holder_whose_lease_lapsed_does_not_record_over_the_new_holder():
    w = world()
    booking = owing(w, 1)[0]
    first = w.deps.bookings.claim_refund(booking.id, w.now, 60)
    w.f.clock.advance(seconds=61)
    second = w.deps.bookings.claim_refund(booking.id, w.now, 60)
    assert first and second
    made = booking.refund
    assert not w.deps.bookings.record_refund(booking.id, first, made, 0, w.now)
    assert w.deps.bookings.record_refund(booking.id, second, made, 0, w.now)


def test_a_refund_is_not_started_when_the_lease_would_lapse_during_the_call():
    w = world()
    booking = owing(w, 1)[0]
    w.f.clock.advance(hours=1)
    claim = w.deps.bookings.claim_refund

    def slow_claim(booking_id, now, lease_seconds):  # the process stalls 55 s after taking the lease
        lease = claim(booking_id, now, lease_seconds)
        w.f.clock.advance(seconds=55)
        return lease

    w.deps.bookings.claim_refund = slow_claim  # type: ignore[method-assign]
    with pytest.raises(errors.ServiceUnavailable):
        refunds.settle(w.deps, booking.id, w.now)
    assert 'create_refund' not in w.f.stripe.calls and w.f.stripe.refunds == []


def test_after_a_stripe_5xx_the_next_attempt_sends_a_fresh_idempotency_key():
    w = world()
    booking = owing(w, 1)[0]
    keys: list[str] = []
    create = w.f.stripe.create_refund

    def answering_500(**kwargs):
        keys.append(kwargs['idempotency_key'])
        raise errors.PaymentProviderUnavailable(server_error=True)

    w.f.stripe.create_refund = answering_500  # type: ignore[method-assign]
    w.f.clock.advance(hours=1)
    with pytest.raises(errors.PaymentProviderUnavailable):
        refunds.settle(w.deps, booking.id, w.now)
    w.f.stripe.create_refund = lambda **kwargs: (keys.append(kwargs['idempotency_key']), create(**kwargs))[1]  # type: ignore[method-assign]
    w.f.clock.advance(seconds=61)
    refunds.settle(w.deps, booking.id, w.now)
    assert keys == [f'booking-{booking.id}-refund', f'booking-{booking.id}-refund-1']
    assert followups.backoff(w.deps, 1) == timedelta(minutes=1)
