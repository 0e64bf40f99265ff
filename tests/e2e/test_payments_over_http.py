"""Payments and expiry on the local stack (`make run`'s process) over real HTTP: localstripe
delivers its own signed webhooks to the gateway, the sweeper runs on its local schedule."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import LocalStack, start_stack, stop_local_stack, wait_for
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.e2e


def signed_in(base: str) -> requests.Session:
    session = requests.Session()
    email = f'{factories.unique("guest")}@example.com'
    body = {'email': email, 'password': 'a long password', 'name': 'Guest'}
    assert session.post(f'{base}/auth/register', json=body, timeout=10).status_code == 201
    tokens = session.post(f'{base}/auth/login', json={'email': email, 'password': body['password']}, timeout=10)
    session.headers['Authorization'] = f'Bearer {tokens.json()["access"]}'
    session.guest_email = email  # type: ignore[attr-defined]
    return session


def first_result(session: requests.Session, base: str, check_in: str, check_out: str) -> dict:
    found = session.get(
        f'{base}/rooms/search',
        params={
            'check_in': check_in,
            'check_out': check_out,
            'guests': 1,
            'city': 'Lisbon',
            'include_sold_out': 'true',
        },
        timeout=10,
    )
    assert found.status_code == 200, found.text
    return found.json()['results'][0]


def hold(session: requests.Session, base: str, room_type_id: str, check_in: str, check_out: str) -> dict:
    """POST /api/bookings for one room over HTTP; the booking it answers."""
    body = {'room_type_id': room_type_id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    reply = session.post(f'{base}/bookings', json=body, timeout=10)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_payment_confirmed_at_stripe_confirms_the_booking_through_the_webhook(local_stack: LocalStack):
    base = f'{local_stack.url}/api'
    session = signed_in(base)
    check_in, check_out = factories.stay(days_ahead=30, nights=2)
    choice = first_result(session, base, check_in, check_out)
    booking = hold(session, base, choice['room_type_id'], check_in, check_out)
    checkout = session.post(f'{base}/bookings/{booking["id"]}/checkout', json={}, timeout=15)
    assert checkout.status_code == 200, checkout.text
    assert checkout.json()['status'] == 'PENDING'
    # When the guest's browser confirms the PaymentIntent at "Stripe" with the test card
    stripe = StripeTest(local_stack.stripe_url)
    assert stripe.pay(checkout.json()['payment_intent_id'])['status'] == 'succeeded'
    # Then localstripe's signed webhook confirms the booking within seconds
    confirmed = wait_for(
        lambda: (
            (b := session.get(f'{base}/bookings/{booking["id"]}', timeout=10).json())['status'] == 'CONFIRMED' and b
        ),
        15,
        'CONFIRMED',
    )
    assert confirmed['payment']['status'] == 'succeeded'
    # And cancelling well ahead refunds it in full at Stripe
    cancelled = session.post(f'{base}/bookings/{booking["id"]}/cancel', timeout=15).json()
    assert (cancelled['status'], cancelled['refund']['amount']) == ('CANCELLED', booking['total_amount'])
    assert [r['amount'] for r in stripe.refunds(checkout.json()['payment_intent_id'])] == [booking['total_amount']]


def test_auto_confirm_answers_with_the_booking_confirmed(local_stack: LocalStack):
    base = f'{local_stack.url}/api'
    session = signed_in(base)
    check_in, check_out = factories.stay(days_ahead=31, nights=1)
    choice = first_result(session, base, check_in, check_out)
    booking = hold(session, base, choice['room_type_id'], check_in, check_out)
    paid = session.post(f'{base}/bookings/{booking["id"]}/checkout', json={'auto_confirm': True}, timeout=15)
    assert paid.status_code == 200, paid.text
    assert paid.json()['status'] == 'CONFIRMED'
    time.sleep(1.5)  # localstripe delivers its webhook a second later: it must change nothing
    assert session.get(f'{base}/bookings/{booking["id"]}', timeout=10).json()['status'] == 'CONFIRMED'
    assert 'Traceback' not in local_stack.log()


@pytest.fixture
def short_holds(tmp_path: Path) -> Iterator[LocalStack]:
    stack = start_stack(tmp_path, hold_seconds=5, sweep_every=2)
    try:
        yield stack
    finally:
        stop_local_stack(stack)


def test_an_unpaid_booking_expires_and_its_rooms_go_back_on_sale(short_holds: LocalStack):
    base = f'{short_holds.url}/api'
    session = signed_in(base)
    check_in, check_out = factories.stay(days_ahead=40, nights=2)
    before = first_result(session, base, check_in, check_out)
    booking = hold(session, base, before['room_type_id'], check_in, check_out)
    assert booking['status'] == 'PENDING'
    # search reads the availability view, which follows the stream within seconds (docs/search-view.md)
    wait_for(
        lambda: first_result(session, base, check_in, check_out)['available_rooms'] == before['available_rooms'] - 1,
        15,
        'the hold shown by search',
    )
    # Then once the hold ends it reads EXPIRED, and the next sweep puts the room back on sale
    # (locally: 5 s holds, a sweep every 2 s; emulated: 30 s holds, the template's rate(1 minute))
    wait_for(
        lambda: session.get(f'{base}/bookings/{booking["id"]}', timeout=10).json()['status'] == 'EXPIRED',
        short_holds.hold_seconds + 15,
        'EXPIRED',
    )
    wait_for(
        lambda: first_result(session, base, check_in, check_out)['available_rooms'] == before['available_rooms'],
        2 * short_holds.sweep_every + 15,
        'rooms back on sale (the sweeper released the hold)',
    )
    if short_holds.kind == 'local':
        assert 'sweeper: ' in short_holds.log()
    # and the guest is told: the hold expired, nothing was charged (the sweeper's write -> the stream
    # -> the bus -> the notifier)
    [expired] = short_holds.wait_for_mail(session.guest_email, 1)
    assert expired['subject'] == 'Your hold at Harbour View Lisbon has expired: nothing was charged'
    assert 'Nothing was charged.' in expired['text'] and expired['attachments'] == []
