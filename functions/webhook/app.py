"""Stripe webhook: verify the signature on the raw body, process each event id once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http, metrics, observability, wiring
from common.models.api import WebhookAck
from common.observability import bind_booking, logger
from common.services import webhooks
from common.services.deps import Deps

app = http.make_app()


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.post('/api/webhook', tags=['payments'])
def stripe_webhook() -> WebhookAck:
    """Stripe calls this (``Stripe-Signature`` verified with the endpoint secret, 300 s tolerance).

    2xx: processed, a duplicate, or not ours (acknowledged). 400: not from Stripe. 409/5xx: Stripe
    retries later.
    """
    signature = app.current_event.headers.get('stripe-signature')
    result = webhooks.receive(deps(), http.raw_body(app), signature, deps().clock())
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
