"""Search and availability calendar.

DynamoDB work per search page: the catalogue and each hotel's pricing terms (price rules, rate
plans, taxes; cached for seconds in a warm Lambda), ONE Query of the availability view per city
searched (services/search_view: it does not grow with room types, nights or plans), and with a
promo code one GetItem per hotel. ``search_per_type`` is the path before the view (one inventory
Query per candidate room type), kept for the benchmark. Results come a page at a time, in a total
order (price, availability or rating, then the room type's id), the cursor naming the last
result's place in it; every page is computed afresh, so it costs what the first did. Each result
lists one offer per rate plan (services/offers), the same computation a hold charges. Rooms of
holds past their expiry count as available (services/availability.py: one Query per
pending-index shard, only when a room type falls short of the party on some night). Availability
shown here is informational; only the booking transaction decides.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal

from common import errors
from common.domain import CancellationPolicy, Hotel, InventoryNight, NightPrice, PromoCode, RatePlan, RoomType, Stay
from common.services import availability, bookings, catalog, pricing, rates, search_view
from common.services import offers as offers_
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
    sort: Literal['price', 'availability', 'rating'] = 'price'
    include_sold_out: bool = False
    promo_code: str | None = None
    child_ages: tuple[int, ...] = ()
    include_restricted_plans: bool = False  # list plans whose restrictions refuse the stay, with why
    limit: int | None = None  # results per page (None: all)
    cursor: str | None = None  # the previous page's ``next_cursor``


@dataclass(frozen=True)
class SearchResult:
    room_type: RoomType
    hotel: Hotel
    available_rooms: int
    quote: pricing.Quote  # the nights at the price rules' rate (step 1 of docs/pricing.md)
    restriction: str | None = None
    offers: list[offers_.Offer] = field(default_factory=list)  # cheapest first

    default_code: str | None = None  # the plan a booking that names none gets

    @property
    def best(self) -> offers_.Offer | None:
        """The offer a booking without ``rate_plan_id`` gets (the default plan's), else the
        cheapest bookable one."""
        default = next((o for o in self.offers if o.bookable and o.plan.code == self.default_code), None)
        return default or next((o for o in self.offers if o.bookable), None)

    @property
    def currency(self) -> str:
        return self.quote.currency

    @property
    def total(self) -> int:
        """The total of ``best``: what a booking of the room type without a plan is charged."""
        best = self.best
        return best.price.total if best is not None else self.quote.total

    @property
    def nightly(self) -> tuple[NightPrice, ...]:
        best = self.best
        return best.price.nightly if best is not None else self.quote.nightly


@dataclass(frozen=True)
class SearchAnswer:
    stay: Stay
    query: SearchQuery
    results: list[SearchResult] = field(default_factory=list)
    next_cursor: str | None = None


def sellable_rooms(nights: Sequence[InventoryNight], stay: Stay) -> int:
    """Rooms free on every night of the stay (a missing or stop-sell night means none)."""
    by_date = {n.date: n for n in nights}
    counts = [by_date[d].sellable if d in by_date else 0 for d in stay.dates()]
    return min(counts, default=0)


def _candidates(
    query: SearchQuery, hotels: Mapping[str, Hotel], room_types: Mapping[str, RoomType]
) -> list[tuple[RoomType, Hotel]]:
    wanted_city = query.city.casefold() if query.city else None
    found = []
    for rt in room_types.values():
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


# (deps, candidates, stay, room types per city) -> the stay's stored nights per candidate room type
Availability = Callable[
    [Deps, Sequence[tuple[RoomType, Hotel]], Stay, Mapping[str, int]], Mapping[str, Sequence[InventoryNight]]
]


def per_type_nights(
    deps: Deps, candidates: Sequence[tuple[RoomType, Hotel]], stay: Stay, city_sizes: Mapping[str, int]
) -> dict[str, list[InventoryNight]]:
    """The stay's nights of each candidate read from the inventory: one Query per room type."""
    stored = _pool.map(lambda c: deps.inventory.nights(c[0].id, stay.check_in, stay.check_out), candidates)
    return {rt.id: found for (rt, _), found in zip(candidates, stored, strict=True)}


def search(deps: Deps, query: SearchQuery, now: datetime) -> SearchAnswer:
    """A page of results, from the availability view (services/search_view): one Query per city
    searched whatever its number of room types or nights."""
    return _search(deps, query, now, search_view.nights)


def search_per_type(deps: Deps, query: SearchQuery, now: datetime) -> SearchAnswer:
    """The same answer read the way search did before the view: one inventory Query per candidate
    room type (kept for the benchmark's "before" and as the reference the view is checked against)."""
    return _search(deps, query, now, per_type_nights)


def _search(deps: Deps, query: SearchQuery, now: datetime, availability_of: Availability) -> SearchAnswer:
    stay = Stay(query.check_in, query.check_out)
    bookings.check_dates(deps, stay)
    if query.guests < query.rooms:
        raise errors.Unprocessable('Every room needs at least one guest')
    bookings.check_children(query.guests, query.rooms, query.child_ages)
    after = _decode_cursor(query)
    hotels = catalog.hotels(deps)
    room_types = catalog.room_types(deps)
    city_sizes = Counter(hotels[rt.hotel_id].city.casefold() for rt in room_types.values() if rt.hotel_id in hotels)
    candidates = []
    refusals: list[errors.DomainError] = []
    for rt, hotel in _candidates(query, hotels, room_types):
        try:
            bookings.check_window(deps, hotel, stay, now)
        except errors.DomainError as exc:
            refusals.append(exc)
            continue
        candidates.append((rt, hotel))
    if refusals and not candidates:
        raise refusals[0]

    stored = availability_of(deps, candidates, stay, city_sizes)
    by_type = availability.on_sale(deps, stored, stay.check_in, stay.check_out, now, rooms=query.rooms)
    inventories = [by_type[rt.id] for rt, _ in candidates]
    hotel_ids = sorted({hotel.id for _, hotel in candidates})
    terms_by_hotel = {hotel_id: catalog.terms(deps, hotel_id) for hotel_id in hotel_ids}
    promos = _promos(deps, query, [hotels[h] for h in hotel_ids], now)
    party = rates.Party(query.guests, query.rooms, query.child_ages)
    policy = deps.settings.cancellation_policy
    results = []
    for (rt, hotel), nights in zip(candidates, inventories, strict=True):
        terms = terms_by_hotel[hotel.id]
        available = sellable_rooms(nights, stay)
        refused = pricing.restriction(rt, terms.rules, stay)
        if (available < query.rooms or refused is not None) and not query.include_sold_out:
            continue  # not bookable whatever its plans: no prices computed for it
        quote = pricing.quote(rt, terms.rules, stay, rooms=query.rooms)
        promo, promo_refused = promos.get(hotel.id, (None, None))
        found = [
            o if promo_refused is None else replace(o, promo_refused=promo_refused)
            for o in offers_.offers(rt, hotel, terms, stay, party, now, policy, promo)
            if o.bookable or query.include_restricted_plans
        ]
        bookable = available >= query.rooms and refused is None and any(o.bookable for o in found)
        if not bookable and not query.include_sold_out:
            continue
        result = SearchResult(
            room_type=rt,
            hotel=hotel,
            available_rooms=available if refused is None else 0,
            quote=quote,
            restriction=refused.code if refused else None,
            offers=found,
            default_code=_default_code(rt, terms.plans, policy),
        )
        if query.min_price is not None and result.total < query.min_price:
            continue
        if query.max_price is not None and result.total > query.max_price:
            continue
        results.append(result)
    results.sort(key=lambda r: _order(query.sort, r))
    return _page(query, stay, results, after)


# ---------------------------------------------------------------- order and pages


def _order(sort: str, result: SearchResult) -> tuple[float | int | str, ...]:
    """Where a result sorts (and what a cursor remembers): always ending in the room type's id, so
    the order is total and a page boundary is one exact place."""
    tail = (result.total, result.room_type.id)
    if sort == 'availability':
        return (-result.available_rooms, *tail)
    if sort == 'rating':
        rating = result.room_type.average_rating
        return (-(rating if rating is not None else -1.0), *tail)
    return tail


def _fingerprint(query: SearchQuery) -> str:
    """Which search a cursor belongs to: every criterion but the page's own (limit, cursor)."""
    criteria = repr(replace(query, limit=None, cursor=None))
    return hashlib.sha256(criteria.encode()).hexdigest()[:16]


def _decode_cursor(query: SearchQuery) -> tuple[float | int | str, ...] | None:
    """The sort position after which the page starts; a cursor of another search (or no cursor
    at all) is ``invalid_cursor``."""
    if not query.cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(query.cursor + '=' * (-len(query.cursor) % 4)))
    except (ValueError, binascii.Error):
        raise errors.InvalidCursor() from None
    if (
        not isinstance(decoded, dict)
        or decoded.get('q') != _fingerprint(query)
        or not isinstance(decoded.get('k'), list)
    ):
        raise errors.InvalidCursor('The cursor belongs to another search')
    key = decoded['k']
    if not key or not all(isinstance(v, int | float | str) for v in key):
        raise errors.InvalidCursor()
    return tuple(key)


