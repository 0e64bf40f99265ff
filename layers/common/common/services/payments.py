"""Payments (DESIGN §5, §9, §10): one PaymentIntent per booking, Stripe's word applied to
bookings, and refunds that happen exactly once.

Who decides what:
- Stripe arbitrates a payment racing a cancel or an expiry: we cancel the PaymentIntent at
  Stripe FIRST, and Stripe answers either "canceled" (the booking is released) or "succeeded"
  (the booking is confirmed instead). A PaymentIntent cannot end up both.
- DynamoDB arbitrates everything else: every booking change is a write guarded by the status
  (and PaymentIntent) it expects; rooms move in the same transaction.
- A refund is first recorded on the booking as owed (``refund.status = pending``, amount locked),
  in the same guarded write that cancels the booking. Creating it at Stripe is then a separate
  step any retry can finish: one process at a time holds a lease for it, and it looks for an
  existing refund of the PaymentIntent at Stripe before creating one. Stripe's idempotency key
  is sent too, but nothing depends on it (localstripe ignores it).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from common import errors, repos
from common import stripe_gateway as gateway
from common.config import settings
from common.domain import Booking, BookingStatus, Payment, Principal, Refund
from common.observability import logger
from common.services import bookings, catalog

TEST_PAYMENT_METHOD = 'pm_card_visa'
REFUND_PENDING = 'pending'
REFUND_NOT_REQUIRED = 'not_required'
_ATTEMPTS = 4


class Outcome(enum.StrEnum):
    CONFIRMED = 'confirmed'
    LATE_PAYMENT_CONFIRMED = 'late_payment_confirmed'
    LATE_PAYMENT_REFUNDED = 'late_payment_refunded'
    PAYMENT_REFUNDED = 'payment_refunded'  # paid after the booking was cancelled
    STRAY_PAYMENT_REFUNDED = 'stray_payment_refunded'
    RECORDED = 'recorded'
    REFUND_FAILED = 'refund_failed'
    NO_CHANGE = 'no_change'
    DUPLICATE = 'duplicate'
    IGNORED = 'ignored'
    UNKNOWN_BOOKING = 'unknown_booking'


class Release(enum.StrEnum):
    """How an attempt to release a PENDING hold ended."""

    RELEASED = 'released'
    PAID = 'paid'  # the payment won the race: the booking is CONFIRMED instead
    PROCESSING = 'processing'  # Stripe is still deciding; try again later
    MOVED = 'moved'  # someone else changed the booking first


@dataclass(frozen=True)
class CheckoutResult:
    booking: Booking
    payment: Payment
    created: bool
    outcome: Outcome | None = None


@dataclass(frozen=True)
class EventResult:
    event_id: str
    event_type: str
    outcome: Outcome
    booking_id: str | None = None


def payment_intent_key(booking_id: str) -> str:
    return f'booking-{booking_id}-payment-intent'


def refund_key(booking_id: str) -> str:
    return f'booking-{booking_id}-refund'


# ---------------------------------------------------------------- checkout


def check_auto_confirm_allowed() -> None:
    if not settings().allow_auto_confirm:
        raise errors.AutoConfirmNotAllowed('auto_confirm is disabled by configuration (ALLOW_AUTO_CONFIRM)')
    if not gateway.is_test_mode():
        raise errors.AutoConfirmNotAllowed('auto_confirm only works with a Stripe test-mode key')


def check_payable(booking: Booking, now: datetime) -> None:
    status = booking.effective_status(now)
    if status is BookingStatus.CONFIRMED:
        raise errors.AlreadyPaid()
    if status is BookingStatus.CANCELLED:
        raise errors.AlreadyCancelled()
    if status is BookingStatus.EXPIRED:
        raise errors.HoldExpired(hold_expires_at=booking.hold_expires_at.isoformat())


def checkout(
    principal: Principal,
    booking_id: str,
    now: datetime,
    *,
    auto_confirm: bool = False,
    payment_method: str | None = None,
) -> CheckoutResult:
    """The booking's one PaymentIntent (created on the first call), confirmed here when the
    client names a ``payment_method`` (one Stripe.js created from the guest's card: Stripe's
    "finalize payments on the server" flow), or with ``auto_confirm`` (test mode only) with a
    Stripe test card. A payment Stripe accepts at once confirms the booking now; one that needs
    the guest (3-D Secure: ``requires_action``) is finished by Stripe.js and confirmed by the
    webhook."""
    if auto_confirm:
        check_auto_confirm_allowed()  # before anything is read or written
    booking = bookings.get_own(principal, booking_id)
    check_payable(booking, now)
    created = False
    if booking.payment is None:
        booking, created = _attach_new_intent(booking, now)
    assert booking.payment is not None
    if booking.payment.status == gateway.CANCELED:
        raise errors.InvalidState('The payment of this booking was canceled')
    outcome = None
    if auto_confirm or payment_method:
        outcome, booking = _confirm_on_server(booking, payment_method or TEST_PAYMENT_METHOD, now)
    assert booking.payment is not None
    return CheckoutResult(booking=booking, payment=booking.payment, created=created, outcome=outcome)


def _attach_new_intent(booking: Booking, now: datetime) -> tuple[Booking, bool]:
    intent = gateway.create_payment_intent(
        amount=booking.total_amount,
        currency=booking.currency,
        metadata={'booking_id': booking.id, 'user_id': booking.user_id},
        idempotency_key=payment_intent_key(booking.id),
    )
    payment = Payment(
        payment_intent_id=intent.id,
        status=intent.status,
        amount=intent.amount,
        currency=intent.currency,
        client_secret=intent.client_secret,
    )
    if repos.attach_payment(booking.id, payment, now):
        logger.info('payment intent attached', payment_intent_id=intent.id)
        return repos.get_booking(booking.id), True
    # Someone else attached one first (a concurrent checkout), or the booking moved on (cancelled,
    # expired). Ours must never stay confirmable: cancel it, then answer with what is stored.
    latest = repos.get_booking(booking.id)
    if latest.payment is None or latest.payment.payment_intent_id != intent.id:
        _abandon(intent.id)
    check_payable(latest, now)
    if latest.payment is None:
        raise errors.Conflict('The booking changed during checkout; retry')
    return latest, False


def _abandon(payment_intent_id: str) -> None:
    try:
        gateway.cancel_payment_intent(payment_intent_id)
    except errors.DomainError:
        # Never handed to a client (no one holds its client_secret): it cannot be paid.
        logger.warning('could not cancel an unused payment intent', payment_intent_id=payment_intent_id)


def _confirm_on_server(booking: Booking, payment_method: str, now: datetime) -> tuple[Outcome, Booking]:
    assert booking.payment is not None
    payment_intent_id = booking.payment.payment_intent_id
    current = gateway.retrieve_payment_intent(payment_intent_id)
    if current.status == gateway.PROCESSING:
        raise errors.PaymentProcessing()
    if not current.succeeded:
        try:
            current = gateway.confirm_with_test_method(payment_intent_id, payment_method)
        except errors.PaymentDeclined as declined:
            failed = gateway.retrieve_payment_intent(payment_intent_id)
            payment_failed(booking.id, replace(failed, last_error=declined.extra.get('decline_code')), now)
            raise
        except errors.PaymentProviderError:
            # Stripe refused to confirm: a cancel or the sweeper cancelled the intent a moment
            # ago, or an earlier attempt of this very confirmation went through and its answer
            # was lost (real Stripe replays it for the SDK's retry by its idempotency key;
            # nothing here relies on that). Read what the intent is now.
            current = gateway.retrieve_payment_intent(payment_intent_id)
            if not current.succeeded:
                check_payable(repos.get_booking(booking.id), now)
                raise
    if current.succeeded:
        return payment_succeeded(booking.id, current, now)
    # e.g. requires_action (3-D Secure): Stripe.js finishes it with the guest, the webhook confirms.
    # Recorded, so the client reads what Stripe needs next from the answer.
    _record_payment_status(booking.id, current, now)
    return Outcome.RECORDED, repos.get_booking(booking.id)


# ---------------------------------------------------------------- Stripe's decisions


def payment_succeeded(booking_id: str, intent: gateway.Intent, now: datetime) -> tuple[Outcome, Booking]:
    """Apply a succeeded PaymentIntent to its booking, whatever state the booking is in by now.

    PENDING -> CONFIRMED. EXPIRED (a late payment) -> CONFIRMED if every night can be held again
    in one transaction, else the whole amount is refunded and the booking says why. CANCELLED
    before the payment landed -> refunded in full. Already applied -> nothing (duplicates and
    out-of-order events). Money is never kept for a stay the guest does not have.
    """
    for _ in range(_ATTEMPTS):
        booking = repos.get_booking(booking_id)
        stored = booking.payment
        if stored is None and booking.status is BookingStatus.PENDING and _made_for(booking, intent):
            # Stripe's word arrived before the checkout that made this PaymentIntent stored it
            # (its write is late, or it died after Stripe answered): the intent is this
            # booking's. Store it and confirm, in one write guarded by "no payment stored yet".
            stored = Payment(intent.id, intent.status, intent.amount, intent.currency)
        if stored is None or stored.payment_intent_id != intent.id:
            return _refund_stray(booking, intent), booking
        paid = replace(stored, status=gateway.SUCCEEDED, last_error=None)
        try:
            if booking.status is BookingStatus.PENDING:
                repos.transition(
                    booking, [BookingStatus.PENDING], BookingStatus.CONFIRMED, now,
                    expect_payment_intent=intent.id if booking.payment else None, payment=paid,
                )  # fmt: skip
                logger.info('booking confirmed', booking_id=booking.id, payment_intent_id=intent.id)
                return Outcome.CONFIRMED, repos.get_booking(booking_id)
            if booking.status is BookingStatus.CONFIRMED or stored.status == gateway.SUCCEEDED or booking.refund:
                # Applied before: finish a refund still owed, change nothing else.
                if booking.refund is not None and booking.refund.status == REFUND_PENDING:
                    return Outcome.NO_CHANGE, settle_refund(booking_id, now)
                return Outcome.NO_CHANGE, booking
            if booking.status is BookingStatus.EXPIRED:
                return _late_payment(booking, paid, now)
            return _refund_in_full(booking, paid, 'booking_cancelled_before_payment', Outcome.PAYMENT_REFUNDED, now)
        except errors.InvalidState:
            continue  # it moved meanwhile: look again
    raise errors.Conflict('The booking keeps changing; retry')


def _made_for(booking: Booking, intent: gateway.Intent) -> bool:
    """A PaymentIntent our checkout created for this booking (its metadata and locked total)."""
    return (
        intent.metadata.get('booking_id') == booking.id
        and intent.amount == booking.total_amount
        and intent.currency.upper() == booking.currency.upper()
    )


def _late_payment(booking: Booking, paid: Payment, now: datetime) -> tuple[Outcome, Booking]:
    if now >= catalog.hotel(booking.hotel_id).check_in_instant(booking.check_in):
        # Too late to give the guest the stay they paid for, even if rooms are free.
        return _refund_in_full(booking, paid, 'stay_already_started', Outcome.LATE_PAYMENT_REFUNDED, now)
    try:
        repos.transition(
            booking, [BookingStatus.EXPIRED], BookingStatus.CONFIRMED, now,
            take_rooms=True, expect_payment_intent=paid.payment_intent_id, expect_no_refund=True, payment=paid,
        )  # fmt: skip
    except errors.SoldOut:
        logger.warning('late payment: rooms no longer available, refunding', booking_id=booking.id)
        return _refund_in_full(booking, paid, 'rooms_no_longer_available', Outcome.LATE_PAYMENT_REFUNDED, now)
    logger.info('late payment: rooms held again, booking confirmed', booking_id=booking.id)
    return Outcome.LATE_PAYMENT_CONFIRMED, repos.get_booking(booking.id)


def _refund_in_full(
    booking: Booking, paid: Payment, reason: str, outcome: Outcome, now: datetime
) -> tuple[Outcome, Booking]:
    owed = Refund(amount=paid.amount, penalty=0, currency=paid.currency, status=REFUND_PENDING, reason=reason)
    _note_refund_owed(booking.id, now)
    repos.transition(
        booking, [booking.status], booking.status, now,
        expect_payment_intent=paid.payment_intent_id, expect_no_refund=True, payment=paid, refund=owed,
    )  # fmt: skip
    return outcome, settle_refund(booking.id, now)


def _refund_stray(booking: Booking, intent: gateway.Intent) -> Outcome:
    """Money on a PaymentIntent the booking does not use (it lost a checkout race, or was
    created by hand): refund what is left of it. Logged as an error: it should not happen."""
    refunded = sum(r.amount for r in gateway.refunds_for(intent.id) if r.status not in ('failed', 'canceled'))
    if refunded < intent.amount:
        gateway.create_refund(
            payment_intent_id=intent.id,
            amount=intent.amount - refunded,
            metadata={'booking_id': booking.id, 'reason': 'payment_not_used_by_booking'},
            idempotency_key=f'stray-{intent.id}',
        )
    logger.error('payment on an unused payment intent refunded', booking_id=booking.id, payment_intent_id=intent.id)
    return Outcome.STRAY_PAYMENT_REFUNDED


def payment_failed(booking_id: str, intent: gateway.Intent, now: datetime) -> Outcome:
    """Record a failed attempt; the booking stays PENDING (the guest may retry until the hold ends)."""
    return _record_payment_status(booking_id, intent, now)


def payment_canceled(booking_id: str, intent: gateway.Intent, now: datetime) -> Outcome:
    return _record_payment_status(booking_id, intent, now)


def _record_payment_status(booking_id: str, intent: gateway.Intent, now: datetime) -> Outcome:
    booking = repos.get_booking(booking_id)
    stored = booking.payment
    if booking.status is not BookingStatus.PENDING or stored is None or stored.payment_intent_id != intent.id:
        return Outcome.NO_CHANGE  # too late to matter: the booking moved on
    updated = replace(stored, status=intent.status, last_error=intent.last_error or stored.last_error)
    if updated == stored:
        return Outcome.NO_CHANGE
    try:
        repos.transition(
            booking, [BookingStatus.PENDING], BookingStatus.PENDING, now,
            expect_payment_intent=intent.id, payment=updated,
        )  # fmt: skip
    except errors.InvalidState:
        return Outcome.NO_CHANGE
    return Outcome.RECORDED


# ---------------------------------------------------------------- releasing a hold


@dataclass(frozen=True)
class Released:
    release: Release
    booking: Booking
    # The PaymentIntent could not be cancelled (Stripe unreachable, or still processing): a
    # payment that lands later is a late payment (held again, or refunded in full).
    payment_left_open: bool = False


def release_hold(
    booking: Booking, to_status: BookingStatus, now: datetime, *, strict: bool, call_stripe: bool = True
) -> Released:
    """PENDING -> CANCELLED or EXPIRED, shared by cancel and the sweeper.

    The PaymentIntent is cancelled at Stripe first: Stripe arbitrates a payment racing us, and
    if it already succeeded the booking is confirmed instead. Then the booking and every night's
    rooms move in one transaction guarded by PENDING and the PaymentIntent seen.

    ``strict`` (a guest's cancel): if Stripe cannot cancel the PaymentIntent, nothing changes and
    the error propagates (503, or 409 ``payment_processing``). Not strict (expiry): the hold is
    released anyway, so rooms never stay off sale because Stripe is down; a payment that lands
    later is handled as a late payment. ``call_stripe=False`` skips Stripe (the sweeper, once it
    has seen Stripe down in this run).
    """
    for _ in range(_ATTEMPTS):
        if booking.status is not BookingStatus.PENDING:
            return Released(Release.MOVED, booking)
        stored = booking.payment
        changes = {}
        left_open = False
        if stored is not None:
            intent = _cancel_intent(stored.payment_intent_id, strict=strict, call_stripe=call_stripe)
            if intent is not None and intent.succeeded:
                _, confirmed = payment_succeeded(booking.id, intent, now)
                return Released(Release.PAID, confirmed)
            if intent is not None and intent.status == gateway.CANCELED:
                changes['payment'] = replace(stored, status=gateway.CANCELED, client_secret=None)
            elif strict:
                return Released(Release.PROCESSING, booking)
            else:
                left_open = True
                if intent is not None and intent.status != stored.status:
                    changes['payment'] = replace(stored, status=intent.status)
        try:
            repos.transition(
                booking, [BookingStatus.PENDING], to_status, now,
                release_rooms=True, expect_payment_intent=stored.payment_intent_id if stored else None, **changes,
            )  # fmt: skip
        except errors.InvalidState:
            booking = repos.get_booking(booking.id)  # a checkout attached a payment, or it moved on
            continue
        released = replace(booking, status=to_status, payment=changes.get('payment', stored))
        return Released(Release.RELEASED, released, payment_left_open=left_open)
    raise errors.Conflict('The booking keeps changing; retry')


def _cancel_intent(payment_intent_id: str, *, strict: bool, call_stripe: bool) -> gateway.Intent | None:
    if not call_stripe:
        return None
    try:
        return gateway.cancel_payment_intent(payment_intent_id)
    except (errors.PaymentProviderUnavailable, errors.PaymentProviderError):
        if strict:
            raise
        logger.warning('payment intent left open: stripe unavailable', payment_intent_id=payment_intent_id)
        return None


# ---------------------------------------------------------------- refunds


def owe_refund(booking: Booking, amount: int, penalty: int, reason: str, now: datetime) -> None:
    """Cancel a CONFIRMED booking: rooms back on sale and the refund recorded as owed, in one
    guarded transaction. The refund amount is locked here, whatever time a retry runs at."""
    assert booking.payment is not None
    refund = Refund(
        amount=amount,
        penalty=penalty,
        currency=booking.payment.currency,
        status=REFUND_PENDING if amount > 0 else REFUND_NOT_REQUIRED,
        reason=reason,
    )
    if amount > 0:
        _note_refund_owed(booking.id, now)
    repos.transition(
        booking, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, now,
        release_rooms=True, expect_no_refund=True, refund=refund,
    )  # fmt: skip


def settle_refund(booking_id: str, now: datetime) -> Booking:
    """Create the refund a booking owes at Stripe, once, and record it.

    Safe to call any number of times, concurrently, and after a crash at any point: a lease
    lets one caller at a time work; the caller first looks at Stripe for a refund an earlier,
    interrupted attempt made; the record is written only if it is still owed.
    """
    booking = repos.get_booking(booking_id)
    owed = booking.refund
    if owed is None or owed.status != REFUND_PENDING or owed.stripe_refund_id or booking.payment is None:
        return booking
    lease = repos.claim_refund(booking_id, now, settings().payment_lease_seconds)
    if lease is None:
        return booking  # someone else is creating it right now
    payment_intent_id = booking.payment.payment_intent_id
    try:
        earlier = [r for r in gateway.refunds_for(payment_intent_id) if r.metadata.get('booking_id') == booking_id]
        if len(earlier) > 1:
            logger.error('more than one refund for a booking', booking_id=booking_id, refunds=[r.id for r in earlier])
        refund = earlier[0] if earlier else None
        if refund is None:
            refund = gateway.create_refund(
                payment_intent_id=payment_intent_id,
                amount=owed.amount,
                metadata={'booking_id': booking_id, 'reason': owed.reason or 'cancellation'},
                idempotency_key=refund_key(booking_id),
            )
        repos.record_refund(booking_id, refund.id, refund.status, now)
    except Exception:
        with contextlib.suppress(Exception):  # the lease lapses anyway; keep the original error
            repos.release_refund_claim(booking_id, lease)  # let the next retry in at once
        raise
    logger.info(
        'refund recorded', booking_id=booking_id, refund_id=refund.id, status=refund.status, amount=refund.amount
    )
    _forget_refund_owed(booking_id)
    return repos.get_booking(booking_id)


def refund_shard(booking_id: str) -> int:
    digest = hashlib.blake2b(booking_id.encode(), digest_size=2).digest()
    return int.from_bytes(digest, 'big') % settings().pending_shards


def _note_refund_owed(booking_id: str, now: datetime) -> None:
    """The outbox entry that lets the sweeper finish a refund nobody retried."""
    due_at = now + timedelta(seconds=settings().refund_retry_after_seconds)
    repos.schedule_refund_check(refund_shard(booking_id), booking_id, due_at)


def _forget_refund_owed(booking_id: str) -> None:
    with contextlib.suppress(errors.DomainError):  # the sweeper drops it when it finds the refund recorded
        repos.clear_refund_check(refund_shard(booking_id), booking_id)


@dataclass
class SettleReport:
    settled: int = 0
    failed: int = 0


def settle_due_refunds(now: datetime, budget_left: Callable[[], bool]) -> SettleReport:
    """The sweeper's second job: refunds decided a while ago and still owed (the client never
    retried its cancel, Stripe's retries of a webhook gave up): finish them, once."""
    report = SettleReport()
    for shard in range(settings().pending_shards):
        for booking_id in repos.due_refund_checks(shard, now, settings().sweep_page_size):
            if not budget_left():
                return report
            try:
                booking = settle_refund(booking_id, now)
            except errors.NotFound:
                repos.clear_refund_check(shard, booking_id)
                continue
            except (errors.ServiceUnavailable, errors.PaymentProviderError) as exc:
                logger.warning('owed refund not settled this run', booking_id=booking_id, error=type(exc).__name__)
                report.failed += 1
                continue
            owed = booking.refund
            if owed is None or owed.status != REFUND_PENDING or owed.stripe_refund_id:
                repos.clear_refund_check(shard, booking_id)  # done (now or before), or never owed
                report.settled += owed is not None and owed.stripe_refund_id is not None
    return report


def sync_refund(booking_id: str, refund_id: str | None, now: datetime) -> Outcome:
    """A refund event: record Stripe's current status of our refund (read from Stripe, so events
    arriving out of order cannot move it backwards), or finish a refund still owed."""
    booking = repos.get_booking(booking_id)
    owed = booking.refund
    if owed is None:
        logger.warning('refund not initiated by this system', booking_id=booking_id, refund_id=refund_id)
        return Outcome.IGNORED
    if owed.stripe_refund_id is None:
        settled = settle_refund(booking_id, now)
        return Outcome.RECORDED if settled.refund and settled.refund.stripe_refund_id else Outcome.NO_CHANGE
    if refund_id is not None and refund_id != owed.stripe_refund_id:
        return Outcome.IGNORED
    current = gateway.retrieve_refund(owed.stripe_refund_id)
    changed = repos.update_refund_status(booking_id, current.id, current.status, now)
    if changed and current.status == 'failed':
        # The money did not go back (closed card...): someone has to act. Logged and alarmed.
        logger.error('refund failed at Stripe', booking_id=booking_id, refund_id=current.id)
        return Outcome.REFUND_FAILED
    return Outcome.RECORDED if changed else Outcome.NO_CHANGE


# ---------------------------------------------------------------- webhook

_PAYMENT_EVENTS = {
    'payment_intent.succeeded',
    'payment_intent.payment_failed',
    'payment_intent.canceled',
}
_REFUND_EVENTS = {
    'charge.refunded',
    'charge.refund.updated',
    'refund.created',
    'refund.updated',
    'refund.failed',
}


def receive_event(payload: bytes, signature: str | None, now: datetime) -> EventResult:
    """Verify a webhook delivery, process each event id once, acknowledge what is not ours.

    A failure while processing releases the claim and propagates (5xx: Stripe retries); the
    processing itself is idempotent, so a retry after a crash at any point is safe.
    """
    event = gateway.verify_event(payload, signature)
    current = settings()
    claim = repos.claim_event(
        event.id, event.type, now, current.payment_lease_seconds, current.stripe_event_ttl_seconds
    )
    if claim == 'done':
        return EventResult(event.id, event.type, Outcome.DUPLICATE)
    if claim == 'in_progress':
        raise errors.EventInProgress()
    try:
        outcome, booking_id = _dispatch(event, now)
    except Exception:
        repos.release_event(event.id)
        raise
    repos.finish_event(event.id, outcome.value)
    return EventResult(event.id, event.type, outcome, booking_id)


def _dispatch(event: gateway.StripeEvent, now: datetime) -> tuple[Outcome, str | None]:
    if event.type not in _PAYMENT_EVENTS | _REFUND_EVENTS:
        return Outcome.IGNORED, None
    booking_id = _booking_id_of(event)
    if booking_id is None:
        return Outcome.IGNORED, None  # not a booking's payment (another product on the account)
    try:
        repos.get_booking(booking_id)
    except errors.NotFound:
        logger.warning('stripe event for an unknown booking', booking_id=booking_id, event_type=event.type)
        return Outcome.UNKNOWN_BOOKING, booking_id
    if event.type in _REFUND_EVENTS:
        refund_id = event.object.get('id') if event.object.get('object') == 'refund' else None
        return sync_refund(booking_id, refund_id, now), booking_id
    intent = gateway.intent_from_event(event.object)
    if event.type == 'payment_intent.succeeded':
        outcome, _ = payment_succeeded(booking_id, intent, now)
        return outcome, booking_id
    if event.type == 'payment_intent.payment_failed':
        return payment_failed(booking_id, intent, now), booking_id
    return payment_canceled(booking_id, intent, now), booking_id


def _booking_id_of(event: gateway.StripeEvent) -> str | None:
    metadata = event.object.get('metadata') or {}
    if metadata.get('booking_id'):
        return str(metadata['booking_id'])
    payment_intent_id = event.object.get('payment_intent')
    if event.type in _REFUND_EVENTS and isinstance(payment_intent_id, str):
        # Charges (and refunds made outside this system) do not carry the booking: its
        # PaymentIntent does.
        return gateway.retrieve_payment_intent(payment_intent_id).metadata.get('booking_id')
    return None
