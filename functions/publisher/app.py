"""Publishes booking status changes from the table's stream to the EventBridge bus.

Triggered by the DynamoDB stream (filtered to booking items). Records of a shard are handled in
order; a record whose events cannot be put is reported as a batch item failure, so Lambda
retries from it (and only after it) and the order per booking is kept.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import integration_events
from common.config import settings
from common.observability import count, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@lru_cache(maxsize=1)
def _events_client() -> Any:
    import boto3

    current = settings()
    return boto3.client('events', endpoint_url=current.events_endpoint_url, region_name=current.aws_region)


class PublishFailed(Exception):
    pass


@tracer.capture_method
def publish(record: DynamoDBRecord) -> None:
    found = integration_events.events_for(record.raw_event)
    if not found:
        return
    entries = [
        {
            'Source': integration_events.SOURCE,
            'DetailType': event.detail_type,
            'Detail': json.dumps(event.detail, separators=(',', ':')),
            'EventBusName': settings().event_bus_name,
        }
        for event in found
    ]
    result = _events_client().put_events(Entries=entries)
    if result.get('FailedEntryCount'):
        raise PublishFailed(f'{result["FailedEntryCount"]} of {len(entries)} events were not accepted')
    for event in found:
        logger.info('integration event published', detail_type=event.detail_type, booking_id=event.detail['booking_id'])
        count(f'Published{event.detail_type}')


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=publish, processor=processor, context=context)
