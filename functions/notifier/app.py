"""Guest and hotel emails: invoked by an EventBridge rule on the project's bus with each booking
event (BookingConfirmed/Cancelled/Expired, RefundIssued); sends them through SES v2.

A failure raised here fails the (asynchronous) invocation: Lambda retries it twice, then sends
the event to the notifier's dead-letter queue (its alarm). Each email goes out once per event
and recipient however often the event arrives (docs/notifications.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common import ses_gateway
from common.config import settings
from common.notification_store import DynamoNotifierStore
from common.notifications import service
from common.notifications.compose import ComposeSettings
from common.observability import bind_booking, count, logger, metrics, tracer


@dataclass(frozen=True)
class Deps:
    store: DynamoNotifierStore
    mailer: ses_gateway.SesGateway
    renderer: service.Renderer
    settings: service.NotifierSettings


@cache
def deps() -> Deps:
    """Built once per Lambda container: the SES client, the templates, the settings."""
    # Jinja2, Babel and icalendar are in this function's artifact only: DocsFunction imports every
    # function's module to document the API, and must not need them.
    from common.notifications.rendering import Renderer

    current = settings()
    return Deps(
        store=DynamoNotifierStore(),
        mailer=ses_gateway.SesGateway(
            ses_gateway.client(current.ses_endpoint_url, current.aws_region, current.ses_max_attempts),
            current.ses_configuration_set,
        ),
        renderer=Renderer(current.email_locale),
        settings=service.NotifierSettings(
            compose=ComposeSettings(
                sender_email=current.sender_email,
                web_base_url=current.web_base_url,
                free_hours=current.cancellation_free_hours,
                penalty_rule=current.cancellation_penalty,
            ),
            lease_seconds=current.notification_lease_seconds,
            ttl_seconds=current.notification_ttl_seconds,
        ),
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(bus_event_id=event.get('id'), detail_type=event.get('detail-type'))
    booking_id = (event.get('detail') or {}).get('booking_id') if isinstance(event.get('detail'), dict) else None
    if isinstance(booking_id, str):
        bind_booking(booking_id)
    current = deps()
    try:
        report = service.notify(
            event,
            store=current.store,
            mailer=current.mailer,
            renderer=current.renderer,
            settings=current.settings,
            now=datetime.now(UTC),
            log=logger,
        )
    except ses_gateway.EmailDeferred as deferred:
        # SES still throttled or failing after the client's retries: Lambda retries the event.
        count('EmailDeferred', code=deferred.code)
        raise
    for kind in report.sent:
        count('EmailSent', kind=kind)
    if report.duplicates:
        count('EmailDuplicate', len(report.duplicates))
    if report.rejected:
        count('EmailRejected', len(report.rejected))  # the EmailRejectedAlarm
    summary = report.as_dict()
    logger.info('notification handled', **summary)
    return summary
