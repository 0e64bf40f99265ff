"""Cancellation and the refund policy (DESIGN §9).

Each booking keeps the cancellation policy of its rate plan (``Booking.terms``); bookings made
before rate plans use the engine default below.
Check-in instant = check-in date at the hotel's check-in hour in the hotel's time zone. At least
CANCELLATION_FREE_HOURS (48) before it: full refund. Later: the penalty of
CANCELLATION_PENALTY (default ``first_night``: the first night's price for each room) is kept
and the rest refunded. From the check-in instant on: refused (``too_late_to_cancel``). The rule
itself is ``domain.CancellationPolicy``; this module applies it.
A PENDING booking is released and its PaymentIntent cancelled; nothing was charged.
"""

from __future__ import annotations

from datetime import datetime

from common import errors, retry
from common.domain import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    Principal,
    RefundQuote,
    has_stripe_refund,
    refund_owed,
)
from common.services import bookings, catalog, holds, refunds
from common.services.deps import Deps
from common.services.outcomes import Cancelled


def policy(deps: Deps, booking: Booking) -> CancellationPolicy:
    """The policy a booking was made under (its rate plan's terms, kept in the booking: a later
    edit of the plan never changes it); bookings made before rate plans: the engine's default."""
    return booking.terms.cancellation if booking.terms is not None else deps.settings.cancellation_policy


def quote(deps: Deps, booking: Booking, now: datetime) -> RefundQuote:
    """What cancelling ``booking`` at ``now`` refunds and keeps, by the policy it was made under."""
    return policy(deps, booking).quote(booking, catalog.hotel(deps, booking.hotel_id), now)


def refund_quote(deps: Deps, principal: Principal, booking_id: str, now: datetime) -> RefundQuote:
    booking = bookings.get_own(deps, principal, booking_id)
    status = booking.effective_status(now)
    if status is BookingStatus.CANCELLED:
        raise errors.AlreadyCancelled()
    if status is BookingStatus.EXPIRED:
        raise errors.HoldExpired()
    return quote(deps, booking, now)


def _cancelled(before: Booking, after: Booking) -> Cancelled:
    finished = before.status is not BookingStatus.CANCELLED or refund_owed(before)
    return Cancelled(
        after,
        completed=after.status is BookingStatus.CANCELLED and finished,
        refund_issued=has_stripe_refund(after) and not has_stripe_refund(before),
    )


def cancel(deps: Deps, principal: Principal, booking_id: str, now: datetime) -> Cancelled:
    """Cancel a booking of the caller, whatever its state; safe to retry and to race.

    CANCELLED answers the same result (and finishes a refund still owed). A PENDING hold past its
    expiry is expired exactly as the sweeper would (409 ``hold_expired``). A payment that wins
    the race against cancelling a PENDING booking confirms it (409 ``already_paid``).
    """
    before = booking = bookings.get_own(deps, principal, booking_id)
    if booking.status is BookingStatus.PENDING:
        booking = _cancel_pending(deps, booking, now)
    for _ in range(retry.ATTEMPTS):
        if booking.status is BookingStatus.CANCELLED:
            settled = refunds.settle(deps, booking.id, now) if refund_owed(booking) else booking
            return _cancelled(before, settled)
        if booking.status is BookingStatus.EXPIRED:
            raise errors.HoldExpired()
        if booking.status is not BookingStatus.CONFIRMED:
            break
        try:
            return _cancelled(before, _cancel_confirmed(deps, booking, now))
        except errors.InvalidState:
            # A concurrent cancel won: answer as it did (it completed the cancellation).
            before = booking = deps.bookings.get(booking.id)
    raise errors.Conflict('The booking keeps changing; retry')


def _cancel_pending(deps: Deps, booking: Booking, now: datetime) -> Booking:
    if booking.hold_has_expired(now):
        result = holds.expire(deps, booking, now)
    else:
        result = holds.release(deps, booking, BookingStatus.CANCELLED, now, strict=True)
    if result.release is holds.Release.PROCESSING:
        raise errors.PaymentProcessing()
    latest = result.booking
    if result.release is holds.Release.RELEASED:
        latest = deps.bookings.get(booking.id)
    if latest.status is BookingStatus.CONFIRMED:
        raise errors.AlreadyPaid(
            'The payment completed first: the booking is confirmed. See its refund quote, then cancel again.'
        )
    return latest


def _cancel_confirmed(deps: Deps, booking: Booking, now: datetime) -> Booking:
    figures = quote(deps, booking, now)
    if figures.paid == 0:
        deps.bookings.transition(booking, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, now, release_rooms=True)
        return deps.bookings.get(booking.id)
    refunds.owe_on_cancel(deps, booking, figures.amount, figures.penalty, 'cancelled_by_guest', now)
    # The cancellation is decided and the rooms are back on sale; if Stripe fails now, the 503
    # tells the client to retry, and the retry (or a refund event) finishes the refund.
    return refunds.settle(deps, booking.id, now)
