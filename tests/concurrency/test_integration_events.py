"""Booking status changes reach the EventBridge bus from the table's stream, and only those.

On ministack: moto 5.2 answers DescribeStream with "not yet implemented".
"""

from __future__ import annotations

import json

import boto3
import pytest

from common import wiring
from common.config import settings
from local.gateway import LambdaContext
from local.streams import StreamTail, lambda_event
from tests.support import factories
from tests.support.api import Api

pytestmark = [pytest.mark.ministack]


@pytest.fixture
def endpoint(on_ministack, monkeypatch):
    monkeypatch.setenv('EVENTS_ENDPOINT_URL', on_ministack)
    monkeypatch.setenv('EVENT_BUS_NAME', f'bus-{on_ministack.rsplit(":", 1)[-1]}-{id(monkeypatch)}')
    wiring.reset()  # every function's Deps (the publisher's EventBridge client) built again
    yield on_ministack
    wiring.reset()


@pytest.fixture
def bus_inbox(endpoint):
    """A rule on the bus forwarding every event to a queue we can read."""
    events, sqs = boto3.client('events', endpoint_url=endpoint), boto3.client('sqs', endpoint_url=endpoint)
    events.create_event_bus(Name=settings().event_bus_name)
    queue = sqs.create_queue(QueueName=f'inbox-{settings().event_bus_name}')['QueueUrl']
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    events.put_rule(
        Name='all', EventBusName=settings().event_bus_name, EventPattern=json.dumps({'source': ['hotel-booking']})
    )
    events.put_targets(Rule='all', EventBusName=settings().event_bus_name, Targets=[{'Id': 'q', 'Arn': arn}])

    def received() -> list[dict]:
        found = []
        while True:
            batch = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get('Messages', [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message['Body']))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message['ReceiptHandle'])

    return received


def publish_from_stream(endpoint: str) -> dict:
    from functions.publisher import app as publisher

    table = boto3.client('dynamodb', endpoint_url=endpoint).describe_table(TableName=settings().table_name)['Table']
    tail = StreamTail(boto3.client('dynamodbstreams', endpoint_url=endpoint), table['LatestStreamArn'])
    return publisher.lambda_handler(lambda_event(tail.poll()), LambdaContext('PublisherFunction'))


def test_a_hold_and_its_cancellation_are_published_in_order(api: Api, endpoint, bus_inbox):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=2, open_days=10)
    check_in, check_out = factories.stay(days_ahead=3, nights=2)
    token = factories.token('guest-1')
    booking = api.hold(room.id, check_in, check_out, token=token).json
    api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # refused requests change nothing, so they publish nothing
    api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 9},
        token=token,
    )

    result = publish_from_stream(endpoint)

    assert result == {'batchItemFailures': []}
    events = bus_inbox()
    assert [(e['detail-type'], e['detail']['status']) for e in events] == [
        ('BookingHeld', 'PENDING'),
        ('BookingCancelled', 'CANCELLED'),
    ]
    held = events[0]['detail']
    assert held['booking_id'] == booking['id'] and held['user_id'] == 'guest-1'
    assert held['total_amount'] == booking['total_amount'] and isinstance(held['total_amount'], int)
    assert events[1]['detail']['previous_status'] == 'PENDING'
    assert events[0]['source'] == 'hotel-booking'
    assert len({e['detail']['event_id'] for e in events}) == 2
