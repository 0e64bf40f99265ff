"""Stripe unreachable, answering 500, or answering 500 after doing the work; its webhook arriving
before our own write; the Lambda killed between a Stripe call and the DynamoDB write after it.

Real handlers against moto, Stripe is localstripe with faults injected at the SDK's HTTP client
(``stripe_faults``). Each test ends with the auditor, compared with Stripe: no booking keeps money
for a stay it does not have, no payment is taken twice, no refund is made twice.
(Refunds failing or crashing after Stripe made them are covered in tests/integration/test_cancellation.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from common.config import settings
from common.domain import BookingStatus
from common.gateways.stripe import StripeGateway
from common.repos import BookingRepository
from tests.support import factories
from tests.support.api import Api, Reply
from tests.support.deps import deps
from tests.support.faults import CANCEL, CONFIRM, CREATE, REFUNDS, SimulatedCrash, StripeFaults
from tests.support.fixtures import assert_books_balance
from tests.support.journeys import book, checkout, run_sweeper
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hotel():
    return factories.hotel(currency='USD')


@pytest.fixture
def room(hotel):
    return factories.room_type(hotel, total_rooms=2, base_price=12000, open_days=25)


def held(room, booking: dict) -> list[int]:
    nights = deps().inventory.nights(
        room.id,
        datetime.fromisoformat(booking['check_in']).date(),
        datetime.fromisoformat(booking['check_out']).date(),
        consistent=True,
    )
    return [n.allotment - n.available for n in nights]


def assert_unavailable(reply: Reply) -> None:
    assert (reply.status, reply.code) == (503, 'payment_provider_unavailable'), reply.json
    assert int(reply.header('Retry-After')) > 0


# ---------------------------------------------------------------- checkout: creating the PaymentIntent


@pytest.mark.parametrize('applied', [False, True], ids=['stripe-500', 'created-then-500'])
def test_checkout_when_stripe_answers_500_is_a_503_and_the_retry_attaches_one_payment_intent(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults, applied: bool
):
    token = factories.token('guest')
    booking = book(api, room, token)
    # Given Stripe answers 500 to PaymentIntent creation (after creating it, in the second case)
    rule = stripe_faults.fail('POST', CREATE, status=500, applied=applied)
    failed = checkout(api, booking, token)
    # Then 503 + Retry-After after the SDK's own retry, and the booking has no payment
    assert_unavailable(failed)
    assert stripe_faults.count(f'POST {CREATE}') == 2
    assert stripe_faults.backoff and stripe_faults.backoff[0] > 0
    assert deps().bookings.get(booking['id']).payment is None
    # When Stripe recovers and the client retries, one PaymentIntent is attached and paid
    stripe_faults.rules.remove(rule)
    paid = checkout(api, booking, token, auto_confirm=True)
    assert paid.status == 200, paid.json
    assert paid.json['status'] == 'CONFIRMED'
    stored = deps().bookings.get(booking['id'])
    assert stored.payment.payment_intent_id == paid.json['payment_intent_id']
    assert stripe_local.intent(paid.json['payment_intent_id'])['amount'] == booking['total_amount']
    assert_books_balance(stripe=True)


# ---------------------------------------------------------------- checkout: confirming (auto_confirm)


def test_a_confirmation_stripe_could_not_receive_is_a_503_and_the_retry_confirms(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token)
    rule = stripe_faults.unreachable('POST', CONFIRM)
    assert_unavailable(checkout(api, booking, token, auto_confirm=True))
    stored = deps().bookings.get(booking['id'])
    assert stored.status is BookingStatus.PENDING
    assert stripe_local.intent(stored.payment.payment_intent_id)['status'] != 'succeeded'
    stripe_faults.rules.remove(rule)
    retried = checkout(api, booking, token, auto_confirm=True)
    assert (retried.status, retried.json['status']) == (200, 'CONFIRMED')
    assert retried.json['payment_intent_id'] == stored.payment.payment_intent_id
    assert_books_balance(stripe=True)


def test_a_payment_stripe_took_but_answered_500_is_confirmed_not_charged_twice(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token)
    # Given Stripe confirms the payment, then answers 500 (the SDK's retry is then refused: the
    # intent is no longer confirmable)
    stripe_faults.fail('POST', CONFIRM, status=500, applied=True, times=1)
    reply = checkout(api, booking, token, auto_confirm=True)
    # Then the payment is read back from Stripe and the booking confirmed, in the same request
    assert (reply.status, reply.json['status']) == (200, 'CONFIRMED')
    pi = reply.json['payment_intent_id']
    assert stripe_local.intent(pi)['status'] == 'succeeded'
    # And Stripe's own event, arriving later, changes nothing
    event = stripe_local.event_for(pi, 'payment_intent.succeeded')
    assert stripe_local.deliver(api, event).json['outcome'] == 'no_change'
    assert_books_balance(stripe=True)


def test_a_payment_stripe_took_while_every_answer_was_500_is_confirmed_by_the_retry(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token)
    rule = stripe_faults.fail('POST', CONFIRM, status=500, applied=True)
    assert_unavailable(checkout(api, booking, token, auto_confirm=True))
    pi = deps().bookings.get(booking['id']).payment.payment_intent_id
    assert stripe_local.intent(pi)['status'] == 'succeeded'
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    # When the client retries: the payment is read from Stripe first, not confirmed again
    stripe_faults.rules.remove(rule)
    confirms = stripe_faults.count(f'POST {CONFIRM}')
    retried = checkout(api, booking, token, auto_confirm=True)
    assert (retried.status, retried.json['status']) == (200, 'CONFIRMED')
    assert stripe_faults.count(f'POST {CONFIRM}') == confirms
    assert_books_balance(stripe=True)


# ---------------------------------------------------------------- cancelling a PENDING booking


@pytest.mark.parametrize('fault', ['unreachable', 'stripe-500'])
def test_a_cancel_when_stripe_cannot_cancel_the_payment_intent_changes_nothing_and_the_retry_completes(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults, fault: str
):
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = checkout(api, booking, token).json['payment_intent_id']
    rule = stripe_faults.unreachable('POST', CANCEL) if fault == 'unreachable' else stripe_faults.fail('POST', CANCEL)
    failed = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then 503; the hold stands (rooms held, PaymentIntent open): nothing was decided
    assert_unavailable(failed)
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    assert stripe_local.intent(pi)['status'] == 'requires_payment_method'
    assert held(room, booking) == [1, 1]
    stripe_faults.rules.remove(rule)
    retried = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert (retried.status, retried.json['status']) == (200, 'CANCELLED')
    assert stripe_local.intent(pi)['status'] == 'canceled'
    assert held(room, booking) == [0, 0]
    assert_books_balance(stripe=True)


def test_a_cancel_stripe_applied_but_answered_500_is_completed_by_the_retry(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = checkout(api, booking, token).json['payment_intent_id']
    # Given Stripe cancels the PaymentIntent but every answer (the SDK retries once) is a 500
    rule = stripe_faults.fail('POST', CANCEL, status=500, applied=True)
    assert_unavailable(api.post(f'/api/bookings/{booking["id"]}/cancel', token=token))
    assert stripe_local.intent(pi)['status'] == 'canceled'
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    stripe_faults.rules.remove(rule)
    retried = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert (retried.status, retried.json['status'], retried.json['payment']['status']) == (
        200,
        'CANCELLED',
        'canceled',
    )
    assert held(room, booking) == [0, 0]
    assert_books_balance(stripe=True)


# ---------------------------------------------------------------- refunds: Stripe made it, answered 500


def test_a_refund_stripe_made_but_answered_500_is_found_and_recorded_once_its_lease_lapses(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token, days_ahead=20)
    pi = checkout(api, booking, token, auto_confirm=True).json['payment_intent_id']
    rule = stripe_faults.fail('POST', REFUNDS, status=500, applied=True, times=1)
    assert_unavailable(api.post(f'/api/bookings/{booking["id"]}/cancel', token=token))
    # Stripe made it, once: the SDK does not retry a refund (a retry could make a second one
    # wherever the idempotency key is not honoured, as on localstripe)
    assert len(stripe_local.refunds(pi)) == 1
    assert stripe_faults.count(f'POST {REFUNDS}') == 1
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.refund.status, stored.refund.stripe_refund_id) == (
        BookingStatus.CANCELLED,
        'pending',
        None,
    )
    # The outcome was unknown: the lease is kept (nobody creates a refund until it lapses), and
    # the next attempt sends a fresh idempotency key (Stripe would replay the stored 500)
    assert stored.refund.key_version == 1
    stripe_faults.rules.remove(rule)
    retried = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert (retried.status, retried.json['status'], retried.json['refund']['status']) == (200, 'CANCELLED', 'pending')
    # When the client retries after the lease lapsed, the refund Stripe made is found and recorded
    later = datetime.now(UTC) + timedelta(seconds=settings().payment_lease_seconds + 1)
    with time_machine.travel(later, tick=False):
        again = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert again.status == 200, again.json
    [refund] = stripe_local.refunds(pi)
    assert (again.json['refund']['stripe_refund_id'], again.json['refund']['status']) == (refund['id'], 'succeeded')
    assert stripe_faults.count(f'POST {REFUNDS}') == 1  # none made again
    assert_books_balance(stripe=True)


# ---------------------------------------------------------------- the webhook before our own write


def test_the_payment_webhook_arriving_before_auto_confirm_wrote_confirms_once(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking = book(api, room, token)
    confirm = StripeGateway.confirm_with_test_method
    delivered = []

    def confirm_then_webhook(gateway: StripeGateway, payment_intent_id: str, payment_method: str):
        # Stripe confirms, and its event reaches our webhook before the checkout writes anything
        intent = confirm(gateway, payment_intent_id, payment_method)
        event = stripe_local.event_for(payment_intent_id, 'payment_intent.succeeded')
        delivered.append(stripe_local.deliver(api, event))
        return intent

    monkeypatch.setattr(StripeGateway, 'confirm_with_test_method', confirm_then_webhook)
    reply = checkout(api, booking, token, auto_confirm=True)
    # Then the webhook confirmed the booking, and the checkout answers CONFIRMED too
    assert delivered[0].json['outcome'] == 'confirmed'
    assert (reply.status, reply.json['status']) == (200, 'CONFIRMED')
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.payment.status, stored.refund) == (BookingStatus.CONFIRMED, 'succeeded', None)
    assert stripe_local.refunds(reply.json['payment_intent_id']) == []
    assert_books_balance(stripe=True)


def test_a_payment_event_for_an_intent_not_stored_yet_confirms_the_booking_and_refunds_nothing(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking = book(api, room, token)
    attach = BookingRepository.attach_payment
    delivered = []

    def paid_and_reported_before_attach(repository, booking_id, payment, now):
        # Between Stripe creating the PaymentIntent and the checkout storing it: the intent is
        # paid and Stripe's event is processed
        stripe_local.pay(payment.payment_intent_id)
        delivered.append(
            stripe_local.deliver(api, stripe_local.event_for(payment.payment_intent_id, 'payment_intent.succeeded'))
        )
        return attach(repository, booking_id, payment, now)

    monkeypatch.setattr(BookingRepository, 'attach_payment', paid_and_reported_before_attach)
    reply = checkout(api, booking, token)
    # Then the event stored the intent and confirmed the booking (it was made for it: metadata,
    # amount, currency); the late checkout finds it paid; nothing is refunded
    assert delivered[0].json['outcome'] == 'confirmed'
    assert (reply.status, reply.code) == (409, 'already_paid')
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.payment.status) == (BookingStatus.CONFIRMED, 'succeeded')
    assert stripe_local.refunds(stored.payment.payment_intent_id) == []
    assert_books_balance(stripe=True)


# ---------------------------------------------------------------- the Lambda killed between Stripe and DynamoDB


def crash(*args, **kwargs):
    raise SimulatedCrash()


def test_killed_after_stripe_created_the_payment_intent_the_next_checkout_attaches_one(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking = book(api, room, token)
    with monkeypatch.context() as patch:
        patch.setattr(BookingRepository, 'attach_payment', crash)
        with pytest.raises(SimulatedCrash):
            checkout(api, booking, token)
    assert deps().bookings.get(booking['id']).payment is None  # Stripe has an intent nobody was given
    paid = checkout(api, booking, token, auto_confirm=True)
    assert (paid.status, paid.json['status']) == (200, 'CONFIRMED')
    assert_books_balance(stripe=True)


def _crash_on(new_status: BookingStatus):
    transition = BookingRepository.transition

    def maybe_crash(repository, booking, expected, status, now, **kwargs):
        if status is new_status:
            raise SimulatedCrash()
        return transition(repository, booking, expected, status, now, **kwargs)

    return maybe_crash


def _paid_then_killed(api: Api, room, monkeypatch) -> tuple[dict, str]:
    """A booking whose auto_confirm checkout died after Stripe took the payment, before the
    booking was confirmed; and its guest's token."""
    token = factories.token('guest')
    booking = book(api, room, token)
    with monkeypatch.context() as patch:
        patch.setattr(BookingRepository, 'transition', _crash_on(BookingStatus.CONFIRMED))
        with pytest.raises(SimulatedCrash):
            checkout(api, booking, token, auto_confirm=True)
    return booking, token


