"""Money moved outside the engine (issue 22, point 7), on fakes: refunds made in the Stripe
Dashboard and chargebacks (``charge.dispute.*``) are read, recorded and reconciled; no refund is
ever more than what Stripe has not refunded yet."""

from __future__ import annotations

from common.domain import BookingStatus, RefundStatus
from common.services import audit, cancellation, refunds, webhooks
from common.services.outcomes import Outcome
from tests.unit.services.world import GUEST, world


def _refund_in_dashboard(w, booking, amount):
    w.f.stripe.create_refund(
        payment_intent_id=booking.payment.payment_intent_id,
        amount=amount,
        metadata={},
        idempotency_key=f'dash-{amount}',
    )
    return w.f.stripe.event(
        'charge.refunded', {'id': 'ch_1', 'object': 'charge', 'payment_intent': booking.payment.payment_intent_id}
    )


def test_a_full_refund_in_the_dashboard_cancels_the_booking_and_puts_its_rooms_back_on_sale():
    w = world()
    booking = w.paid()
    assert w.available() == [4, 4]
    event = _refund_in_dashboard(w, booking, booking.payment.amount)
    assert webhooks.receive(w.deps, *event, w.now).outcome is Outcome.CANCELLED_REFUNDED_OUTSIDE
    stored = w.deps.bookings.get(booking.id)
    assert (stored.status, stored.refunded_outside) == (BookingStatus.CANCELLED, booking.payment.amount)
    assert stored.refund is not None and (stored.refund.amount, stored.refund.penalty) == (0, 0)
    assert w.available() == [5, 5]
    assert audit.booking_payment_problems(w.deps, stored) == []
    # The guest's cancel afterwards has nothing to refund, and refunds nothing
    assert len(w.f.stripe.refunds) == 1


def test_a_cancel_after_a_partial_dashboard_refund_gives_back_the_policys_refund_minus_it():
    w = world()
    booking = w.paid()
    webhooks.receive(w.deps, *_refund_in_dashboard(w, booking, 500), w.now)
    refund = cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund
    assert refund is not None and (refund.amount, refund.penalty) == (booking.payment.amount - 500, 0)
    assert sum(r.amount for r in w.f.stripe.refunds) == booking.payment.amount
    assert audit.booking_payment_problems(w.deps, w.deps.bookings.get(booking.id)) == []


def test_a_refund_owed_is_capped_at_what_stripe_has_not_refunded_when_the_dashboard_refunded_meanwhile():
    w = world()
    booking = w.owing_refund()  # cancelled while Stripe was down: 20000 owed
    _refund_in_dashboard(w, booking, 15000)  # staff refunded by hand meanwhile, webhook not yet in
    settled = refunds.settle(w.deps, booking.id, w.now)
    assert settled.refund is not None and settled.refund.amount == booking.payment.amount - 15000
    assert settled.refunded_outside == 15000
    assert sum(r.amount for r in w.f.stripe.refunds) == booking.payment.amount  # never more than paid
    assert audit.booking_payment_problems(w.deps, settled) == []


def test_refund_events_in_any_order_never_move_a_refund_status_back():
    w = world()
    booking = w.paid()
    refund = cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund
    assert refund is not None and refund.stripe_refund_id is not None
    assert refund.status is RefundStatus.SUCCEEDED
    # Stripe's later word (the bank returned it: failed) is recorded...
    assert w.deps.bookings.update_refund_status(booking.id, refund.stripe_refund_id, RefundStatus.FAILED, w.now)
    # ...and an older read processed after it (two events at once) is not recorded over it
    for older in (RefundStatus.SUCCEEDED, RefundStatus.PENDING):
        assert not w.deps.bookings.update_refund_status(booking.id, refund.stripe_refund_id, older, w.now)
    assert w.deps.bookings.get(booking.id).refund.status is RefundStatus.FAILED  # type: ignore[union-attr]


def test_a_dispute_is_recorded_alarmed_reported_until_closed_and_a_late_event_changes_nothing():
    w = world()
    booking = w.paid()
    intent = booking.payment.payment_intent_id
    opened = webhooks.receive(w.deps, *w.f.stripe.dispute_event('charge.dispute.created', intent), w.now)
    assert (opened.outcome, opened.booking_id) == (Outcome.DISPUTE_OPENED, booking.id)
    stored = w.deps.bookings.get(booking.id)
    assert stored.dispute is not None and (stored.dispute.status, stored.dispute.amount) == (
        'needs_response',
        booking.payment.amount,
    )
    assert stored.status is BookingStatus.CONFIRMED  # the stay is a person's decision, not the engine's
    assert any('dispute dp_fake_1 open' in p for p in audit.booking_payment_problems(w.deps, stored))
    closed = w.f.stripe.dispute_event('charge.dispute.closed', intent, status='won')
    assert webhooks.receive(w.deps, *closed, w.now).outcome is Outcome.DISPUTE_CLOSED
    late = w.f.stripe.dispute_event('charge.dispute.updated', intent, status='under_review')
    assert webhooks.receive(w.deps, *late, w.now).outcome is Outcome.NO_CHANGE
    stored = w.deps.bookings.get(booking.id)
    assert stored.dispute is not None and stored.dispute.closed
    assert audit.booking_payment_problems(w.deps, stored) == []
