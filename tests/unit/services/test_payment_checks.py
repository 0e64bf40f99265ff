"""Money checks before a booking is confirmed (issue 15): the booking's own PaymentIntent must carry
the booking's amount (asked and received), currency and the key's mode, or nothing is confirmed and
what was taken is refunded in full; an event of the other mode is never acted on."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from common.domain import BookingStatus, IntentStatus, RefundStatus
from common.services import checkout, webhooks
from common.services.outcomes import Outcome
from tests.unit.services.world import GUEST, world


def _checked_out(w):
    held = w.hold()
    intent_id = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    return held, intent_id


@pytest.mark.parametrize(
    ('change', 'reason'),
    [
        ({'amount': 100, 'amount_received': 100}, 'payment_amount_mismatch'),  # intent lowered at Stripe
        ({'amount_received': 100}, 'payment_amount_mismatch'),  # less taken than asked
        ({'currency': 'USD'}, 'payment_currency_mismatch'),
        ({'livemode': True}, 'payment_livemode_mismatch'),  # a live intent on a test-mode stack
    ],
)
def test_a_payment_that_is_not_the_bookings_money_never_confirms_and_is_refunded(change, reason):
    w = world()
    rooms_before = w.available()
    held, intent_id = _checked_out(w)
    w.f.stripe.intents[intent_id] = replace(w.f.stripe.intents[intent_id], status=IntentStatus.SUCCEEDED, **change)
    payload, signature = w.f.stripe.intent_event('payment_intent.succeeded', intent_id)
    if change.get('livemode'):  # the event itself is of the test stack's mode; only the intent is live
        payload, signature = w.f.stripe.event('payment_intent.succeeded', {**_obj(payload), 'livemode': True})
    result = webhooks.receive(w.deps, payload, signature, w.now)
    assert result.outcome is Outcome.PAYMENT_MISMATCH_REFUNDED
    booking = w.deps.bookings.get(held.id)
    assert booking.status is BookingStatus.CANCELLED  # never CONFIRMED
    assert booking.refund is not None and booking.refund.reason == reason
    assert booking.refund.status is RefundStatus.SUCCEEDED
    [refund] = w.f.stripe.refunds
    assert refund.amount == w.f.stripe.intents[intent_id].received  # everything taken, not the booking's total
    assert w.available() == rooms_before  # the hold's rooms are back on sale
    # Stripe's retry of the same event changes nothing and refunds nothing more
    assert webhooks.receive(w.deps, payload, signature, w.now).outcome is Outcome.DUPLICATE
    assert len(w.f.stripe.refunds) == 1


def _obj(payload: bytes) -> dict:
    return json.loads(payload)['data']['object']


def test_the_bookings_money_confirms_it():
    w = world()
    _, intent_id = _checked_out(w)
    intent = w.f.stripe.intents[intent_id]
    w.f.stripe.intents[intent_id] = replace(intent, status=IntentStatus.SUCCEEDED, amount_received=intent.amount)
    result = webhooks.receive(w.deps, *w.f.stripe.intent_event('payment_intent.succeeded', intent_id), w.now)
    assert result.outcome is Outcome.CONFIRMED
    assert w.f.stripe.refunds == []


def test_a_mismatched_payment_on_an_expired_hold_is_refunded_in_what_was_taken():
    w = world()
    held, intent_id = _checked_out(w)
    w.f.store.bookings[held.id] = replace(w.deps.bookings.get(held.id), status=BookingStatus.EXPIRED)
    w.f.stripe.intents[intent_id] = replace(
        w.f.stripe.intents[intent_id], status=IntentStatus.SUCCEEDED, amount=20001, amount_received=20001
    )
    result = webhooks.receive(w.deps, *w.f.stripe.intent_event('payment_intent.succeeded', intent_id), w.now)
    assert result.outcome is Outcome.PAYMENT_MISMATCH_REFUNDED
    booking = w.deps.bookings.get(held.id)
    assert booking.status is BookingStatus.EXPIRED  # not confirmed again
    assert booking.refund is not None and booking.refund.amount == 20001


def test_an_event_of_the_other_mode_is_acknowledged_and_never_acted_on():
    w = world()  # a test-mode key
    held, intent_id = _checked_out(w)
    w.f.stripe.set_status(intent_id, IntentStatus.SUCCEEDED)
    payload, signature = w.f.stripe.event(
        'payment_intent.succeeded',
        _obj(w.f.stripe.intent_event('payment_intent.succeeded', intent_id)[0]),
        livemode=True,
    )
    assert webhooks.receive(w.deps, payload, signature, w.now).outcome is Outcome.WRONG_MODE
    assert w.deps.bookings.get(held.id).status is BookingStatus.PENDING
    assert w.f.stripe.refunds == [] and w.f.store.events == {}
