"""The reconciler (issue 22): the auditor's payment checks, run every day in AWS against the
table and Stripe, so money kept without a stay (or a stay without its money) is noticed.

One pass a day (the UTC day of the run) over the bookings by check-in, from
``RECONCILE_LOOKBACK_DAYS`` ago (Stripe can refund a charge for 180 days, and a stay is paid
before it starts: older bookings cannot change any more) to the end of the sale window. It reads
the ``arrivals`` index a page at a time (a Query per month partition, never a Scan) and checks
each booking twice (``services/audit.py``): what it records (status, payment, refund, penalty,
refunds made outside, work handed to a person, an open dispute), and, for a booking with a
PaymentIntent, what Stripe has (the intent's status and amount, every refund of it).

Each booking with a problem is a case: logged with its id, status, the reasons and the amount
(ids and amounts only, no PII), and counted in ``MoneyAtRisk`` (bookings) and
``MoneyAtRiskAmount`` (their payments, per currency), published by every run with the pass's
figures so far, so the alarm (above 0) stays on all day while a case is open.

Bounded and resumable: progress is recorded after each page (only ever forward, guarded), a run
stops ``_MARGIN_SECONDS`` before its timeout or after ``RECONCILE_MAX_BOOKINGS``, and the next run
(hourly) continues the day's pass; once it has finished, a later run that day is one read.
``again`` starts a new pass at once (on demand). A page cut short is read again by the next run,
so nothing is counted twice. Cost per pass: one Query page per ``RECONCILE_PAGE_SIZE`` bookings
checking in within the window (about (lookback + sale window) x daily bookings items), and two
Stripe reads (the PaymentIntent, its refunds) per booking with a PaymentIntent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from common import errors
from common.domain import Booking
from common.observability import logger
from common.ports import ReconcileProgress
from common.services import audit
from common.services.deps import Deps
from common.services.outcomes import ReconcileReport

# Kept between the last booking checked and the Lambda's timeout: a booking costs at most two
# Stripe calls of STRIPE_TIMEOUT_SECONDS, and the progress write.
_MARGIN_SECONDS = 20.0


def problems(deps: Deps, booking: Booking, *, stripe: bool) -> list[str]:
    """Everything the auditor finds wrong with one booking's money (empty: nothing)."""
    found = audit.booking_payment_problems(deps, booking)
    if stripe and booking.payment is not None:
        found += audit.stripe_problems(deps, booking)
    return found


def reconcile(
    deps: Deps,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: float('inf'),
    *,
    again: bool = False,
    stripe: bool = True,
) -> ReconcileReport:
    """One run of the day's pass (``again``: a new pass now, even if today's has finished)."""
    current = deps.settings
    day = now.astimezone(UTC).date()
    stored = deps.payments.reconcile_progress()
    if stored is not None and stored.day == day and not again:
        progress = stored
    else:
        progress = ReconcileProgress(day=day, run_at=now)
    report = ReconcileReport(day)
    if progress.complete:
        report.already_done = True
        return _totals(report, progress)
    start = day - timedelta(days=current.reconcile_lookback_days)
    end = day + timedelta(days=current.sale_window_days + 2)
    while True:
        if report.examined >= current.reconcile_max_bookings or seconds_left() <= _MARGIN_SECONDS:
            report.complete = False
            break
        page = deps.bookings.list_by_arrival(
            start, end, now=now, limit=current.reconcile_page_size, cursor=progress.cursor or None
        )
        found = _check(deps, page.items, seconds_left, stripe=stripe)
        if found is None:  # out of time, or Stripe down, within the page: the next run reads it again
            report.complete = False
            break
        amounts = dict(progress.amounts)
        for booking, reasons in found:
            _log_case(booking, reasons)
            report.cases += [(booking.id, reason) for reason in reasons]
            if booking.payment is not None:
                currency = booking.payment.currency
                amounts[currency] = amounts.get(currency, 0) + booking.payment.amount
        progress = replace(
            progress,
            cursor=page.next_cursor or '',
            pages=progress.pages + 1,
            complete=page.next_cursor is None,
            examined=progress.examined + len(page.items),
            at_risk=progress.at_risk + len(found),
            amounts=amounts,
        )
        report.examined += len(page.items)
        if not deps.payments.save_reconcile_progress(progress, deps.clock()):
            logger.info('another reconciler run is further on; stopping')
            report.complete = False
            break
        if progress.complete:
            break
    return _totals(report, progress)


def _check(
    deps: Deps, bookings: list[Booking], seconds_left: Callable[[], float], *, stripe: bool
) -> list[tuple[Booking, list[str]]] | None:
    found = []
    for booking in bookings:
        if seconds_left() <= _MARGIN_SECONDS:
            return None
        try:
            reasons = problems(deps, booking, stripe=stripe)
        except errors.PaymentProviderUnavailable:
            logger.warning('stripe unavailable: the reconciler stops; the next run continues')
            return None
        if reasons:
            found.append((booking, reasons))
    return found


def _log_case(booking: Booking, reasons: list[str]) -> None:
    payment = booking.payment
    logger.error(
        'money at risk',
        booking_id=booking.id,
        status=booking.status.value,
        reasons=reasons,
        amount=payment.amount if payment else 0,
        currency=payment.currency if payment else booking.currency,
    )


def _totals(report: ReconcileReport, progress: ReconcileProgress) -> ReconcileReport:
    report.at_risk, report.amounts = progress.at_risk, dict(progress.amounts)
    report.complete = report.complete and progress.complete
    return report
