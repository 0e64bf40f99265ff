"""Payment bookkeeping beside the bookings: Stripe events already processed (dedupe).

(The work owed on a booking, refunds to make and PaymentIntents left open, is on the booking
itself, in the sparse ``outbox`` index: see ``BookingRepository.due_followups``.)"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from common import errors
from common.ports import EventClaim
from common.repos._dynamo import Table, with_retries
from common.tables import StripeEventItem
from common.timeutil import iso


class PaymentRecords:
    def __init__(self, table: Table) -> None:
        self._table = table

    # ------------------------------------------------------------ Stripe events (dedupe)

    def claim_event(
        self, event_id: str, event_type: str, now: datetime, lease_seconds: int, ttl_seconds: int
    ) -> EventClaim:
        """Claim a Stripe event for processing: ``claimed``, or ``done`` (a duplicate), or
        ``in_progress`` (another delivery holds it). A claim whose holder died lapses after the lease."""
        key = StripeEventItem.key(event_id)
        item = StripeEventItem(
            *key,
            event_type=event_type,
            state='processing',
            lease_until=iso(now + timedelta(seconds=lease_seconds)),
            received_at=iso(now),
            ttl=int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        )
        condition = StripeEventItem.pk.does_not_exist() | (
            (StripeEventItem.state == 'processing') & (StripeEventItem.lease_until < iso(now))
        )
        if self._table.save_if(item, condition):
            return EventClaim.CLAIMED
        seen = self._table.get(StripeEventItem, key, 'Event', consistent=True)
        return EventClaim.DONE if seen.state == 'done' else EventClaim.IN_PROGRESS

    def finish_event(self, event_id: str, outcome: str) -> None:
        item = StripeEventItem(*StripeEventItem.key(event_id))
        with_retries(
            lambda: item.update(actions=[StripeEventItem.state.set('done'), StripeEventItem.outcome.set(outcome)])
        )

    def release_event(self, event_id: str) -> None:
        """Forget a claim after a failure, so Stripe's retry processes the event again at once."""
        item = StripeEventItem(*StripeEventItem.key(event_id))
        with contextlib.suppress(errors.DomainError, PynamoDBException):  # best effort: the lease lapses anyway
            self._table.delete_if(item, StripeEventItem.state == 'processing')
