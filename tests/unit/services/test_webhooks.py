"""The webhook (services/webhooks.py) on fakes: verified, once per event id, what is not ours acknowledged."""

from __future__ import annotations

import pytest

from common import errors
from common.domain import BookingStatus, IntentStatus, RefundStatus
from common.services import cancellation, checkout, webhooks
from common.services.outcomes import Outcome
from tests.fakes import sign
from tests.unit.services.world import GUEST, world


def _paid_event(w):
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent, IntentStatus.SUCCEEDED)
    return held, w.f.stripe.intent_event('payment_intent.succeeded', intent)


def test_a_payment_event_confirms_its_booking_and_a_second_delivery_is_a_duplicate():
    w = world()
    held, (payload, signature) = _paid_event(w)
    first = webhooks.receive(w.deps, payload, signature, w.now)
    assert (first.outcome, first.booking_id) == (Outcome.CONFIRMED, held.id)
    assert w.deps.bookings.get(held.id).status is BookingStatus.CONFIRMED
    assert webhooks.receive(w.deps, payload, signature, w.now).outcome is Outcome.DUPLICATE


def test_a_forged_delivery_is_refused_and_changes_nothing():
    w = world()
    held, (payload, _) = _paid_event(w)
    with pytest.raises(errors.InvalidSignature):
        webhooks.receive(w.deps, payload, sign(b'something else'), w.now)
    assert w.deps.bookings.get(held.id).status is BookingStatus.PENDING
    assert w.f.store.events == {}


def test_a_delivery_being_processed_elsewhere_is_answered_in_progress():
    w = world()
    _, (payload, signature) = _paid_event(w)
    event = w.f.stripe.verify_event(payload, signature)
    w.deps.payments.claim_event(event.id, event.type, w.now, 60, 3600)
    with pytest.raises(errors.EventInProgress):
        webhooks.receive(w.deps, payload, signature, w.now)


def test_a_failure_while_processing_releases_the_event_for_stripes_retry():
    w = world()
    held, (payload, signature) = _paid_event(w)
    w.f.store.bookings[held.id] = held  # readable...
    original = w.deps.bookings.transition

    def unavailable(*args, **kwargs):
        raise errors.ServiceUnavailable()

    w.deps.bookings.transition = unavailable  # type: ignore[method-assign]
    with pytest.raises(errors.ServiceUnavailable):
        webhooks.receive(w.deps, payload, signature, w.now)
    w.deps.bookings.transition = original  # type: ignore[method-assign]
    assert webhooks.receive(w.deps, payload, signature, w.now).outcome is Outcome.CONFIRMED


def test_events_that_are_not_ours_are_acknowledged():
    w = world()
    other_type = w.f.stripe.event('customer.created', {'id': 'cus_1', 'metadata': {}})
    assert webhooks.receive(w.deps, *other_type, w.now).outcome is Outcome.IGNORED
    no_booking = w.f.stripe.event('payment_intent.succeeded', {'id': 'pi_x', 'metadata': {}})
    assert webhooks.receive(w.deps, *no_booking, w.now).outcome is Outcome.IGNORED
    unknown = w.f.stripe.event('payment_intent.succeeded', {'id': 'pi_y', 'metadata': {'booking_id': 'nope'}})
    assert webhooks.receive(w.deps, *unknown, w.now).outcome is Outcome.UNKNOWN_BOOKING


def test_a_refund_event_records_stripes_status_and_a_failed_refund_is_reported():
    w = world()
    booking = w.paid()
    refund = cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund
    assert refund is not None and refund.stripe_refund_id is not None
    w.f.stripe.set_refund_status(refund.stripe_refund_id, RefundStatus.FAILED)
    event = w.f.stripe.event(
        'refund.failed', {'id': refund.stripe_refund_id, 'object': 'refund', 'metadata': {'booking_id': booking.id}}
    )
    assert webhooks.receive(w.deps, *event, w.now).outcome is Outcome.REFUND_FAILED
    stored = w.deps.bookings.get(booking.id).refund
    assert stored is not None and stored.status is RefundStatus.FAILED
