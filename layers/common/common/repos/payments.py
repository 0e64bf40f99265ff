"""Payment bookkeeping beside the bookings: Stripe events already processed (dedupe), and the
outbox of refunds owed that the sweeper finishes when nobody retried."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from common import errors
from common.ports import EventClaim
from common.repos._dynamo import Table, with_retries
from common.tables import RefundDueItem, StripeEventItem
from common.timeutil import iso


class PaymentRecords:
    """``shards``: how many partitions the refunds-owed outbox is spread over (PENDING_SHARDS)."""

    def __init__(self, table: Table, shards: int) -> None:
        self._table = table
        self._shards = shards

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

    # ------------------------------------------------------------ refunds owed (outbox)

    def _shard(self, booking_id: str) -> int:
        digest = hashlib.blake2b(booking_id.encode(), digest_size=2).digest()
        return int.from_bytes(digest, 'big') % self._shards

    def note_refund_due(self, booking_id: str, due_at: datetime) -> None:
        """Note that ``booking_id`` may owe a refund; written BEFORE the booking records it, so a
        crash in between leaves at most a note about nothing (dropped when checked)."""
        item = RefundDueItem(
            *RefundDueItem.key(self._shard(booking_id), booking_id), booking_id=booking_id, due_at=iso(due_at)
        )
        with_retries(lambda: item.save())

    def refunds_due(self, now: datetime, limit: int) -> Iterator[str]:
        """Booking ids whose check is due, up to ``limit`` per shard, shard by shard. The
        partitions only ever hold refunds still owed, so each Query reads a handful of items."""
        for shard in range(self._shards):
            query = RefundDueItem.query(
                RefundDueItem.partition(shard),
                filter_condition=RefundDueItem.due_at <= iso(now),
                limit=limit,
                consistent_read=True,
            )
            yield from (i.booking_id for i in self._table.read(query))

    def clear_refund_due(self, booking_id: str) -> None:
        item = RefundDueItem(*RefundDueItem.key(self._shard(booking_id), booking_id))
        with_retries(lambda: item.delete())
