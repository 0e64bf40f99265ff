"""The bus -> notifier path of `make run` on a real ministack: the template's EventBridge rule
routes a booking event to the notifier; a failing event is retried as Lambda retries an
asynchronous invocation, then parked in the dead-letter queue; once fixed, it is sent once."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from common.domain import BookingStatus, Payment, Principal, Role
from common.services import accounts, bookings
from functions.notifier import app
from local import background, mailbox
from tests.support import factories
from tests.support.deps import deps
from tests.support.mail import Watched

pytestmark = pytest.mark.ministack


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f'{what} did not happen within {seconds:.0f}s')
        time.sleep(0.2)
    return found


def test_a_failing_event_is_retried_then_dead_lettered_and_sent_once_when_fixed(on_ministack, override_settings):
    endpoint = on_ministack
    sender = f'{factories.unique("sender")}@hotel-booking.example'  # not verified yet: SES refuses every send
    bus = factories.unique('bus')
    override_settings(SES_ENDPOINT_URL=endpoint, SENDER_EMAIL=sender, EVENT_BUS_NAME=bus)
    app.deps.cache_clear()
    stop = threading.Event()
    _, dead_letters = background.start_notifier(endpoint, bus, stop, retry_after=1)
    sqs = boto3.client('sqs', endpoint_url=endpoint)
    bridge = boto3.client('events', endpoint_url=endpoint)
    try:
        # Given a guest's confirmed booking
        hotel = factories.hotel()
        deps().catalog.update_hotel(hotel.id, {'notification_email': None})
        room_type = factories.room_type(hotel)
        email = f'{factories.unique("guest")}@example.com'
        user = accounts.register(deps(), email, 'correct horse battery', 'Ada', datetime.now(UTC))
        start = datetime.now(UTC).date() + timedelta(days=20)
        request = bookings.HoldRequest(room_type.id, start, start + timedelta(days=2), 1, 1)
        held = bookings.hold(deps(), Principal(user.id, Role.GUEST), request, datetime.now(UTC))
        watch = Watched(held.id)
        paid = Payment('pi_local', 'succeeded', held.total_amount, held.currency)
        deps().bookings.transition(
            held, [BookingStatus.PENDING], BookingStatus.CONFIRMED, datetime.now(UTC), payment=paid
        )
        watch.step()
        event = watch.of('BookingConfirmed')
        entry = {
            'Source': event['source'],
            'DetailType': event['detail-type'],
            'Detail': json.dumps(event['detail']),
            'EventBusName': bus,
        }
        # When its BookingConfirmed is put on the bus while SES refuses the sender
        assert bridge.put_events(Entries=[entry])['FailedEntryCount'] == 0
        # Then after 3 attempts (Lambda's first try and its 2 retries) it waits in the dead-letter queue
        parked = wait_for(
            lambda: sqs.receive_message(QueueUrl=dead_letters, AttributeNames=['All']).get('Messages'),
            30,
            'the event in the dead-letter queue',
        )
        assert json.loads(parked[0]['Body'])['detail']['event_id'] == event['detail']['event_id']
        assert int(parked[0]['Attributes']['ApproximateReceiveCount']) >= background.notifier_attempts()
        assert mailbox.messages(endpoint, email) == []
        # When the sender is verified and the event redriven (twice: a redrive may repeat)
        boto3.client('sesv2', endpoint_url=endpoint).create_email_identity(EmailIdentity=sender)
        for _ in range(2):
            assert bridge.put_events(Entries=[entry])['FailedEntryCount'] == 0
        # Then the guest gets the confirmation, once
        [sent] = wait_for(lambda: mailbox.messages(endpoint, email), 20, 'the confirmation')
        assert sent['subject'].startswith('Booking confirmed') and sent['attachments'] == ['invite.ics']
        time.sleep(2)
        assert len(mailbox.messages(endpoint, email)) == 1
    finally:
        stop.set()
        app.deps.cache_clear()
