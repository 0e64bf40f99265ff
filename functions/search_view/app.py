"""Keeps the search view (services/search_view, docs/search-view.md) from the table's stream.

Triggered by the DynamoDB stream, filtered to inventory nights (``INV#``). A batch is written as
one UpdateItem per view item it touches, with the newest committed image of each night: a replay
writes the same values again. A view item that cannot be written is reported as the batch item
failure of the first record that touched it, so Lambda retries from there, in order (the stream
keeps each night's records in commit order within a shard). After the retries the batch goes to
the dead-letter queue (alarm); ``make rebuild-view`` (services.search_view.rebuild) then recomputes
the city from the inventory.

The lag (now - the record's ApproximateCreationDateTime) is the metric ``SearchViewLag`` (ms):
how stale search can be, on top of the batching window.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import observability, wiring
from common.observability import logger
from common.repos.view import changes_of
from common.services import search_view
from common.services.deps import Deps

# The lags of the last records this process handled (ms): read by the local run's benchmark.
recent_lags: deque[float] = deque(maxlen=100_000)


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


def _created(record: dict[str, Any]) -> float | None:
    """When the change was committed (seconds; Lambda hands a number, boto3's get_records a datetime)."""
    value = record.get('dynamodb', {}).get('ApproximateCreationDateTime')
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value) if isinstance(value, int | float) else None


def lag_ms(records: list[dict[str, Any]], now: float) -> list[float]:
    return [max(0.0, (now - created) * 1000) for r in records if (created := _created(r)) is not None]


@logger.inject_lambda_context(clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records: list[dict[str, Any]] = event.get('Records', [])
    report = search_view.apply(deps(), changes_of(records))
    lags = lag_ms(records, time.time())
    recent_lags.extend(lags)
    if lags:
        observability.metrics.add_metric(name='SearchViewLag', unit=MetricUnit.Milliseconds, value=max(lags))
    if report.unknown_hotels:
        logger.info('inventory of deleted hotels left out of the view', hotels=sorted(report.unknown_hotels))
    logger.debug('search view batch', records=len(records), changes=report.changes, items=report.items_written)
    if report.first_failed is None:
        return {'batchItemFailures': []}
    failed = records[report.first_failed]['dynamodb']['SequenceNumber']
    return {'batchItemFailures': [{'itemIdentifier': failed}]}
