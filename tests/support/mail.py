"""Email in tests: the messages SES (moto) took, parsed back with the standard library, and the
integration events a booking's writes publish (the publisher's own derivation from the stream).
"""

from __future__ import annotations

import email
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries import standard

from common import integration_events
from common.domain import EVENT_SOURCE
from common.tables import BookingItem
from tests.support.faults import _Raw

SENDER = 'bookings@hotel-booking.example'


@dataclass
class Mail:
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str
    attachments: dict[str, bytes]  # filename -> content
    content_types: dict[str, str]  # filename -> content type with its method
    headers: dict[str, str] = field(default_factory=dict)


def parse(raw: bytes | str) -> Mail:
    message = email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(('plain',))
    html = message.get_body(('html',))
    attachments, types = {}, {}
    for part in message.iter_attachments():
        name = part.get_filename()
        assert name, 'every attachment has a file name'
        attachments[name] = part.get_payload(decode=True)
        types[name] = f'{part.get_content_type()}; method={part.get_param("method")}'
    return Mail(
        sender=str(message['From']),
        to=[address for _, address in getaddresses([str(message['To'])])],
        subject=str(message['Subject']),
        text=text.get_content() if text else '',
        html=html.get_content() if html else '',
        attachments=attachments,
        content_types=types,
        headers={k: str(v) for k, v in message.items()},
    )


def moto_outbox() -> list[Mail]:
    """Every message moto's SES took (SendEmail with raw content), oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [parse(m.raw_data) for m in ses_backends[DEFAULT_ACCOUNT_ID]['us-east-1'].sent_messages]


def to(address: str, outbox: list[Mail] | None = None) -> list[Mail]:
    return [m for m in (moto_outbox() if outbox is None else outbox) if address in m.to]


# ---------------------------------------------------------------- integration events


def image(booking_id: str) -> dict[str, Any]:
    """The booking's item as a stream record carries it (DynamoDB JSON)."""
    return BookingItem.get(*BookingItem.key(booking_id), consistent_read=True).serialize()


def bus_events(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What the publisher puts on the bus for the write that turned ``before`` into ``after``,
    as EventBridge hands it to a rule's target."""
    record = {'dynamodb': {'NewImage': after, **({'OldImage': before} if before else {})}}
    return [
        {
            'version': '0',
            'id': str(uuid.uuid4()),
            'detail-type': event.detail_type,
            'source': EVENT_SOURCE,
            'account': '123456789012',
            'time': datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ'),
            'region': 'us-east-1',
            'resources': [],
            'detail': event.detail,
        }
        for event in integration_events.events_for(record)
    ]


class Watched:
    """The events of a booking's successive writes: ``watch.step()`` after each write."""

    def __init__(self, booking_id: str) -> None:
        self.booking_id = booking_id
        self.last = image(booking_id)
        self.events = bus_events(None, self.last)

    def step(self) -> list[dict[str, Any]]:
        now = image(self.booking_id)
        found = bus_events(self.last, now)
        self.last = now
        self.events += found
        return found

    def of(self, detail_type: str) -> dict[str, Any]:
        [found] = [e for e in self.events if e['detail-type'] == detail_type]
        return found


# ---------------------------------------------------------------- SES faults


def ses_error(code: str, status: int, message: str = 'injected') -> AWSResponse:
    """SES v2 (REST-JSON) answering an error, as the service does."""
    body = f'{{"message": "{message}"}}'.encode()
    headers = {'x-amzn-ErrorType': f'{code}:http://internal.amazon.com/', 'Content-Type': 'application/json'}
    return AWSResponse('https://email.us-east-1.amazonaws.com/v2/email/outbound-emails', status, headers, _Raw(body))


@dataclass
class SesFaults:
    answers: list[Callable[[], AWSResponse]] = field(default_factory=list)  # the next SendEmail calls
    always: Callable[[], AWSResponse] | None = None
    sends: int = 0  # SendEmail calls the client made (retries included)
    backoff: list[float] = field(default_factory=list)
    answered: dict[int, Any] = field(default_factory=dict)

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        self.sends += 1
        answer = self.answers.pop(0) if self.answers else self.always
        if answer is None:
            return None
        self.answered[id(request)] = request
        return answer()


@pytest.fixture
def ses_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], SesFaults]]:
    """``ses_faults(client)``: answer that SES client's SendEmail calls with chosen errors; botocore's
    own retries run for real, their back-off recorded instead of slept."""
    from moto.core.botocore_stubber import BotocoreStubber

    faults = SesFaults()
    original_delay = standard.ExponentialBackoff.delay_amount

    def recorded_delay(self: standard.ExponentialBackoff, context: Any) -> float:
        faults.backoff.append(original_delay(self, context))
        return 0.0

    monkeypatch.setattr(standard.ExponentialBackoff, 'delay_amount', recorded_delay)
    moto_call = BotocoreStubber.__call__

    def moto_unless_answered(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        if faults.answered.get(id(request)) is request:
            return None
        return moto_call(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, '__call__', moto_unless_answered)

    def hook(client: Any) -> SesFaults:
        client.meta.events.register_first('before-send.sesv2.SendEmail', faults.before_send)
        return faults

    yield hook
