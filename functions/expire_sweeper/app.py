"""Expiry sweeper: invoked by an EventBridge schedule (rate(1 minute)); expires unpaid holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.observability import logger, metrics, tracer
from common.services import expiry


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Safe to re-run and to run twice at once; stops before the Lambda timeout (the next
    scheduled run continues where this one stopped)."""
    logger.append_keys(schedule_event_id=event.get('id'))
    report = expiry.sweep(datetime.now(UTC), lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name='HoldsExpired', unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name='HoldsConfirmedBySweeper', unit=MetricUnit.Count, value=report.confirmed)
    metrics.add_metric(name='SweepFailures', unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name='PaymentIntentsLeftOpen', unit=MetricUnit.Count, value=report.payments_left_open)
    metrics.add_metric(name='RefundsSettledBySweeper', unit=MetricUnit.Count, value=report.refunds_settled)
    if not report.complete:
        metrics.add_metric(name='SweepIncomplete', unit=MetricUnit.Count, value=1)
    summary = report.as_dict()
    logger.info('sweep finished', **summary)
    return summary
