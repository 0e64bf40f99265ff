"""Payment races with real threads: the ministack DynamoDB server and localstripe, requests
through the gateway into the real handlers (each thread its own execution environment)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import stripe

from common.domain import BookingStatus
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.race import race
from tests.support.stripe import StripeTest

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def hold(api: Api, room, token: str, nights: int = 2) -> dict:
    check_in, check_out = factories.stay(days_ahead=10, nights=nights)
    reply = api.hold(room.id, check_in, check_out, token=token)
    assert reply.status == 201, reply.json
    return reply.json


def test_concurrent_checkouts_share_one_payment_intent(api: Api, stripe_local: StripeTest):
    room = factories.room_type(factories.hotel(), total_rooms=2)
    token = factories.token()
    booking = hold(api, room, token)
    replies = race(6, lambda i: api.post(f'/api/bookings/{booking["id"]}/checkout', token=token))
    assert {r.status for r in replies} == {200}, [r.json for r in replies]
    assert len({(r.json['payment_intent_id'], r.json['client_secret']) for r in replies}) == 1
    stored = deps().bookings.get(booking['id']).payment.payment_intent_id
    assert replies[0].json['payment_intent_id'] == stored
    # localstripe ignores idempotency keys, so losers may have created intents: none is payable
    listed = stripe_local.client.v1.payment_intents.list(params={'limit': 100}).auto_paging_iter()
    for intent in listed:
        if intent.metadata.to_dict().get('booking_id') == booking['id'] and intent.id != stored:
            assert intent.status == 'canceled'


def test_one_event_delivered_five_times_at_once_moves_the_booking_once(api: Api, stripe_local: StripeTest):
    room = factories.room_type(factories.hotel(), total_rooms=2)
    token = factories.token()
    booking = hold(api, room, token)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    stripe_local.pay(pi)
    event = stripe_local.event_for(pi, 'payment_intent.succeeded')
    version = deps().bookings.get(booking['id']).version
    replies = race(5, lambda i: stripe_local.deliver(api, event))
    outcomes = Counter((r.status, r.json.get('outcome') or r.code) for r in replies)
    # one delivery confirms; the others are duplicates, or told to retry while it runs
    assert outcomes[(200, 'confirmed')] == 1, outcomes
    assert set(outcomes) <= {(200, 'confirmed'), (200, 'duplicate'), (409, 'event_in_progress')}
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.version) == (BookingStatus.CONFIRMED, version + 1)
    assert_inventory_balances()


def test_a_cancel_racing_a_payment_ends_in_one_consistent_state(api: Api, stripe_local: StripeTest):
    # Given 6 PENDING bookings with a PaymentIntent each
    room = factories.room_type(factories.hotel(), total_rooms=6)
    bookings = []
    for i in range(6):
        token = factories.token(f'guest-{i}')
        booking = hold(api, room, token)
        pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
        bookings.append((booking, pi, token))

    def cancel(i: int):
        booking, _, token = bookings[i // 2]
        time.sleep(0.03 * (i // 2))
        return api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)

    def pay(i: int):
        _, pi, _ = bookings[i // 2]
        time.sleep(0.03 * (5 - i // 2))  # early payments for some bookings, late ones for others
        try:
            stripe_local.pay(pi)
        except stripe.InvalidRequestError:
            return None  # cancelled first
        return stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))

    # When each guest cancels while their payment goes through
    replies = race(12, lambda i: cancel(i) if i % 2 == 0 else pay(i))
    # Then each booking is CANCELLED with its intent cancelled, or CONFIRMED (the cancel is told so)
    ends = Counter()
    for n, (booking, pi, _) in enumerate(bookings):
        stored = deps().bookings.get(booking['id'])
        intent = stripe_local.intent(pi)['status']
        cancelled = replies[2 * n]
        if stored.status is BookingStatus.CANCELLED:
            assert intent == 'canceled' or sum(r['amount'] for r in stripe_local.refunds(pi)) == booking['total_amount']
            assert cancelled.status == 200
        else:
            assert (stored.status, intent) == (BookingStatus.CONFIRMED, 'succeeded')
            assert (cancelled.status, cancelled.code) == (409, 'already_paid')
        ends[stored.status] += 1
    assert sum(ends.values()) == 6
    assert_inventory_balances()


def test_concurrent_cancels_of_a_paid_booking_refund_once(api: Api, stripe_local: StripeTest):
    room = factories.room_type(factories.hotel(), total_rooms=3)
    token = factories.token()
    booking = hold(api, room, token)
    paid = api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': True}, token=token).json
    assert paid['status'] == 'CONFIRMED'
    replies = race(6, lambda i: api.post(f'/api/bookings/{booking["id"]}/cancel', token=token))
    assert {r.status for r in replies} == {200}, [r.json for r in replies]
    assert {r.json['status'] for r in replies} == {'CANCELLED'}
    refunds = stripe_local.refunds(paid['payment_intent_id'])
    assert [r['amount'] for r in refunds] == [booking['total_amount']]
    # whoever answered before the refund was recorded said "pending"; a read now shows it done
    settled = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token).json['refund']
    assert (settled['status'], settled['stripe_refund_id']) == ('succeeded', refunds[0]['id'])
    nights = deps().bookings.get(booking['id'])
    assert nights.status is BookingStatus.CANCELLED
    assert_inventory_balances()
