"""Releasing a PENDING hold: a guest's cancel and the expiry of an unpaid hold.

The PaymentIntent is cancelled at Stripe first: Stripe arbitrates a payment racing us, and if it
already succeeded the booking is confirmed instead. Then the booking and every night's rooms
move in one transaction guarded by PENDING and the PaymentIntent seen (and the account's hold
slot is given back in it).

A hold past its expiry is expired by the sweeper, by a cancel that finds it expired, and on demand
by a hold it stands in the way of (``release_due_on``, ``release_own_due``): the rooms are back
on sale from ``hold_expires_at`` on, whatever the sweeper's interval (docs/holds.md).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from common import errors, retry
from common.domain import Booking, BookingStatus, Followup, HeldSlot, IntentStatus, Payment, PaymentIntent, Work
from common.observability import logger
from common.ports import ANY
from common.services import payments
from common.services.deps import Deps


class Release(enum.StrEnum):
    """How an attempt to release a PENDING hold ended."""

    RELEASED = 'released'
    PAID = 'paid'  # the payment won the race: the booking is CONFIRMED instead
    PROCESSING = 'processing'  # Stripe is still deciding; try again later
    MOVED = 'moved'  # someone else changed the booking first


@dataclass(frozen=True)
class Released:
    release: Release
    booking: Booking
    # The PaymentIntent could not be cancelled (Stripe unreachable, or still processing): it is
    # in the outbox (Work.OPEN_INTENT) and every sweep tries again; a payment that lands later is a
    # late payment (held again, or refunded in full), found by the webhook or the sweeper.
    payment_left_open: bool = False
    # Stripe could not be reached at all (PaymentProviderUnavailable): the sweeper stops calling it
    # for the rest of its run. A PaymentIntent merely ``processing`` does not mean that.
    stripe_unavailable: bool = False


def release(
    deps: Deps, booking: Booking, to_status: BookingStatus, now: datetime, *, strict: bool, call_stripe: bool = True
) -> Released:
    """PENDING -> CANCELLED or EXPIRED, shared by cancel and the sweeper.

    ``strict`` (a guest's cancel): if Stripe cannot cancel the PaymentIntent, nothing changes and
    the error propagates (503, or 409 ``payment_processing``). Not strict (expiry): the hold is
    released anyway, so rooms never stay off sale because Stripe is down; a payment that lands
    later is handled as a late payment. ``call_stripe=False`` skips Stripe (the sweeper, once it
    has seen Stripe down in this run).
    """
    for _ in range(retry.ATTEMPTS):
        if booking.status is not BookingStatus.PENDING:
            return Released(Release.MOVED, booking)
        stored = booking.payment
        payment: Payment | None = None
        left_open = unavailable = False
        if stored is not None:
            intent, unavailable = _cancel_intent(deps, stored.payment_intent_id, strict=strict, call_stripe=call_stripe)
            if intent is not None and intent.succeeded:
                _, confirmed = payments.succeeded(deps, booking.id, intent, now)
                return Released(Release.PAID, confirmed)
            if intent is not None and intent.status == IntentStatus.CANCELED:
                payment = replace(stored, status=IntentStatus.CANCELED.value, client_secret=None)
            elif strict:
                return Released(Release.PROCESSING, booking)
            else:
                left_open = True
                if intent is not None and intent.status != stored.status:
                    payment = replace(stored, status=intent.status)
        followup = Followup(Work.OPEN_INTENT, now + timedelta(seconds=deps.settings.open_intent_retry_seconds))
        try:
            deps.bookings.transition(
                booking, [BookingStatus.PENDING], to_status, now,
                release_rooms=True, expect_payment_intent=stored.payment_intent_id if stored else None,
                payment=payment, followup=followup if left_open else ANY,
            )  # fmt: skip
        except errors.InvalidState:
            booking = deps.bookings.get(booking.id)  # a checkout attached a payment, or it moved on
            continue
        released = replace(
            booking, status=to_status, payment=payment or stored, followup=followup if left_open else booking.followup
        )
        if left_open:
            logger.warning('payment intent left open', booking_id=booking.id, stripe_unavailable=unavailable)
        return Released(Release.RELEASED, released, payment_left_open=left_open, stripe_unavailable=unavailable)
    raise errors.Conflict('The booking keeps changing; retry')


def _cancel_intent(
    deps: Deps, payment_intent_id: str, *, strict: bool, call_stripe: bool
) -> tuple[PaymentIntent | None, bool]:
    """The PaymentIntent as Stripe has it after our cancel (None: unknown), and whether Stripe
    was unreachable."""
    if not call_stripe:
        return None, False
    try:
        return deps.stripe.cancel_payment_intent(payment_intent_id), False
    except (errors.PaymentProviderUnavailable, errors.PaymentProviderError) as exc:
        if strict:
            raise
        return None, isinstance(exc, errors.PaymentProviderUnavailable)


def expire(deps: Deps, booking: Booking, now: datetime, *, call_stripe: bool = True) -> Released:
    """PENDING past ``hold_expires_at`` -> EXPIRED: rooms back on sale in the same transaction as
    the status, its PaymentIntent cancelled at Stripe first. If Stripe says the payment already
    succeeded, the booking is confirmed instead (the payment won the race). If Stripe cannot be
    reached, the hold is released anyway: a payment that lands later is a late payment.

    The one definition of "expire this hold": the sweeper's, and a cancel's of an expired hold."""
    if booking.status is not BookingStatus.PENDING:
        return Released(Release.MOVED, booking)
    if not booking.hold_has_expired(now):
        raise errors.InvalidState('The hold has not expired yet')
    return release(deps, booking, BookingStatus.EXPIRED, now, strict=False, call_stripe=call_stripe)


# At most this many due holds are expired by one request that wants their rooms (each may be a
# Stripe call): enough for any stay a guest books in practice; the sweeper and the next request
# release the rest.
MAX_RELEASED_ON_DEMAND = 10


def release_due_on(deps: Deps, room_type_id: str, nights: Sequence[date], now: datetime, *, rooms: int = 1) -> int:
    """Expire the due holds (PENDING, past ``hold_expires_at``) holding rooms of ``room_type_id`` on
    ``nights``, oldest expiry first, until this call has freed ``rooms`` more on every one of those
    nights: what a hold refused as sold out does before trying once more, rather than wait for the
    sweeper. Found through the sparse ``pending`` index (due holds only, never a Scan); each
    expired by ``expire``, so released at most once however many callers race; at most
    ``MAX_RELEASED_ON_DEMAND`` attempts. A hold a racing caller released first does not count as
    freed here (that caller is about to take its rooms): the next one is tried.

    Returns how many of them no longer hold their rooms (released by this call or a racing one);
    0 when trying again is pointless (nothing due, or every due hold turned out paid)."""
    if not nights:
        return 0
    wanted = set(nights)
    found = deps.bookings.due_holds_on([room_type_id], min(wanted), max(wanted) + timedelta(days=1), now)
    due = sorted((b for b in found if wanted.intersection(n.date for n in b.nightly)), key=lambda b: b.hold_expires_at)
    freed: dict[date, int] = dict.fromkeys(wanted, 0)
    gone = 0
    for booking in due[:MAX_RELEASED_ON_DEMAND]:
        if all(count >= rooms for count in freed.values()):
            break
        result = _expire_on_demand(deps, booking, now)
        if result is None or result.release is Release.PAID:
            continue
        gone += 1
        if result.release is Release.RELEASED:
            for night in booking.nightly:
                if night.date in freed:
                    freed[night.date] += booking.rooms
    return gone


def release_own_due(deps: Deps, user_id: str, held: Sequence[HeldSlot], now: datetime) -> int:
    """Free the account's hold slots whose holds are due: each expired by ``expire``, which gives
    the slot back in its own transaction. An entry whose booking left PENDING some other way (it
    should not happen: every transition out of PENDING removes its own) is dropped. Returns how
    many of ``held`` were due."""
    due = [slot for slot in held if slot.expires_at <= now]
    stale = []
    for slot in due:
        try:
            booking = deps.bookings.get(slot.booking_id)
        except errors.NotFound:
            stale.append(slot)
            continue
        if booking.status is BookingStatus.PENDING:
            _expire_on_demand(deps, booking, now)
        else:
            # Its transition gave the slot back, unless something moved it without (the auditor
            # reports such entries): dropping an entry already gone changes nothing.
            stale.append(slot)
    if stale:
        logger.info('hold slots of bookings no longer pending dropped', user_id=user_id, slots=len(stale))
        deps.bookings.drop_hold_slots(user_id, stale)
    return len(due)


def _expire_on_demand(deps: Deps, booking: Booking, now: datetime) -> Released | None:
    """``expire`` for a caller that only needs the hold gone: someone else releasing it first, or
    the payment winning, is as good; one hold's trouble never fails the caller's request (None).
    ``MOVED`` means it is no longer PENDING: released by someone else, or paid."""
    try:
        result = expire(deps, booking, now)
    except (errors.ServiceUnavailable, errors.PaymentProviderError, errors.Conflict) as exc:
        logger.warning('due hold not released on demand', booking_id=booking.id, error=type(exc).__name__)
        return None
    if result.release is Release.RELEASED:
        logger.info('due hold released on demand', booking_id=booking.id)
    if result.release is Release.MOVED and result.booking.status not in (
        BookingStatus.EXPIRED,
        BookingStatus.CANCELLED,
    ):
        return replace(result, release=Release.PAID)  # confirmed meanwhile: its rooms stay taken
    return result
