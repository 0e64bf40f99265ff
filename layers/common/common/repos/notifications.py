"""The notifier's record of emails sent: one ``NotificationItem`` per (integration event,
recipient). A conditional claim before sending makes each email go out once however often
EventBridge delivers the event (services/notifications.py)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError
from pynamodb.expressions.update import Action

from common.ports import EmailClaim
from common.repos._dynamo import Table, with_retries
from common.tables import NotificationItem
from common.timeutil import iso


class NotificationRecords:
    def __init__(self, table: Table) -> None:
        self._table = table

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
    ) -> EmailClaim:
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
        if self._table.save_if(item, condition):
            return EmailClaim.CLAIMED
        seen = self._table.get(NotificationItem, (pk, sk), 'Notification', consistent=True)
        return {'sent': EmailClaim.SENT, 'rejected': EmailClaim.REJECTED}.get(seen.state, EmailClaim.IN_PROGRESS)

    def finish(self, event_id: str, recipient_key: str, *, sent: bool, detail: str) -> None:
        """``sent`` with SES's message id, or ``rejected`` with SES's error code."""
        item = NotificationItem(*NotificationItem.key(event_id, recipient_key))
        actions: list[Action] = [NotificationItem.state.set('sent' if sent else 'rejected')]
        actions.append(NotificationItem.message_id.set(detail) if sent else NotificationItem.outcome.set(detail))
        with_retries(lambda: item.update(actions=actions))

    def release(self, event_id: str, recipient_key: str) -> None:
        """Forget a claim whose email was not sent, so the retry sends it at once."""
        item = NotificationItem(*NotificationItem.key(event_id, recipient_key))
        with contextlib.suppress(DeleteError):  # best effort: the lease lapses anyway
            item.delete(condition=NotificationItem.state == 'sending')
