"""Expiry of unpaid holds (issue 5): the sweeper's work, and the one definition of "expire this
hold" that a cancel of an already-expired hold uses too.

The sweeper reads due holds from the sparse ``pending`` index (one Query per shard and page, only
PENDING bookings are in it; never a Scan), oldest first, round-robin over the shards, and stops
before its time runs out or after SWEEP_MAX_BOOKINGS: the next run carries on. Every change is a
guarded write, so two sweepers at once, or a sweeper racing a payment or a cancel, end in the
state one of them alone would have produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from common import errors, repos
from common.config import settings
from common.domain import Booking, BookingStatus
from common.observability import logger
from common.services import payments

Release = payments.Release


def expire_hold(booking: Booking, now: datetime, *, call_stripe: bool = True) -> payments.Released:
    """PENDING past ``hold_expires_at`` -> EXPIRED: rooms back on sale in the same transaction as
    the status, its PaymentIntent cancelled at Stripe first. If Stripe says the payment already
    succeeded, the booking is confirmed instead (the payment won the race). If Stripe cannot be
    reached, the hold is released anyway: a payment that lands later is a late payment."""
    if booking.status is not BookingStatus.PENDING:
        return payments.Released(Release.MOVED, booking)
    if not booking.hold_has_expired(now):
        raise errors.InvalidState('The hold has not expired yet')
    return payments.release_hold(booking, BookingStatus.EXPIRED, now, strict=False, call_stripe=call_stripe)


@dataclass
class SweepReport:
    expired: int = 0
    confirmed: int = 0  # the payment had won the race
    moved: int = 0  # changed by someone else first (a cancel, a payment, another sweeper)
    failed: int = 0  # a dependency failed for it: left for a later run
    payments_left_open: int = 0  # expired, but Stripe could not cancel the PaymentIntent
    refunds_settled: int = 0  # owed refunds nobody had retried, now made
    complete: bool = True  # False: stopped early (time or batch limit); the next run continues
    stripe_available: bool = True  # False after the first Stripe outage seen in this run
    booking_ids: list[str] = field(default_factory=list, repr=False)

    @property
    def examined(self) -> int:
        return self.expired + self.confirmed + self.moved + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            'examined': self.examined,
            'expired': self.expired,
            'confirmed': self.confirmed,
            'moved': self.moved,
            'failed': self.failed,
            'payments_left_open': self.payments_left_open,
            'refunds_settled': self.refunds_settled,
            'complete': self.complete,
        }


def shards() -> list[str]:
    return [f'PENDING#{n}' for n in range(settings().pending_shards)]


def sweep(now: datetime, seconds_left: Callable[[], float]) -> SweepReport:
    """One scheduled run: expire due holds first (rooms back on sale), then finish refunds still
    owed, within the time and batch budget of the run."""
    report = expire_due(now, seconds_left)
    if report.complete:
        settled = payments.settle_due_refunds(now, lambda: _budget_left(report, seconds_left))
        report.refunds_settled, report.failed = settled.settled, report.failed + settled.failed
    return report


def expire_due(now: datetime, seconds_left: Callable[[], float]) -> SweepReport:
    """Expire every hold due at ``now``, within the time and batch budget of one run."""
    current = settings()
    report = SweepReport()
    cursors: dict[str, dict[str, Any] | None] = dict.fromkeys(shards())
    active = list(cursors)
    while active:
        for shard in list(active):
            if not _budget_left(report, seconds_left):
                report.complete = False
                return report
            page, cursors[shard] = repos.due_holds(shard, now, current.sweep_page_size, cursors[shard])
            for booking in page:
                if not _budget_left(report, seconds_left):
                    report.complete = False
                    return report
                _expire_one(booking, now, report)
            if cursors[shard] is None:
                active.remove(shard)
    return report


def _budget_left(report: SweepReport, seconds_left: Callable[[], float]) -> bool:
    current = settings()
    return report.examined < current.sweep_max_bookings and seconds_left() > current.sweep_safety_margin_seconds


def _expire_one(booking: Booking, now: datetime, report: SweepReport) -> None:
    try:
        result = expire_hold(booking, now, call_stripe=report.stripe_available)
    except (errors.ServiceUnavailable, errors.PaymentProviderError, errors.Conflict) as exc:
        # One booking's trouble does not stop the others; a later run retries it.
        logger.warning('hold not expired this run', booking_id=booking.id, error=type(exc).__name__)
        report.failed += 1
        return
    if result.payment_left_open:
        report.payments_left_open += 1
        if booking.payment is not None and report.stripe_available:
            # Stripe is down: do not wait on it for every remaining hold of this run.
            report.stripe_available = False
    if result.release is Release.RELEASED:
        report.expired += 1
        report.booking_ids.append(booking.id)
    elif result.release is Release.PAID:
        report.confirmed += 1
    else:
        report.moved += 1
