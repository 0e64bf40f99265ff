"""Stripe webhook: verify the signature on the raw body, process each event id once."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, metrics, observability, wiring
from common.models.api import WebhookAck
from common.observability import bind_booking, logger
from common.services import webhooks
from common.services.deps import Deps

app = http.make_app()


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


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
    result = webhooks.receive(deps(), http.raw_body(app), stripe_signature, deps().clock())
    if result.booking_id:
        bind_booking(result.booking_id)
    logger.info('stripe event', event_id=result.event_id, event_type=result.event_type, outcome=result.outcome.value)
    metrics.record(result)
    return WebhookAck(event_id=result.event_id, type=result.event_type, outcome=result.outcome.value)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Stripe's events can be larger than the API's usual body limit.
    return http.resolve(app, event, context, deps, max_body_bytes=deps().settings.webhook_max_body_bytes)
