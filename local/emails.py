"""Every email the notifier sends, rendered from sample data: to read them, and for the examples
in docs/notifications.md (a test checks the document shows what the templates render).

    python -m local.emails                 # the text of each email
    python -m local.emails --html out/     # also out/<kind>.html and the .ics files
    python -m local.emails --markdown      # the examples section of docs/notifications.md

The sample is the demo hotel of `make run` (local/seed.py) and a stay in March 2027 that crosses
Lisbon's change to summer time, booked by Ada.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import domain, integration_events
from common.domain import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    NightPrice,
    Payment,
    Penalty,
    Refund,
    RefundStatus,
    Role,
    User,
)
from common.notifications.compose import ComposeSettings, Facts, Message, compose
from common.notifications.events import BookingEventDetail, RefundDetail
from common.notifications.mime import RenderedEmail
from local import seed

BOOKING_ID = '6f1c2a9b-3d4e-4f50-8a61-7b2c3d4e5f60'
CONFIRMED_AT = datetime(2027, 3, 1, 10, 4, 11, tzinfo=UTC)
SETTINGS = ComposeSettings(
    sender_email='bookings@hotel-booking.example',
    web_base_url='https://book.harbour-view-lisbon.example',
    policy=CancellationPolicy(48, Penalty('first_night')),
)


def sample_facts() -> Facts:
    hotel = next(h for h in seed.HOTELS if h.id == 'lisbon-harbour')
    room_type = next(r for r in seed.ROOM_TYPES if r.id == 'lisbon-deluxe-king')
    check_in = date(2027, 3, 26)
    prices = (21600, 21600, 18000)  # Friday and Saturday +20 %
    booking = Booking(
        id=BOOKING_ID,
        user_id='u-ada',
        hotel_id=hotel.id,
        room_type_id=room_type.id,
        check_in=check_in,
        check_out=check_in + timedelta(days=3),
        guests=2,
        rooms=1,
        currency='EUR',
        total_amount=sum(prices),
        nightly=tuple(NightPrice(check_in + timedelta(days=i), p) for i, p in enumerate(prices)),
        status=BookingStatus.CONFIRMED,
        hold_expires_at=CONFIRMED_AT + timedelta(minutes=11),
        created_at=CONFIRMED_AT - timedelta(minutes=4),
        updated_at=CONFIRMED_AT,
        payment=Payment('pi_3QxHotelBooking0001', 'succeeded', sum(prices), 'EUR'),
        version=3,
    )
    guest = User('u-ada', 'ada@example.com', 'Ada Lovelace', Role.GUEST, 'unused', CONFIRMED_AT)
    return Facts(booking, hotel, room_type, guest)


def detail(facts: Facts, detail_type: str, **changes: object) -> BookingEventDetail:
    booking = facts.booking
    fields: dict[str, object] = {
        'event_id': f'{booking.id}:{booking.version}:{detail_type}',
        'schema_version': integration_events.SCHEMA_VERSION,
        'booking_id': booking.id,
        'user_id': booking.user_id,
        'hotel_id': booking.hotel_id,
        'room_type_id': booking.room_type_id,
        'check_in': booking.check_in,
        'check_out': booking.check_out,
        'rooms': booking.rooms,
        'guests': booking.guests,
        'currency': booking.currency,
        'total_amount': booking.total_amount,
        'status': booking.status.value,
        'previous_status': 'PENDING',
        'version': booking.version,
        'occurred_at': CONFIRMED_AT,
        'hold_expires_at': booking.hold_expires_at,
        'refund': None,
        **changes,
    }
    return BookingEventDetail.model_validate(fields)


@dataclass(frozen=True)
class Example:
    event: str
    when: str
    message: Message
    email: RenderedEmail


def examples(locale: str = 'en_GB') -> list[Example]:
    from common.notifications.rendering import Renderer

    renderer = Renderer(locale)
    facts = sample_facts()
    cancelled_at = datetime(2027, 3, 25, 9, 30, tzinfo=UTC)  # inside the 48 hours: the first night is kept
    refund = RefundDetail(amount=39600, penalty=21600, currency='EUR', status='pending', reason='cancelled_by_guest')
    cancelled = replace(
        facts,
        booking=replace(
            facts.booking,
            status=BookingStatus.CANCELLED,
            version=4,
            refund=Refund(39600, 21600, 'EUR', RefundStatus.PENDING, reason='cancelled_by_guest'),
        ),
    )
    expired = replace(facts, booking=replace(facts.booking, status=BookingStatus.EXPIRED, payment=None, version=2))
    cases = [
        (
            domain.BOOKING_CONFIRMED,
            'payment succeeded (webhook or auto_confirm)',
            facts,
            detail(facts, 'BookingConfirmed'),
        ),
        (
            domain.BOOKING_CANCELLED,
            'a CONFIRMED booking cancelled (here 30 hours before check-in: the first night is kept)',
            cancelled,
            detail(
                cancelled,
                'BookingCancelled',
                status='CANCELLED',
                previous_status='CONFIRMED',
                version=4,
                occurred_at=cancelled_at,
                refund=refund,
            ),
        ),
        (
            domain.REFUND_ISSUED,
            'the refund created at Stripe (a cancellation, a late or stray payment)',
            cancelled,
            detail(
                cancelled,
                'RefundIssued',
                status='CANCELLED',
                previous_status='CANCELLED',
                version=5,
                occurred_at=cancelled_at + timedelta(seconds=2),
                refund=refund.model_copy(update={'status': 'succeeded', 'stripe_refund_id': 're_3QxHotelBooking0001'}),
            ),
        ),
        (
            domain.BOOKING_EXPIRED,
            'an unpaid hold expired (sweeper)',
            expired,
            detail(expired, 'BookingExpired', status='EXPIRED', version=2, occurred_at=CONFIRMED_AT),
        ),
    ]
    found = []
    for event, when, case_facts, case_detail in cases:
        for message in compose(event, case_detail, case_facts, SETTINGS):
            found.append(Example(event, when, message, renderer.render(message)))
    return found


def markdown(found: list[Example]) -> str:
    lines = []
    for example in found:
        message, email = example.message, example.email
        to = 'the hotel (`notification_email`)' if message.recipient.role == 'hotel' else 'the guest'
        attached = ', '.join(f'`{a.filename}`' for a in email.attachments) or 'none'
        lines += [
            f'### `{message.kind.value}`: {example.event} to {to}',
            '',
            f'When: {example.when}. Attachments: {attached}.',
            '',
            '```text',
            f'Subject: {email.subject}',
            '',
            email.text.rstrip('\n'),
            '```',
            '',
        ]
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m local.emails', description=__doc__.split('\n\n')[0])
    parser.add_argument('--html', type=Path, help='write <kind>.html and the .ics attachments here')
    parser.add_argument('--markdown', action='store_true', help="print docs/notifications.md's examples")
    parser.add_argument('--locale', default='en_GB')
    args = parser.parse_args(argv)
    found = examples(args.locale)
    if args.markdown:
        print(markdown(found), end='')
        return 0
    for example in found:
        print(f'==== {example.message.kind.value} -> {example.message.recipient.role}')
        print(f'Subject: {example.email.subject}\n')
        print(example.email.text)
        if args.html:
            args.html.mkdir(parents=True, exist_ok=True)
            (args.html / f'{example.message.kind.value}.html').write_text(example.email.html)
            for attachment in example.email.attachments:
                (args.html / f'{example.message.kind.value}-{attachment.filename}').write_bytes(attachment.data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
