"""Hotels written before the ``room_types`` count get it (the guard that refuses deleting a hotel
with room types): the room types the listing index shows for the hotel, each confirmed by a
strongly consistent read.

The count is set where it is absent, and raised where a room type created on a hotel without a
count started it at 1 (``ADD``); it is never lowered, because the index may not list a room type
created a moment ago. That same lag can leave a count one short if a room type is created on a
hotel without a count in the instant the migration counts it; deleting the hotel then is still
refused by the listing check the admin service makes first.
"""

from __future__ import annotations

from common.migration import ABSENT, Change, Context, Item, ItemFilter, Migration, SetAttributes, describe, key_of
from common.tables import RoomTypeItem


def plan(item: Item, context: Context) -> Change | None:
    hotel_id = item['hotel_id']
    listed = context.reader.query_index('gsi1', ('gsi1pk', RoomTypeItem.LIST_PK), ('gsi1sk', f'{hotel_id}#'))
    count = sum(
        context.reader.get(dict(zip(('pk', 'sk'), RoomTypeItem.key(rt['room_type_id']), strict=True))) is not None
        for rt in listed
    )
    stored = item.get('room_types')
    if stored is not None and count <= int(stored):
        return None
    return SetAttributes(
        key_of(item), set={'room_types': count}, expect={'room_types': ABSENT if stored is None else stored}
    )


MIGRATION = Migration(
    id='0003-hotel-room-type-counts',
    description=describe(__doc__),
    items=ItemFilter('begins_with(pk, :hotel) AND sk = :meta', {':hotel': 'HOTEL#', ':meta': 'META'}),
    plan=plan,
)
