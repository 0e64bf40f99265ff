"""Guest and hotel emails: invoked by an EventBridge rule on the project's bus with each booking
event (BookingConfirmed/Cancelled/Expired, RefundIssued); sends them through SES v2.

A failure raised here fails the (asynchronous) invocation: Lambda retries it twice, then sends
the event to the notifier's dead-letter queue (its alarm). Each email goes out once per event
and recipient however often the event arrives (docs/notifications.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common import metrics, observability, wiring
from common.notifications import service
from common.observability import bind_booking, logger
from common.ports import EmailDeferred
from common.services.deps import Deps


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@wiring.once_per_container
def renderer() -> service.Renderer:
    """The templates, loaded once per container."""
    # Jinja2, Babel and icalendar are in this function's artifact only: DocsFunction imports every
    # function's module to document the API, and must not need them.
    from common.notifications.rendering import Renderer

    return Renderer(deps().settings.email_locale)


@logger.inject_lambda_context(clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(bus_event_id=event.get('id'), detail_type=event.get('detail-type'))
    booking_id = (event.get('detail') or {}).get('booking_id') if isinstance(event.get('detail'), dict) else None
    if isinstance(booking_id, str):
        bind_booking(booking_id)
    try:
        report = service.notify(deps(), event, renderer(), log=logger)
    except EmailDeferred as deferred:
        metrics.record(deferred)
        raise
    metrics.record(report)
    summary = report.as_dict()
    logger.info('notification handled', **summary)
    return summary
