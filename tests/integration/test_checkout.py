"""Checkout and Stripe's webhook through the real handlers (API Gateway events), against moto for
DynamoDB and localstripe for Stripe."""

from __future__ import annotations

import base64
import json
import time

import pytest

from common.domain import BookingStatus
from functions.webhook import app as webhook_app
from local.gateway import LambdaContext, proxy_event
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances, point_stripe_at
from tests.support.metrics import Metric
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def room():
    hotel = factories.hotel()
    return factories.room_type(hotel, total_rooms=3, base_price=12000)


def book(api: Api, room, token: str, *, days_ahead: int = 10, nights: int = 2, rooms: int = 1) -> dict:
    check_in, check_out = factories.stay(days_ahead=days_ahead, nights=nights)
    reply = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': rooms, 'rooms': rooms},
        token=token,
    )
    assert reply.status == 201, reply.json
    return reply.json


def checkout(api: Api, booking_id: str, token: str, body: dict | None = None, **kwargs):
    return api.post(f'/api/bookings/{booking_id}/checkout', body, token=token, **kwargs)


def test_checkout_creates_one_payment_intent_for_the_locked_total(api: Api, room, stripe_local: StripeTest):
    # Given a PENDING booking of 2 rooms for 2 nights
    token = factories.token('guest-1')
    booking = book(api, room, token, rooms=2)
    # When the guest checks out twice
    first = checkout(api, booking['id'], token)
    again = checkout(api, booking['id'], token, {'auto_confirm': False})
    # Then both answers carry the same PaymentIntent and client secret
    assert first.status == again.status == 200, first.json
    assert first.json == again.json
    assert first.json['amount'] == booking['total_amount'] == 2 * 2 * 12000
    assert first.json['currency'] == 'EUR'
    assert first.json['status'] == 'PENDING'
    assert first.json['client_secret'].startswith(first.json['payment_intent_id'])
    # and Stripe holds exactly that intent, tagged with the booking and its guest
    intent = stripe_local.intent(first.json['payment_intent_id'])
    assert (intent['amount'], intent['currency']) == (48000, 'eur')
    assert intent['metadata'] == {'booking_id': booking['id'], 'user_id': 'guest-1'}
    # and the booking shows the payment, but never its client secret
    shown = api.get(f'/api/bookings/{booking["id"]}', token=token)
    assert shown.json['payment']['payment_intent_id'] == first.json['payment_intent_id']
    assert 'client_secret' not in shown.body.decode()


