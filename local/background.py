"""Background work of the local run that AWS does with triggers: the stream -> publisher and the
search view, and the bus -> notifier (EventBridge rules)."""

from __future__ import annotations

import contextlib
import json
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
    # Imported here, not in the thread: concurrent first imports of powertools can deadlock or
    # see partially initialised modules.
    from functions.publisher import app as publisher

    return _tail_stream(endpoint, table_name, 'PublisherFunction', publisher.lambda_handler, stop, every)


def start_search_view(
    endpoint: str, table_name: str, stop: threading.Event, every: float = 0.5, *, latest: bool = False
) -> threading.Thread:
    """Tail the table's stream (a tail of its own, as a second event source mapping is) and call
    SearchViewFunction with the inventory records, as the template's filter hands them (from the
    stream's start, as the template's TRIM_HORIZON; ``latest``: only what is written from now on)."""
    from functions.search_view import app as search_view  # imported here, not in the thread (see above)

    return _tail_stream(
        endpoint,
        table_name,
        'SearchViewFunction',
        search_view.lambda_handler,
        stop,
        every,
        prefix='INV#',
        latest=latest,
    )


def _tail_stream(
    endpoint: str,
    table_name: str,
    function: str,
    handler: Any,
    stop: threading.Event,
    every: float,
    prefix: str | None = None,
    latest: bool = False,
) -> threading.Thread:
    """Lambda's event source mapping, locally: poll the stream every ``every`` seconds, hand the
    handler the records (those whose ``pk`` starts with ``prefix``, as a filter would), and on a
    reported batch item failure retry from that record, in order."""
    import boto3

    stream_arn = boto3.client('dynamodb', endpoint_url=endpoint).describe_table(TableName=table_name)['Table'][
        'LatestStreamArn'
    ]
    tail = StreamTail(
        boto3.client('dynamodbstreams', endpoint_url=endpoint), stream_arn, 'LATEST' if latest else 'TRIM_HORIZON'
    )
    if latest:
        tail.poll()  # the shards' iterators, taken now

    def wanted(record: dict[str, Any]) -> bool:
        return prefix is None or record['dynamodb'].get('Keys', {}).get('pk', {}).get('S', '').startswith(prefix)

    def run() -> None:
        pending: list[dict[str, Any]] = []
        while not stop.wait(every):
            try:
                pending.extend(r for r in tail.poll() if wanted(r))
                if pending:
                    answer = handler(lambda_event(pending), LambdaContext(function))
                    failed = {f['itemIdentifier'] for f in answer.get('batchItemFailures', [])}
                    # like the event source mapping: retry from the first failed record
                    first = next((i for i, r in enumerate(pending) if r['dynamodb']['SequenceNumber'] in failed), None)
                    pending = [] if first is None else pending[first:]
            except Exception as exc:  # keep the local run alive; the next poll retries
                print(f'{function}: {type(exc).__name__}: {exc}', flush=True)

    thread = threading.Thread(target=run, name=function, daemon=True)
    thread.start()
    return thread


NOTIFIER = 'NotifierFunction'


def notifier_rules(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The EventBridge rules template.yaml gives NotifierFunction: event name -> its pattern."""
    from local import cfn

    events = cfn.functions(template)[NOTIFIER]['Properties'].get('Events') or {}
    return {name: e['Properties']['Pattern'] for name, e in events.items() if e['Type'] == 'EventBridgeRule'}


def notifier_attempts(template: dict[str, Any] | None = None) -> int:
    """1 + the retries Lambda makes of a failed asynchronous invocation (the template's EventInvokeConfig)."""
    from local import cfn

    invoke_config = cfn.functions(template)[NOTIFIER]['Properties'].get('EventInvokeConfig') or {}
    return 1 + int(invoke_config.get('MaximumRetryAttempts', 2))


def start_notifier(
    endpoint: str, bus_name: str, stop: threading.Event, retry_after: float = 2.0
) -> tuple[threading.Thread, str]:
    """The bus -> NotifierFunction path of AWS, on ministack.

    The rules are the template's, created on ministack's EventBridge, which matches each event
    against them as AWS does. ministack can hand a rule's event only to a Lambda it runs itself
    (the `make run-emulated` path), not to a handler in this process, so here the rules' target is
    an SQS queue and this thread hands each message to the notifier's handler, as Lambda's
    asynchronous invocation would: an event whose handler fails is retried (the message shows
    again after ``retry_after`` seconds, where Lambda waits a minute or two) and, after as many
    attempts as the template's EventInvokeConfig allows, moved to the dead-letter queue by the
    queue's redrive policy. Returns the thread and the dead-letter queue's URL."""
    import boto3

    events, sqs = boto3.client('events', endpoint_url=endpoint), boto3.client('sqs', endpoint_url=endpoint)
    with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=bus_name)
    dead_letters = sqs.create_queue(QueueName=f'{bus_name}-notifier-dead-letters')['QueueUrl']
    dead_letters_arn = _queue_arn(sqs, dead_letters)
    redrive = {'deadLetterTargetArn': dead_letters_arn, 'maxReceiveCount': str(notifier_attempts())}
    queue = sqs.create_queue(
        QueueName=f'{bus_name}-notifier',
        Attributes={'VisibilityTimeout': str(max(1, round(retry_after))), 'RedrivePolicy': json.dumps(redrive)},
    )['QueueUrl']
    for name, pattern in notifier_rules().items():
        rule = f'{bus_name}-notifier-{name}'
        events.put_rule(Name=rule, EventBusName=bus_name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, EventBusName=bus_name, Targets=[{'Id': NOTIFIER, 'Arn': _queue_arn(sqs, queue)}])

    from functions.notifier import app as notifier  # imported here, not in the thread (see above)

    def run() -> None:
        while not stop.is_set():
            try:
                received = sqs.receive_message(
                    QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=['All']
                ).get('Messages', [])
            except Exception as exc:  # ministack stopping, or busy: try again
                print(f'notifier: {type(exc).__name__}: {exc}', flush=True)
                stop.wait(1)
                continue
            for message in received:
                event = json.loads(message['Body'])
                attempt = int(message.get('Attributes', {}).get('ApproximateReceiveCount', 1))
                try:
                    notifier.lambda_handler(event, LambdaContext(NOTIFIER, timeout_seconds=30))
                except Exception as exc:  # Lambda would retry it; so does the queue
                    print(
                        f'notifier: {event.get("detail-type")} failed (attempt {attempt} of {notifier_attempts()}): '
                        f'{type(exc).__name__}: {exc}',
                        flush=True,
                    )
                    continue
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message['ReceiptHandle'])

    thread = threading.Thread(target=run, name='notifier', daemon=True)
    thread.start()
    return thread, dead_letters


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
