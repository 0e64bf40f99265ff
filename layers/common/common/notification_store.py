"""What the notifier reads (booking, hotel, room type, guest) and its record of emails sent, in
the single table. The record is one ``NotificationItem`` per (event, recipient): a conditional
claim before sending makes each email go out once however often EventBridge delivers the event.
"""

from __future__ import annotations

import contextlib
import enum
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError

from common import errors, repos
from common.domain import Booking, Hotel, RoomType, User
from common.tables import NotificationItem
from common.timeutil import iso


class Claim(enum.StrEnum):
    CLAIMED = 'claimed'  # ours to send
    SENT = 'sent'  # sent before: a duplicate delivery
    REJECTED = 'rejected'  # SES refused it for good before: never again
    IN_PROGRESS = 'in_progress'  # another delivery is sending it right now


class DynamoNotifierStore:
    def booking(self, booking_id: str) -> Booking | None:
        with contextlib.suppress(errors.NotFound):
            return repos.get_booking(booking_id)  # a consistent read: the event's write is there
        return None

    def hotel(self, hotel_id: str) -> Hotel | None:
        with contextlib.suppress(errors.NotFound):
            return repos.get_hotel(hotel_id)
        return None

    def room_type(self, room_type_id: str) -> RoomType | None:
        with contextlib.suppress(errors.NotFound):
            return repos.get_room_type(room_type_id)
        return None

    def user(self, user_id: str) -> User | None:
        with contextlib.suppress(errors.NotFound):
            return repos.get_user(user_id)
        return None

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
    ) -> Claim:
        """Claim one email: new, or a claim whose holder died (its lease lapsed) is taken over."""
        pk, sk = NotificationItem.key(event_id, recipient_key)
        item = NotificationItem(
            pk,
            sk,
            kind=kind,
            booking_id=booking_id,
            state='sending',
            lease_until=iso(now + timedelta(seconds=lease_seconds)),
            ttl=int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        )
        condition = NotificationItem.pk.does_not_exist() | (
            (NotificationItem.state == 'sending') & (NotificationItem.lease_until < iso(now))
        )
        try:
            repos._with_retries(lambda: item.save(condition=condition))
        except PutError as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
            seen = NotificationItem.get(pk, sk, consistent_read=True)
            return {'sent': Claim.SENT, 'rejected': Claim.REJECTED}.get(seen.state, Claim.IN_PROGRESS)
        return Claim.CLAIMED

    def finish(self, event_id: str, recipient_key: str, *, sent: bool, detail: str) -> None:
        """``sent`` with SES's message id, or ``rejected`` with SES's error code."""
        item = NotificationItem(*NotificationItem.key(event_id, recipient_key))
        actions = [NotificationItem.state.set('sent' if sent else 'rejected')]
        actions.append(NotificationItem.message_id.set(detail) if sent else NotificationItem.outcome.set(detail))
        repos._with_retries(lambda: item.update(actions=actions))

    def release(self, event_id: str, recipient_key: str) -> None:
        """Forget a claim whose email was not sent, so the retry sends it at once."""
        item = NotificationItem(*NotificationItem.key(event_id, recipient_key))
        with contextlib.suppress(DeleteError):  # best effort: the lease lapses anyway
            item.delete(condition=NotificationItem.state == 'sending')
