"""Price rules written before rule references get their ``RULE#{id}/REF`` item (its hotel), so
``/api/admin/price-rules/{id}`` finds them; created only while the rule still exists."""

from __future__ import annotations

from common.migration import Change, Context, Item, ItemFilter, Migration, PutIfAbsent, describe, key_of
from common.observability import logger
from common.tables import RuleRefItem


def plan(item: Item, context: Context) -> Change | None:
    rule_id, hotel_id = item['rule_id'], item['hotel_id']
    pk, sk = RuleRefItem.key(rule_id)
    existing = context.reader.get({'pk': pk, 'sk': sk})
    if existing is not None:
        if existing.get('hotel_id') != hotel_id:  # rule ids are unique: a person has to look
            logger.warning('rule reference points at another hotel', rule_id=rule_id, hotel_id=hotel_id)
        return None
    return PutIfAbsent({'pk': pk, 'sk': sk, 'hotel_id': hotel_id}, requires=key_of(item))


MIGRATION = Migration(
    id='0002-price-rule-references',
    description=describe(__doc__),
    items=ItemFilter('begins_with(pk, :hotel) AND begins_with(sk, :rule)', {':hotel': 'HOTEL#', ':rule': 'RULE#'}),
    plan=plan,
)