def test_killed_after_stripe_took_the_payment_the_next_checkout_confirms_it(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    booking, token = _paid_then_killed(api, room, monkeypatch)
    pi = deps().bookings.get(booking['id']).payment.payment_intent_id
    assert stripe_local.intent(pi)['status'] == 'succeeded'
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    retried = checkout(api, booking, token, auto_confirm=True)
    assert (retried.status, retried.json['status']) == (200, 'CONFIRMED')
    assert retried.json['payment_intent_id'] == pi
    assert_books_balance(stripe=True)


def test_killed_after_stripe_took_the_payment_and_nobody_retries_the_sweeper_confirms_it(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    booking, _ = _paid_then_killed(api, room, monkeypatch)
    # When the hold's time is up (the webhook was lost too): Stripe refuses to cancel a paid intent
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        summary = run_sweeper()
    assert (summary['expired'], summary['confirmed']) == (0, 1)
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED
    assert held(room, booking) == [1, 1]
    assert_books_balance(stripe=True)


def test_killed_after_stripe_cancelled_the_payment_intent_the_sweeper_releases_the_hold(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = checkout(api, booking, token).json['payment_intent_id']
    with monkeypatch.context() as patch:
        patch.setattr(BookingRepository, 'transition', _crash_on(BookingStatus.CANCELLED))
        with pytest.raises(SimulatedCrash):
            api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert stripe_local.intent(pi)['status'] == 'canceled'
    assert held(room, booking) == [1, 1]  # the rooms are still held by a PENDING booking
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        summary = run_sweeper()
    assert summary['expired'] == 1
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.payment.status) == (BookingStatus.EXPIRED, 'canceled')
    assert held(room, booking) == [0, 0]
    assert_books_balance(stripe=True)


def test_killed_after_refunding_a_late_payment_the_sweeper_records_it_without_refunding_again(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    # Given a hold that expired while Stripe was down (its PaymentIntent left open), and its
    # rooms sold to someone else
    token = factories.token('guest')
    booking = book(api, room, token, nights=1)
    pi = checkout(api, booking, token).json['payment_intent_id']
    payments_down = StripeGateway.cancel_payment_intent
    monkeypatch.setattr(StripeGateway, 'cancel_payment_intent', crash_with_unavailable)
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        assert run_sweeper()['payments_left_open'] == 1
    monkeypatch.setattr(StripeGateway, 'cancel_payment_intent', payments_down)
    for guest in ('other', 'third'):
        book(api, room, factories.token(guest), nights=1)
    # When the guest pays after all, and the webhook's Lambda dies after Stripe made the refund
    stripe_local.pay(pi)
    event = stripe_local.event_for(pi, 'payment_intent.succeeded')
    with monkeypatch.context() as patch:
        patch.setattr(BookingRepository, 'record_refund', crash)
        with pytest.raises(SimulatedCrash):
            stripe_local.deliver(api, event)
    assert len(stripe_local.refunds(pi)) == 1
    assert deps().bookings.get(booking['id']).refund.status == 'pending'
    # Then the sweeper, once the refund is overdue, records the refund Stripe made; none is made again
    later = datetime.now(UTC) + timedelta(
        seconds=settings().refund_retry_after_seconds + settings().payment_lease_seconds
    )
    with time_machine.travel(later, tick=False):
        assert run_sweeper()['refunds_settled'] == 1
    stored = deps().bookings.get(booking['id'])
    [refund] = stripe_local.refunds(pi)
    assert (stored.status, stored.refund.stripe_refund_id, stored.refund.amount) == (
        BookingStatus.EXPIRED,
        refund['id'],
        booking['total_amount'],
    )
    # And Stripe's retry of the event (its claim lapsed with the lease) changes nothing more
    with time_machine.travel(later, tick=False):
        assert stripe_local.deliver(api, event).json['outcome'] == 'no_change'
    assert len(stripe_local.refunds(pi)) == 1
    assert_books_balance(stripe=True)


def crash_with_unavailable(*args, **kwargs):
    from common import errors

    raise errors.PaymentProviderUnavailable()
