"""Cancelling with real Stripe refunds (localstripe) through the bookings handler, against moto."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from common.domain import BookingStatus
from common.repos import BookingRepository
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances, point_stripe_at
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

FIRST_NIGHT = 15000
OTHER_NIGHTS = 12000


class SimulatedCrash(BaseException):
    """The Lambda dies (timeout, OOM): no ``except Exception`` or ``finally`` of ours sees it."""


@pytest.fixture
def hotel():
    return factories.hotel(timezone='America/New_York', check_in_hour=15, currency='USD')


@pytest.fixture
def room(hotel):
    return factories.room_type(hotel, total_rooms=4, base_price=OTHER_NIGHTS)


def paid_booking(api: Api, hotel, room, token: str, *, days_ahead: int = 10, nights: int = 3, rooms: int = 2) -> dict:
    """A CONFIRMED booking whose first night costs more than the others (a price rule)."""
    check_in, check_out = factories.stay(days_ahead=days_ahead, nights=nights)
    first = date.fromisoformat(check_in)
    factories.rule(hotel, ('fixed', FIRST_NIGHT), room_type_id=room.id, start_date=first, end_date=first)
    booked = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': rooms, 'rooms': rooms},
        token=token,
    )
    assert booked.status == 201, booked.json
    paid = api.post(f'/api/bookings/{booked.json["id"]}/checkout', {'auto_confirm': True}, token=token)
    assert paid.json['status'] == 'CONFIRMED', paid.json
    return {**booked.json, 'payment_intent_id': paid.json['payment_intent_id']}


def check_in_instant(hotel, booking: dict) -> datetime:
    return hotel.check_in_instant(date.fromisoformat(booking['check_in']))


def available(room, booking: dict) -> list[int]:
    nights = deps().inventory.nights(
        room.id, date.fromisoformat(booking['check_in']), date.fromisoformat(booking['check_out']), consistent=True
    )
    return [n.available for n in nights]


def test_cancelling_48_hours_ahead_refunds_everything_at_stripe(api: Api, hotel, room, stripe_local: StripeTest):
    token = factories.token()
    booking = paid_booking(api, hotel, room, token)
    total = (FIRST_NIGHT + 2 * OTHER_NIGHTS) * 2
    assert booking['total_amount'] == total
    assert available(room, booking) == [2, 2, 2]
    quoted = api.get(f'/api/bookings/{booking["id"]}/refund-quote', token=token).json
    assert (quoted['amount'], quoted['penalty'], quoted['policy']) == (total, 0, 'full_refund')
    reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert reply.status == 200, reply.json
    assert reply.json['status'] == 'CANCELLED'
    refund = reply.json['refund']
    assert (refund['amount'], refund['penalty'], refund['currency'], refund['status']) == (total, 0, 'USD', 'succeeded')
    at_stripe = stripe_local.refunds(booking['payment_intent_id'])
    assert [(r['id'], r['amount']) for r in at_stripe] == [(refund['stripe_refund_id'], total)]
    assert available(room, booking) == [4, 4, 4]
    assert_inventory_balances()


def test_cancelling_inside_48_hours_keeps_exactly_the_first_night_per_room(
    api: Api, hotel, room, stripe_local: StripeTest
):
    token = factories.token('guest')
    booking = paid_booking(api, hotel, room, token)
    total = booking['total_amount']
    # When the guest cancels 47 hours before check-in (New York time, 15:00)
    with time_machine.travel(check_in_instant(hotel, booking) - timedelta(hours=47), tick=False):
        token = factories.token('guest')
        quoted = api.get(f'/api/bookings/{booking["id"]}/refund-quote', token=token).json
        reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then the penalty is the first night for each of the 2 rooms, and the rest is refunded
    assert (quoted['penalty'], quoted['amount'], quoted['policy']) == (
        2 * FIRST_NIGHT,
        total - 2 * FIRST_NIGHT,
        'late_cancellation',
    )
    assert datetime.fromisoformat(quoted['deadline']) == check_in_instant(hotel, booking) - timedelta(hours=48)
    assert reply.status == 200, reply.json
    assert (reply.json['refund']['penalty'], reply.json['refund']['amount']) == (quoted['penalty'], quoted['amount'])
    assert [r['amount'] for r in stripe_local.refunds(booking['payment_intent_id'])] == [total - 2 * FIRST_NIGHT]
    assert_inventory_balances()


def test_cancelling_after_the_check_in_instant_is_refused(api: Api, hotel, room, stripe_local: StripeTest):
    token = factories.token('guest')
    booking = paid_booking(api, hotel, room, token, days_ahead=3)
    with time_machine.travel(check_in_instant(hotel, booking) + timedelta(minutes=1), tick=False):
        token = factories.token('guest')
        quoted = api.get(f'/api/bookings/{booking["id"]}/refund-quote', token=token)
        reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert (quoted.status, quoted.code) == (409, 'too_late_to_cancel')
    assert (reply.status, reply.code) == (409, 'too_late_to_cancel')
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED
    assert stripe_local.refunds(booking['payment_intent_id']) == []


def test_cancelling_twice_refunds_once(api: Api, hotel, room, stripe_local: StripeTest):
    token = factories.token()
    booking = paid_booking(api, hotel, room, token)
    first = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    again = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert first.status == again.status == 200
    assert first.json == again.json
    assert len(stripe_local.refunds(booking['payment_intent_id'])) == 1
    assert available(room, booking) == [4, 4, 4]


def test_stripe_failing_during_the_refund_then_a_retry_completes_it_once(
    api: Api, hotel, room, stripe_local: StripeTest
):
    token = factories.token()
    booking = paid_booking(api, hotel, room, token)
    # Given Stripe cannot be reached
    point_stripe_at('http://127.0.0.1:9', stripe_local.key, stripe_local.webhook_secret)
    failed = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then the client is told to retry; the cancellation itself is decided and the rooms are back
    assert (failed.status, failed.code) == (503, 'payment_provider_unavailable')
    assert failed.header('Retry-After')
    stored = deps().bookings.get(booking['id'])
    assert stored.status is BookingStatus.CANCELLED
    assert (stored.refund.status, stored.refund.stripe_refund_id) == ('pending', None)
    assert api.get(f'/api/bookings/{booking["id"]}', token=token).json['refund']['status'] == 'pending'
    assert available(room, booking) == [4, 4, 4]
    # When Stripe is back and the client retries
    point_stripe_at(stripe_local.url, stripe_local.key, stripe_local.webhook_secret)
    retried = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then the refund is made, once
    assert retried.status == 200, retried.json
    assert retried.json['refund']['status'] == 'succeeded'
    assert len(stripe_local.refunds(booking['payment_intent_id'])) == 1
    assert_inventory_balances()


def test_a_crash_between_stripe_and_the_database_is_finished_by_a_retry_without_a_second_refund(
    api: Api, hotel, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token('guest')
    booking = paid_booking(api, hotel, room, token)
    # Given the Lambda dies right after Stripe made the refund, before it is recorded
    with monkeypatch.context() as patch:

        def die(*args, **kwargs):
            raise SimulatedCrash()

        patch.setattr(BookingRepository, 'record_refund', die)
        with pytest.raises(SimulatedCrash):
            api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert len(stripe_local.refunds(booking['payment_intent_id'])) == 1
    # When the client retries at once, the dead attempt still holds the lease: nothing is doubled
    early = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert early.status == 200
    assert early.json['refund']['status'] == 'pending'
    assert len(stripe_local.refunds(booking['payment_intent_id'])) == 1
    # When it retries after the lease lapsed
    with time_machine.travel(datetime.now().astimezone() + timedelta(seconds=61), tick=False):
        late = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then the refund Stripe already made is found and recorded, not made again
    assert late.json['refund']['status'] == 'succeeded'
    refunds = stripe_local.refunds(booking['payment_intent_id'])
    assert [r['id'] for r in refunds] == [late.json['refund']['stripe_refund_id']]
    assert_inventory_balances()


def test_a_refund_event_finishes_a_refund_whose_recording_was_interrupted(
    api: Api, hotel, room, stripe_local: StripeTest, monkeypatch
):
    token = factories.token()
    booking = paid_booking(api, hotel, room, token)
    with monkeypatch.context() as patch:
        patch.setattr(BookingRepository, 'record_refund', lambda *a, **k: (_ for _ in ()).throw(SimulatedCrash()))
        with pytest.raises(SimulatedCrash):
            api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    [made] = stripe_local.refunds(booking['payment_intent_id'])
    # When Stripe's refund.created event arrives after the lease lapsed
    with time_machine.travel(datetime.now().astimezone() + timedelta(seconds=61), tick=False):
        reply = stripe_local.deliver(api, stripe_local.event('refund.created', stripe_local.refund(made['id'])))
    assert reply.status == 200, reply.json
    assert reply.json['outcome'] == 'recorded'
    stored = deps().bookings.get(booking['id'])
    assert (stored.refund.stripe_refund_id, stored.refund.status) == (made['id'], 'succeeded')
    assert len(stripe_local.refunds(booking['payment_intent_id'])) == 1


def test_refund_events_in_any_order_record_stripes_current_status(api: Api, hotel, room, stripe_local: StripeTest):
    token = factories.token()
    booking = paid_booking(api, hotel, room, token)
    cancelled = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token).json
    refund = stripe_local.refund(cancelled['refund']['stripe_refund_id'])
    # An older snapshot arriving last (status pending) must not move the record backwards: the
    # handler reads the refund from Stripe instead of trusting the event's copy.
    stale = {**refund, 'status': 'pending'}
    charge = stripe_local.client.v1.charges.retrieve(refund['charge']).to_dict()
    assert charge['payment_intent'] == booking['payment_intent_id'] and charge['refunded'] is True
    for event in (
        stripe_local.event('refund.updated', refund),
        stripe_local.event('charge.refunded', charge),
        stripe_local.event('refund.created', stale),
    ):
        reply = stripe_local.deliver(api, event)
        assert reply.status == 200, reply.json
        assert reply.json['outcome'] == 'no_change'
    assert deps().bookings.get(booking['id']).refund.status == 'succeeded'


def test_cancelling_a_pending_booking_cancels_its_payment_intent(api: Api, hotel, room, stripe_local: StripeTest):
    token = factories.token()
    check_in, check_out = factories.stay(days_ahead=8, nights=2)
    booking = api.hold(room.id, check_in, check_out, token=token).json
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    quoted = api.get(f'/api/bookings/{booking["id"]}/refund-quote', token=token).json
    assert (quoted['amount'], quoted['penalty'], quoted['policy']) == (0, 0, 'no_charge')
    reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert reply.status == 200, reply.json
    assert (reply.json['status'], reply.json['refund'], reply.json['payment']['status']) == (
        'CANCELLED',
        None,
        'canceled',
    )
    assert stripe_local.intent(pi)['status'] == 'canceled'
    assert available(room, booking) == [4, 4]
    assert_inventory_balances()


def test_cancelling_a_pending_booking_already_paid_at_stripe_confirms_it_instead(
    api: Api, hotel, room, stripe_local: StripeTest
):
    # Given the guest paid at Stripe, and the webhook has not arrived yet
    token = factories.token()
    check_in, check_out = factories.stay(days_ahead=8, nights=1)
    booking = api.hold(room.id, check_in, check_out, token=token).json
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    stripe_local.pay(pi)
    # When the guest cancels: Stripe refuses to cancel a succeeded payment
    reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then the payment wins: the booking is CONFIRMED and the guest is told so
    assert (reply.status, reply.code) == (409, 'already_paid')
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED
    assert_inventory_balances()


def test_cancelling_an_expired_hold_expires_it_like_the_sweeper(api: Api, hotel, room, stripe_local: StripeTest):
    token = factories.token('guest')
    check_in, check_out = factories.stay(days_ahead=8, nights=2)
    booking = api.hold(room.id, check_in, check_out, token=token).json
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=factories.token('guest'))
    assert (reply.status, reply.code) == (409, 'hold_expired')
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.payment.status) == (BookingStatus.EXPIRED, 'canceled')
    assert stripe_local.intent(pi)['status'] == 'canceled'
    assert available(room, booking) == [4, 4]
    assert_inventory_balances()
