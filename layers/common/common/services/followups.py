"""Work owed on bookings after the request that decided it: the sweeper's outbox.

Whatever decides that money work is owed puts the booking in the sparse ``outbox`` index in the
same guarded write (``Booking.followup``), so the work can be neither lost nor duplicated:

- ``Work.REFUND``: a refund recorded as owed (a cancel, a payment the booking cannot keep) that
  its request did not finish (Stripe down, the Lambda killed): made here, once (refunds.settle);
- ``Work.OPEN_INTENT``: a PaymentIntent the expiry of a hold could not cancel (Stripe down, or the
  payment ``processing``). Its ``client_secret`` can still pay it, and if the webhook for that
  payment is never processed (a rotated signing secret, a disabled endpoint) nothing else would
  ever look at it again. Here it is cancelled; if Stripe says it succeeded, the late-payment path
  runs (the rooms held again and the booking confirmed, or the payment refunded in full).

Every sweep runs this phase with its own time (``SWEEP_FOLLOWUP_SECONDS``), however many holds
were due, and reads what is due earliest first (a Query per shard of the index, never a Scan).
A failure pushes the booking back (1, 2, 4... minutes, at most ``FOLLOWUP_BACKOFF_MAX_SECONDS``)
and is counted, so a few bookings that keep failing never starve the rest. A refusal Stripe will
repeat (a disputed charge; any refusal ``FOLLOWUP_MAX_ATTEMPTS`` times) moves the booking to
"needs a person" (``Booking.attention``): out of the outbox, logged as an error, alarmed
(``PaymentNeedsAttention``) and reported by the reconciler every day until someone acts.

Only ``PaymentProviderUnavailable`` means "Stripe is down": the run then stops calling Stripe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import zip_longest

from common import errors
from common.domain import (
    Attention,
    Booking,
    BookingStatus,
    Followup,
    IntentStatus,
    Work,
    has_stripe_refund,
    refund_owed,
)
from common.observability import logger
from common.services import payments, refunds
from common.services.deps import Deps
from common.services.outcomes import Outcome, SweepReport

# Stripe's refusals that no retry changes: a person has to act at once.
PERMANENT_REFUSALS = frozenset({'charge_disputed', 'charge_already_refunded', 'charge_expired_for_capture'})
FIRST_BACKOFF_SECONDS = 60
ENDED = frozenset({BookingStatus.EXPIRED, BookingStatus.CANCELLED})


def run(deps: Deps, now: datetime, seconds_left: Callable[[], float], report: SweepReport) -> None:
    """Do the work due at ``now``, PaymentIntents left open and refunds owed in turn, page by page,
    until it is done, the run's time or batch for it is used, or Stripe is found down."""
    current = deps.settings
    queues = [deps.bookings.due_followups(work, now, current.sweep_page_size) for work in Work]
    for done, booking_id in enumerate(_interleaved(queues)):
        if not report.stripe_available:
            break  # everything here needs Stripe; it is down for this run
        if done >= current.sweep_max_followups or seconds_left() <= current.sweep_safety_margin_seconds:
            report.followups_complete = False
            return
        follow_up(deps, booking_id, now, report)


def _interleaved(queues: list[Iterator[list[str]]]) -> Iterator[str]:
    """A page of each queue in turn: one kind of work never starves the other."""
    for pages in zip_longest(*queues, fillvalue=[]):
        for page in pages:
            yield from page


def follow_up(deps: Deps, booking_id: str, now: datetime, report: SweepReport) -> None:
    """Do the work owed on one booking, as it is now (read consistently: the index may be stale)."""
    try:
        booking = deps.bookings.get(booking_id)
    except errors.NotFound:
        return
    followup = booking.followup
    if followup is None or followup.due_at > now:
        return  # done, or pushed back, by someone else meanwhile
    try:
        if followup.work is Work.REFUND:
            _refund(deps, booking, followup, now, report)
        else:
            _open_intent(deps, booking, followup, now, report)
    except errors.PaymentProviderUnavailable as exc:
        report.stripe_available = False
        _failed(deps, booking, followup, now, report, 'stripe_unavailable', exc)
    except errors.PaymentProviderError as exc:
        permanent = exc.stripe_code in PERMANENT_REFUSALS
        _failed(deps, booking, followup, now, report, exc.stripe_code or 'stripe_refused', exc, permanent=permanent)
    except (errors.ServiceUnavailable, errors.Conflict) as exc:
        _failed(deps, booking, followup, now, report, type(exc).__name__, exc)


