"""The project's EventBridge bus: where integration events (BookingConfirmed...) are put."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from common.domain import EVENT_SOURCE, IntegrationEvent

if TYPE_CHECKING:
    from common.config import Settings


class PublishFailed(Exception):
    """EventBridge did not accept every entry: the stream record is retried (in order)."""


class EventBridgePublisher:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The boto3 client, built on the first publish (not at import, not at start)."""
        with self._lock:
            if self._client is None:
                import boto3

                current = self._settings
                self._client = boto3.client(
                    'events', endpoint_url=current.events_endpoint_url, region_name=current.aws_region
                )
        return self._client

    def publish(self, events: Sequence[IntegrationEvent]) -> None:
        """Put the events in one PutEvents call; ``PublishFailed`` unless every one was accepted."""
        if not events:
            return
        entries = [
            {
                'Source': EVENT_SOURCE,
                'DetailType': event.detail_type,
                'Detail': json.dumps(event.detail, separators=(',', ':')),
                'EventBusName': self._settings.event_bus_name,
            }
            for event in events
        ]
        result = self.client().put_events(Entries=entries)
        if result.get('FailedEntryCount'):
            raise PublishFailed(f'{result["FailedEntryCount"]} of {len(entries)} events were not accepted')