def test_an_idempotency_key_replays_the_checkout_answer(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = book(api, room, token)
    headers = {'Idempotency-Key': 'pay-1'}
    first = checkout(api, booking['id'], token, {}, headers=headers)
    again = checkout(api, booking['id'], token, {}, headers=headers)
    assert first.status == again.status == 200
    assert first.json == again.json
    other_body = checkout(api, booking['id'], token, {'auto_confirm': True}, headers=headers)
    assert (other_body.status, other_body.code) == (422, 'idempotency_key_reused')


@pytest.mark.parametrize(
    'body',
    [
        {'auto_confirm': 'yes'},
        {'auto_confirm': 1},
        {'amount': 1},
        {'payment_method': 'tok_visa'},
        {'auto_confirm': True, 'payment_method': 'card_123'},
    ],
    ids=['string', 'number', 'unknown field', 'not a payment method', 'not a test method'],
)
def test_bad_checkout_bodies_are_refused_and_nothing_is_created(api: Api, room, stripe_local: StripeTest, body):
    token = factories.token()
    booking = book(api, room, token)
    reply = checkout(api, booking['id'], token, body)
    assert (reply.status, reply.code) == (422, 'validation_error')
    assert deps().bookings.get(booking['id']).payment is None


def test_auto_confirm_confirms_at_once_and_the_later_webhook_changes_nothing(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = book(api, room, token)
    reply = checkout(api, booking['id'], token, {'auto_confirm': True})
    assert reply.status == 200, reply.json
    assert (reply.json['status'], reply.json['payment_status']) == ('CONFIRMED', 'succeeded')
    assert stripe_local.intent(reply.json['payment_intent_id'])['status'] == 'succeeded'
    confirmed = deps().bookings.get(booking['id'])
    # When Stripe's own event for that payment arrives
    event = stripe_local.event_for(reply.json['payment_intent_id'], 'payment_intent.succeeded')
    delivered = stripe_local.deliver(api, event)
    # Then it is acknowledged and changes nothing
    assert delivered.status == 200, delivered.json
    assert delivered.json['outcome'] == 'no_change'
    assert deps().bookings.get(booking['id']) == confirmed
    assert_inventory_balances()


def test_a_declined_card_answers_402_with_stripes_reason_and_the_hold_stays(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = book(api, room, token)
    reply = checkout(api, booking['id'], token, {'auto_confirm': True, 'payment_method': 'pm_card_chargeCustomerFail'})
    assert (reply.status, reply.code) == (402, 'payment_declined')
    assert reply.json['decline_code'] == 'card_declined'
    assert reply.json['detail'] == 'Your card was declined.'
    stored = deps().bookings.get(booking['id'])
    assert stored.status is BookingStatus.PENDING
    assert (stored.payment.status, stored.payment.last_error) == ('requires_payment_method', 'card_declined')
    # Stripe's payment_failed event for it records nothing new and changes no status
    event = stripe_local.event_for(stored.payment.payment_intent_id, 'payment_intent.payment_failed')
    assert stripe_local.deliver(api, event).json['outcome'] in ('no_change', 'recorded')
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    # (Paying the same intent again with another card works on Stripe; localstripe keeps the failed
    # charge and refuses a second confirmation, see docs/payments.md.)


def test_stripe_unreachable_answers_503_and_writes_nothing(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = book(api, room, token)
    point_stripe_at('http://127.0.0.1:9', stripe_local.key, stripe_local.webhook_secret)  # nothing listens
    reply = checkout(api, booking['id'], token)
    assert (reply.status, reply.code) == (503, 'payment_provider_unavailable')
    assert reply.header('Retry-After')
    assert deps().bookings.get(booking['id']).payment is None


# ---------------------------------------------------------------- webhook


def test_a_payment_confirmed_at_stripe_confirms_the_booking_through_the_webhook(
    api: Api, room, stripe_local: StripeTest
):
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    # When the guest's browser confirms at Stripe and Stripe's event arrives
    assert stripe_local.pay(pi)['status'] == 'succeeded'
    reply = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    # Then the booking is CONFIRMED with its rooms still held
    assert reply.status == 200, reply.json
    assert reply.json['outcome'] == 'confirmed'
    shown = api.get(f'/api/bookings/{booking["id"]}', token=token).json
    assert shown['status'] == 'CONFIRMED'
    assert shown['payment']['status'] == 'succeeded'
    assert_inventory_balances()


def test_events_in_reverse_order_end_in_the_right_state(api: Api, room, stripe_local: StripeTest):
    # Given a first attempt that failed, then a second one that succeeded. (localstripe cannot
    # retry a declined intent, so the failure event wraps the intent as it was before paying.)
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    unpaid = stripe_local.intent(pi)
    failed = stripe_local.event('payment_intent.payment_failed', unpaid)
    failed['created'] -= 60
    stripe_local.pay(pi, 'pm_card_visa')
    succeeded = stripe_local.event_for(pi, 'payment_intent.succeeded')
    # When Stripe delivers them newest first
    assert stripe_local.deliver(api, succeeded).json['outcome'] == 'confirmed'
    assert stripe_local.deliver(api, failed).json['outcome'] == 'no_change'
    # Then the booking stays CONFIRMED and paid
    stored = deps().bookings.get(booking['id'])
    assert stored.status is BookingStatus.CONFIRMED
    assert stored.payment.status == 'succeeded'


def _headers(signature: str | None) -> dict:
    headers = {'Content-Type': 'application/json'}
    if signature is not None:
        headers['Stripe-Signature'] = signature
    return headers


@pytest.mark.parametrize('case', ['forged', 'stale', 'missing', 'not json', 'not an event', 'garbage header'])
def test_deliveries_not_from_stripe_are_refused_and_change_nothing(api: Api, room, stripe_local: StripeTest, case):
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    stripe_local.pay(pi)
    payload = json.dumps(stripe_local.event_for(pi, 'payment_intent.succeeded'))
    signature: str | None = stripe_local.signature(payload)
    if case == 'forged':
        signature = stripe_local.signature(payload, secret='whsec_someone_else')
    elif case == 'stale':
        signature = stripe_local.signature(payload, timestamp=int(time.time()) - 301)
    elif case == 'missing':
        signature = None
    elif case == 'not json':
        payload = '{"id": "evt_1", "type": '
        signature = stripe_local.signature(payload)
    elif case == 'not an event':
        payload = json.dumps({'hello': 'world'})
        signature = stripe_local.signature(payload)
    else:
        signature = 'nonsense'
    reply = api.post('/api/webhook', raw=payload.encode(), headers=_headers(signature))
    if case == 'missing':  # a required header, as the document says: refused before any check
        assert (reply.status, reply.code) == (422, 'validation_error'), reply.json
    else:
        assert reply.status == 400, reply.json
        assert reply.code in ('invalid_signature', 'malformed_json', 'bad_request')
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING


def test_a_base64_body_from_api_gateway_is_verified_on_its_bytes(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    stripe_local.pay(pi)
    payload = json.dumps(stripe_local.event_for(pi, 'payment_intent.succeeded'), ensure_ascii=False) + ' '
    route, params = api.gateway.match('POST', '/api/webhook')
    headers = {'Content-Type': 'application/json', 'Stripe-Signature': stripe_local.signature(payload)}
    event = proxy_event(route, 'POST', '/api/webhook', '', headers, payload.encode(), params, '203.0.113.9')
    event['body'] = base64.b64encode(payload.encode()).decode()
    event['isBase64Encoded'] = True
    result = webhook_app.lambda_handler(event, LambdaContext('WebhookFunction'))
    assert result['statusCode'] == 200, result['body']
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED


def test_a_failure_while_processing_answers_5xx_and_the_retry_processes_it(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    stripe_local.pay(pi)
    event = stripe_local.event_for(pi, 'payment_intent.succeeded')
    # Given DynamoDB throttles every booking update, alone or in a transaction (injected at the
    # AWS SDK boundary; confirming a hold also gives its account's hold slot back, in one
    # transaction)
    original = BaseClient._make_api_call

    def updates_a_booking(operation: str, params: dict) -> bool:
        if operation == 'UpdateItem':
            return params.get('Key', {}).get('pk', {}).get('S', '').startswith('BOOKING#')
        if operation == 'TransactWriteItems':
            return any(updates_a_booking('UpdateItem', item.get('Update', {})) for item in params['TransactItems'])
        return False

    def throttled(client, operation, params):
        if updates_a_booking(operation, params):
            error = {'Error': {'Code': 'ThrottlingException', 'Message': 'Rate exceeded'}}
            raise ClientError(error, operation)
        return original(client, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(BaseClient, '_make_api_call', throttled)
        failed = stripe_local.deliver(api, event)
    # Then Stripe is told to retry, and nothing changed
    assert failed.status == 503, failed.json
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    # When Stripe retries the same event
    retried = stripe_local.deliver(api, event)
    assert retried.json['outcome'] == 'confirmed'
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED


def test_each_event_is_counted_by_type_and_outcome(api: Api, room, stripe_local: StripeTest, emitted):
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    stripe_local.pay(pi)
    event = stripe_local.event_for(pi, 'payment_intent.succeeded')
    emitted()
    stripe_local.deliver(api, event)
    first = emitted()
    stripe_local.deliver(api, event)
    duplicate = emitted()
    succeeded = {'event_type': 'payment_intent.succeeded', 'service': 'test'}
    assert Metric('WebhookEvent', 1, {**succeeded, 'outcome': 'confirmed'}) in first
    assert Metric('BookingConfirmed', 1, {'path': 'webhook', 'service': 'test'}) in first
    assert duplicate == [Metric('WebhookEvent', 1, {**succeeded, 'outcome': 'duplicate'})]


def test_a_payment_for_another_amount_is_refunded_instead_of_confirmed(api: Api, room, stripe_local: StripeTest):
    # Given a booking whose PaymentIntent was lowered at Stripe (the dashboard, a leaked key) and paid
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    short = booking['total_amount'] - 100
    stripe_local.client.v1.payment_intents.update(pi, params={'amount': short})
    assert stripe_local.pay(pi)['status'] == 'succeeded'
    # When Stripe's event arrives
    reply = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    # Then the booking is not confirmed: the hold is released and what was taken refunded
    assert (reply.status, reply.json['outcome']) == (200, 'payment_mismatch_refunded')
    shown = api.get(f'/api/bookings/{booking["id"]}', token=token).json
    assert shown['status'] == 'CANCELLED'
    assert (shown['refund']['amount'], shown['refund']['status']) == (short, 'succeeded')
    assert [r['amount'] for r in stripe_local.refunds(pi)] == [short]
    assert_inventory_balances()


def test_an_event_of_the_other_mode_is_acknowledged_and_changes_nothing(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    stripe_local.pay(pi)
    live = {**stripe_local.event_for(pi, 'payment_intent.succeeded'), 'livemode': True}
    reply = stripe_local.deliver(api, live)  # signed with our secret, yet live: a misconfigured endpoint
    assert (reply.status, reply.json['outcome']) == (200, 'wrong_mode')
    assert api.get(f'/api/bookings/{booking["id"]}', token=token).json['status'] == 'PENDING'
    assert stripe_local.refunds(pi) == []


def test_an_event_that_misstates_the_amount_is_checked_against_stripes_own_record(
    api: Api, room, stripe_local: StripeTest
):
    token = factories.token()
    booking = book(api, room, token)
    pi = checkout(api, booking['id'], token).json['payment_intent_id']
    stripe_local.pay(pi)
    stale = stripe_local.event_for(pi, 'payment_intent.succeeded')
    stale['data']['object'].update(amount=1, amount_received=1)
    reply = stripe_local.deliver(api, stale)
    # Stripe holds the booking's total: confirmed, nothing refunded
    assert (reply.status, reply.json['outcome']) == (200, 'confirmed')
    assert stripe_local.refunds(pi) == []