def _encode_cursor(query: SearchQuery, key: tuple[float | int | str, ...]) -> str:
    raw = json.dumps({'q': _fingerprint(query), 'k': list(key)}, separators=(',', ':')).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def _page(
    query: SearchQuery, stay: Stay, results: list[SearchResult], after: tuple[float | int | str, ...] | None
) -> SearchAnswer:
    if after is not None:
        try:
            results = [r for r in results if _order(query.sort, r) > after]
        except TypeError:  # a forged key of other types than this order's
            raise errors.InvalidCursor() from None
    if query.limit is None or len(results) <= query.limit:
        return SearchAnswer(stay=stay, query=query, results=results)
    page = results[: query.limit]
    return SearchAnswer(
        stay=stay, query=query, results=page, next_cursor=_encode_cursor(query, _order(query.sort, page[-1]))
    )


def _default_code(room_type: RoomType, plans: Sequence[RatePlan], policy: CancellationPolicy) -> str | None:
    found = rates.default_plan(room_type, rates.plans_for(room_type, plans, policy))
    return found.code if found is not None else None


def _promos(
    deps: Deps, query: SearchQuery, hotels: Sequence[Hotel], now: datetime
) -> dict[str, tuple[PromoCode | None, errors.Unprocessable | None]]:
    """The promo code at each hotel searched: applied where it can be used, the reason where it
    cannot; refused (422 with its own code) when it can be used at none of them, never ignored."""
    if not query.promo_code:
        return {}
    found: dict[str, tuple[PromoCode | None, errors.Unprocessable | None]] = {}
    for hotel in hotels:
        promo = deps.promos.find(hotel.id, rates.normalize_code(query.promo_code))
        found[hotel.id] = (promo, rates.promo_state_problem(promo, query.promo_code, hotel.today(now)))
    refusals = [refused for _, refused in found.values() if refused is not None]
    if hotels and len(refusals) == len(hotels):
        raise refusals[0]
    return {h: (promo if refused is None else None, refused) for h, (promo, refused) in found.items()}


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
