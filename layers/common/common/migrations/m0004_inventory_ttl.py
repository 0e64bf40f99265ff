"""Inventory nights written before the retention get their ``ttl``: INVENTORY_RETENTION_DAYS after
the night, as every night written now has (common.sale_window.night_expires_at)."""

from __future__ import annotations

from datetime import date

from common.migration import ABSENT, Change, Context, Item, ItemFilter, Migration, SetAttributes, describe, key_of
from common.sale_window import night_expires_at


def plan(item: Item, context: Context) -> Change | None:
    if 'ttl' in item:
        return None
    expires = night_expires_at(date.fromisoformat(item['sk']), context.retention_days)
    return SetAttributes(key_of(item), set={'ttl': expires}, expect={'ttl': ABSENT})


MIGRATION = Migration(
    id='0004-inventory-ttl',
    description=describe(__doc__),
    items=ItemFilter('begins_with(pk, :inv) AND attribute_not_exists(#ttl)', {':inv': 'INV#'}, {'#ttl': 'ttl'}),
    plan=plan,
)
