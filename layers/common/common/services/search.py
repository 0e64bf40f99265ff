"""Search and availability calendar.

DynamoDB work per search: the catalogue (cached for seconds in a warm Lambda), one Query of
price rules per hotel, and one inventory Query per candidate room type (run in parallel). None
of it grows with the number of nights. Rooms of holds past their expiry count as available
(services/availability.py: one Query per pending-index shard, only when a room type falls short
of the party on some night). Availability shown here is informational; only the booking
transaction decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from common import errors
from common.domain import Hotel, InventoryNight, NightPrice, RoomType, Stay
from common.services import availability, bookings, catalog, pricing
from common.services.deps import Deps

MAX_CALENDAR_DAYS = 366
DEFAULT_CALENDAR_DAYS = 30
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix='inventory')


@dataclass(frozen=True)
class SearchQuery:
    check_in: date
    check_out: date
    guests: int = 1
    rooms: int = 1
    city: str | None = None
    hotel_id: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    amenities: tuple[str, ...] = ()
    view_type: str | None = None
    sort: Literal['price', 'availability'] = 'price'
    include_sold_out: bool = False


@dataclass(frozen=True)
class SearchResult:
    room_type: RoomType
    hotel: Hotel
    available_rooms: int
    quote: pricing.Quote
    restriction: str | None = None


@dataclass(frozen=True)
class SearchAnswer:
    stay: Stay
    query: SearchQuery
    results: list[SearchResult] = field(default_factory=list)


def sellable_rooms(nights: Sequence[InventoryNight], stay: Stay) -> int:
    """Rooms free on every night of the stay (a missing or stop-sell night means none)."""
    by_date = {n.date: n for n in nights}
    counts = [by_date[d].sellable if d in by_date else 0 for d in stay.dates()]
    return min(counts, default=0)


def _candidates(deps: Deps, query: SearchQuery, hotels: dict[str, Hotel]) -> list[tuple[RoomType, Hotel]]:
    wanted_city = query.city.casefold() if query.city else None
    found = []
    for rt in catalog.room_types(deps).values():
        hotel = hotels.get(rt.hotel_id)
        if hotel is None:
            continue
        if query.hotel_id and rt.hotel_id != query.hotel_id:
            continue
        if wanted_city and hotel.city.casefold() != wanted_city:
            continue
        if query.view_type and rt.view_type != query.view_type:
            continue
        if not set(query.amenities) <= set(rt.amenities):
            continue
        if rt.capacity * query.rooms < query.guests:
            continue
        found.append((rt, hotel))
    return found


def search(deps: Deps, query: SearchQuery, now: datetime) -> SearchAnswer:
    stay = Stay(query.check_in, query.check_out)
    bookings.check_dates(deps, stay)
    if query.guests < query.rooms:
        raise errors.Unprocessable('Every room needs at least one guest')
    hotels = catalog.hotels(deps)
    candidates = []
    refusals: list[errors.DomainError] = []
    for rt, hotel in _candidates(deps, query, hotels):
        try:
            bookings.check_window(deps, hotel, stay, now)
        except errors.DomainError as exc:
            refusals.append(exc)
            continue
        candidates.append((rt, hotel))
    if refusals and not candidates:
        raise refusals[0]

    stored = _pool.map(lambda c: deps.inventory.nights(c[0].id, stay.check_in, stay.check_out), candidates)
    by_type = availability.on_sale(
        deps, {rt.id: found for (rt, _), found in zip(candidates, stored, strict=True)},
        stay.check_in, stay.check_out, now, rooms=query.rooms,
    )  # fmt: skip
    inventories = [by_type[rt.id] for rt, _ in candidates]
    rules_by_hotel = {hotel_id: catalog.rules(deps, hotel_id) for hotel_id in {hotel.id for _, hotel in candidates}}
    results = []
    for (rt, hotel), nights in zip(candidates, inventories, strict=True):
        rules = rules_by_hotel[hotel.id]
        available = sellable_rooms(nights, stay)
        refused = pricing.restriction(rt, rules, stay)
        quote = pricing.quote(rt, rules, stay, rooms=query.rooms)
        bookable = available >= query.rooms and refused is None
        if not bookable and not query.include_sold_out:
            continue
        if query.min_price is not None and quote.total < query.min_price:
            continue
        if query.max_price is not None and quote.total > query.max_price:
            continue
        results.append(
            SearchResult(
                room_type=rt,
                hotel=hotel,
                available_rooms=available if refused is None else 0,
                quote=quote,
                restriction=refused.code if refused else None,
            )
        )
    if query.sort == 'availability':
        results.sort(key=lambda r: (-r.available_rooms, r.quote.total, r.room_type.id))
    else:
        results.sort(key=lambda r: (r.quote.total, r.room_type.id))
    return SearchAnswer(stay=stay, query=query, results=results)


@dataclass(frozen=True)
class CalendarNight:
    night: InventoryNight
    price: NightPrice


def calendar(
    deps: Deps, room_type_id: str, start: date | None, end: date | None, now: datetime
) -> tuple[RoomType, list[CalendarNight]]:
    """Nights from ``start`` (inclusive) to ``end`` (exclusive), at most 366, each with its price
    and what is sellable. Default: from today at the hotel, for 30 days."""
    rt, hotel = catalog.require_room_type(deps, room_type_id)
    start = start or hotel.today(now)
    end = end or start + timedelta(days=DEFAULT_CALENDAR_DAYS)
    if end <= start:
        raise errors.InvalidDates('to must be after from')
    if (end - start).days > MAX_CALENDAR_DAYS:
        raise errors.InvalidDates(f'The calendar covers at most {MAX_CALENDAR_DAYS} days')
    nights = availability.on_sale(deps, {rt.id: deps.inventory.nights(rt.id, start, end)}, start, end, now)[rt.id]
    rules = pricing.ordered(r for r in catalog.rules(deps, hotel.id) if r.hotel_id == hotel.id)
    return rt, [CalendarNight(night=n, price=pricing.price_night(rt, rules, n.date)) for n in nights]
