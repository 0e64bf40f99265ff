"""Hotels, room types and price rules (the read-mostly catalogue)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from common import errors
from common.domain import Adjustment, Hotel, InventoryNight, PriceRule, RoomType
from common.ports import HOTEL_FIELDS, ROOM_TYPE_FIELDS
from common.repos._dynamo import Table, chunks, failed_guards, numbers, strings
from common.repos.inventory import night_item
from common.tables import HotelItem, InventoryItem, PriceRuleItem, RoomTypeItem, RuleRefItem
from common.timeutil import iso, parse_date, parse_instant


def _hotel(item: HotelItem) -> Hotel:
    return Hotel(
        id=item.hotel_id,
        name=item.name,
        city=item.city,
        address=item.address,
        timezone=item.timezone,
        check_in_hour=int(item.check_in_hour),
        currency=item.currency,
        check_out_hour=int(item.check_out_hour) if item.check_out_hour is not None else Hotel.check_out_hour,
        phone=item.phone,
        notification_email=item.notification_email,
    )


def _room_type(item: RoomTypeItem) -> RoomType:
    return RoomType(
        id=item.room_type_id,
        hotel_id=item.hotel_id,
        name=item.name,
        description=item.description or '',
        capacity=int(item.capacity),
        base_price=int(item.base_price),
        currency=item.currency,
        total_rooms=int(item.total_rooms),
        view_type=item.view_type,
        amenities=strings(item.amenities),
        images=strings(item.images),
        rating_sum=int(item.rating_sum or 0),
        review_count=int(item.review_count or 0),
        default_allotment=None if item.default_allotment is None else int(item.default_allotment),
    )


def _rule(item: PriceRuleItem) -> PriceRule:
    return PriceRule(
        id=item.rule_id,
        hotel_id=item.hotel_id,
        name=item.name,
        adjustment=Adjustment(type=item.adjustment.type, value=int(item.adjustment.value)),
        priority=int(item.priority or 0),
        room_type_id=item.room_type_id,
        start_date=parse_date(item.start_date) if item.start_date else None,
        end_date=parse_date(item.end_date) if item.end_date else None,
        weekdays=numbers(item.weekdays) if item.weekdays else None,
        min_stay=int(item.min_stay) if item.min_stay is not None else None,
        closed_to_arrival=bool(item.closed_to_arrival),
        version=int(item.version or 0),
        updated_at=parse_instant(item.updated_at) if item.updated_at else None,
        updated_by=item.updated_by,
    )


def _rule_item(rule: PriceRule) -> PriceRuleItem:
    pk, sk = PriceRuleItem.key(rule.hotel_id, rule.id)
    return PriceRuleItem(
        pk,
        sk,
        rule_id=rule.id,
        hotel_id=rule.hotel_id,
        name=rule.name,
        room_type_id=rule.room_type_id,
        start_date=rule.start_date.isoformat() if rule.start_date else None,
        end_date=rule.end_date.isoformat() if rule.end_date else None,
        weekdays=list(rule.weekdays) if rule.weekdays else None,
        adjustment={'type': rule.adjustment.type, 'value': rule.adjustment.value},
        priority=rule.priority,
        min_stay=rule.min_stay,
        closed_to_arrival=rule.closed_to_arrival,
        version=rule.version,
        updated_at=iso(rule.updated_at) if rule.updated_at else None,
        updated_by=rule.updated_by,
    )


def _set_or_remove(attribute: Any, value: Any) -> Any:
    return attribute.remove() if value is None else attribute.set(value)


def _actions(
    model: type[HotelItem] | type[RoomTypeItem], changes: Mapping[str, Any], allowed: frozenset[str]
) -> list[Any]:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f'not changeable: {sorted(unknown)}')
    return [_set_or_remove(getattr(model, name), list(v) if isinstance(v, tuple) else v) for name, v in changes.items()]


def _hotel_is_empty() -> Any:
    return HotelItem.room_types.does_not_exist() | (HotelItem.room_types == 0)


class CatalogRepository:
    """Hotels, room types and price rules in DynamoDB.

    A hotel counts its room types (``room_types``), moved in the transactions that create and
    delete them, so a hotel is only deleted while it has none. A price rule has a reference item
    (``RULE#{id}``) written with it, so a rule is found by id alone with strongly consistent reads.
    """

    def __init__(self, table: Table, retention_days: int) -> None:
        self._table = table
        self._retention_days = retention_days  # the TTL of nights put back (common.sale_window)

    # ------------------------------------------------------------ hotels

    def get_hotel(self, hotel_id: str) -> Hotel:
        return _hotel(self._table.get(HotelItem, HotelItem.key(hotel_id), 'Hotel'))

    def list_hotels(self) -> list[Hotel]:
        return [_hotel(i) for i in self._table.read(HotelItem.gsi1.query(HotelItem.LIST_PK))]

    def put_hotel(self, hotel: Hotel, *, create: bool) -> None:
        item = HotelItem(
            *HotelItem.key(hotel.id),
            gsi1pk=HotelItem.LIST_PK,
            gsi1sk=HotelItem.list_key(hotel.city, hotel.id),
            hotel_id=hotel.id,
            name=hotel.name,
            city=hotel.city,
            address=hotel.address,
            timezone=hotel.timezone,
            check_in_hour=hotel.check_in_hour,
            currency=hotel.currency,
            check_out_hour=hotel.check_out_hour,
            phone=hotel.phone,
            notification_email=hotel.notification_email,
        )
        if not self._table.save_if(item, HotelItem.pk.does_not_exist() if create else HotelItem.pk.exists()):
            raise errors.AlreadyExists('Hotel already exists') if create else errors.NotFound('Hotel not found')

    def update_hotel(self, hotel_id: str, changes: Mapping[str, Any]) -> Hotel:
        """SET only the fields given, so a concurrent change of another field is never lost. A new
        currency needs ``room_types = 0``: existing room types are priced in the old one."""
        item = HotelItem(*HotelItem.key(hotel_id))
        actions = _actions(HotelItem, changes, HOTEL_FIELDS)
        if 'city' in changes:
            actions.append(HotelItem.gsi1sk.set(HotelItem.list_key(changes['city'], hotel_id)))
        condition = HotelItem.pk.exists()
        if 'currency' in changes:
            condition = condition & _hotel_is_empty()
        if not self._table.update_if(item, actions, condition):
            self.get_hotel(hotel_id)  # NotFound when it does not exist
            raise errors.HotelNotEmpty('The currency of a hotel with room types cannot change')
        return _hotel(item)

    def delete_hotel(self, hotel_id: str) -> None:
        """Delete a hotel that has no room types (guarded by its count), then its price rules."""
        item = HotelItem(*HotelItem.key(hotel_id))
        if not self._table.delete_if(item, HotelItem.pk.exists() & _hotel_is_empty()):
            self.get_hotel(hotel_id)
            raise errors.HotelNotEmpty('Delete the room types of the hotel first')
        for rule in self.list_rules(hotel_id):
            with contextlib.suppress(errors.NotFound):  # deleted concurrently
                self.delete_rule(hotel_id, rule.id)

    # ------------------------------------------------------------ room types

    def get_room_type(self, room_type_id: str) -> RoomType:
        return _room_type(self._table.get(RoomTypeItem, RoomTypeItem.key(room_type_id), 'Room type'))

    def list_room_types(self) -> list[RoomType]:
        return [_room_type(i) for i in self._table.read(RoomTypeItem.gsi1.query(RoomTypeItem.LIST_PK))]

    def room_types_after(self, cursor: str) -> Iterator[tuple[str, RoomType]]:
        """Every room type after ``cursor`` in listing-key order, with its key: one Query per 1 MB,
        paged lazily (housekeeping records the key of the last one it finished)."""
        condition = RoomTypeItem.gsi1sk > cursor if cursor else None
        for item in self._table.stream(RoomTypeItem.gsi1.query(RoomTypeItem.LIST_PK, condition)):
            yield item.gsi1sk, _room_type(item)

    def put_room_type(self, room_type: RoomType, *, create: bool) -> None:
        item = RoomTypeItem(
            *RoomTypeItem.key(room_type.id),
            gsi1pk=RoomTypeItem.LIST_PK,
            gsi1sk=RoomTypeItem.list_key(room_type.hotel_id, room_type.id),
            room_type_id=room_type.id,
            hotel_id=room_type.hotel_id,
            name=room_type.name,
            description=room_type.description,
            capacity=room_type.capacity,
            base_price=room_type.base_price,
            currency=room_type.currency,
            total_rooms=room_type.total_rooms,
            view_type=room_type.view_type,
            amenities=list(room_type.amenities),
            images=list(room_type.images),
            rating_sum=room_type.rating_sum,
            review_count=room_type.review_count,
            default_allotment=room_type.allotment_of_new_nights,
        )
        if create:
            self._create_room_type(item, room_type.hotel_id)
        elif not self._table.save_if(item, RoomTypeItem.pk.exists()):
            raise errors.NotFound('Room type not found')

    def _create_room_type(self, item: RoomTypeItem, hotel_id: str) -> None:
        """The room type and its hotel's ``room_types`` count in one transaction: a hotel can only
        be deleted while the count is 0, and a room type can only be created for a hotel that exists."""
        hotel = HotelItem(*HotelItem.key(hotel_id))

        def write(tx: TransactWrite) -> None:
            tx.save(item, condition=RoomTypeItem.pk.does_not_exist())  # index 0
            tx.update(hotel, actions=[HotelItem.room_types.add(1)], condition=HotelItem.pk.exists())  # index 1

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            failed = failed_guards(exc)
            if 0 in failed:
                raise errors.AlreadyExists('Room type already exists') from None
            if 1 in failed:
                raise errors.InvalidReference(f'Hotel {hotel_id} not found') from None
            raise

    def update_room_type(self, room_type_id: str, changes: Mapping[str, Any]) -> RoomType:
        """SET only the fields given (reviews move ``rating_sum`` concurrently; a full put would lose them)."""
        item = RoomTypeItem(*RoomTypeItem.key(room_type_id))
        if not self._table.update_if(item, _actions(RoomTypeItem, changes, ROOM_TYPE_FIELDS), RoomTypeItem.pk.exists()):
            raise errors.NotFound('Room type not found')
        return _room_type(item)

    def delete_room_type(self, room_type: RoomType, nights: Sequence[InventoryNight]) -> None:
        """Delete a room type whose nights hold nothing (the caller checked, from a consistent read).

        Nights go first, in transactions of up to 100, each guarded by the counts the caller saw
        (nothing held on every night it checked: nights past the retention are not checked, TTL
        deletes them sooner or later). A hold that lands after the check fails a guard:
        the nights already deleted are put back and ``HasBookings`` is raised. Only then the room
        type and its hotel's count go, in one transaction, and the rules scoped to it.
        """
        deleted: list[Sequence[InventoryNight]] = []
        for chunk in chunks(nights):

            def remove(tx: TransactWrite, chunk: Sequence[InventoryNight] = chunk) -> None:
                for night in chunk:
                    tx.delete(
                        InventoryItem(*InventoryItem.key(room_type.id, night.date.isoformat())),
                        condition=(InventoryItem.allotment == night.allotment)
                        & (InventoryItem.available == night.available),
                    )

            try:
                self._table.transact(remove)
            except TransactWriteError as exc:
                if not failed_guards(exc):
                    raise
                self._put_back(room_type, [n for done in deleted for n in done])
                raise errors.HasBookings('A booking took rooms while the room type was being deleted') from None
            deleted.append(chunk)

        hotel = HotelItem(*HotelItem.key(room_type.hotel_id))

        def remove_type(tx: TransactWrite) -> None:
            tx.delete(RoomTypeItem(*RoomTypeItem.key(room_type.id)), condition=RoomTypeItem.pk.exists())
            tx.update(hotel, actions=[HotelItem.room_types.add(-1)], condition=HotelItem.pk.exists())

        try:
            self._table.transact(remove_type)
        except TransactWriteError as exc:
            if failed_guards(exc):
                raise errors.NotFound('Room type not found') from None
            raise
        for rule in self.list_rules(room_type.hotel_id):
            if rule.room_type_id == room_type.id:
                with contextlib.suppress(errors.NotFound):
                    self.delete_rule(room_type.hotel_id, rule.id)

    def _put_back(self, room_type: RoomType, nights: Sequence[InventoryNight]) -> None:
        for chunk in chunks(nights):

            def restore(tx: TransactWrite, chunk: Sequence[InventoryNight] = chunk) -> None:
                for n in chunk:
                    tx.save(
                        night_item(room_type, n.date, n.allotment, n.available, n.stop_sell, self._retention_days),
                        condition=InventoryItem.pk.does_not_exist(),
                    )

            self._table.transact(restore)

    # ------------------------------------------------------------ price rules

    def list_rules(self, hotel_id: str) -> list[PriceRule]:
        """All price rules of a hotel: one Query, whatever the length of the stay."""
        query = PriceRuleItem.query(
            PriceRuleItem.partition(hotel_id), PriceRuleItem.sk.startswith(PriceRuleItem.SK_PREFIX)
        )
        return [_rule(i) for i in self._table.read(query)]

    def get_rule(self, rule_id: str) -> PriceRule:
        """A rule by id alone: its reference gives the hotel (2 strongly consistent reads)."""
        ref = self._table.get(RuleRefItem, RuleRefItem.key(rule_id), 'Price rule', consistent=True)
        key = PriceRuleItem.key(ref.hotel_id, rule_id)
        return _rule(self._table.get(PriceRuleItem, key, 'Price rule', consistent=True))

    def put_rule(self, rule: PriceRule, *, create: bool = False) -> None:
        """Write a rule and its id -> hotel reference together. ``create`` refuses an existing id;
        without it the write is an idempotent upsert (the demo seed)."""
        item = _rule_item(rule)
        ref = RuleRefItem(*RuleRefItem.key(rule.id), hotel_id=rule.hotel_id)

        def write(tx: TransactWrite) -> None:
            tx.save(item, condition=PriceRuleItem.pk.does_not_exist() if create else None)
            # The id is unique across hotels: the reference may only point at this rule's hotel.
            tx.save(
                ref,
                condition=RuleRefItem.pk.does_not_exist()
                if create
                else (RuleRefItem.pk.does_not_exist() | (RuleRefItem.hotel_id == rule.hotel_id)),
            )

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            if failed_guards(exc):
                raise errors.AlreadyExists('A price rule with this id already exists') from None
            raise

    def replace_rule(self, rule: PriceRule, expected_version: int) -> None:
        """Write the merged rule if nobody changed it since it was read (optimistic on ``version``)."""
        unchanged = PriceRuleItem.version == expected_version
        if expected_version == 0:
            unchanged = PriceRuleItem.version.does_not_exist() | unchanged
        if not self._table.save_if(_rule_item(rule), PriceRuleItem.pk.exists() & unchanged):
            self.get_rule(rule.id)  # NotFound when it was deleted meanwhile
            raise errors.Conflict('The price rule changed while it was being updated; retry')

    def delete_rule(self, hotel_id: str, rule_id: str) -> None:
        def write(tx: TransactWrite) -> None:
            tx.delete(PriceRuleItem(*PriceRuleItem.key(hotel_id, rule_id)), condition=PriceRuleItem.pk.exists())
            tx.delete(RuleRefItem(*RuleRefItem.key(rule_id)))

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            if failed_guards(exc):
                raise errors.NotFound('Price rule not found') from None
            raise
