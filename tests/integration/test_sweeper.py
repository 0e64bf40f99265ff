"""The expiry sweeper's real handler, invoked with an EventBridge scheduled event, against moto
(and localstripe where a PaymentIntent is involved)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from common.domain import BookingStatus
from common.observability import metrics
from local.gateway import LambdaContext
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances, point_stripe_at
from tests.support.journeys import book, run_sweeper
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

ROOT = Path(__file__).resolve().parents[2]


def test_a_hold_stays_until_its_expiry_and_is_back_on_sale_right_after(api: Api):
    # Given the last room, held at 14:45 for 15 minutes
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=1)
    start = datetime.now(UTC).replace(hour=14, minute=45, second=0, microsecond=0) + timedelta(days=1)
    with time_machine.travel(start, tick=False):
        booking = book(api, room, factories.token('first'), days_ahead=10, nights=1)
    assert booking['hold_expires_at'].startswith(f'{start.date().isoformat()}T15:00:00')
    # When the sweeper runs at 14:59, the hold stays
    with time_machine.travel(start.replace(minute=59), tick=False):
        early = run_sweeper()
        assert api.get(f'/api/bookings/{booking["id"]}', token=factories.token('first')).json['status'] == 'PENDING'
    assert early['expired'] == 0
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    # When it runs at 15:01, the hold expires and the room can be booked again at once
    with time_machine.travel(start.replace(hour=15, minute=1), tick=False):
        late = run_sweeper()
        again = api.post(
            '/api/bookings',
            {'room_type_id': room.id, 'check_in': booking['check_in'], 'check_out': booking['check_out'], 'guests': 1},
            token=factories.token('second'),
        )
    assert late['expired'] == 1
    assert deps().bookings.get(booking['id']).status is BookingStatus.EXPIRED
    assert again.status == 201, again.json
    assert_inventory_balances()


class CountdownContext(LambdaContext):
    """A Lambda context whose remaining time drops by one second each time it is asked."""

    def __init__(self, seconds: float) -> None:
        super().__init__('ExpireSweeperFunction', timeout_seconds=seconds)
        self.left = seconds

    def get_remaining_time_in_millis(self) -> int:
        self.left -= 1
        return int(self.left * 1000)


# ---------------------------------------------------------------- with Stripe


def _expire_while_stripe_is_down(api: Api, stripe_local: StripeTest, booking: dict) -> dict:
    """The sweep happens while Stripe is unreachable: the hold is released anyway (rooms must not
    stay off sale), so its PaymentIntent stays open and can still be paid: a late payment."""
    point_stripe_at('http://127.0.0.1:9', stripe_local.key, stripe_local.webhook_secret)
    try:
        with time_machine.travel(factories.after_expiry(booking), tick=False):
            summary = run_sweeper()
    finally:
        point_stripe_at(stripe_local.url, stripe_local.key, stripe_local.webhook_secret)
    assert (summary['expired'], summary['payments_left_open']) == (1, 1)
    assert deps().bookings.get(booking['id']).status is BookingStatus.EXPIRED
    return summary


def test_a_late_payment_is_refunded_in_full_when_the_rooms_were_sold(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=1)
    token = factories.token('guest')
    booking = book(api, room, token, days_ahead=10, nights=2)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    _expire_while_stripe_is_down(api, stripe_local, booking)
    # Given someone else booked the room's first night meanwhile
    other = book(api, room, factories.token('other'), days_ahead=10, nights=1)
    assert other['check_in'] == booking['check_in']
    # When the first guest pays after all
    stripe_local.pay(pi)
    reply = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    # Then the whole amount goes back at Stripe, and the booking says why
    assert reply.json['outcome'] == 'late_payment_refunded'
    stored = deps().bookings.get(booking['id'])
    assert stored.status is BookingStatus.EXPIRED
    assert stored.refund.amount == booking['total_amount']
    assert (stored.refund.penalty, stored.refund.status, stored.refund.reason) == (
        0,
        'succeeded',
        'rooms_no_longer_available',
    )
    [refund] = stripe_local.refunds(pi)
    assert (refund['id'], refund['amount']) == (stored.refund.stripe_refund_id, booking['total_amount'])
    shown = api.get(f'/api/bookings/{booking["id"]}', token=token).json
    assert shown['refund']['reason'] == 'rooms_no_longer_available'
    # And the same event again changes nothing and refunds nothing more
    again = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    assert again.json['outcome'] == 'duplicate'
    assert len(stripe_local.refunds(pi)) == 1
    assert_inventory_balances()


def emitted_metrics(output: str) -> list[dict]:
    """The CloudWatch EMF documents powertools printed (one per flush)."""
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_a_run_publishes_what_it_did_as_metrics(api: Api, monkeypatch, capsys):
    hotel = factories.hotel()
    night = datetime.now(UTC).date() + timedelta(days=5)
    room = factories.room_type(hotel, total_rooms=10, open_from=night, open_days=1)
    factories.bulk_bookings(room.id, hotel.id, night, datetime.now(UTC), due=3, later=1, settled=0)
    monkeypatch.setenv('POWERTOOLS_METRICS_DISABLED', 'false')
    metrics.clear_metrics()  # disabled metrics are never flushed, so never cleared
    capsys.readouterr()
    run_sweeper()
    [document] = emitted_metrics(capsys.readouterr().out)
    assert document['BookingExpired'] == [3.0]
    assert document['SweepFailures'] == [0.0]
    assert document['service'] == 'test'
