"""One integration event in; each of its emails sent once per recipient.

EventBridge delivers at least once and Lambda retries a failed invocation, so an event may
arrive several times, even twice at once. Each (event, recipient) email is claimed with a
conditional write before it is handed to SES (``deps.notifications.claim``) and marked ``sent`` after:
a second delivery finds it sent and skips it, one arriving meanwhile finds it claimed and fails
(its retry finds it sent). The one gap is a crash between SES taking the message and the ``sent``
mark: the claim's lease lapses and the retry sends it again (docs/notifications.md).

SES refusing a message for good (``EmailRejected``) is recorded and reported, never retried;
anything else SES answers (``EmailDeferred``, after the client's own bounded retries) releases the
claim and is raised: Lambda retries the event, then parks it in the dead-letter queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from common import errors
from common.masking import mask_email
from common.notifications import mime
from common.notifications.compose import ComposeSettings, Facts, Message, Party, compose
from common.notifications.events import BusEvent
from common.notifications.mime import RenderedEmail
from common.ports import EmailClaim, EmailRejected
from common.services.deps import Deps
from common.services.outcomes import NotificationReport

T = TypeVar('T')


class Renderer(Protocol):
    """Text, HTML and calendar parts of an email (``rendering.Renderer``: Jinja2 and Babel, in the
    notifier's artifact only)."""

    def render(self, message: Message) -> RenderedEmail: ...


def compose_settings(deps: Deps) -> ComposeSettings:
    current = deps.settings
    return ComposeSettings(
        sender_email=current.sender_email,
        web_base_url=current.web_base_url,
        policy=current.cancellation_policy,
    )


class EmailInProgress(Exception):
    """Another delivery of the same event is sending this email now: retry later (it will be sent)."""


class Log(Protocol):
    """Where the service reports (powertools' Logger in the function)."""

    def info(self, msg: str, *args: Any, **keys: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **keys: Any) -> None: ...


class _Silent:
    def info(self, msg: str, *args: Any, **keys: Any) -> None:
        pass

    warning = info


SILENT = _Silent()


def notify(deps: Deps, raw_event: dict[str, Any], renderer: Renderer, *, log: Log = SILENT) -> NotificationReport:
    """Send the emails of one bus event, each once per recipient (see the module docstring)."""
    event = BusEvent.model_validate(raw_event)
    report = NotificationReport(detail_type=event.detail_type)
    if not event.handled:
        report.skipped = 'not a booking event the notifier handles'
        return report
    detail = event.booking_detail()
    report.event_id = detail.event_id
    facts = _facts(deps, detail.booking_id, detail.hotel_id, detail.room_type_id, detail.user_id)
    if facts is None:
        report.skipped = 'booking or hotel not found'
        log.warning('notification skipped: booking or hotel not found', booking_id=detail.booking_id)
        return report
    settings, now = compose_settings(deps), deps.clock()
    messages = compose(event.detail_type, detail, facts, settings)
    # Rendered before anything is claimed or sent: a template that fails sends nothing.
    emails = [(m, renderer.render(m)) for m in messages]
    busy = []
    for message, email in emails:
        key = message.recipient.key
        claim = deps.notifications.claim(
            detail.event_id,
            key,
            kind=message.kind.value,
            booking_id=detail.booking_id,
            now=now,
            # a claim's holder is presumed dead after the lease (longer than the Lambda timeout);
            # records outlive every retry and a redrive from the DLQ
            lease_seconds=deps.settings.notification_lease_seconds,
            ttl_seconds=deps.settings.notification_ttl_seconds,
        )
        if claim in (EmailClaim.SENT, EmailClaim.REJECTED):
            report.duplicates.append(message.kind.value)
            continue
        if claim is EmailClaim.IN_PROGRESS:
            busy.append(message.kind.value)
            continue
        sender = Party(settings.sender_email, message.sender_name)
        raw = mime.build(sender, message.recipient, email, reply_to=message.reply_to)
        try:
            message_id = deps.mailer.send(sender.address, mime.ascii_address(message.recipient.address), raw)
        except EmailRejected as refused:
            deps.notifications.finish(detail.event_id, key, sent=False, detail=refused.code)
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
            deps.notifications.release(detail.event_id, key)
            raise
        deps.notifications.finish(detail.event_id, key, sent=True, detail=message_id)
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


def _found(read: Callable[[], T]) -> T | None:
    with contextlib.suppress(errors.NotFound):
        return read()
    return None


def _facts(deps: Deps, booking_id: str, hotel_id: str, room_type_id: str, user_id: str) -> Facts | None:
    """What the table says now (the booking strongly consistent: the event's write is there)."""
    booking = _found(lambda: deps.bookings.get(booking_id, consistent=True))
    hotel = _found(lambda: deps.catalog.get_hotel(hotel_id))
    if booking is None or hotel is None:
        return None
    room_type = _found(lambda: deps.catalog.get_room_type(room_type_id))
    return Facts(booking, hotel, room_type, _found(lambda: deps.accounts.get_user(user_id)))
