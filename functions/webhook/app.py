"""Stripe webhook: verify the signature on the raw body, process each event id once."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http
from common.config import settings
from common.models.api import WebhookAck
from common.observability import bind_booking, count, logger, metrics, tracer
from common.services import payments

app = http.make_app()

Outcome = payments.Outcome
# The business events some outcomes are: the same metric (and path) wherever they happen.
_CONFIRMED_BY = {Outcome.CONFIRMED: 'webhook', Outcome.LATE_PAYMENT_CONFIRMED: 'late_payment'}
_REFUNDED_BY = {
    Outcome.LATE_PAYMENT_REFUNDED: 'late_payment',
    Outcome.PAYMENT_REFUNDED: 'cancelled_before_payment',
    Outcome.STRAY_PAYMENT_REFUNDED: 'stray_payment',
}


StripeSignature = Annotated[
    str,
    Header(
        alias='Stripe-Signature',
        min_length=1,
        max_length=4096,
        description="Stripe's signature of the raw body (`t=<timestamp>,v1=<hmac>`), checked with the endpoint "
        'secret and STRIPE_WEBHOOK_TOLERANCE_SECONDS (300)',
    ),
]


@app.post(
    '/api/webhook',
    tags=['payments'],
    summary="Stripe's events",
    description='For Stripe only: a PaymentIntent or refund event, signed with the endpoint secret '
    '(`Stripe-Signature`, checked on the raw body), processed once per event id. 2xx: processed, a duplicate, '
    'or not ours (acknowledged). 400 `invalid_signature`: not from Stripe, or stale. 409 `event_in_progress` and '
    '5xx: Stripe retries later.',
    openapi_extensions=http.problems(
        errors.InvalidSignature,
        errors.BadRequest,
        errors.MalformedJson,
        errors.EventInProgress,
        errors.Conflict,
        errors.PaymentProviderUnavailable,
        errors.PaymentProviderError,
    ),
)
def stripe_webhook(stripe_signature: StripeSignature) -> WebhookAck:
    try:
        result = payments.receive_event(http.raw_body(app), stripe_signature, http.now())
    except errors.InvalidSignature:
        # Many of these: a rotated endpoint secret not yet in SSM, or someone probing the URL.
        count('WebhookEvent', event_type='unverified', outcome='invalid_signature')
        raise
    if result.booking_id:
        bind_booking(result.booking_id)
    logger.info('stripe event', event_id=result.event_id, event_type=result.event_type, outcome=result.outcome.value)
    count('WebhookEvent', event_type=result.event_type, outcome=result.outcome.value)
    if result.outcome in _CONFIRMED_BY:
        count('BookingConfirmed', path=_CONFIRMED_BY[result.outcome])
    elif result.outcome in _REFUNDED_BY:
        count('RefundIssued', path=_REFUNDED_BY[result.outcome])
    elif result.outcome is Outcome.REFUND_FAILED:
        count('RefundFailed')  # the RefundFailedAlarm: someone has to act
    return WebhookAck(event_id=result.event_id, type=result.event_type, outcome=result.outcome.value)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # Stripe's events can be larger than the API's usual body limit.
    return http.resolve(app, event, context, max_body_bytes=settings().webhook_max_body_bytes)
