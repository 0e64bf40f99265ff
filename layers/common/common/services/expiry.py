"""The sweeper's work: expire unpaid holds past their expiry, then finish refunds still owed.

Due holds are read from the sparse ``pending`` index (a Query per shard and page, only PENDING
bookings are in it; never a Scan), oldest first, round-robin over the shards, and the run stops
before its time runs out or after SWEEP_MAX_BOOKINGS: the next run carries on. Every change is a
guarded write, so two sweepers at once, or a sweeper racing a payment or a cancel, end in the
state one of them alone would have produced. Expiring one hold is ``holds.expire``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from common import errors
from common.domain import Booking
from common.observability import logger
from common.services import holds, refunds
from common.services.deps import Deps
from common.services.outcomes import SweepReport


def sweep(deps: Deps, now: datetime, seconds_left: Callable[[], float]) -> SweepReport:
    """One scheduled run: expire due holds first (rooms back on sale), then finish refunds still
    owed, within the time and batch budget of the run."""
    report = expire_due(deps, now, seconds_left)
    if report.complete:
        settled = refunds.settle_due(deps, now, lambda: _budget_left(deps, report, seconds_left))
        report.refunds_settled, report.failed = settled.settled, report.failed + settled.failed
    return report


def expire_due(deps: Deps, now: datetime, seconds_left: Callable[[], float]) -> SweepReport:
    """Expire every hold due at ``now``, within the time and batch budget of one run."""
    report = SweepReport()
    pages = deps.bookings.due_holds(now, deps.settings.sweep_page_size)
    while True:
        if not _budget_left(deps, report, seconds_left):
            report.complete = False
            return report
        page = next(pages, None)
        if page is None:
            return report
        for booking in page:
            if not _budget_left(deps, report, seconds_left):
                report.complete = False
                return report
            _expire_one(deps, booking, now, report)


def _budget_left(deps: Deps, report: SweepReport, seconds_left: Callable[[], float]) -> bool:
    current = deps.settings
    return report.examined < current.sweep_max_bookings and seconds_left() > current.sweep_safety_margin_seconds


def _expire_one(deps: Deps, booking: Booking, now: datetime, report: SweepReport) -> None:
    try:
        result = holds.expire(deps, booking, now, call_stripe=report.stripe_available)
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
    if result.release is holds.Release.RELEASED:
        report.expired += 1
        report.booking_ids.append(booking.id)
    elif result.release is holds.Release.PAID:
        report.confirmed += 1
    else:
        report.moved += 1
