"""The sweeper's work: expire unpaid holds past their expiry, then do the work owed on bookings
(refunds to make, PaymentIntents left open: services/followups.py).

Due holds are read from the sparse ``pending`` index (a Query per shard and page, only PENDING
bookings are in it; never a Scan), oldest first, round-robin over the shards, and the run stops
before its time runs out or after SWEEP_MAX_BOOKINGS: the next run carries on. The expiry phase
leaves SWEEP_FOLLOWUP_SECONDS of every run to the work owed, however many holds are due. Every
change is a guarded write, so two sweepers at once, or a sweeper racing a payment or a cancel, end
in the state one of them alone would have produced. Expiring one hold is ``holds.expire``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from common import errors
from common.domain import Booking
from common.observability import logger
from common.services import followups, holds
from common.services.deps import Deps
from common.services.outcomes import SweepReport


def sweep(deps: Deps, now: datetime, seconds_left: Callable[[], float]) -> SweepReport:
    """One scheduled run: expire due holds first (rooms back on sale), then the work owed on
    bookings, each phase within its own share of the run's time."""
    reserved = deps.settings.sweep_followup_seconds
    report = expire_due(deps, now, lambda: seconds_left() - reserved)
    followups.run(deps, now, seconds_left, report)
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
        report.payments_left_open += 1  # in the outbox: the follow-up phase tries it again
    if result.stripe_unavailable:
        # Stripe is down: do not wait on it for every remaining hold of this run. (Only then: one
        # PaymentIntent still ``processing`` says nothing about the next one, which may be paid.)
        report.stripe_available = False
    if result.release is holds.Release.RELEASED:
        report.expired += 1
        report.booking_ids.append(booking.id)
    elif result.release is holds.Release.PAID:
        report.confirmed += 1
    else:
        report.moved += 1
