"""One integration event in; each of its emails sent once per recipient.

EventBridge delivers at least once and Lambda retries a failed invocation, so an event may
arrive several times, even twice at once. Each (event, recipient) email is claimed with a
conditional write before it is handed to SES (``NotifierStore.claim``) and marked ``sent`` after:
a second delivery finds it sent and skips it, one arriving meanwhile finds it claimed and fails
(its retry finds it sent). The one gap is a crash between SES taking the message and the ``sent``
mark: the claim's lease lapses and the retry sends it again (docs/notifications.md).

SES refusing a message for good (``EmailRejected``) is recorded and reported, never retried;
anything else SES answers (``EmailDeferred``, after the client's own bounded retries) releases the
claim and is raised: Lambda retries the event, then parks it in the dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from common.domain import Booking, Hotel, RoomType, User
from common.masking import mask_email
from common.notification_store import Claim
from common.notifications import mime
from common.notifications.compose import ComposeSettings, Facts, Message, Party, compose
from common.notifications.events import BusEvent
from common.notifications.mime import RenderedEmail
from common.ses_gateway import EmailRejected


class NotifierStore(Protocol):
    def booking(self, booking_id: str) -> Booking | None: ...
    def hotel(self, hotel_id: str) -> Hotel | None: ...
    def room_type(self, room_type_id: str) -> RoomType | None: ...
    def user(self, user_id: str) -> User | None: ...
    def claim(
        self,
        event_id: str,
        recipient_key: str,
        *,
        kind: str,
        booking_id: str,
        now: datetime,
        lease_seconds: int,
        ttl_seconds: int,
    ) -> Claim: ...
    def finish(self, event_id: str, recipient_key: str, *, sent: bool, detail: str) -> None: ...
    def release(self, event_id: str, recipient_key: str) -> None: ...


class Mailer(Protocol):
    def send(self, sender: str, recipient: str, raw: bytes) -> str: ...


class Renderer(Protocol):
    def render(self, message: Message) -> RenderedEmail: ...


@dataclass(frozen=True)
class NotifierSettings:
    compose: ComposeSettings
    lease_seconds: int  # a claim's holder is presumed dead after this (longer than the Lambda timeout)
    ttl_seconds: int  # records outlive every retry and a redrive from the DLQ


class EmailInProgress(Exception):
    """Another delivery of the same event is sending this email now: retry later (it will be sent)."""


@dataclass
class Report:
    event_id: str | None = None
    detail_type: str | None = None
    sent: list[str] = field(default_factory=list)  # kinds
    duplicates: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    skipped: str | None = None  # why nothing was sent

    def as_dict(self) -> dict[str, Any]:
        return {
            'event_id': self.event_id,
            'detail_type': self.detail_type,
            'sent': self.sent,
            'duplicates': self.duplicates,
            'rejected': self.rejected,
            'skipped': self.skipped,
        }


class Log(Protocol):
    """Where the service reports (powertools' Logger in the function)."""

    def info(self, msg: str, *args: Any, **keys: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **keys: Any) -> None: ...


class _Silent:
    def info(self, msg: str, *args: Any, **keys: Any) -> None:
        pass

    warning = info


SILENT = _Silent()


def notify(
    raw_event: dict[str, Any],
    *,
    store: NotifierStore,
    mailer: Mailer,
    renderer: Renderer,
    settings: NotifierSettings,
    now: datetime,
    log: Log = SILENT,
) -> Report:
    event = BusEvent.model_validate(raw_event)
    report = Report(detail_type=event.detail_type)
    if not event.handled:
        report.skipped = 'not a booking event the notifier handles'
        return report
    detail = event.booking_detail()
    report.event_id = detail.event_id
    facts = _facts(store, detail.booking_id, detail.hotel_id, detail.room_type_id, detail.user_id)
    if facts is None:
        report.skipped = 'booking or hotel not found'
        log.warning('notification skipped: booking or hotel not found', booking_id=detail.booking_id)
        return report
    messages = compose(event.detail_type, detail, facts, settings.compose)
    # Rendered before anything is claimed or sent: a template that fails sends nothing.
    emails = [(m, renderer.render(m)) for m in messages]
    busy = []
    for message, email in emails:
        key = message.recipient.key
        claim = store.claim(
            detail.event_id,
            key,
            kind=message.kind.value,
            booking_id=detail.booking_id,
            now=now,
            lease_seconds=settings.lease_seconds,
            ttl_seconds=settings.ttl_seconds,
        )
        if claim in (Claim.SENT, Claim.REJECTED):
            report.duplicates.append(message.kind.value)
            continue
        if claim is Claim.IN_PROGRESS:
            busy.append(message.kind.value)
            continue
        sender = Party(settings.compose.sender_email, message.sender_name)
        raw = mime.build(sender, message.recipient, email, reply_to=message.reply_to)
        try:
            message_id = mailer.send(sender.address, mime.ascii_address(message.recipient.address), raw)
        except EmailRejected as refused:
            store.finish(detail.event_id, key, sent=False, detail=refused.code)
            report.rejected.append(message.kind.value)
            log.warning(
                'email rejected by SES',
                kind=message.kind.value,
                booking_id=detail.booking_id,
                recipient=mask_email(message.recipient.address),
                code=refused.code,
            )
            continue
        except Exception:
            store.release(detail.event_id, key)
            raise
        store.finish(detail.event_id, key, sent=True, detail=message_id)
        report.sent.append(message.kind.value)
        log.info(
            'email sent',
            kind=message.kind.value,
            booking_id=detail.booking_id,
            recipient=mask_email(message.recipient.address),
            message_id=message_id,
        )
    if busy:
        raise EmailInProgress(f'another delivery is sending {", ".join(busy)} of {detail.event_id}')
    return report


def _facts(store: NotifierStore, booking_id: str, hotel_id: str, room_type_id: str, user_id: str) -> Facts | None:
    booking, hotel = store.booking(booking_id), store.hotel(hotel_id)
    if booking is None or hotel is None:
        return None
    return Facts(booking, hotel, store.room_type(room_type_id), store.user(user_id))
