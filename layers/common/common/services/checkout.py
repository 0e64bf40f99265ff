"""Checkout: the booking's one PaymentIntent (created on the first call), and in test mode its
confirmation with a Stripe test card (``auto_confirm``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from common import errors, money
from common.domain import Booking, BookingStatus, IntentStatus, Payment, Principal
from common.observability import logger
from common.services import bookings, payments
from common.services.deps import Deps
from common.services.outcomes import CheckoutResult, Outcome

TEST_PAYMENT_METHOD = 'pm_card_visa'


def payment_intent_key(booking_id: str, version: int = 0) -> str:
    """Stripe's idempotency key for the booking's PaymentIntent; a fresh one after Stripe answered
    a 5xx (it replays a stored 5xx for the same key for about a day: every checkout would fail)."""
    base = f'booking-{booking_id}-payment-intent'
    return base if version == 0 else f'{base}-{version}'


def check_auto_confirm_allowed(deps: Deps) -> None:
    if not deps.settings.allow_auto_confirm:
        raise errors.AutoConfirmNotAllowed('auto_confirm is disabled by configuration (ALLOW_AUTO_CONFIRM)')
    if not deps.stripe.is_test_mode():
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
    deps: Deps,
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
        check_auto_confirm_allowed(deps)  # before anything is read or written
    booking = bookings.get_own(deps, principal, booking_id)
    check_payable(booking, now)
    created = False
    if booking.payment is None:
        # A hold made before totals were checked when held (common/money.py): a clear 422, never
        # Stripe's refusal as a 502.
        money.check_payable(booking.total_amount, booking.currency)
        booking, created = _attach_new_intent(deps, booking, now)
    assert booking.payment is not None
    if booking.payment.status == IntentStatus.CANCELED:
        raise errors.InvalidState('The payment of this booking was canceled')
    outcome = None
    if auto_confirm or payment_method:
        outcome, booking = _confirm_on_server(deps, booking, payment_method or TEST_PAYMENT_METHOD, now)
    assert booking.payment is not None
    return CheckoutResult(booking, booking.payment, booking.effective_status(now), created, outcome)


def _attach_new_intent(deps: Deps, booking: Booking, now: datetime) -> tuple[Booking, bool]:
    try:
        intent = deps.stripe.create_payment_intent(
            amount=booking.total_amount,
            currency=booking.currency,
            metadata={'booking_id': booking.id, 'user_id': booking.user_id},
            idempotency_key=payment_intent_key(booking.id, booking.intent_key_version),
        )
    except errors.PaymentProviderUnavailable as exc:
        if exc.server_error:
            # The retry sends a fresh key. Safe: an intent this failed call may have made was never
            # handed out (no one holds its client_secret), and only one intent is ever stored.
            deps.bookings.bump_intent_key(booking.id, booking.intent_key_version)
        raise
    payment = Payment(
        payment_intent_id=intent.id,
        status=intent.status,
        amount=intent.amount,
        currency=intent.currency,
        client_secret=intent.client_secret,
    )
    if deps.bookings.attach_payment(booking.id, payment, now):
        logger.info('payment intent attached', payment_intent_id=intent.id)
        return deps.bookings.get(booking.id), True
    # Someone else attached one first (a concurrent checkout), or the booking moved on (cancelled,
    # expired). Ours must never stay confirmable: cancel it, then answer with what is stored.
    latest = deps.bookings.get(booking.id)
    if latest.payment is None or latest.payment.payment_intent_id != intent.id:
        _abandon(deps, intent.id)
    check_payable(latest, now)
    if latest.payment is None:
        raise errors.Conflict('The booking changed during checkout; retry')
    return latest, False


def _abandon(deps: Deps, payment_intent_id: str) -> None:
    try:
        deps.stripe.cancel_payment_intent(payment_intent_id)
    except errors.DomainError:
        # Never handed to a client (no one holds its client_secret): it cannot be paid.
        logger.warning('could not cancel an unused payment intent', payment_intent_id=payment_intent_id)


def _confirm_on_server(deps: Deps, booking: Booking, payment_method: str, now: datetime) -> tuple[Outcome, Booking]:
    assert booking.payment is not None
    payment_intent_id = booking.payment.payment_intent_id
    current = deps.stripe.retrieve_payment_intent(payment_intent_id)
    if current.status == IntentStatus.PROCESSING:
        raise errors.PaymentProcessing()
    if not current.succeeded:
        try:
            current = deps.stripe.confirm_with_test_method(payment_intent_id, payment_method)
        except errors.PaymentDeclined as declined:
            failed = deps.stripe.retrieve_payment_intent(payment_intent_id)
            payments.failed(deps, booking.id, replace(failed, last_error=declined.extra.get('decline_code')), now)
            raise
        except errors.PaymentProviderError:
            # Stripe refused to confirm: a cancel or the sweeper cancelled the intent a moment
            # ago, or an earlier attempt of this very confirmation went through and its answer
            # was lost (real Stripe replays it for the SDK's retry by its idempotency key;
            # nothing here relies on that). Read what the intent is now.
            current = deps.stripe.retrieve_payment_intent(payment_intent_id)
            if not current.succeeded:
                check_payable(deps.bookings.get(booking.id), now)
                raise
    if current.succeeded:
        return payments.succeeded(deps, booking.id, current, now)
    # e.g. requires_action (3-D Secure): Stripe.js finishes it with the guest, the webhook confirms.
    # Recorded, so the client reads what Stripe needs next from the answer.
    payments.record_status(deps, booking.id, current, now)
    return Outcome.RECORDED, deps.bookings.get(booking.id)
