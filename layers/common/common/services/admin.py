"""Hotel staff: hotels, room types, per-night inventory, price rules and the pricing preview.

Every change is validated before anything is written (a bad request changes nothing), made
with guarded writes, logged with the admin's id, and followed by clearing the catalogue cache so
the same warm Lambda never serves what it just replaced. Other warm Lambdas catch up within
``CATALOG_CACHE_SECONDS``; inventory is never cached.

Decisions (see docs/admin.md):
- ``default_allotment`` of a room type (``total_rooms`` when absent) is the allotment of nights
  opened from then on; nights that exist change only through ``set_inventory``.
- A room type with rooms held on any night (PENDING or CONFIRMED, past or future) cannot be
  deleted (409 ``has_bookings``); a hotel with room types cannot be deleted (409
  ``hotel_not_empty``). Deleting removes the nights and the price rules that belong to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common import errors, masking, money
from common.domain import (
    Adjustment,
    Hotel,
    InventoryNight,
    NightPrice,
    PriceRule,
    Principal,
    RoomType,
    Stay,
)
from common.observability import logger
from common.ports import NightChange
from common.sale_window import kept_from
from common.services import catalog, housekeeping, pricing
from common.services.deps import Deps
from common.timeutil import stored_precision

MAX_INVENTORY_NIGHTS = 366
MAX_PREVIEW_NIGHTS = 366
MAX_HORIZON_DAYS = 3 * 366  # the longest sale window SALE_WINDOW_DAYS allows


def _record(deps: Deps, admin: Principal, action: str, **keys: Any) -> None:
    """The audit line of an admin change (structured: searchable by admin_id and action)."""
    deps.catalog_cache.clear()
    logger.info('admin change', admin_id=admin.user_id, action=action, **keys)


def _require_changes(changes: dict[str, Any]) -> None:
    if not changes:
        raise errors.Unprocessable('Send at least one field to change')


def check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.Unprocessable(f'{name!r} is not an IANA time zone (e.g. Europe/Lisbon)') from None


# ---------------------------------------------------------------- hotels


def list_hotels(deps: Deps) -> list[Hotel]:
    return sorted(deps.catalog.list_hotels(), key=catalog.hotel_order)


def get_hotel(deps: Deps, hotel_id: str) -> Hotel:
    return deps.catalog.get_hotel(hotel_id)


def create_hotel(deps: Deps, admin: Principal, fields: dict[str, Any]) -> Hotel:
    current = deps.settings
    timezone = fields.get('timezone') or current.hotel_timezone
    check_in_hour = fields.get('check_in_hour')
    check_out_hour = fields.get('check_out_hour')
    hotel = Hotel(
        id=fields['id'],
        name=fields['name'],
        city=fields['city'],
        address=fields.get('address') or '',
        timezone=timezone,
        check_in_hour=current.check_in_hour if check_in_hour is None else check_in_hour,
        currency=fields['currency'],
        check_out_hour=current.check_out_hour if check_out_hour is None else check_out_hour,
        phone=fields.get('phone'),
        notification_email=fields.get('notification_email'),
    )
    check_timezone(hotel.timezone)
    deps.catalog.put_hotel(hotel, create=True)
    _record(deps, admin, 'hotel.create', hotel_id=hotel.id)
    return hotel


def update_hotel(deps: Deps, admin: Principal, hotel_id: str, changes: dict[str, Any]) -> Hotel:
    _require_changes(changes)
    if 'timezone' in changes:
        check_timezone(changes['timezone'])
    hotel = deps.catalog.update_hotel(hotel_id, changes)
    _record(deps, admin, 'hotel.update', hotel_id=hotel_id, changes=masking.masked_fields(changes))
    return hotel


def delete_hotel(deps: Deps, admin: Principal, hotel_id: str) -> None:
    # The delete itself is guarded by the hotel's room_types count; the listing also covers
    # hotels written before the count existed (an index read is fine for refusing, not for allowing).
    if any(rt.hotel_id == hotel_id for rt in deps.catalog.list_room_types()):
        raise errors.HotelNotEmpty('Delete the room types of the hotel first')
    deps.catalog.delete_hotel(hotel_id)
    _record(deps, admin, 'hotel.delete', hotel_id=hotel_id)


# ---------------------------------------------------------------- room types


def list_room_types(deps: Deps, hotel_id: str | None = None) -> list[RoomType]:
    types = [rt for rt in deps.catalog.list_room_types() if hotel_id is None or rt.hotel_id == hotel_id]
    return sorted(types, key=catalog.admin_order)


def get_room_type(deps: Deps, room_type_id: str) -> RoomType:
    return deps.catalog.get_room_type(room_type_id)


def _hotel_of(deps: Deps, hotel_id: str) -> Hotel:
    try:
        return deps.catalog.get_hotel(hotel_id)
    except errors.NotFound:
        raise errors.InvalidReference(f'Hotel {hotel_id} not found') from None


def create_room_type(deps: Deps, admin: Principal, fields: dict[str, Any], now: datetime) -> tuple[RoomType, int]:
    """Create a room type and open ``default_allotment`` (else ``total_rooms``) for each night of
    the sale window.

    The room type is written first (its id is the lock: of two concurrent creates only one
    opens nights); opening the nights is idempotent, and ``set_inventory`` opens any night
    still missing if the Lambda stops half-way.
    """
    hotel = _hotel_of(deps, fields['hotel_id'])
    currency = fields.get('currency') or hotel.currency
    if currency != hotel.currency:
        message = f'must be the currency of hotel {hotel.id} ({hotel.currency})'
        raise errors.Unprocessable(
            f'currency: {message}', errors=[{'loc': ['body', 'currency'], 'type': 'value_error', 'msg': message}]
        )
    room_type = RoomType(
        id=fields['id'],
        hotel_id=hotel.id,
        name=fields['name'],
        description=fields.get('description') or '',
        capacity=fields['capacity'],
        base_price=fields['base_price'],
        currency=currency,
        total_rooms=fields['total_rooms'],
        view_type=fields.get('view_type'),
        amenities=tuple(fields.get('amenities') or ()),
        images=tuple(fields.get('images') or ()),
        default_allotment=fields['total_rooms']
        if fields.get('default_allotment') is None
        else fields['default_allotment'],
    )
    deps.catalog.put_room_type(room_type, create=True)
    opened = housekeeping.open_window(deps, room_type, hotel, now)
    _record(deps, admin, 'room_type.create', room_type_id=room_type.id, hotel_id=hotel.id, nights_opened=opened)
    return room_type, opened


def update_room_type(deps: Deps, admin: Principal, room_type_id: str, changes: dict[str, Any]) -> RoomType:
    """``default_allotment`` becomes the allotment of nights opened later; existing nights keep theirs."""
    _require_changes(changes)
    stored = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
    room_type = deps.catalog.update_room_type(room_type_id, stored)
    _record(deps, admin, 'room_type.update', room_type_id=room_type_id, changes=changes)
    return room_type


def delete_room_type(deps: Deps, admin: Principal, room_type_id: str, now: datetime) -> None:
    room_type = deps.catalog.get_room_type(room_type_id)
    nights = deps.inventory.all_nights(room_type_id)
    # Nights past the retention do not count (TTL deletes them sooner or later: it never decides).
    kept = kept_from(now, deps.settings.inventory_retention_days)
    held = [n for n in nights if n.available != n.allotment and n.date >= kept]
    if held:
        raise errors.HasBookings(
            f'Bookings hold {sum(n.allotment - n.available for n in held)} room-nights of {room_type_id}; '
            'cancel or let them end first',
            nights=[n.date.isoformat() for n in held[:31]],
            held_nights=len(held),
        )
    deps.catalog.delete_room_type(room_type, nights)
    _record(deps, admin, 'room_type.delete', room_type_id=room_type_id, hotel_id=room_type.hotel_id, nights=len(nights))


# ---------------------------------------------------------------- inventory


@dataclass(frozen=True)
class InventoryUpdate:
    start: date
    end: date  # exclusive
    allotment: int | None = None
    stop_sell: bool | None = None
    weekdays: tuple[int, ...] | None = None  # only these ISO weekdays of the range

    def nights(self) -> Iterable[date]:
        for offset in range((self.end - self.start).days):
            night = self.start + timedelta(days=offset)
            if self.weekdays is None or night.isoweekday() in self.weekdays:
                yield night


def plan_inventory(
    room_type: RoomType, update: InventoryUpdate, current: Iterable[InventoryNight]
) -> list[NightChange]:
    """The night changes an update needs, from a consistent read of the nights it covers.

    Unchanged nights are left out (a repeated PUT writes nothing). A night that does not exist
    yet is opened with the requested allotment (else the room type's opening allotment). Lowering the allotment
    below what is held on a night refuses the whole request, listing every such night.
    """
    by_date = {n.date: n for n in current}
    changes, below_held = [], []
    for night in update.nights():
        before = by_date.get(night)
        allotment = update.allotment
        if allotment is None:
            allotment = before.allotment if before else room_type.opening_allotment(night)
        stop_sell = update.stop_sell
        if stop_sell is None:
            stop_sell = before.stop_sell if before else False
        if before is not None:
            if (allotment, stop_sell) == (before.allotment, before.stop_sell):
                continue
            held = before.allotment - before.available
            if allotment < held:
                below_held.append({'date': night.isoformat(), 'held': held, 'allotment': allotment})
        changes.append(NightChange(night, allotment, stop_sell, before))
    if below_held:
        raise errors.AllotmentBelowHeld(
            f'{len(below_held)} nights have more rooms held than the new allotment', nights=below_held
        )
    return changes


def set_inventory(
    deps: Deps, admin: Principal, room_type_id: str, update: InventoryUpdate, now: datetime
) -> tuple[RoomType, list[InventoryNight]]:
    """Set allotment and/or stop-sell for a range of nights (end exclusive), all or nothing.

    ``available`` moves by exactly the allotment's change, so what is held stays held; raising
    makes rooms bookable at once, stop-sell takes nights off sale at once.
    """
    room_type = deps.catalog.get_room_type(room_type_id)
    hotel = deps.catalog.get_hotel(room_type.hotel_id)
    if update.end <= update.start:
        raise errors.InvalidDates('end_date must be after start_date (it is exclusive)')
    if (update.end - update.start).days > MAX_INVENTORY_NIGHTS:
        raise errors.RangeTooLong(f'At most {MAX_INVENTORY_NIGHTS} nights per request', max_nights=MAX_INVENTORY_NIGHTS)
    today = hotel.today(now)
    if update.start < today:
        raise errors.InvalidDates(f'Past nights cannot change (today at {hotel.name} is {today.isoformat()})')
    if update.end > today + timedelta(days=MAX_HORIZON_DAYS):
        raise errors.InvalidDates(f'Nights can be set up to {MAX_HORIZON_DAYS} days ahead')
    if update.allotment is None and update.stop_sell is None:
        raise errors.Unprocessable('Send allotment, stop_sell or both')
    current = deps.inventory.nights(room_type.id, update.start, update.end, consistent=True)
    changes = plan_inventory(room_type, update, current)
    if changes:
        deps.inventory.apply(room_type, changes)
        _record(
            deps,
            admin,
            'inventory.update',
            room_type_id=room_type.id,
            start_date=update.start.isoformat(),
            end_date=update.end.isoformat(),
            allotment=update.allotment,
            stop_sell=update.stop_sell,
            weekdays=list(update.weekdays) if update.weekdays else None,
            nights_changed=len(changes),
        )
    return room_type, deps.inventory.nights(room_type.id, update.start, update.end, consistent=True)


# ---------------------------------------------------------------- price rules


def list_rules(deps: Deps, hotel_id: str | None = None, room_type_id: str | None = None) -> list[PriceRule]:
    """Rules in the order the engine applies them (per hotel: priority, then id). With
    ``room_type_id``: the rules that can price it (its own and its hotel's global ones)."""
    if room_type_id is not None:
        owner = deps.catalog.get_room_type(room_type_id).hotel_id
        if hotel_id is not None and hotel_id != owner:
            return []
        hotel_id = owner
    hotel_ids = [hotel_id] if hotel_id is not None else sorted(h.id for h in deps.catalog.list_hotels())
    found: list[PriceRule] = []
    for hid in hotel_ids:
        rules = pricing.ordered(deps.catalog.list_rules(hid))
        found.extend(r for r in rules if room_type_id is None or r.room_type_id in (None, room_type_id))
    return found


def get_rule(deps: Deps, rule_id: str) -> PriceRule:
    return deps.catalog.get_rule(rule_id)


def _scope(deps: Deps, hotel_id: str | None, room_type_id: str | None) -> str:
    """The hotel a rule belongs to; its room type (when set) must be one of that hotel's."""
    if room_type_id is not None:
        try:
            room_type = deps.catalog.get_room_type(room_type_id)
        except errors.NotFound:
            raise errors.InvalidReference(f'Room type {room_type_id} not found') from None
        if hotel_id is not None and hotel_id != room_type.hotel_id:
            raise errors.InvalidReference(f'Room type {room_type_id} belongs to hotel {room_type.hotel_id}')
        return room_type.hotel_id
    if hotel_id is None:
        raise errors.Unprocessable(
            'hotel_id is required for a rule of every room type (room_type_id null)',
            errors=[{'loc': ['body', 'hotel_id'], 'type': 'missing', 'msg': 'Field required'}],
        )
    return _hotel_of(deps, hotel_id).id


def _rule_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Request fields -> PriceRule fields (adjustment object, weekdays as a sorted tuple)."""
    out = dict(fields)
    if out.get('adjustment') is not None:
        out['adjustment'] = Adjustment(type=out['adjustment']['type'], value=out['adjustment']['value'])
    if out.get('weekdays') is not None:
        out['weekdays'] = tuple(sorted(set(out['weekdays'])))
    return out


def new_rule_id() -> str:
    return f'rule-{uuid.uuid4().hex[:16]}'


def create_rule(deps: Deps, admin: Principal, fields: dict[str, Any], now: datetime) -> PriceRule:
    values = _rule_fields(fields)
    hotel_id = _scope(deps, values.pop('hotel_id', None), values.get('room_type_id'))
    if values.get('adjustment') is None:
        values['adjustment'] = Adjustment('amount', 0)  # a restriction-only rule
    rule = PriceRule(
        id=new_rule_id(),
        hotel_id=hotel_id,
        version=1,
        updated_at=stored_precision(now),
        updated_by=admin.user_id,
        **values,
    )
    pricing.validate_rule(rule)
    deps.catalog.put_rule(rule, create=True)
    _record(deps, admin, 'price_rule.create', rule_id=rule.id, hotel_id=hotel_id, rule=_describe(rule))
    return rule


def update_rule(deps: Deps, admin: Principal, rule_id: str, changes: dict[str, Any], now: datetime) -> PriceRule:
    """Merge the changes into the stored rule, validate the result, write it if nobody changed
    the rule meanwhile (409 ``conflict`` otherwise). ``null`` clears an optional field."""
    _require_changes(changes)
    current = deps.catalog.get_rule(rule_id)
    values = _rule_fields(changes)
    if values.get('room_type_id') is not None:
        _scope(deps, current.hotel_id, values['room_type_id'])
    merged = replace(
        current, **values, version=current.version + 1, updated_at=stored_precision(now), updated_by=admin.user_id
    )
    pricing.validate_rule(merged)
    deps.catalog.replace_rule(merged, expected_version=current.version)
    _record(deps, admin, 'price_rule.update', rule_id=rule_id, hotel_id=current.hotel_id, rule=_describe(merged))
    return merged


def delete_rule(deps: Deps, admin: Principal, rule_id: str) -> None:
    rule = deps.catalog.get_rule(rule_id)
    deps.catalog.delete_rule(rule.hotel_id, rule.id)
    _record(deps, admin, 'price_rule.delete', rule_id=rule_id, hotel_id=rule.hotel_id, rule=_describe(rule))


def _describe(rule: PriceRule) -> dict[str, Any]:
    return {
        'name': rule.name,
        'room_type_id': rule.room_type_id,
        'start_date': rule.start_date.isoformat() if rule.start_date else None,
        'end_date': rule.end_date.isoformat() if rule.end_date else None,
        'weekdays': list(rule.weekdays) if rule.weekdays else None,
        'adjustment': {'type': rule.adjustment.type, 'value': rule.adjustment.value},
        'priority': rule.priority,
        'min_stay': rule.min_stay,
        'closed_to_arrival': rule.closed_to_arrival,
    }


# ---------------------------------------------------------------- pricing preview


@dataclass(frozen=True)
class Preview:
    room_type: RoomType
    stay: Stay
    rooms: int
    nights: list[tuple[NightPrice, list[pricing.Step]]]
    restriction: errors.Unprocessable | None

    @property
    def per_room(self) -> int:
        return sum(n.price for n, _ in self.nights)

    @property
    def total(self) -> int:
        return self.per_room * self.rooms


def preview(deps: Deps, room_type_id: str, check_in: date, check_out: date, rooms: int = 1) -> Preview:
    """What a stay would cost now, night by night, with every rule step, and whether a
    restriction would refuse it. Read fresh (not from the warm cache): an admin checking a
    change sees it. Reads: room type + rules of its hotel, whatever the number of nights."""
    stay = Stay(check_in, check_out)
    if check_out <= check_in:
        raise errors.InvalidDates('check_out must be after check_in')
    if stay.nights > MAX_PREVIEW_NIGHTS:
        raise errors.RangeTooLong(f'A preview covers at most {MAX_PREVIEW_NIGHTS} nights')
    room_type = deps.catalog.get_room_type(room_type_id)
    rules = deps.catalog.list_rules(room_type.hotel_id)
    nights = pricing.explain(room_type, rules, stay)
    total = sum(night.price for night, _ in nights) * rooms
    # What a hold of this stay would be refused with: a restriction, or a total no card can pay
    # (the same one-table check as the hold's, common/money.py).
    refused = pricing.restriction(room_type, rules, stay) or money.payable_problem(total, room_type.currency)
    return Preview(room_type=room_type, stay=stay, rooms=rooms, nights=nights, restriction=refused)
