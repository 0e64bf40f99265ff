"""Issue 22: money is never kept without a stay. One test (or a few) per numbered point of the
issue, each reproducing the sequence the review found, on moto + localstripe with faults injected
where localstripe cannot produce the state (``processing``, a disputed charge, a 500 it replays).

Every test ends with the auditor against Stripe (the autouse fixture, the reconciler's own
checks): no booking keeps money for a stay it does not have.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from common import errors
from common.config import settings
from common.domain import (
    BookingStatus,
    PaymentIntent,
    Role,
    Work,
)
from common.gateways.stripe import StripeGateway
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.faults import CREATE, REFUNDS, StripeFaults
from tests.support.journeys import book, checkout, run_sweeper
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hotel():
    return factories.hotel(currency='EUR')


@pytest.fixture
def room(hotel):
    return factories.room_type(hotel, total_rooms=1, base_price=12000, open_days=40)


# ---------------------------------------------------------------- 3. totals Stripe refuses


def test_3_a_free_stay_is_refused_at_hold_time_with_a_422_and_holds_nothing(api: Api, hotel, room):
    factories.rule(hotel, ('fixed', 0))
    check_in, check_out = factories.stay(days_ahead=10, nights=2)
    reply = api.hold(room.id, check_in, check_out, token=factories.token())
    assert (reply.status, reply.code) == (422, 'total_below_minimum'), reply.json
    assert reply.header('Content-Type').startswith('application/problem+json')
    assert (reply.json['minimum'], reply.json['currency'], reply.json['total']) == (50, 'EUR', 0)
    assert list(deps().bookings.scan()) == []


def test_3_a_stay_above_the_largest_card_payment_is_a_422_naming_the_limit(api: Api, hotel):
    suite = factories.room_type(hotel, base_price=5_000_00 * 100, total_rooms=9, open_days=40)  # 500,000.00 a night
    check_in, check_out = factories.stay(days_ahead=10, nights=2)
    reply = api.hold(suite.id, check_in, check_out, token=factories.token())
    assert (reply.status, reply.code) == (422, 'total_above_maximum'), reply.json
    assert reply.json['maximum'] == 99_999_999
    assert '999999.99 EUR' in reply.json['detail']


def test_3_checkout_of_a_hold_stripe_cannot_charge_is_a_422_never_a_502(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token)
    # A hold made before totals were checked at hold time
    factories.overwrite(replace(deps().bookings.get(booking['id']), total_amount=0))
    reply = checkout(api, booking, token)
    assert (reply.status, reply.code) == (422, 'total_below_minimum'), reply.json
    assert stripe_faults.count(f'POST {CREATE}') == 0
    # And if Stripe itself refuses an amount (a currency whose minimum moves with the exchange
    # rate), the client gets the same 422, not a 502
    other = book(api, factories.room_type(factories.hotel(currency='ISK'), base_price=40), factories.token('g2'))
    stripe_faults.refuse('POST', CREATE, 'amount_too_small')
    refused = checkout(api, other, factories.token('g2'))
    assert (refused.status, refused.code) == (422, 'total_below_minimum'), refused.json


# ---------------------------------------------------------------- 4. a late payment for a stay no longer sold


def stripe_down(*args, **kwargs):
    raise errors.PaymentProviderUnavailable()


def expire_with_intent_left_open(api: Api, room, token: str, monkeypatch, **stay) -> tuple[dict, str]:
    """A hold with a PaymentIntent whose sweep found Stripe unreachable: EXPIRED, the intent open."""
    booking = book(api, room, token, **stay)
    pi = checkout(api, booking, token).json['payment_intent_id']
    with monkeypatch.context() as patch:
        patch.setattr(StripeGateway, 'cancel_payment_intent', stripe_down)
        with time_machine.travel(factories.after_expiry(booking), tick=False):
            assert run_sweeper()['payments_left_open'] == 1
    assert deps().bookings.get(booking['id']).status is BookingStatus.EXPIRED
    return booking, pi


def test_4_a_late_payment_for_a_deleted_hotel_is_refunded_in_full_and_acknowledged(
    api: Api, hotel, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking, pi = expire_with_intent_left_open(api, room, token, monkeypatch)
    # Staff delete the room type (the expiry gave its nights back), then the hotel
    admin = factories.token('staff', Role.ADMIN)
    assert api.delete(f'/api/admin/room-types/{room.id}', token=admin).status == 204
    assert api.delete(f'/api/admin/hotels/{hotel.id}', token=admin).status == 204
    # When the guest pays through the client_secret they still hold
    stripe_local.pay(pi)
    reply = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    # Then the event is acknowledged (no 404 for Stripe to retry and drop) and refunded in full
    assert (reply.status, reply.json['outcome']) == (200, 'late_payment_refunded'), reply.json
    [refund] = stripe_local.refunds(pi)
    assert refund['amount'] == booking['total_amount']
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.refund.reason, stored.refund.stripe_refund_id) == (
        BookingStatus.EXPIRED,
        'hotel_no_longer_exists',
        refund['id'],
    )


# ---------------------------------------------------------------- 1. an intent left open, paid, its webhook lost


def test_1_a_payment_intent_left_open_then_paid_with_its_webhook_lost_is_refunded_in_full_within_one_sweep(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking, pi = expire_with_intent_left_open(api, room, token, monkeypatch)
    stored = deps().bookings.get(booking['id'])
    assert stored.followup is not None and stored.followup.work is Work.OPEN_INTENT
    # The room is sold to someone else (the expiry gave it back)
    with time_machine.travel(factories.after_expiry(booking, 30), tick=False):
        book(api, room, factories.token('other'))
    # The guest pays through the client_secret they still hold; the webhook is never processed
    stripe_local.pay(pi)
    # Then the next sweep after the payment refunds it in full
    with time_machine.travel(stored.followup.due_at, tick=False):
        summary = run_sweeper()
    assert summary['late_payments_refunded'] == 1
    [refund] = stripe_local.refunds(pi)
    assert refund['amount'] == booking['total_amount']
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.refund.stripe_refund_id, stored.refund.reason, stored.followup) == (
        BookingStatus.EXPIRED,
        refund['id'],
        'rooms_no_longer_available',
        None,
    )


def test_1_an_intent_left_open_and_never_paid_is_cancelled_by_the_next_sweep(
    api: Api, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking, pi = expire_with_intent_left_open(api, room, token, monkeypatch)
    due = deps().bookings.get(booking['id']).followup.due_at
    with time_machine.travel(due, tick=False):
        assert run_sweeper()['intents_closed'] == 1
    assert stripe_local.intent(pi)['status'] == 'canceled'
    stored = deps().bookings.get(booking['id'])
    assert (stored.payment.status, stored.followup) == ('canceled', None)


# ---------------------------------------------------------------- 2. one processing intent does not switch Stripe off


def test_2_a_processing_payment_does_not_make_the_sweeper_expire_a_booking_paid_in_time(
    api: Api, hotel, stripe_local: StripeTest, monkeypatch, override_settings
):
    override_settings(PENDING_SHARDS=1)  # one partition: the sweeper meets the holds in expiry order
    room = factories.room_type(hotel, total_rooms=1, base_price=12000, open_days=40)
    first, second = factories.token('first'), factories.token('second')
    processing = book(api, room, first, days_ahead=10)
    with time_machine.travel(datetime.fromisoformat(processing['created_at']) + timedelta(seconds=5), tick=False):
        paid = book(api, room, second, days_ahead=20)
    processing_pi = checkout(api, processing, first).json['payment_intent_id']
    paid_pi = checkout(api, paid, second).json['payment_intent_id']
    stripe_local.pay(paid_pi)  # paid in time; its webhook is late
    cancel = StripeGateway.cancel_payment_intent

    def still_processing(gateway: StripeGateway, payment_intent_id: str) -> PaymentIntent:
        # localstripe cannot produce ``processing`` (a bank debit, a slow 3-D Secure issuer)
        if payment_intent_id == processing_pi:
            return replace(gateway.retrieve_payment_intent(payment_intent_id), status='processing')
        return cancel(gateway, payment_intent_id)

    monkeypatch.setattr(StripeGateway, 'cancel_payment_intent', still_processing)
    with time_machine.travel(factories.after_expiry(paid), tick=False):
        summary = run_sweeper()
    assert (summary['payments_left_open'], summary['confirmed'], summary['expired']) == (1, 1, 1)
    # The guest who paid in time keeps the stay; nothing is refunded
    stored = deps().bookings.get(paid['id'])
    assert stored.status is BookingStatus.CONFIRMED
    assert stripe_local.refunds(paid_pi) == []
    assert deps().bookings.get(processing['id']).followup.work is Work.OPEN_INTENT


# ---------------------------------------------------------------- 5. the refund outbox never starves
# (150 refunds failing for good, on ministack: tests/faults/test_refund_outbox.py)


# ---------------------------------------------------------------- 6. leases that cannot double-refund


def test_6_a_refund_that_timed_out_and_a_retry_at_once_make_one_refund_even_where_keys_are_ignored(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    token = factories.token('guest')
    booking = book(api, room, token, days_ahead=20)
    pi = checkout(api, booking, token, auto_confirm=True).json['payment_intent_id']
    # The refund's request times out on our side but is still on its way to Stripe
    stripe_faults.time_out_then_arrive('POST', REFUNDS)
    assert api.post(f'/api/bookings/{booking["id"]}/cancel', token=token).status == 503
    # The client retries at once: the lease is still held, so it makes no refund of its own
    retried = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert (retried.status, retried.json['refund']['status'], retried.json['refund']['stripe_refund_id']) == (
        200,
        'pending',
        None,
    )
    # The first request reaches Stripe now (localstripe ignores the idempotency key: a second
    # create would have made a second refund)
    stripe_faults.deliver_late()
    assert len(stripe_local.refunds(pi)) == 1
    # Once the lease lapsed, the sweeper finds that refund and records it; none is made again
    due = deps().bookings.get(booking['id']).followup.due_at
    with time_machine.travel(due + timedelta(seconds=settings().payment_lease_seconds), tick=False):
        assert run_sweeper()['refunds_settled'] == 1
    [refund] = stripe_local.refunds(pi)
    assert deps().bookings.get(booking['id']).refund.stripe_refund_id == refund['id']
    assert stripe_faults.count(f'POST {REFUNDS}') == 1


def test_6_after_stripe_answered_500_to_creating_the_payment_intent_the_retry_sends_a_fresh_key(
    api: Api, room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    stripe_faults.replays_5xx = True  # as real Stripe: the 500 is stored under the key for a day
    token = factories.token('guest')
    booking = book(api, room, token)
    stripe_faults.fail('POST', CREATE, status=500, times=1)
    assert checkout(api, booking, token).status == 503
    paid = checkout(api, booking, token, auto_confirm=True)
    assert (paid.status, paid.json['status']) == (200, 'CONFIRMED'), paid.json
    creates = [
        key for call, key in zip(stripe_faults.calls, stripe_faults.keys, strict=True) if call == f'POST {CREATE}'
    ]
    first = f'booking-{booking["id"]}-payment-intent'
    assert creates == [first, first, f'{first}-1']  # the SDK's own retry replays; ours does not


# ---------------------------------------------------------------- 7. refunds and disputes made outside the engine


def dashboard_refund(stripe_local: StripeTest, pi: str, amount: int | None = None) -> dict:
    """Staff refund in the Stripe Dashboard: no metadata of ours, no idempotency key of ours."""
    params: dict = {'payment_intent': pi} if amount is None else {'payment_intent': pi, 'amount': amount}
    return stripe_local.client.v1.refunds.create(params=params).to_dict()


def charge_refunded(stripe_local: StripeTest, pi: str) -> dict:
    return stripe_local.event('charge.refunded', {'id': f'ch_{pi}', 'object': 'charge', 'payment_intent': pi})


def test_7_a_full_refund_in_the_dashboard_cancels_the_booking_and_puts_its_room_back_on_sale(
    api: Api, room, stripe_local: StripeTest
):
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = checkout(api, booking, token, auto_confirm=True).json['payment_intent_id']
    dashboard_refund(stripe_local, pi)
    reply = stripe_local.deliver(api, charge_refunded(stripe_local, pi))
    assert (reply.status, reply.json['outcome']) == (200, 'cancelled_refunded_outside'), reply.json
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.refunded_outside) == (BookingStatus.CANCELLED, booking['total_amount'])
    # The one room is on sale again, and the guest's cancel gives nothing back a second time
    book(api, room, factories.token('other'))
    assert api.post(f'/api/bookings/{booking["id"]}/cancel', token=token).status in (200, 409)
    assert len(stripe_local.refunds(pi)) == 1


def test_7_a_cancel_after_a_dashboard_refund_whose_event_was_lost_never_refunds_more_than_the_remainder(
    api: Api, room, stripe_local: StripeTest
):
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = checkout(api, booking, token, auto_confirm=True).json['payment_intent_id']
    dashboard_refund(stripe_local, pi, 5000)  # a goodwill gesture; its event never arrives
    cancelled = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert cancelled.status == 200, cancelled.json
    assert cancelled.json['refund']['amount'] == booking['total_amount'] - 5000
    assert (
        sum(r['amount'] for r in stripe_local.refunds(pi)) == booking['total_amount']
    )  # localstripe would accept more
    assert deps().bookings.get(booking['id']).refunded_outside == 5000


def test_7_a_dispute_is_recorded_shown_to_staff_and_closed(api: Api, room, stripe_local: StripeTest):
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = checkout(api, booking, token, auto_confirm=True).json['payment_intent_id']

    def dispute(event_type: str, status: str) -> dict:
        obj = {
            'id': 'dp_test_1', 'object': 'dispute', 'status': status, 'reason': 'fraudulent',
            'amount': booking['total_amount'], 'currency': 'eur', 'payment_intent': pi, 'created': 1_800_000_000,
        }  # fmt: skip
        return stripe_local.event(event_type, obj)  # localstripe has no disputes

    opened = stripe_local.deliver(api, dispute('charge.dispute.created', 'needs_response'))
    assert (opened.status, opened.json['outcome']) == (200, 'dispute_opened'), opened.json
    admin = factories.token('staff', Role.ADMIN)
    listed = api.get('/api/admin/bookings', query={'from': booking['check_in']}, token=admin).json['items']
    [shown] = [b for b in listed if b['id'] == booking['id']]
    assert (shown['dispute']['status'], shown['dispute']['closed']) == ('needs_response', False)
    closed = stripe_local.deliver(api, dispute('charge.dispute.closed', 'won'))
    assert closed.json['outcome'] == 'dispute_closed'
    late = stripe_local.deliver(api, dispute('charge.dispute.updated', 'under_review'))
    assert late.json['outcome'] == 'no_change'
    assert deps().bookings.get(booking['id']).dispute.status == 'won'
