"""Expiry sweeper: invoked by an EventBridge schedule (rate(1 minute)); expires unpaid holds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common import metrics, observability, wiring
from common.observability import logger
from common.services import expiry
from common.services.deps import Deps


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@logger.inject_lambda_context(clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Safe to re-run and to run twice at once; stops before the Lambda timeout (the next
    scheduled run continues where this one stopped)."""
    logger.append_keys(schedule_event_id=event.get('id'))
    report = expiry.sweep(deps(), deps().clock(), lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.record(report)
    summary = report.as_dict()
    logger.info('sweep finished', **summary)
    return summary
