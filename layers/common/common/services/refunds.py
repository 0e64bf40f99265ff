"""Refunds that happen exactly once (DESIGN §9), and their outbox.

A refund is first recorded on the booking as owed (``refund.status = pending``, amount locked), in
the same guarded write that cancels the booking (or records a payment it cannot keep). Creating
it at Stripe is then a separate step any retry can finish: one process at a time holds a lease
for it, and it looks for an existing refund of the PaymentIntent at Stripe before creating one.
Stripe's idempotency key is sent too, but nothing depends on it (localstripe ignores it).

Before a refund is recorded as owed, a note goes into the outbox (``PaymentRecords``); the
sweeper finishes refunds whose client never retried (``settle_due``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from common import errors
from common.domain import Booking, BookingStatus, Payment, Refund, RefundStatus, refund_owed
from common.observability import logger
from common.services.deps import Deps
from common.services.outcomes import Outcome


def refund_key(booking_id: str) -> str:
    return f'booking-{booking_id}-refund'


def note_owed(deps: Deps, booking_id: str, now: datetime) -> None:
    """The outbox entry that lets the sweeper finish a refund nobody retried."""
    deps.payments.note_refund_due(booking_id, now + timedelta(seconds=deps.settings.refund_retry_after_seconds))


def _forget_owed(deps: Deps, booking_id: str) -> None:
    with contextlib.suppress(errors.DomainError):  # the sweeper drops it when it finds the refund recorded
        deps.payments.clear_refund_due(booking_id)


def owe_on_cancel(deps: Deps, booking: Booking, amount: int, penalty: int, reason: str, now: datetime) -> None:
    """Cancel a CONFIRMED booking: rooms back on sale and the refund recorded as owed, in one
    guarded transaction. The refund amount is locked here, whatever time a retry runs at."""
    assert booking.payment is not None
    refund = Refund(
        amount=amount,
        penalty=penalty,
        currency=booking.payment.currency,
        status=RefundStatus.PENDING if amount > 0 else RefundStatus.NOT_REQUIRED,
        reason=reason,
    )
    if amount > 0:
        note_owed(deps, booking.id, now)
    deps.bookings.transition(
        booking, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, now,
        release_rooms=True, expect_no_refund=True, refund=refund,
    )  # fmt: skip


def owe_in_full(deps: Deps, booking: Booking, paid: Payment, reason: str, now: datetime) -> Booking:
    """Record a succeeded payment the booking cannot keep (it is not, or no longer, a stay the
    guest has) with its whole amount owed back, then make the refund."""
    owed = Refund(amount=paid.amount, penalty=0, currency=paid.currency, status=RefundStatus.PENDING, reason=reason)
    note_owed(deps, booking.id, now)
    deps.bookings.transition(
        booking, [booking.status], booking.status, now,
        expect_payment_intent=paid.payment_intent_id, expect_no_refund=True, payment=paid, refund=owed,
    )  # fmt: skip
    return settle(deps, booking.id, now)


def settle(deps: Deps, booking_id: str, now: datetime) -> Booking:
    """Create the refund a booking owes at Stripe, once, and record it.

    Safe to call any number of times, concurrently, and after a crash at any point: a lease
    lets one caller at a time work; the caller first looks at Stripe for a refund an earlier,
    interrupted attempt made; the record is written only if it is still owed.
    """
    booking = deps.bookings.get(booking_id)
    owed = booking.refund
    if owed is None or not refund_owed(booking) or booking.payment is None:
        return booking
    lease = deps.bookings.claim_refund(booking_id, now, deps.settings.payment_lease_seconds)
    if lease is None:
        return booking  # someone else is creating it right now
    payment_intent_id = booking.payment.payment_intent_id
    try:
        earlier = [r for r in deps.stripe.refunds_for(payment_intent_id) if r.metadata.get('booking_id') == booking_id]
        if len(earlier) > 1:
            logger.error('more than one refund for a booking', booking_id=booking_id, refunds=[r.id for r in earlier])
        refund = earlier[0] if earlier else None
        if refund is None:
            refund = deps.stripe.create_refund(
                payment_intent_id=payment_intent_id,
                amount=owed.amount,
                metadata={'booking_id': booking_id, 'reason': owed.reason or 'cancellation'},
                idempotency_key=refund_key(booking_id),
            )
        deps.bookings.record_refund(booking_id, refund.id, refund.status, now)
    except Exception:
        with contextlib.suppress(Exception):  # the lease lapses anyway; keep the original error
            deps.bookings.release_refund_claim(booking_id, lease)  # let the next retry in at once
        raise
    logger.info(
        'refund recorded', booking_id=booking_id, refund_id=refund.id, status=refund.status, amount=refund.amount
    )
    _forget_owed(deps, booking_id)
    return deps.bookings.get(booking_id)


@dataclass
class SettleReport:
    settled: int = 0
    failed: int = 0


def settle_due(deps: Deps, now: datetime, budget_left: Callable[[], bool]) -> SettleReport:
    """The sweeper's second job: refunds decided a while ago and still owed (the client never
    retried its cancel, Stripe's retries of a webhook gave up): finish them, once."""
    report = SettleReport()
    for booking_id in deps.payments.refunds_due(now, deps.settings.sweep_page_size):
        if not budget_left():
            return report
        try:
            booking = settle(deps, booking_id, now)
        except errors.NotFound:
            deps.payments.clear_refund_due(booking_id)
            continue
        except (errors.ServiceUnavailable, errors.PaymentProviderError) as exc:
            logger.warning('owed refund not settled this run', booking_id=booking_id, error=type(exc).__name__)
            report.failed += 1
            continue
        if not refund_owed(booking):
            deps.payments.clear_refund_due(booking_id)  # done (now or before), or never owed
            report.settled += booking.refund is not None and booking.refund.stripe_refund_id is not None
    return report


def sync(deps: Deps, booking_id: str, refund_id: str | None, now: datetime) -> Outcome:
    """A refund event: record Stripe's current status of our refund (read from Stripe, so events
    arriving out of order cannot move it backwards), or finish a refund still owed."""
    booking = deps.bookings.get(booking_id)
    owed = booking.refund
    if owed is None:
        logger.warning('refund not initiated by this system', booking_id=booking_id, refund_id=refund_id)
        return Outcome.IGNORED
    if owed.stripe_refund_id is None:
        settled = settle(deps, booking_id, now)
        return Outcome.RECORDED if settled.refund and settled.refund.stripe_refund_id else Outcome.NO_CHANGE
    if refund_id is not None and refund_id != owed.stripe_refund_id:
        return Outcome.IGNORED
    current = deps.stripe.retrieve_refund(owed.stripe_refund_id)
    changed = deps.bookings.update_refund_status(booking_id, current.id, current.status, now)
    if changed and current.status is RefundStatus.FAILED:
        # The money did not go back (closed card...): someone has to act. Logged and alarmed.
        logger.error('refund failed at Stripe', booking_id=booking_id, refund_id=current.id)
        return Outcome.REFUND_FAILED
    return Outcome.RECORDED if changed else Outcome.NO_CHANGE
