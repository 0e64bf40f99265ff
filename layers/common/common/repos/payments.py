"""Payment bookkeeping beside the bookings: Stripe events already processed (dedupe), and the
progress of the daily reconciliation pass (one item, only ever moved forward).

(The work owed on a booking, refunds to make and PaymentIntents left open, is on the booking
itself, in the sparse ``outbox`` index: see ``BookingRepository.due_followups``.)"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from common import errors
from common.ports import EventClaim, ReconcileProgress
from common.repos._dynamo import Table, with_retries
from common.tables import ReconcilePassItem, StripeEventItem
from common.timeutil import iso, parse_date, parse_instant


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

    # ------------------------------------------------------------ the daily reconciliation pass

    def reconcile_progress(self) -> ReconcileProgress | None:
        try:
            item = self._table.get(ReconcilePassItem, ReconcilePassItem.key(), 'Progress', consistent=True)
        except errors.NotFound:
            return None  # no pass yet
        return ReconcileProgress(
            day=parse_date(item.day),
            run_at=parse_instant(item.run_at),
            cursor=item.cursor or '',
            pages=int(item.pages or 0),
            complete=bool(item.complete),
            examined=int(item.examined or 0),
            at_risk=int(item.at_risk or 0),
            amounts={str(k): int(v) for k, v in (item.amounts.as_dict() if item.amounts else {}).items()},
        )

    def save_reconcile_progress(self, progress: ReconcileProgress, now: datetime) -> bool:
        """Record progress if it is ahead of what is stored: a pass started later, or the same pass
        at least as far on (and not finished); False when another run is already further."""
        stored = ReconcilePassItem
        run_at = iso(progress.run_at)
        ahead = (
            stored.run_at.does_not_exist()
            | (stored.run_at < run_at)
            | ((stored.run_at == run_at) & (stored.complete == False) & (stored.pages <= progress.pages))  # noqa: E712
        )
        item = ReconcilePassItem(
            *ReconcilePassItem.key(),
            day=progress.day.isoformat(),
            run_at=run_at,
            cursor=progress.cursor,
            pages=progress.pages,
            complete=progress.complete,
            examined=progress.examined,
            at_risk=progress.at_risk,
            amounts=dict(progress.amounts),
            updated_at=iso(now),
        )
        return self._table.save_if(item, ahead)
