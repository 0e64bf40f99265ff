"""Checkout (services/checkout.py) on fakes: one PaymentIntent per booking, test-mode confirmation."""

from __future__ import annotations

import pytest

from common import errors
from common.domain import BookingStatus, IntentStatus
from common.services import cancellation, checkout, payments
from common.services.outcomes import Outcome
from tests.unit.services.world import GUEST, OTHER, world


def test_a_booking_gets_one_payment_intent_for_its_locked_total():
    w = world()
    held = w.hold()
    first = checkout.checkout(w.deps, GUEST, held.id, w.now)
    again = checkout.checkout(w.deps, GUEST, held.id, w.now)
    assert (first.created, again.created) == (True, False)
    assert first.payment == again.payment
    assert (first.payment.amount, first.payment.currency) == (held.total_amount, 'EUR')
    assert w.f.stripe.calls.count('create_payment_intent') == 1
    assert first.status is BookingStatus.PENDING


def test_auto_confirm_pays_with_the_test_card_and_confirms():
    w = world()
    held = w.hold()
    result = checkout.checkout(w.deps, GUEST, held.id, w.now, auto_confirm=True)
    assert (result.status, result.outcome, result.payment.status) == (
        BookingStatus.CONFIRMED,
        Outcome.CONFIRMED,
        IntentStatus.SUCCEEDED,
    )
    with pytest.raises(errors.AlreadyPaid):
        checkout.checkout(w.deps, GUEST, held.id, w.now)


@pytest.mark.parametrize(('allowed', 'key'), [(False, 'sk_test_x'), (True, 'sk_live_x')])
def test_auto_confirm_needs_configuration_and_a_test_key_and_is_refused_before_anything(allowed: bool, key: str):
    w = world(allow_auto_confirm=allowed)
    w.f.stripe.key = key
    held = w.hold()
    with pytest.raises(errors.AutoConfirmNotAllowed):
        checkout.checkout(w.deps, GUEST, held.id, w.now, auto_confirm=True)
    assert w.deps.bookings.get(held.id).payment is None


def test_a_declined_card_is_recorded_and_the_hold_stays():
    w = world()
    held = w.hold()
    with pytest.raises(errors.PaymentDeclined):
        checkout.checkout(w.deps, GUEST, held.id, w.now, auto_confirm=True, payment_method=w.f.stripe.DECLINING_METHOD)
    stored = w.deps.bookings.get(held.id)
    assert stored.status is BookingStatus.PENDING and stored.payment is not None
    assert stored.payment.last_error == 'card_declined'


def test_only_a_payable_booking_of_the_caller_is_checked_out():
    w = world()
    held = w.hold()
    with pytest.raises(errors.NotFound):
        checkout.checkout(w.deps, OTHER, held.id, w.now)
    with pytest.raises(errors.HoldExpired):
        checkout.checkout(w.deps, GUEST, held.id, held.hold_expires_at)
    cancellation.cancel(w.deps, GUEST, held.id, w.now)
    with pytest.raises(errors.AlreadyCancelled):
        checkout.checkout(w.deps, GUEST, held.id, w.now)
    assert w.f.stripe.intents == {}


def test_a_checkout_that_lost_the_race_cancels_its_own_intent_and_answers_with_the_stored_one():
    w = world()
    held = w.hold()
    winner = checkout.checkout(w.deps, GUEST, held.id, w.now).payment
    stored = w.deps.bookings.get(held.id)
    # When a second checkout, which read the booking before the first stored its intent, attaches one
    loser = checkout._attach_new_intent(w.deps, held, w.now)
    assert loser == (stored, False)
    [lost] = [i for i in w.f.stripe.intents.values() if i.id != winner.payment_intent_id]
    assert lost.status == IntentStatus.CANCELED


def test_a_canceled_payment_cannot_be_checked_out_again():
    w = world()
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    # When the sweeper could not expire it yet, but Stripe canceled its intent (recorded by the event)
    canceled = w.f.stripe.set_status(intent, IntentStatus.CANCELED)
    payments.canceled(w.deps, held.id, canceled, w.now)
    with pytest.raises(errors.InvalidState):
        checkout.checkout(w.deps, GUEST, held.id, w.now)


def test_a_paid_booking_is_not_checked_out_again_and_says_so():
    w = world()
    booking = w.paid()
    with pytest.raises(errors.AlreadyPaid):
        checkout.checkout(w.deps, GUEST, booking.id, w.now)
    with pytest.raises(errors.AlreadyPaid):
        checkout.checkout(w.deps, GUEST, booking.id, w.now, auto_confirm=True)
    assert w.f.stripe.calls.count('create_payment_intent') == 1


def test_a_card_from_stripe_js_is_confirmed_on_the_server_without_the_test_shortcut():
    w = world(allow_auto_confirm=False)
    held = w.hold()
    result = checkout.checkout(w.deps, GUEST, held.id, w.now, payment_method='pm_1Q0PsIJvEtkwdCNY')
    assert (result.status, result.outcome) == (BookingStatus.CONFIRMED, Outcome.CONFIRMED)


def test_a_card_that_needs_the_guest_is_recorded_for_stripe_js_to_finish():
    w = world()
    held = w.hold()
    result = checkout.checkout(w.deps, GUEST, held.id, w.now, payment_method=w.f.stripe.AUTHENTICATING_METHOD)
    assert (result.status, result.outcome, result.payment.status) == (
        BookingStatus.PENDING,
        Outcome.RECORDED,
        'requires_action',
    )
    stored = w.deps.bookings.get(held.id).payment
    assert stored is not None and stored.status == 'requires_action'
