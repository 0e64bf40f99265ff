"""Publishes booking status changes from the table's stream to the EventBridge bus.

Triggered by the DynamoDB stream (filtered to booking items). Records of a shard are handled in
order; a record whose events cannot be put is reported as a batch item failure, so Lambda
retries from it (and only after it) and the order per booking is kept.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import containers, integration_events, metrics, observability
from common.config import settings
from common.gateways.events import EventBridgePublisher
from common.observability import logger
from common.ports import EventPublisher

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@containers.once_per_container
def events() -> EventPublisher:
    """The bus, and nothing else: the publisher reads the stream records it is handed and touches
    no table, so it does not build ``Deps`` (``common.wiring`` would import PynamoDB at every cold
    start for nothing)."""
    return EventBridgePublisher(settings())


@observability.trace_method
def publish(record: DynamoDBRecord) -> None:
    found = integration_events.events_for(record.raw_event)
    events().publish(found)  # PublishFailed: the record is retried, in order
    for event in found:
        logger.info('integration event published', detail_type=event.detail_type, booking_id=event.detail['booking_id'])
        metrics.record(event)


@logger.inject_lambda_context(clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=publish, processor=processor, context=context)
