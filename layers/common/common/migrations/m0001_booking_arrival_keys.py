"""Bookings written before the ``arrivals`` index get ``arrival_month`` and ``arrival_key`` (from
their check-in date and id), so the admin booking list and the occupancy report see them."""

from __future__ import annotations

from common.migration import ABSENT, Change, Context, Item, ItemFilter, Migration, SetAttributes, describe, key_of
from common.tables import BookingItem


def plan(item: Item, context: Context) -> Change | None:
    if 'arrival_key' in item:
        return None
    check_in, booking_id = item['check_in'], item['booking_id']
    month, key = BookingItem.arrival(check_in, booking_id)
    return SetAttributes(
        key_of(item),
        set={'arrival_month': month, 'arrival_key': key},
        # check_in never changes; guarding on it (and the id) keeps the keys right by construction
        expect={'arrival_key': ABSENT, 'check_in': check_in, 'booking_id': booking_id},
    )


MIGRATION = Migration(
    id='0001-booking-arrival-keys',
    description=describe(__doc__),
    items=ItemFilter(
        'begins_with(pk, :booking) AND sk = :meta AND attribute_not_exists(arrival_key)',
        {':booking': 'BOOKING#', ':meta': 'META'},
    ),
    plan=plan,
)
