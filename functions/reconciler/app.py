"""Reconciler: invoked every hour by an EventBridge schedule (the day's pass, resumable) and on
demand (``{"again": true}``); publishes MoneyAtRisk (issue 22, common/services/reconciler.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common import metrics, observability, wiring
from common.observability import logger
from common.services import reconciler
from common.services.deps import Deps


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@logger.inject_lambda_context(clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Read-only (but for its own progress record): safe to re-run and to run twice at once. Stops
    before the Lambda timeout; the next run continues the day's pass where this one stopped.
    ``{"again": true}`` starts a new pass now, even if today's has finished."""
    logger.append_keys(schedule_event_id=event.get('id'))
    current = deps()
    report = reconciler.reconcile(
        current,
        current.clock(),
        lambda: context.get_remaining_time_in_millis() / 1000,
        again=event.get('again') is True,
    )
    metrics.record(report)
    summary = report.as_dict()
    logger.info('reconciliation finished', **summary)
    return summary
