"""The read-mostly catalogue: hotels, room types and price rules, and how they are listed.

A warm Lambda keeps what it read for ``CATALOG_CACHE_SECONDS`` (default 5 s, 0 = off) in
``deps.catalog_cache``, so a burst of searches does not re-read the catalogue on every request.
Availability is never cached: it is read from inventory every time and decided by the booking
transaction.
"""

from __future__ import annotations

from common import errors
from common.domain import Hotel, PriceRule, PricingTerms, RoomType
from common.services.deps import Deps


def hotel_order(hotel: Hotel) -> tuple[str, str, str]:
    """How hotels are listed, to guests and to staff alike: by city (whatever its case), name, id."""
    return hotel.city.casefold(), hotel.name, hotel.id


def guest_order(room_type: RoomType) -> tuple[str, int, str]:
    """How guests see a hotel's room types: cheapest first."""
    return room_type.hotel_id, room_type.base_price, room_type.id


def admin_order(room_type: RoomType) -> tuple[str, str]:
    """How staff see room types: by hotel, then id (the slug they chose)."""
    return room_type.hotel_id, room_type.id


def hotels(deps: Deps) -> dict[str, Hotel]:
    return deps.catalog_cache.get('hotels', lambda: {h.id: h for h in deps.catalog.list_hotels()})


def hotel(deps: Deps, hotel_id: str) -> Hotel:
    """With the cache on, single lookups reuse the cached listing; off, they read one item."""
    found = hotels(deps).get(hotel_id) if deps.catalog_cache.enabled else None
    return found if found is not None else deps.catalog.get_hotel(hotel_id)


def room_types(deps: Deps) -> dict[str, RoomType]:
    return deps.catalog_cache.get('room_types', lambda: {r.id: r for r in deps.catalog.list_room_types()})


def room_type(deps: Deps, room_type_id: str) -> RoomType:
    found = room_types(deps).get(room_type_id) if deps.catalog_cache.enabled else None
    return found if found is not None else deps.catalog.get_room_type(room_type_id)


def rules(deps: Deps, hotel_id: str) -> list[PriceRule]:
    return deps.catalog_cache.get(('rules', hotel_id), lambda: deps.catalog.list_rules(hotel_id))


def terms(deps: Deps, hotel_id: str) -> PricingTerms:
    """The hotel's price rules, rate plans and taxes (one Query), cached like the rules."""
    return deps.catalog_cache.get(('terms', hotel_id), lambda: deps.catalog.pricing_terms(hotel_id))


def require_room_type(deps: Deps, room_type_id: str) -> tuple[RoomType, Hotel]:
    rt = room_type(deps, room_type_id)
    try:
        return rt, hotel(deps, rt.hotel_id)
    except errors.NotFound:
        raise errors.NotFound('Room type not found') from None


def list_hotels(deps: Deps, city: str | None = None) -> list[Hotel]:
    """The public hotel list, optionally of one city (case-insensitive)."""
    found = sorted(hotels(deps).values(), key=hotel_order)
    return [h for h in found if not city or h.city.casefold() == city.casefold()]


def list_room_types(deps: Deps, hotel_id: str | None = None) -> list[RoomType]:
    """The public room-type list, optionally of one hotel."""
    found = sorted(room_types(deps).values(), key=guest_order)
    return [r for r in found if not hotel_id or r.hotel_id == hotel_id]
