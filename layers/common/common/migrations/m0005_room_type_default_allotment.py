"""Room types written before ``default_allotment`` get it, equal to their ``total_rooms`` (what
their new nights opened with until now); from then on the two change independently."""

from __future__ import annotations

from common.migration import ABSENT, Change, Context, Item, ItemFilter, Migration, SetAttributes, describe, key_of


def plan(item: Item, context: Context) -> Change | None:
    if 'default_allotment' in item:
        return None
    total = item['total_rooms']
    # Guarded on total_rooms: an admin's PATCH of it meanwhile makes the runner read and plan again.
    return SetAttributes(
        key_of(item), set={'default_allotment': total}, expect={'default_allotment': ABSENT, 'total_rooms': total}
    )


MIGRATION = Migration(
    id='0005-room-type-default-allotment',
    description=describe(__doc__),
    items=ItemFilter(
        'begins_with(pk, :rt) AND sk = :meta AND attribute_not_exists(default_allotment)',
        {':rt': 'ROOMTYPE#', ':meta': 'META'},
    ),
    plan=plan,
)
