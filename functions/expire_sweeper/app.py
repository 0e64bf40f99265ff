"""Expiry sweeper: invoked by an EventBridge schedule (rate(1 minute)); expires unpaid holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common.observability import count, logger, metrics, tracer
from common.services import expiry


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Safe to re-run and to run twice at once; stops before the Lambda timeout (the next
    scheduled run continues where this one stopped)."""
    logger.append_keys(schedule_event_id=event.get('id'))
    report = expiry.sweep(datetime.now(UTC), lambda: context.get_remaining_time_in_millis() / 1000)
    # Zeros too: the alarms and the dashboard see a run that did nothing.
    count('BookingExpired', report.expired)
    count('SweepFailures', report.failed)
    count('PaymentIntentsLeftOpen', report.payments_left_open)
    if report.confirmed:  # the payment had won the race against the expiry
        count('BookingConfirmed', report.confirmed, path='sweeper')
    if report.refunds_settled:  # refunds owed that nobody retried
        count('RefundIssued', report.refunds_settled, path='sweeper')
    if not report.complete:
        count('SweepIncomplete')
    summary = report.as_dict()
    logger.info('sweep finished', **summary)
    return summary
