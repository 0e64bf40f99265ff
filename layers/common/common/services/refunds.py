"""Refunds that happen exactly once (DESIGN §9), and refunds made outside the engine.

A refund is first recorded on the booking as owed (``refund.status = pending``, amount locked), in
the same guarded write that cancels the booking (or records a payment it cannot keep), and that
write also puts the booking in the sweeper's outbox (``followup``, services/followups.py).
Creating it at Stripe is then a separate step any retry can finish (``settle``).

Exactly once, without leaning on Stripe's idempotency key (localstripe ignores it):

- one process at a time holds a lease for it, taken with the CURRENT time (a sweep that started
  a minute ago must not take a lease that lapses at once);
- the holder first looks at Stripe for a refund of the PaymentIntent with our ``booking_id``
  (an earlier, interrupted attempt may have made it), and creates one only if there is none, and
  only if its lease still outlives the call;
- after an ambiguous failure (a timeout, a 5xx: the refund may exist, or may still be in flight
  at Stripe) the lease is KEPT: nobody creates one until it lapses, and the next holder looks
  first. Only a clear refusal (4xx) gives the lease back at once;
- the record is written only while the refund is owed and only by the lease's holder.

Stripe's idempotency key is still sent (``booking-{id}-refund``); after Stripe answered a 5xx
the next attempt sends a fresh one (``...-refund-1``), because Stripe replays a stored 5xx for
the same key for about a day. The look-up before creating is what makes that safe.

Every refund is capped at what Stripe has not refunded of the payment yet: a refund made in the
Dashboard meanwhile is counted (``Booking.refunded_outside``), never refunded twice.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from common import errors
from common.domain import (
    NOT_REFUNDED,
    Booking,
    BookingStatus,
    Followup,
    Payment,
    Refund,
    RefundStatus,
    StripeRefund,
    Work,
    has_stripe_refund,
    refund_owed,
)
from common.observability import logger
from common.services.deps import Deps
from common.services.outcomes import Outcome


def refund_key(booking_id: str, version: int = 0) -> str:
    """Stripe's idempotency key for the booking's refund (a fresh one after a 5xx)."""
    return f'booking-{booking_id}-refund' if version == 0 else f'booking-{booking_id}-refund-{version}'


def first_try(deps: Deps, now: datetime) -> Followup:
    """The outbox entry that lets the sweeper finish a refund nobody retried."""
    return Followup(Work.REFUND, now + timedelta(seconds=deps.settings.refund_retry_after_seconds))


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
    deps.bookings.transition(
        booking, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, now,
        release_rooms=True, expect_no_refund=True, refund=refund,
        followup=first_try(deps, now) if amount > 0 else None,
    )  # fmt: skip


def owe_in_full(deps: Deps, booking: Booking, paid: Payment, reason: str, now: datetime) -> Booking:
    """Record a succeeded payment the booking cannot keep (it is not, or no longer, a stay the
    guest has) with its whole amount owed back, then make the refund. The booking leaves any
    other work it was owed (a PaymentIntent left open is now paid) for the refund."""
    owed = Refund(amount=paid.amount, penalty=0, currency=paid.currency, status=RefundStatus.PENDING, reason=reason)
    deps.bookings.transition(
        booking, [booking.status], booking.status, now,
        expect_payment_intent=paid.payment_intent_id, expect_no_refund=True, payment=paid, refund=owed,
        followup=first_try(deps, now),
    )  # fmt: skip
    return settle(deps, booking.id, now)


def _outside(refunds: list[StripeRefund], booking: Booking, ours: str | None = None) -> int:
    """What Stripe refunded of the payment outside the engine (the Dashboard): every refund that
    returned money and is neither ``ours`` nor made by the engine for this booking."""
    return sum(
        r.amount
        for r in refunds
        if r.status not in NOT_REFUNDED and r.id != ours and r.metadata.get('booking_id') != booking.id
    )


def settle(deps: Deps, booking_id: str, now: datetime) -> Booking:
    """Create the refund a booking owes at Stripe, once, and record it.

    Safe to call any number of times, concurrently, and after a crash at any point (see the
    module's docstring). Raises what Stripe answered when it failed; the booking then still owes
    the refund, and the sweeper retries it (services/followups.py).
    """
    booking = deps.bookings.get(booking_id)
    owed = booking.refund
    if owed is None or not refund_owed(booking) or booking.payment is None:
        return booking
    current = deps.settings
    claimed_at = deps.clock()
    lease = deps.bookings.claim_refund(booking_id, claimed_at, current.payment_lease_seconds)
    if lease is None:
        return booking  # someone else is creating it right now
    payment_intent_id, paid = booking.payment.payment_intent_id, booking.payment.amount
    try:
        at_stripe = deps.stripe.refunds_for(payment_intent_id)
    except Exception:
        _give_back(deps, booking_id, lease)  # nothing was made
        raise
    earlier = [r for r in at_stripe if r.metadata.get('booking_id') == booking_id]
    if len(earlier) > 1:
        logger.error('more than one refund for a booking', booking_id=booking_id, refunds=[r.id for r in earlier])
    outside = _outside(at_stripe, booking)
    made = earlier[0] if earlier else None
    if made is None:
        # Capped at what Stripe has not refunded yet (a Dashboard refund meanwhile is not given twice).
        amount = min(owed.amount, max(paid - outside, 0))
        if amount > 0:
            made = _create(deps, booking, owed, amount, lease, claimed_at)
    amount = made.amount if made is not None else 0
    settled = Refund(
        amount=amount,
        penalty=max(paid - outside - amount, 0),
        currency=owed.currency,
        status=made.status if made is not None else RefundStatus.NOT_REQUIRED,
        stripe_refund_id=made.id if made is not None else None,
        reason=owed.reason,
        key_version=owed.key_version,
    )
    if not deps.bookings.record_refund(booking_id, lease, settled, outside, deps.clock()):
        # Our lease lapsed meanwhile and another process took over: it records what Stripe has.
        logger.warning('refund not recorded: the lease was taken over', booking_id=booking_id)
        return deps.bookings.get(booking_id)
    logger.info(
        'refund recorded',
        booking_id=booking_id,
        refund_id=settled.stripe_refund_id,
        status=settled.status,
        amount=settled.amount,
        refunded_outside=outside,
    )
    return deps.bookings.get(booking_id)


def _create(deps: Deps, booking: Booking, owed: Refund, amount: int, lease: str, claimed_at: datetime) -> StripeRefund:
    assert booking.payment is not None
    current = deps.settings
    # The lease must outlive the call (no SDK retries for refunds): otherwise another process could
    # take it over, look at Stripe before this refund exists, and make a second one.
    lapses_at = claimed_at + timedelta(seconds=current.payment_lease_seconds)
    if deps.clock() + timedelta(seconds=current.stripe_timeout_seconds + LEASE_MARGIN_SECONDS) >= lapses_at:
        _give_back(deps, booking.id, lease)
        raise errors.ServiceUnavailable('The refund lease ran short; retry')
    try:
        return deps.stripe.create_refund(
            payment_intent_id=booking.payment.payment_intent_id,
            amount=amount,
            metadata={'booking_id': booking.id, 'reason': owed.reason or 'cancellation'},
            idempotency_key=refund_key(booking.id, owed.key_version),
        )
    except errors.PaymentProviderUnavailable as exc:
        # Ambiguous: the refund may exist, or still be on its way. Keep the lease until it lapses;
        # the next holder looks at Stripe first. After a 5xx, it also sends a fresh key.
        if exc.server_error:
            with contextlib.suppress(errors.DomainError):
                deps.bookings.bump_refund_key(booking.id, lease)
        logger.warning('refund outcome unknown; lease kept until it lapses', booking_id=booking.id)
        raise
    except Exception:
        _give_back(deps, booking.id, lease)  # Stripe refused: nothing was made
        raise


# Kept between the end of the longest Stripe call and the lease lapsing (the time to record it).
LEASE_MARGIN_SECONDS = 5


def _give_back(deps: Deps, booking_id: str, lease: str) -> None:
    with contextlib.suppress(Exception):  # the lease lapses anyway; keep the original error
        deps.bookings.release_refund_claim(booking_id, lease)  # let the next retry in at once


# ---------------------------------------------------------------- refund events


def sync(deps: Deps, booking_id: str, refund_id: str | None, now: datetime) -> Outcome:
    """A refund event (``charge.refunded``, ``refund.*``): finish a refund still owed, record
    Stripe's current status of ours (read from Stripe, so events in any order, or two at once,
    cannot move it backwards), and reconcile refunds made outside the engine."""
    booking = deps.bookings.get(booking_id)
    owed = booking.refund
    if owed is not None and refund_owed(booking):
        settled = settle(deps, booking_id, now)
        return Outcome.RECORDED if not refund_owed(settled) else Outcome.NO_CHANGE
    outcome = Outcome.NO_CHANGE
    ours = owed.stripe_refund_id if owed is not None else None
    if ours is not None and refund_id in (None, ours):
        outcome = _sync_status(deps, booking_id, ours, now)
        if refund_id == ours:
            return outcome  # an event about our own refund
    outside = reconcile_outside(deps, deps.bookings.get(booking_id), now)
    return outcome if outcome is Outcome.REFUND_FAILED or outside is Outcome.NO_CHANGE else outside


def _sync_status(deps: Deps, booking_id: str, refund_id: str, now: datetime) -> Outcome:
    current = deps.stripe.retrieve_refund(refund_id)
    changed = deps.bookings.update_refund_status(booking_id, current.id, current.status, now)
    if changed and current.status is RefundStatus.FAILED:
        # The money did not go back (closed card...): someone has to act. Logged and alarmed.
        logger.error('refund failed at Stripe', booking_id=booking_id, refund_id=current.id)
        return Outcome.REFUND_FAILED
    return Outcome.RECORDED if changed else Outcome.NO_CHANGE


def reconcile_outside(deps: Deps, booking: Booking, now: datetime) -> Outcome:
    """Refunds of the booking's payment made outside the engine (the Stripe Dashboard), read from
    Stripe and recorded:

    - on a CONFIRMED booking refunded in full: the booking is CANCELLED and its rooms go back on
      sale (one transaction); the refund is recorded as ``refunded_outside`` (nothing more owed);
    - on a CONFIRMED booking refunded in part (a goodwill gesture): the booking keeps its stay and
      records how much went back; a later cancel refunds what the policy gives minus that;
    - on a booking whose own refund was made: what went back outside is recorded and the penalty
      kept shrinks by it (refund + penalty + outside = paid).
    """
    payment = booking.payment
    if payment is None or not payment.succeeded:
        logger.warning('refund event for an unpaid booking', booking_id=booking.id)
        return Outcome.IGNORED
    if refund_owed(booking):
        settle(deps, booking.id, now)  # it reads and counts what was refunded outside
        return Outcome.RECORDED
    ours = booking.refund.stripe_refund_id if booking.refund is not None else None
    outside = _outside(deps.stripe.refunds_for(payment.payment_intent_id), booking, ours)
    if outside <= booking.refunded_outside:
        return Outcome.NO_CHANGE
    logger.warning('refund made outside the engine', booking_id=booking.id, amount=outside, paid=payment.amount)
    if booking.status is BookingStatus.CONFIRMED and outside >= payment.amount:
        cancelled = Refund(0, 0, payment.currency, RefundStatus.NOT_REQUIRED, reason='refunded_outside')
        try:
            deps.bookings.transition(
                booking, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, now,
                release_rooms=True, expect_no_refund=True, refund=cancelled, refunded_outside=outside,
            )  # fmt: skip
        except errors.InvalidState:
            return Outcome.NO_CHANGE  # cancelled meanwhile (its refund is capped at what is left)
        return Outcome.CANCELLED_REFUNDED_OUTSIDE
    penalty = None
    if booking.refund is not None and has_stripe_refund(booking):
        penalty = max(payment.amount - booking.refund.amount - outside, 0)
    changed = deps.bookings.record_refunded_outside(booking.id, outside, penalty, now)
    return Outcome.RECORDED if changed else Outcome.NO_CHANGE
