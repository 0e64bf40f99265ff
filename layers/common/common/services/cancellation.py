"""Cancellation and the refund policy (DESIGN §9).

Check-in instant = check-in date at the hotel's check-in hour in the hotel's time zone. At least
CANCELLATION_FREE_HOURS (48) before it: full refund. Later: the penalty of
CANCELLATION_PENALTY (default ``first_night``: the first night's price for each room) is kept
and the rest refunded. From the check-in instant on: refused (``too_late_to_cancel``).
A PENDING booking is released and its PaymentIntent cancelled; nothing was charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from common import errors, repos
from common import stripe_gateway as gateway
from common.config import settings
from common.domain import Booking, BookingStatus, Hotel, Principal
from common.services import bookings, catalog, expiry, payments


@dataclass(frozen=True)
class RefundQuote:
    booking_id: str
    paid: int
    amount: int
    penalty: int
    currency: str
    policy: str  # full_refund | late_cancellation | no_charge
    deadline: datetime  # last instant with a full refund
    cancellable_until: datetime  # the check-in instant


def paid_amount(booking: Booking) -> int:
    payment = booking.payment
    return payment.amount if payment is not None and payment.status == gateway.SUCCEEDED else 0


def penalty(booking: Booking, paid: int, rule: str) -> int:
    """The part of ``paid`` kept when cancelling late, never more than was paid."""
    if rule == 'none':
        kept = 0
    elif rule == 'full_stay':
        kept = paid
    elif rule.startswith('percent:'):
        kept = (paid * int(rule.removeprefix('percent:')) + 50) // 100  # half up, integer minor units
    else:  # first_night
        kept = booking.nightly[0].price * booking.rooms if booking.nightly else 0
    return max(0, min(kept, paid))


def quote(
    booking: Booking, hotel: Hotel, now: datetime, *, free_hours: int | None = None, rule: str | None = None
) -> RefundQuote:
    """What cancelling ``booking`` at ``now`` refunds and keeps. Pure: no I/O."""
    current = settings()
    free_hours = current.cancellation_free_hours if free_hours is None else free_hours
    rule = rule or current.cancellation_penalty
    # In UTC before subtracting: aware arithmetic in the hotel's zone is wall-clock arithmetic,
    # which would make "48 hours" 47 or 49 across a daylight-saving change.
    check_in_at = hotel.check_in_instant(booking.check_in).astimezone(UTC)
    deadline = check_in_at - timedelta(hours=free_hours)
    if now >= check_in_at:
        raise errors.TooLateToCancel(cancellable_until=check_in_at.isoformat())
    paid = paid_amount(booking)
    if paid == 0:
        policy, kept = 'no_charge', 0
    elif now <= deadline:
        policy, kept = 'full_refund', 0
    else:
        policy, kept = 'late_cancellation', penalty(booking, paid, rule)
    return RefundQuote(
        booking_id=booking.id,
        paid=paid,
        amount=paid - kept,
        penalty=kept,
        currency=booking.currency,
        policy=policy,
        deadline=deadline,
        cancellable_until=check_in_at,
    )


@dataclass(frozen=True)
class Terms:
    """A booking's cancellation terms as the guest is told them (the confirmation email): the
    refund policy itself, read off ``quote`` at the instants that matter, never restated."""

    deadline: datetime  # last instant with a full refund
    cancellable_until: datetime  # the check-in instant
    paid: int
    penalty_after_deadline: int  # kept when cancelling between the deadline and check-in
    currency: str


def terms(booking: Booking, hotel: Hotel, *, free_hours: int, rule: str) -> Terms:
    """What ``quote`` answers for a cancellation just after the free-cancellation deadline."""
    check_in_at = hotel.check_in_instant(booking.check_in).astimezone(UTC)
    deadline = check_in_at - timedelta(hours=free_hours)
    tick = timedelta(microseconds=1)
    # Free until check-in (free_hours 0): there is no late window, ask just before the deadline.
    at = deadline + tick if deadline + tick < check_in_at else deadline - tick
    figures = quote(booking, hotel, at, free_hours=free_hours, rule=rule)
    return Terms(figures.deadline, figures.cancellable_until, figures.paid, figures.penalty, figures.currency)


def refund_quote(principal: Principal, booking_id: str, now: datetime) -> RefundQuote:
    booking = bookings.get_own(principal, booking_id)
    status = booking.effective_status(now)
    if status is BookingStatus.CANCELLED:
        raise errors.AlreadyCancelled()
    if status is BookingStatus.EXPIRED:
        raise errors.HoldExpired()
    return quote(booking, catalog.hotel(booking.hotel_id), now)


@dataclass(frozen=True)
class Cancelled:
    """A cancel's answer, and what this request completed (for metrics: a retry that only
    repeats the answer completes nothing)."""

    booking: Booking
    completed: bool  # this request finished the cancellation (status change, or the refund it still owed)
    refund_issued: bool  # this request created the Stripe refund


def _cancelled(before: Booking, after: Booking) -> Cancelled:
    had_refund = before.refund is not None and bool(before.refund.stripe_refund_id)
    has_refund = after.refund is not None and bool(after.refund.stripe_refund_id)
    finished = before.status is not BookingStatus.CANCELLED or _refund_owed(before)
    return Cancelled(after, after.status is BookingStatus.CANCELLED and finished, has_refund and not had_refund)


def cancel(principal: Principal, booking_id: str, now: datetime) -> Cancelled:
    """Cancel a booking of the caller, whatever its state; safe to retry and to race.

    CANCELLED answers the same result (and finishes a refund still owed). A PENDING hold past its
    expiry is expired exactly as the sweeper would (409 ``hold_expired``). A payment that wins
    the race against cancelling a PENDING booking confirms it (409 ``already_paid``).
    """
    before = booking = bookings.get_own(principal, booking_id)
    if booking.status is BookingStatus.PENDING:
        booking = _cancel_pending(booking, now)
    for _ in range(4):
        if booking.status is BookingStatus.CANCELLED:
            settled = payments.settle_refund(booking.id, now) if _refund_owed(booking) else booking
            return _cancelled(before, settled)
        if booking.status is BookingStatus.EXPIRED:
            raise errors.HoldExpired()
        if booking.status is not BookingStatus.CONFIRMED:
            break
        try:
            return _cancelled(before, _cancel_confirmed(booking, now))
        except errors.InvalidState:
            # A concurrent cancel won: answer as it did (it completed the cancellation).
            before = booking = repos.get_booking(booking.id)
    raise errors.Conflict('The booking keeps changing; retry')


def _refund_owed(booking: Booking) -> bool:
    return booking.refund is not None and booking.refund.status == payments.REFUND_PENDING


def _cancel_pending(booking: Booking, now: datetime) -> Booking:
    if booking.hold_has_expired(now):
        result = expiry.expire_hold(booking, now)
    else:
        result = payments.release_hold(booking, BookingStatus.CANCELLED, now, strict=True)
    if result.release is payments.Release.PROCESSING:
        raise errors.PaymentProcessing()
    latest = result.booking
    if result.release is payments.Release.RELEASED:
        latest = repos.get_booking(booking.id)
    if latest.status is BookingStatus.CONFIRMED:
        raise errors.AlreadyPaid(
            'The payment completed first: the booking is confirmed. See its refund quote, then cancel again.'
        )
    return latest


def _cancel_confirmed(booking: Booking, now: datetime) -> Booking:
    figures = quote(booking, catalog.hotel(booking.hotel_id), now)
    if figures.paid == 0:
        repos.transition(booking, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, now, release_rooms=True)
        return repos.get_booking(booking.id)
    payments.owe_refund(booking, figures.amount, figures.penalty, 'cancelled_by_guest', now)
    # The cancellation is decided and the rooms are back on sale; if Stripe fails now, the 503
    # tells the client to retry, and the retry (or a refund event) finishes the refund.
    return payments.settle_refund(booking.id, now)
