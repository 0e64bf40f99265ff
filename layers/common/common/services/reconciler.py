"""The reconciler (issue 22): the auditor's payment checks, run every day in AWS against the
table and Stripe, so money kept without a stay (or a stay without its money) is noticed.

One pass a day (the UTC day of the run) over the bookings by check-in, from
``RECONCILE_LOOKBACK_DAYS`` ago (Stripe can refund a charge for 180 days, and a stay is paid
before it starts: older bookings cannot change any more) to the end of the sale window. It reads
the arrivals index a page at a time, hotel by hotel (a Query per hotel and month, never a Scan) and checks
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
so nothing is counted twice. Cost per pass: one Query per hotel and month of the window (about
19 per hotel) plus one per further ``RECONCILE_PAGE_SIZE`` bookings checking in within it, and two
Stripe reads (the PaymentIntent, its refunds) per booking with a PaymentIntent.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from common import errors
from common.domain import Booking
from common.observability import logger
from common.ports import Page, ReconcileProgress
from common.services import audit, catalog
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
    hotels = sorted(catalog.hotels(deps))  # whose partitions of the arrivals index the pass reads
    while True:
        if report.examined >= current.reconcile_max_bookings or seconds_left() <= _MARGIN_SECONDS:
            report.complete = False
            break
        page = next_page(deps, hotels, progress.cursor, start, end, now, current.reconcile_page_size)
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


def next_page(
    deps: Deps, hotels: list[str], cursor: str, start: date, end: date, now: datetime, limit: int
) -> Page[Booking]:
    """The pass's next ``limit`` bookings checking in from ``start`` to ``end``: hotel by hotel
    (``hotels``, sorted by id), each hotel's by check-in. The pass needs every booking once, in no order across
    hotels, so it reads one hotel's index partitions at a time: one Query per hotel and month
    (and per further page), never the whole platform's month at once. The cursor (stored in the
    progress, never shown to a client) is the hotel and the listing's cursor within it; a pass
    cut by a deploy that changed its shape starts its walk over. A hotel deleted since the pass
    began is skipped; its bookings are no longer in the catalogue's list (docs/data-model.md)."""
    hotel, inner = _position(cursor)
    index = bisect_left(hotels, hotel) if hotel else 0
    if index >= len(hotels) or hotels[index] != hotel:
        inner = None  # that hotel is gone: continue with the next one from its start
    items: list[Booking] = []
    while index < len(hotels) and len(items) < limit:
        page = deps.bookings.list_by_arrival(
            [hotels[index]], start, end, now=now, limit=limit - len(items), cursor=inner
        )
        items += page.items
        if page.next_cursor is not None:
            return Page(items, json.dumps({'hotel': hotels[index], 'cursor': page.next_cursor}))
        index, inner = index + 1, None
    following = json.dumps({'hotel': hotels[index], 'cursor': None}) if index < len(hotels) else None
    return Page(items, following)


def _position(cursor: str) -> tuple[str | None, str | None]:
    if not cursor:
        return None, None
    try:
        decoded = json.loads(cursor)
        return str(decoded['hotel']), decoded['cursor']
    except (ValueError, KeyError, TypeError):
        logger.warning('reconciler cursor of another shape: the walk starts over')
        return None, None


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
