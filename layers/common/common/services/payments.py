"""Stripe's decisions applied to bookings (DESIGN §5): a payment that succeeded, failed or was
canceled, whatever state its booking is in by the time Stripe's word arrives.

Who decides what:
- Stripe arbitrates a payment racing a cancel or an expiry: the PaymentIntent is cancelled at
  Stripe FIRST (services/holds.py), and Stripe answers either "canceled" (the booking is
  released) or "succeeded" (the booking is confirmed instead). A PaymentIntent cannot end up both.
- DynamoDB arbitrates everything else: every booking change is a write guarded by the status
  (and PaymentIntent) it expects; rooms move in the same transaction.
Money is never kept for a stay the guest does not have: such a payment is refunded in full
(services/refunds.py). Nor is a booking confirmed by money that is not what it was made for: the
booking's own PaymentIntent with another amount (received or asked), currency or mode (live/test)
than the booking and the key is refunded in full and the hold released (``money_mismatch``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from common import errors, retry
from common.domain import (
    NOT_REFUNDED,
    Booking,
    BookingStatus,
    IntentStatus,
    Payment,
    PaymentIntent,
    PromoUse,
    Refund,
    RefundStatus,
    refund_owed,
)
from common.observability import logger
from common.services import catalog, refunds
from common.services.deps import Deps
from common.services.outcomes import Outcome


def succeeded(deps: Deps, booking_id: str, intent: PaymentIntent, now: datetime) -> tuple[Outcome, Booking]:
    """Apply a succeeded PaymentIntent to its booking, whatever state the booking is in by now.

    PENDING -> CONFIRMED. EXPIRED (a late payment) -> CONFIRMED if every night can be held again
    in one transaction, else the whole amount is refunded and the booking says why. CANCELLED
    before the payment landed -> refunded in full. Already applied -> nothing (duplicates and
    out-of-order events). Money is never kept for a stay the guest does not have.
    """
    for _ in range(retry.ATTEMPTS):
        booking = deps.bookings.get(booking_id)
        stored = booking.payment
        if stored is None and booking.status is BookingStatus.PENDING and _made_for(booking, intent):
            # Stripe's word arrived before the checkout that made this PaymentIntent stored it
            # (its write is late, or it died after Stripe answered): the intent is this
            # booking's. Store it and confirm, in one write guarded by "no payment stored yet".
            stored = Payment(intent.id, intent.status, intent.amount, intent.currency)
        if stored is None or stored.payment_intent_id != intent.id:
            return _refund_stray(deps, booking, intent), booking
        applied = booking.status is BookingStatus.CONFIRMED or stored.succeeded or booking.refund
        live = not deps.stripe.is_test_mode()
        if not applied and money_mismatch(booking, intent, live) is not None:
            # Stripe's own record decides before any money moves (an event can be stale): what
            # it holds is confirmed if it is the booking's money, else refunded in full.
            intent = deps.stripe.retrieve_payment_intent(intent.id)
            mismatch = money_mismatch(booking, intent, live)
            if mismatch is not None:
                try:
                    return Outcome.PAYMENT_MISMATCH_REFUNDED, _refund_mismatch(deps, booking, intent, mismatch, now)
                except errors.InvalidState:
                    continue
        paid = replace(stored, status=IntentStatus.SUCCEEDED.value, last_error=None)
        try:
            if booking.status is BookingStatus.PENDING:
                deps.bookings.transition(
                    booking, [BookingStatus.PENDING], BookingStatus.CONFIRMED, now,
                    expect_payment_intent=intent.id if booking.payment else None, payment=paid,
                )  # fmt: skip
                logger.info('booking confirmed', booking_id=booking.id, payment_intent_id=intent.id)
                return Outcome.CONFIRMED, deps.bookings.get(booking_id)
            if booking.status is BookingStatus.CONFIRMED or stored.succeeded or booking.refund:
                # Applied before: finish a refund still owed, change nothing else.
                if refund_owed(booking):
                    return Outcome.NO_CHANGE, refunds.settle(deps, booking_id, now)
                return Outcome.NO_CHANGE, booking
            if booking.status is BookingStatus.EXPIRED:
                return _late_payment(deps, booking, paid, now)
            refunded = refunds.owe_in_full(deps, booking, paid, 'booking_cancelled_before_payment', now)
            return Outcome.PAYMENT_REFUNDED, refunded
        except errors.InvalidState:
            continue  # it moved meanwhile: look again
    raise errors.Conflict('The booking keeps changing; retry')


def _made_for(booking: Booking, intent: PaymentIntent) -> bool:
    """A PaymentIntent our checkout created for this booking (its metadata and locked total)."""
    return (
        intent.metadata.get('booking_id') == booking.id
        and intent.amount == booking.total_amount
        and intent.currency.upper() == booking.currency.upper()
    )


def _promo_use(deps: Deps, booking: Booking) -> PromoUse | None:
    """The promo use a late payment takes again: the hold's, within the code's limits as set now
    (a deleted code fails the transaction's guard like a used-up one)."""
    if booking.promo is None:
        return None
    code = deps.promos.find(booking.hotel_id, booking.promo.code)
    return PromoUse(
        booking.hotel_id,
        booking.promo.code,
        booking.user_id,
        code.max_uses if code is not None else None,
        code.max_uses_per_guest if code is not None else None,
    )


def money_mismatch(booking: Booking, intent: PaymentIntent, live: bool) -> str | None:
    """Why the booking's own PaymentIntent cannot confirm it (the refund's reason), or None.

    The mode first (a live payment seen by a test-mode stack, or the reverse, is a configuration
    fault), then the currency, then the amount asked and the amount received: each must be the
    booking's locked total, so an intent changed at Stripe after checkout made it confirms nothing.
    """
    if intent.livemode != live:
        return 'payment_livemode_mismatch'
    if intent.currency.upper() != booking.currency.upper():
        return 'payment_currency_mismatch'
    if intent.amount != booking.total_amount or intent.received != booking.total_amount:
        return 'payment_amount_mismatch'
    return None


def _refund_mismatch(deps: Deps, booking: Booking, intent: PaymentIntent, reason: str, now: datetime) -> Booking:
    """Never confirm: record what was received as owed back in full (a hold is released and
    cancelled in the same write), then make the refund. Logged as an error; the outcome's metric
    (PaymentMismatch) has an alarm."""
    paid = Payment(intent.id, IntentStatus.SUCCEEDED.value, intent.received, intent.currency)
    logger.error(
        'payment does not match its booking: not confirmed, refunded in full',
        booking_id=booking.id,
        payment_intent_id=intent.id,
        reason=reason,
        amount=intent.amount,
        amount_received=intent.received,
        currency=intent.currency,
        livemode=intent.livemode,
        expected_amount=booking.total_amount,
        expected_currency=booking.currency,
    )
    if booking.status is not BookingStatus.PENDING:
        return refunds.owe_in_full(deps, booking, paid, reason, now)
    owed = Refund(amount=paid.amount, penalty=0, currency=paid.currency, status=RefundStatus.PENDING, reason=reason)
    deps.bookings.transition(
        booking, [BookingStatus.PENDING], BookingStatus.CANCELLED, now,
        release_rooms=True, expect_payment_intent=intent.id if booking.payment else None,
        expect_no_refund=True, payment=paid, refund=owed, followup=refunds.first_try(deps, now),
        give_back_promo=booking.promo is not None,  # never confirmed: the hold's promo use goes back
    )  # fmt: skip
    return refunds.settle(deps, booking.id, now)


def _late_payment(deps: Deps, booking: Booking, paid: Payment, now: datetime) -> tuple[Outcome, Booking]:
    gone = _stay_no_longer_sold(deps, booking)
    if gone is not None:
        # Staff deleted the room type (and maybe the hotel) once the expired hold gave its nights
        # back: there is no stay to give. Refunded in full and acknowledged (never a 404 that
        # Stripe retries for 3 days and then drops, with the money kept).
        logger.warning('late payment for a stay no longer sold, refunding', booking_id=booking.id, reason=gone)
        return Outcome.LATE_PAYMENT_REFUNDED, refunds.owe_in_full(deps, booking, paid, gone, now)
    if now >= catalog.hotel(deps, booking.hotel_id).check_in_instant(booking.check_in):
        # Too late to give the guest the stay they paid for, even if rooms are free.
        return Outcome.LATE_PAYMENT_REFUNDED, refunds.owe_in_full(deps, booking, paid, 'stay_already_started', now)
    try:
        deps.bookings.transition(
            booking, [BookingStatus.EXPIRED], BookingStatus.CONFIRMED, now,
            take_rooms=True, expect_payment_intent=paid.payment_intent_id, expect_no_refund=True, payment=paid,
            take_promo=_promo_use(deps, booking),
            followup=None,  # the PaymentIntent left open is settled: paid, and the stay given
        )  # fmt: skip
    except errors.SoldOut:
        logger.warning('late payment: rooms no longer available, refunding', booking_id=booking.id)
        refunded = refunds.owe_in_full(deps, booking, paid, 'rooms_no_longer_available', now)
        return Outcome.LATE_PAYMENT_REFUNDED, refunded
    except (errors.PromoExhausted, errors.PromoGuestLimit):
        # The expiry gave the code's use back and others took it: the price paid no longer exists.
        logger.warning('late payment: promo code used up meanwhile, refunding', booking_id=booking.id)
        refunded = refunds.owe_in_full(deps, booking, paid, 'promo_no_longer_available', now)
        return Outcome.LATE_PAYMENT_REFUNDED, refunded
    logger.info('late payment: rooms held again, booking confirmed', booking_id=booking.id)
    return Outcome.LATE_PAYMENT_CONFIRMED, deps.bookings.get(booking.id)


def _stay_no_longer_sold(deps: Deps, booking: Booking) -> str | None:
    """Why the booking's stay can no longer be sold (its hotel or room type was deleted), or None."""
    try:
        catalog.hotel(deps, booking.hotel_id)
    except errors.NotFound:
        return 'hotel_no_longer_exists'
    try:
        catalog.room_type(deps, booking.room_type_id)
    except errors.NotFound:
        return 'room_type_no_longer_exists'
    return None


def _refund_stray(deps: Deps, booking: Booking, intent: PaymentIntent) -> Outcome:
    """Money on a PaymentIntent the booking does not use (it lost a checkout race, or was
    created by hand): refund what is left of it. Logged as an error: it should not happen."""
    refunded = sum(r.amount for r in deps.stripe.refunds_for(intent.id) if r.status not in NOT_REFUNDED)
    if refunded < intent.amount:
        deps.stripe.create_refund(
            payment_intent_id=intent.id,
            amount=intent.amount - refunded,
            metadata={'booking_id': booking.id, 'reason': 'payment_not_used_by_booking'},
            idempotency_key=f'stray-{intent.id}',
        )
    logger.error('payment on an unused payment intent refunded', booking_id=booking.id, payment_intent_id=intent.id)
    return Outcome.STRAY_PAYMENT_REFUNDED


def failed(deps: Deps, booking_id: str, intent: PaymentIntent, now: datetime) -> Outcome:
    """Record a failed attempt; the booking stays PENDING (the guest may retry until the hold ends)."""
    return record_status(deps, booking_id, intent, now)


def canceled(deps: Deps, booking_id: str, intent: PaymentIntent, now: datetime) -> Outcome:
    return record_status(deps, booking_id, intent, now)


def record_status(deps: Deps, booking_id: str, intent: PaymentIntent, now: datetime) -> Outcome:
    """Record what Stripe says of the PENDING booking's PaymentIntent (a failure, a cancel, an
    action the guest must take); nothing once the booking moved on."""
    booking = deps.bookings.get(booking_id)
    stored = booking.payment
    if booking.status is not BookingStatus.PENDING or stored is None or stored.payment_intent_id != intent.id:
        return Outcome.NO_CHANGE  # too late to matter: the booking moved on
    updated = replace(stored, status=intent.status, last_error=intent.last_error or stored.last_error)
    if updated == stored:
        return Outcome.NO_CHANGE
    try:
        deps.bookings.transition(
            booking, [BookingStatus.PENDING], BookingStatus.PENDING, now,
            expect_payment_intent=intent.id, payment=updated,
        )  # fmt: skip
    except errors.InvalidState:
        return Outcome.NO_CHANGE
    return Outcome.RECORDED
