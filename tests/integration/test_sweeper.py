"""The expiry sweeper's real handler, invoked with an EventBridge scheduled event, against moto
(and localstripe where a PaymentIntent is involved)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from common import wiring
from common.config import settings
from common.domain import BookingStatus
from common.observability import metrics
from functions.expire_sweeper import app as sweeper_app
from local.gateway import LambdaContext
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances, point_stripe_at
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

ROOT = Path(__file__).resolve().parents[2]


def run_sweeper(context: LambdaContext | None = None) -> dict:
    """One scheduled run with the sample event from events/ (as `sam local invoke` would)."""
    event = json.loads((ROOT / 'events' / 'expire_sweeper' / 'schedule.json').read_text())
    return sweeper_app.lambda_handler(event, context or LambdaContext('ExpireSweeperFunction', timeout_seconds=60))


def book(api: Api, room, token: str, days_ahead: int = 10, nights: int = 1) -> dict:
    check_in, check_out = factories.stay(days_ahead=days_ahead, nights=nights)
    reply = api.hold(room.id, check_in, check_out, token=token)
    assert reply.status == 201, reply.json
    return reply.json


def test_a_hold_stays_until_its_expiry_and_is_back_on_sale_right_after(api: Api):
    # Given the last room, held at 14:45 for 15 minutes
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=1)
    start = datetime.now(UTC).replace(hour=14, minute=45, second=0, microsecond=0) + timedelta(days=1)
    with time_machine.travel(start, tick=False):
        booking = book(api, room, factories.token('first'))
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


def test_a_run_stops_before_its_time_is_up_and_the_next_run_continues(api: Api):
    hotel = factories.hotel()
    night = datetime.now(UTC).date() + timedelta(days=5)
    room = factories.room_type(hotel, total_rooms=100, open_from=night, open_days=1)
    due = factories.bulk_bookings(room.id, hotel.id, night, datetime.now(UTC), due=40, later=0, settled=0)
    margin = settings().sweep_safety_margin_seconds
    first = run_sweeper(CountdownContext(margin + 15))
    assert first['complete'] is False
    assert 0 < first['expired'] < 40
    second = run_sweeper()
    assert second['complete'] is True
    assert first['expired'] + second['expired'] == 40
    assert {deps().bookings.get(i).status for i in due} == {BookingStatus.EXPIRED}
    assert_inventory_balances()


def test_a_run_does_at_most_its_batch_and_leaves_the_rest_to_the_next(api: Api, monkeypatch):
    hotel = factories.hotel()
    night = datetime.now(UTC).date() + timedelta(days=5)
    room = factories.room_type(hotel, total_rooms=100, open_from=night, open_days=1)
    factories.bulk_bookings(room.id, hotel.id, night, datetime.now(UTC), due=30, later=0, settled=0)
    monkeypatch.setenv('SWEEP_MAX_BOOKINGS', '12')
    wiring.reset()
    try:
        runs = [run_sweeper() for _ in range(3)]
    finally:
        monkeypatch.delenv('SWEEP_MAX_BOOKINGS')
        wiring.reset()
    assert [r['expired'] for r in runs] == [12, 12, 6]
    assert [r['complete'] for r in runs] == [False, False, True]
    assert_inventory_balances()


# ---------------------------------------------------------------- with Stripe


def test_expiry_cancels_the_payment_intent_at_stripe(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=2)
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        summary = run_sweeper()
    assert summary['expired'] == 1
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.payment.status) == (BookingStatus.EXPIRED, 'canceled')
    assert stripe_local.intent(pi)['status'] == 'canceled'
    again = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token)
    assert (again.status, again.code) == (409, 'hold_expired')
    assert_inventory_balances()


def test_a_payment_that_landed_before_the_sweep_confirms_instead_of_expiring(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=2)
    token = factories.token('guest')
    booking = book(api, room, token)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    stripe_local.pay(pi)  # the webhook has not arrived yet
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        summary = run_sweeper()
    assert (summary['expired'], summary['confirmed']) == (0, 1)
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED
    assert_inventory_balances()


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


def test_a_late_payment_is_confirmed_when_the_rooms_are_still_free(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=1)
    token = factories.token('guest')
    booking = book(api, room, token, nights=2)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    _expire_while_stripe_is_down(api, stripe_local, booking)
    # When the guest pays after all
    stripe_local.pay(pi)
    reply = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    # Then every night is held again and the booking is CONFIRMED
    assert reply.json['outcome'] == 'late_payment_confirmed'
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.payment.status, stored.refund) == (BookingStatus.CONFIRMED, 'succeeded', None)
    nights = deps().inventory.nights(room.id, stored.check_in, stored.check_out, consistent=True)
    assert [n.available for n in nights] == [0, 0]
    assert_inventory_balances()


def test_a_late_payment_is_refunded_in_full_when_the_rooms_were_sold(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=1)
    token = factories.token('guest')
    booking = book(api, room, token, nights=2)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    _expire_while_stripe_is_down(api, stripe_local, booking)
    # Given someone else booked the room's first night meanwhile
    other = book(api, room, factories.token('other'), nights=1)
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


def test_a_refund_nobody_retried_is_finished_by_the_sweeper_once(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=2)
    token = factories.token('guest')
    booking = book(api, room, token, days_ahead=20)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': True}, token=token).json[
        'payment_intent_id'
    ]
    # Given a cancellation whose refund failed at Stripe, and a client that never retries
    point_stripe_at('http://127.0.0.1:9', stripe_local.key, stripe_local.webhook_secret)
    try:
        assert api.post(f'/api/bookings/{booking["id"]}/cancel', token=token).status == 503
    finally:
        point_stripe_at(stripe_local.url, stripe_local.key, stripe_local.webhook_secret)
    assert deps().bookings.get(booking['id']).refund.status == 'pending'
    # When the sweeper runs right away, it leaves the refund to the client's own retry
    assert run_sweeper()['refunds_settled'] == 0
    assert stripe_local.refunds(pi) == []
    # When it runs once the grace period has passed
    later = datetime.now(UTC) + timedelta(seconds=settings().refund_retry_after_seconds + 1)
    with time_machine.travel(later, tick=False):
        first = run_sweeper()
        second = run_sweeper()
    # Then the refund is made once and recorded, and nothing is left to do
    assert (first['refunds_settled'], second['refunds_settled']) == (1, 0)
    stored = deps().bookings.get(booking['id'])
    assert (stored.refund.status, stored.refund.amount) == ('succeeded', booking['total_amount'])
    assert [r['id'] for r in stripe_local.refunds(pi)] == [stored.refund.stripe_refund_id]
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


def test_a_late_payment_after_the_stay_began_is_refunded_even_with_free_rooms(api: Api, stripe_local: StripeTest):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=3)
    token = factories.token('guest')
    booking = book(api, room, token, days_ahead=2)
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    _expire_while_stripe_is_down(api, stripe_local, booking)
    stripe_local.pay(pi)
    event = stripe_local.event_for(pi, 'payment_intent.succeeded')
    check_in_at = hotel.check_in_instant(date.fromisoformat(booking['check_in']))
    with time_machine.travel(check_in_at + timedelta(hours=1), tick=False):
        reply = stripe_local.deliver(api, event)
    assert reply.json['outcome'] == 'late_payment_refunded'
    stored = deps().bookings.get(booking['id'])
    assert (stored.status, stored.refund.reason, stored.refund.status) == (
        BookingStatus.EXPIRED,
        'stay_already_started',
        'succeeded',
    )
    assert [r['amount'] for r in stripe_local.refunds(pi)] == [booking['total_amount']]
    assert_inventory_balances()
