"""Housekeeping: invoked once a day by an EventBridge schedule; keeps SALE_WINDOW_DAYS of nights
open ahead of every room type (issue 23, common/services/housekeeping.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common import metrics, observability, wiring
from common.observability import logger
from common.services import housekeeping
from common.services.deps import Deps


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@logger.inject_lambda_context(clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Safe to re-run and to run twice at once (every night is opened by a guarded Put); stops
    before the Lambda timeout, and the next run continues the day's pass where this one stopped.
    ``{"again": true}`` in the event starts a new pass even if today's has finished."""
    logger.append_keys(schedule_event_id=event.get('id'))
    current = deps()
    report = housekeeping.roll(
        current,
        current.clock(),
        lambda: context.get_remaining_time_in_millis() / 1000,
        again=event.get('again') is True,
    )
    metrics.record(report)
    summary = report.as_dict()
    logger.info('housekeeping finished', **summary)
    return summary
