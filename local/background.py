"""Background work of the local run that AWS does with triggers: the stream -> publisher."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from local.gateway import LambdaContext
from local.streams import StreamTail, lambda_event


def start_publisher(
    endpoint: str, table_name: str, bus_name: str, stop: threading.Event, every: float = 1.0
) -> threading.Thread:
    """Tail the table's stream like Lambda's event source mapping and call PublisherFunction."""
    import boto3

    events = boto3.client('events', endpoint_url=endpoint)
    with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=bus_name)
    stream_arn = boto3.client('dynamodb', endpoint_url=endpoint).describe_table(TableName=table_name)['Table'][
        'LatestStreamArn'
    ]
    tail = StreamTail(boto3.client('dynamodbstreams', endpoint_url=endpoint), stream_arn)

    # Imported here, not in the thread: concurrent first imports of powertools can deadlock or
    # see partially initialised modules.
    from functions.publisher import app as publisher

    def run() -> None:
        pending: list[dict[str, Any]] = []
        while not stop.wait(every):
            try:
                pending.extend(tail.poll())
                if pending:
                    answer = publisher.lambda_handler(lambda_event(pending), LambdaContext('PublisherFunction'))
                    failed = {f['itemIdentifier'] for f in answer.get('batchItemFailures', [])}
                    # like the event source mapping: retry from the first failed record
                    first = next((i for i, r in enumerate(pending) if r['dynamodb']['SequenceNumber'] in failed), None)
                    pending = [] if first is None else pending[first:]
            except Exception as exc:  # keep the local run alive; the next poll retries
                print(f'publisher: {type(exc).__name__}: {exc}', flush=True)

    thread = threading.Thread(target=run, name='publisher', daemon=True)
    thread.start()
    return thread
