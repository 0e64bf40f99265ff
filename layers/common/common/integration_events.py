"""Integration events: every committed booking status change, for a hotel's other systems.

They are derived from the table's DynamoDB stream (NEW_AND_OLD_IMAGES), not sent by the request
that made the change: a change is published only once it is committed, a change that did not
happen is never published, and a publisher that fails retries from the stream (at least once;
consumers dedupe on ``detail.event_id``). See docs/events.md for the schema.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from common.domain import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_EXPIRED,
    BOOKING_HELD,
    REFUND_ISSUED,
    IntegrationEvent,
)

SCHEMA_VERSION = '1'

_BY_STATUS = {
    'PENDING': BOOKING_HELD,
    'CONFIRMED': BOOKING_CONFIRMED,
    'CANCELLED': BOOKING_CANCELLED,
    'EXPIRED': BOOKING_EXPIRED,
}
_deserializer = TypeDeserializer()


def _plain(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if not image:
        return None
    return {key: _deserializer.deserialize(value) for key, value in image.items()}


def _number(value: Any) -> Any:
    """DynamoDB numbers arrive as Decimal; integers stay integers in JSON."""
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    if hasattr(value, 'as_integer_ratio') and not isinstance(value, (int, float, bool)):
        return int(value) if value == int(value) else float(value)
    return value


def _detail(booking: dict[str, Any], previous: dict[str, Any] | None, detail_type: str) -> dict[str, Any]:
    version = int(booking.get('version', 1))
    detail: dict[str, Any] = _number(
        {
            'event_id': f'{booking["booking_id"]}:{version}:{detail_type}',
            'schema_version': SCHEMA_VERSION,
            'booking_id': booking['booking_id'],
            'user_id': booking['user_id'],
            'hotel_id': booking['hotel_id'],
            'room_type_id': booking['room_type_id'],
            'check_in': booking['check_in'],
            'check_out': booking['check_out'],
            'rooms': booking['rooms'],
            'guests': booking['guests'],
            'currency': booking['currency'],
            'total_amount': booking['total_amount'],
            'status': booking['status'],
            'previous_status': previous.get('status') if previous else None,
            'version': version,
            'occurred_at': booking['updated_at'],
            'hold_expires_at': booking.get('hold_expires_at'),
            'refund': booking.get('refund'),
        }
    )
    return detail


def _is_booking(image: dict[str, Any] | None) -> bool:
    return image is not None and str(image.get('pk', '')).startswith('BOOKING#') and 'booking_id' in image


def events_for(record: dict[str, Any]) -> list[IntegrationEvent]:
    """The events one stream record stands for (none for non-booking items or no-op writes)."""
    change = record.get('dynamodb') or {}
    new = _plain(change.get('NewImage'))
    old = _plain(change.get('OldImage'))
    if not _is_booking(new):
        return []
    assert new is not None
    found = []
    status, before = new.get('status'), (old or {}).get('status')
    if status != before and status in _BY_STATUS:
        found.append(IntegrationEvent(_BY_STATUS[status], _detail(new, old, _BY_STATUS[status])))
    refund, refunded_before = new.get('refund') or {}, (old or {}).get('refund') or {}
    if refund.get('stripe_refund_id') and refund.get('stripe_refund_id') != refunded_before.get('stripe_refund_id'):
        found.append(IntegrationEvent(REFUND_ISSUED, _detail(new, old, REFUND_ISSUED)))
    return found
