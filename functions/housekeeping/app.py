"""Housekeeping: invoked once a day by an EventBridge schedule; keeps SALE_WINDOW_DAYS of nights
open ahead of every room type (issue 23, common/services/housekeeping.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common.config import settings
from common.observability import count, logger, metrics, tracer
from common.sale_window_repo import SaleWindowRepo
from common.services import housekeeping


@cache
def _repo() -> SaleWindowRepo:  # once per container
    return SaleWindowRepo()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Safe to re-run and to run twice at once (every night is opened by a guarded Put); stops
    before the Lambda timeout, and the next run continues the day's pass where this one stopped.
    ``{"again": true}`` in the event starts a new pass even if today's has finished."""
    logger.append_keys(schedule_event_id=event.get('id'))
    report = housekeeping.roll(
        datetime.now(UTC),
        _repo(),
        settings(),
        lambda: context.get_remaining_time_in_millis() / 1000,
        again=event.get('again') is True,
    )
    # Zeros too: the shortfall alarm treats a day without a data point as a missed run.
    count('NightsOpened', report.nights_opened)
    count('SaleWindowShort', len(report.short))
    if not report.complete:
        count('HousekeepingIncomplete')
    summary = report.as_dict()
    logger.info('housekeeping finished', **summary)
    return summary
