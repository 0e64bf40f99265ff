"""Emails over the whole local stack (`make run`'s process): a booking paid with auto_confirm goes
from the table's stream through the publisher, the bus and the template's EventBridge rule to the
notifier, which sends through ministack's SES; /_local/mailbox shows what arrived."""

from __future__ import annotations

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import LocalStack

pytestmark = pytest.mark.e2e

SEEDED_DESK = 'reservations@harbour-view-lisbon.example'  # local/seed.py's Lisbon hotel
NAME = '<img src=x onerror=alert(1)> Ada'


def guest(base: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    email = f'{factories.unique("guest")}@example.com'
    body = {'email': email, 'password': 'a long password', 'name': NAME}
    assert session.post(f'{base}/auth/register', json=body, timeout=10).status_code == 201
    tokens = session.post(f'{base}/auth/login', json={'email': email, 'password': body['password']}, timeout=10)
    session.headers['Authorization'] = f'Bearer {tokens.json()["access"]}'
    return session, email


def test_a_paid_booking_emails_the_guest_an_invitation_and_the_hotel_and_a_cancellation_its_refund(
    local_stack: LocalStack,
):
    base = f'{local_stack.url}/api'
    session, email = guest(base)
    check_in, check_out = factories.stay(days_ahead=45, nights=2)
    hold = {'room_type_id': 'lisbon-standard-double', 'check_in': check_in, 'check_out': check_out, 'guests': 2}
    booking = session.post(f'{base}/bookings', json=hold, timeout=10).json()
    # When the guest pays (auto_confirm: the test card, server-side)
    paid = session.post(f'{base}/bookings/{booking["id"]}/checkout', json={'auto_confirm': True}, timeout=15)
    assert paid.json()['status'] == 'CONFIRMED', paid.text
    # Then within seconds the guest has the confirmation with its invitation
    [confirmation] = local_stack.wait_for_mail(email, 1)
    assert confirmation['subject'].startswith('Booking confirmed: Harbour View Lisbon')
    assert confirmation['attachments'] == ['invite.ics']
    assert booking['id'] in confirmation['text'] and f'€{booking["total_amount"] / 100:,.2f}' in confirmation['text']
    # whose name, typed with markup, arrives escaped in the HTML
    assert '<img' not in confirmation['html'] and '&lt;img src=x onerror=alert(1)&gt; Ada' in confirmation['html']
    # and the hotel has its notice
    notices = local_stack.wait_for_mail(SEEDED_DESK, 1, about=booking['id'])
    assert len(notices) == 1 and notices[0]['subject'].startswith('New booking: Standard Double x 1')
    # When the guest cancels (well ahead: a full refund)
    cancelled = session.post(f'{base}/bookings/{booking["id"]}/cancel', timeout=15).json()
    refund = cancelled['refund']['amount']
    assert refund == booking['total_amount']
    # Then the cancellation (with the calendar cancel) and the refund email arrive, nothing twice
    mails = local_stack.wait_for_mail(email, 3)
    subjects = [m['subject'] for m in mails]
    assert len(mails) == 3 and len(set(subjects)) == 3, subjects
    [cancellation] = [m for m in mails if m['subject'].startswith('Booking cancelled')]
    assert f'Refund       €{refund / 100:,.2f}' in cancellation['text']
    assert cancellation['attachments'] == ['cancellation.ics']
    [refunded] = [m for m in mails if m['subject'].startswith('Refund of')]
    assert f'€{refund / 100:,.2f}' in refunded['subject'] and 'You cancelled this booking.' in refunded['text']
    hotel = local_stack.wait_for_mail(SEEDED_DESK, 2, about=booking['id'])
    assert sorted(m['subject'].split(':')[0] for m in hotel) == ['Cancelled', 'New booking']


def test_the_mailbox_is_local_only_and_filters_by_address(local_stack: LocalStack):
    if local_stack.kind != 'local':
        pytest.skip("the mailbox route is the local gateway's")
    nobody = requests.get(f'{local_stack.url}/_local/mailbox', params={'to': 'nobody@example.com'}, timeout=10)
    assert (nobody.status_code, nobody.json()) == (200, {'messages': []})
    assert requests.post(f'{local_stack.url}/_local/mailbox', timeout=10).status_code == 405
    # and the emails link to the guest site this stack serves (web/)
    page = requests.get(f'{local_stack.url}/bookings/some-id', timeout=10)
    assert page.status_code == 200 and 'text/html' in page.headers['Content-Type']
