"""Bookings written before the ``hotel_arrivals`` index get ``arrival_partition``
(``{hotel_id}#{YYYY-MM}`` of their check-in), so the admin booking list, the occupancy report and
the reconciler, which read that index one hotel and month at a time, see them (docs/data-model.md,
"Sharded arrivals: the rollout"). ``arrival_key`` is set too where it is missing."""

from __future__ import annotations

from typing import Any

from common.migration import ABSENT, Change, Context, Item, ItemFilter, Migration, SetAttributes, describe, key_of
from common.tables import BookingItem


def plan(item: Item, context: Context) -> Change | None:
    if 'arrival_partition' in item:
        return None
    check_in, booking_id, hotel_id = item['check_in'], item['booking_id'], item['hotel_id']
    month, key = BookingItem.arrival(check_in, booking_id)
    values: dict[str, Any] = {'arrival_partition': BookingItem.arrival_partition_of(hotel_id, month)}
    if 'arrival_key' not in item:
        values['arrival_key'] = key
    return SetAttributes(
        key_of(item),
        set=values,
        # hotel and check-in never change; guarding on them (and the id) keeps the keys right by
        # construction, and on the absent partition so the API's own write is never redone
        expect={
            'arrival_partition': ABSENT,
            'check_in': check_in,
            'booking_id': booking_id,
            'hotel_id': hotel_id,
            **({'arrival_key': ABSENT} if 'arrival_key' in values else {}),
        },
    )


MIGRATION = Migration(
    id='0006-booking-arrival-partitions',
    description=describe(__doc__),
    items=ItemFilter(
        'begins_with(pk, :booking) AND sk = :meta AND attribute_not_exists(arrival_partition)',
        {':booking': 'BOOKING#', ':meta': 'META'},
    ),
    plan=plan,
)