def _refund(deps: Deps, booking: Booking, followup: Followup, now: datetime, report: SweepReport) -> None:
    if not refund_owed(booking):
        deps.bookings.finish_followup(booking.id, Work.REFUND)  # made meanwhile (a retry, an event)
        return
    settled = refunds.settle(deps, booking.id, now)
    if not refund_owed(settled):
        report.refunds_settled += has_stripe_refund(settled)
        return
    # Another process holds the refund's lease (a retry in flight, or one whose outcome is
    # unknown): look again once it has lapsed. Not a failure of this booking.
    later = replace(followup, due_at=now + timedelta(seconds=deps.settings.payment_lease_seconds))
    deps.bookings.reschedule(booking.id, later, followup.attempts)


def _open_intent(deps: Deps, booking: Booking, followup: Followup, now: datetime, report: SweepReport) -> None:
    payment = booking.payment
    if booking.status not in ENDED or payment is None or payment.status == IntentStatus.CANCELED or booking.refund:
        deps.bookings.finish_followup(booking.id, Work.OPEN_INTENT)  # nothing open any more
        return
    intent = deps.stripe.cancel_payment_intent(payment.payment_intent_id)
    if intent.succeeded:
        # Paid after the hold ended, and its webhook not processed (yet, or ever): the late payment.
        outcome, _ = payments.succeeded(deps, booking.id, intent, now)
        if outcome is Outcome.LATE_PAYMENT_CONFIRMED:
            report.late_payments_confirmed += 1
        elif outcome is not Outcome.NO_CHANGE:
            report.late_payments_refunded += 1
        logger.info('late payment found by the sweeper', booking_id=booking.id, outcome=outcome.value)
        deps.bookings.finish_followup(booking.id, Work.OPEN_INTENT)  # if the path left it (NO_CHANGE)
        return
    if intent.status == IntentStatus.CANCELED:
        closed = replace(payment, status=IntentStatus.CANCELED.value, client_secret=None)
        try:
            deps.bookings.transition(
                booking, [booking.status], booking.status, now,
                expect_payment_intent=payment.payment_intent_id, expect_no_refund=True, payment=closed,
                followup=None,
            )  # fmt: skip
        except errors.InvalidState:
            return  # it moved meanwhile (a late payment): the next look finds what to do
        report.intents_closed += 1
        return
    # ``processing``: Stripe has not decided yet. Look again later; never a person's job.
    attempts = followup.attempts + 1
    later = Followup(Work.OPEN_INTENT, now + backoff(deps, attempts), attempts, intent.status)
    deps.bookings.reschedule(booking.id, later, followup.attempts)


def backoff(deps: Deps, attempts: int) -> timedelta:
    """1, 2, 4... minutes after the ``attempts``-th failure, at most FOLLOWUP_BACKOFF_MAX_SECONDS."""
    seconds = FIRST_BACKOFF_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(seconds, deps.settings.followup_backoff_max_seconds))


def _failed(
    deps: Deps,
    booking: Booking,
    followup: Followup,
    now: datetime,
    report: SweepReport,
    reason: str,
    exc: errors.DomainError,
    *,
    permanent: bool = False,
) -> None:
    """Push the work back (counted), or hand it to a person when Stripe will keep refusing it.
    If even that write fails, the work stays due as it was and the next run takes it again."""
    with contextlib.suppress(errors.ServiceUnavailable):
        _push_back(deps, booking, followup, now, report, reason, exc, permanent=permanent)


def _push_back(
    deps: Deps,
    booking: Booking,
    followup: Followup,
    now: datetime,
    report: SweepReport,
    reason: str,
    exc: errors.DomainError,
    *,
    permanent: bool,
) -> None:
    attempts = followup.attempts + 1
    refused = isinstance(exc, errors.PaymentProviderError)
    if permanent or (refused and attempts >= deps.settings.followup_max_attempts):
        if deps.bookings.flag_attention(booking.id, Attention(followup.work, reason, now)):
            report.needs_attention += 1
            logger.error('payment work needs a person', booking_id=booking.id, work=followup.work.value, reason=reason)
        return
    report.followups_failed += 1
    logger.warning(
        'payment work failed, retried later',
        booking_id=booking.id,
        work=followup.work.value,
        reason=reason,
        attempts=attempts,
    )
    later = Followup(followup.work, now + backoff(deps, attempts), attempts, reason)
    deps.bookings.reschedule(booking.id, later, followup.attempts)
