"""Stripe's webhook: verify a delivery, process each event id once, acknowledge what is not ours.

A failure while processing releases the claim and propagates (5xx: Stripe retries); the
processing itself is idempotent, so a retry after a crash at any point is safe.
"""

from __future__ import annotations

from datetime import datetime

from common import errors
from common.domain import StripeEvent
from common.observability import logger
from common.ports import EventClaim
from common.services import disputes, payments, refunds
from common.services.deps import Deps
from common.services.outcomes import EventResult, Outcome

PAYMENT_EVENTS = frozenset({'payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled'})
REFUND_EVENTS = frozenset(
    {'charge.refunded', 'charge.refund.updated', 'refund.created', 'refund.updated', 'refund.failed'}
)


def receive(deps: Deps, payload: bytes, signature: str | None, now: datetime) -> EventResult:
    """Verify the signature on the raw body, then process the event unless it was before."""
    event = deps.stripe.verify_event(payload, signature)
    if event.livemode == deps.stripe.is_test_mode():
        # Signed with our endpoint's secret, yet of the other mode: a live endpoint wired to a
        # test stack or the reverse. Acted on never; acknowledged (a retry would not fix it) and
        # alarmed (PaymentMismatch).
        logger.error(
            'stripe event of the wrong mode', event_id=event.id, event_type=event.type, livemode=event.livemode
        )
        return EventResult(event.id, event.type, Outcome.WRONG_MODE)
    current = deps.settings
    claim = deps.payments.claim_event(
        event.id, event.type, now, current.payment_lease_seconds, current.stripe_event_ttl_seconds
    )
    if claim is EventClaim.DONE:
        return EventResult(event.id, event.type, Outcome.DUPLICATE)
    if claim is EventClaim.IN_PROGRESS:
        raise errors.EventInProgress()
    try:
        outcome, booking_id = _dispatch(deps, event, now)
    except Exception:
        deps.payments.release_event(event.id)
        raise
    deps.payments.finish_event(event.id, outcome.value)
    return EventResult(event.id, event.type, outcome, booking_id)


def _dispatch(deps: Deps, event: StripeEvent, now: datetime) -> tuple[Outcome, str | None]:
    if event.type not in PAYMENT_EVENTS | REFUND_EVENTS | disputes.DISPUTE_EVENTS:
        return Outcome.IGNORED, None
    booking_id = _booking_id_of(deps, event)
    if booking_id is None:
        return Outcome.IGNORED, None  # not a booking's payment (another product on the account)
    try:
        deps.bookings.get(booking_id)
    except errors.NotFound:
        logger.warning('stripe event for an unknown booking', booking_id=booking_id, event_type=event.type)
        return Outcome.UNKNOWN_BOOKING, booking_id
    if event.type in disputes.DISPUTE_EVENTS:
        return disputes.record(deps, booking_id, event.type, event.object, now), booking_id
    if event.type in REFUND_EVENTS:
        refund_id = event.object.get('id') if event.object.get('object') == 'refund' else None
        return refunds.sync(deps, booking_id, refund_id, now), booking_id
    intent = deps.stripe.intent_from_event(event.object)
    if event.type == 'payment_intent.succeeded':
        outcome, _ = payments.succeeded(deps, booking_id, intent, now)
        return outcome, booking_id
    if event.type == 'payment_intent.payment_failed':
        return payments.failed(deps, booking_id, intent, now), booking_id
    return payments.canceled(deps, booking_id, intent, now), booking_id


def _booking_id_of(deps: Deps, event: StripeEvent) -> str | None:
    metadata = event.object.get('metadata') or {}
    if metadata.get('booking_id'):
        return str(metadata['booking_id'])
    payment_intent_id = event.object.get('payment_intent')
    if event.type not in PAYMENT_EVENTS and isinstance(payment_intent_id, str):
        # Charges, disputes and refunds made outside this system do not carry the booking: its
        # PaymentIntent does.
        return deps.stripe.retrieve_payment_intent(payment_intent_id).metadata.get('booking_id')
    return None
