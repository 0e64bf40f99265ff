"""Cancelling with real Stripe refunds (localstripe) through the bookings handler, against moto."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from common.repos import BookingRepository
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
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
