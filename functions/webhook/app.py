"""Stripe webhook: verify the signature on the raw body, process each event id once."""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http
from common.config import settings
from common.models.api import WebhookAck
from common.observability import logger, metrics, tracer
from common.services import payments

app = http.make_app()

_OUTCOME_METRICS = {
    payments.Outcome.CONFIRMED: 'BookingConfirmed',
    payments.Outcome.LATE_PAYMENT_CONFIRMED: 'LatePaymentConfirmed',
    payments.Outcome.LATE_PAYMENT_REFUNDED: 'LatePaymentRefunded',
    payments.Outcome.PAYMENT_REFUNDED: 'PaymentRefunded',
    payments.Outcome.STRAY_PAYMENT_REFUNDED: 'StrayPaymentRefunded',
    payments.Outcome.DUPLICATE: 'WebhookDuplicate',
    payments.Outcome.UNKNOWN_BOOKING: 'WebhookUnknownBooking',
    payments.Outcome.REFUND_FAILED: 'RefundFailed',
}


@app.post('/api/webhook', tags=['payments'])
def stripe_webhook() -> WebhookAck:
    """Stripe calls this (``Stripe-Signature`` verified with the endpoint secret, 300 s tolerance).

    2xx: processed, a duplicate, or not ours (acknowledged). 400: not from Stripe. 409/5xx: Stripe
    retries later.
    """
    result = payments.receive_event(http.raw_body(app), app.current_event.headers.get('stripe-signature'), http.now())
    if result.booking_id:
        logger.append_keys(booking_id=result.booking_id)
    logger.info('stripe event', event_id=result.event_id, event_type=result.event_type, outcome=result.outcome.value)
    # One event per invocation: every metric of it is also published per event type.
    metrics.add_dimensions(event_type=result.event_type)
    metrics.add_metric(name='WebhookEvent', unit=MetricUnit.Count, value=1)
    name = _OUTCOME_METRICS.get(result.outcome)
    if name:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return WebhookAck(event_id=result.event_id, type=result.event_type, outcome=result.outcome.value)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # Stripe's events can be larger than the API's usual body limit.
    return http.resolve(app, event, context, max_body_bytes=settings().webhook_max_body_bytes)
