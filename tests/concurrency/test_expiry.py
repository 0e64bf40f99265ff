"""The expiry sweeper at scale and in races, against the ministack DynamoDB server (and
localstripe). moto copies the whole table for every transaction, so 500 transactions among 5,000
items are minutes there; ministack answers them as a DynamoDB would."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import stripe
import time_machine

from common.config import settings
from common.domain import BookingStatus
from local import sweeper
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.stripe import StripeTest

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def test_the_sweepers_database_calls_grow_with_the_due_holds_not_the_table(monkeypatch):
    # Given 500 expired holds among 5,000 bookings (2,000 holds not due yet, 2,500 settled)
    hotel = factories.hotel()
    night = datetime.now(UTC).date() + timedelta(days=5)
    room = factories.room_type(hotel, total_rooms=5000, open_from=night, open_days=1)
    due = factories.bulk_bookings(room.id, hotel.id, night, datetime.now(UTC), due=500, later=2000, settled=2500)
    before = deps().inventory.nights(room.id, night, night + timedelta(days=1), consistent=True)[0].available
    # When the sweeper runs
    with count_calls(monkeypatch) as calls:
        summary = sweeper.invoke()
    # Then it expired exactly the 500 with one transaction each and a few index pages: no Scan
    assert summary['expired'] == 500 and summary['complete'] is True, summary
    page, shards = settings().sweep_page_size, settings().pending_shards
    assert calls['Scan'] == 0
    assert calls['TransactWriteItems'] == 500
    # (one Query per shard and page of due holds, then one per shard of each kind of work owed in
    # the outbox: refunds, PaymentIntents left open)
    assert calls['Query'] <= shards * (math.ceil(500 / page) + 1) + 2 * shards
    assert calls.total == calls['TransactWriteItems'] + calls['Query'], calls.calls
    assert {deps().bookings.get(i).status for i in due[::25]} == {BookingStatus.EXPIRED}
    after = deps().inventory.nights(room.id, night, night + timedelta(days=1), consistent=True)[0].available
    assert after == before + 500
    assert_inventory_balances()
    # And a run with nothing due costs one empty Query per shard of each index partition set
    with count_calls(monkeypatch) as calls:
        assert sweeper.invoke()['expired'] == 0
    assert calls.calls == {'Query': 3 * shards}


def test_two_sweepers_at_once_expire_each_hold_once():
    hotel = factories.hotel()
    night = datetime.now(UTC).date() + timedelta(days=5)
    room = factories.room_type(hotel, total_rooms=200, open_from=night, open_days=1)
    due = factories.bulk_bookings(room.id, hotel.id, night, datetime.now(UTC), due=60, later=10, settled=0)
    barrier = threading.Barrier(2, timeout=30)

    def sweep(_: int) -> dict:
        barrier.wait()
        return sweeper.invoke()

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(sweep, range(2)))
    assert sum(r['expired'] for r in runs) == 60, runs
    assert all(r['complete'] for r in runs)
    assert {deps().bookings.get(i).status for i in due} == {BookingStatus.EXPIRED}
    # 10 holds not due keep their rooms: 200 - 10 available, whatever the interleaving
    assert deps().inventory.nights(room.id, night, night + timedelta(days=1), consistent=True)[0].available == 190
    assert_inventory_balances()


def test_a_sweep_racing_payments_never_keeps_money_for_an_expired_booking(api: Api, stripe_local: StripeTest):
    # Given 8 holds with a PaymentIntent each, expired a few minutes ago
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=8)
    booked = []
    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=20), tick=False):
        for i in range(8):
            token = factories.token(f'guest-{i}')
            check_in, check_out = factories.stay(days_ahead=10, nights=2)
            body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
            booking = api.post('/api/bookings', body, token=token).json
            pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
            booked.append((booking, pi))
    barrier = threading.Barrier(9, timeout=30)

    def pay(i: int) -> str:
        _, pi = booked[i]
        barrier.wait()
        time.sleep(0.08 * i)  # spread the payments over the sweep: some land before it, some after
        try:
            stripe_local.pay(pi)
        except stripe.InvalidRequestError:
            return 'refused'  # the sweeper cancelled it first
        return str(stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded')).json)

    def sweep() -> dict:
        barrier.wait()
        return sweeper.invoke()

    # When the guests pay while the sweeper runs
    with ThreadPoolExecutor(max_workers=9) as pool:
        sweeping = pool.submit(sweep)
        paying = [pool.submit(pay, i) for i in range(8)]
        sweeping.result()
        [p.result() for p in paying]
    # Then each booking is CONFIRMED with its rooms, or EXPIRED with no money kept
    outcomes = set()
    for booking, pi in booked:
        stored = deps().bookings.get(booking['id'])
        intent = stripe_local.intent(pi)
        refunded = sum(r['amount'] for r in stripe_local.refunds(pi)) if intent['status'] == 'succeeded' else 0
        if stored.status is BookingStatus.CONFIRMED:
            assert (intent['status'], refunded) == ('succeeded', 0)
        else:
            assert stored.status is BookingStatus.EXPIRED
            assert intent['status'] == 'canceled' or refunded == intent['amount'], (intent['status'], refunded)
        outcomes.add(stored.status)
    assert_inventory_balances()
