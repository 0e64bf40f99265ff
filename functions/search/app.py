"""Public catalogue: health, hotels, room types, availability calendar, reviews and room search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, observability, wiring
from common.models.api import (
    CalendarOut,
    HealthOut,
    HotelList,
    HotelOut,
    IsoDate,
    ReviewPage,
    RoomTypeList,
    RoomTypeOut,
    SearchOut,
    SiteConfigOut,
)
from common.observability import logger
from common.services import catalog, reviews, search
from common.services.deps import Deps

app = http.make_app()

Guests = Annotated[int, Query(ge=1, le=100, description='guests in all rooms together')]
Money = Annotated[int | None, Query(ge=0, description='the stay total for all rooms, in minor units (cents)')]
Text = Annotated[str | None, Query(max_length=100)]
RoomTypeId = Annotated[str, Path(max_length=63, description="A room type's `id` (a slug such as `deluxe-king`)")]
# What refuses a stay (a hold answers the same): the hotel's calendar and rules, read at run time.
STAY_REFUSALS = (
    errors.InvalidDates,
    errors.StayTooLong,
    errors.NotOnSale,
    errors.TooManyGuests,
    errors.MinStay,
    errors.ClosedToArrival,
)


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.get(
    '/api/health',
    tags=['ops'],
    summary='Health check',
    description='Answers 200 while the API runs; `stage` names the deployment.',
)
def health() -> HealthOut:
    return HealthOut(status='ok', stage=deps().settings.stage)


@app.get(
    '/api/config',
    tags=['ops'],
    summary="The web client's settings",
    description="What the web client needs for its card form: Stripe's publishable key and where to load Stripe.js "
    "from (the same static site serves every stage; the stage's values come from here).",
)
def site_config() -> SiteConfigOut:
    current = deps().settings
    return SiteConfigOut(stripe_publishable_key=current.stripe_publishable_key, stripe_js_url=current.stripe_js_url)


@app.get(
    '/api/hotels',
    tags=['catalogue'],
    summary='List hotels',
    description='Every hotel, by city then name; `city` keeps those of one city (case-insensitive).',
)
def list_hotels(city: Text = None) -> HotelList:
    return HotelList(items=[HotelOut.from_domain(h) for h in catalog.list_hotels(deps(), city)])


@app.get(
    '/api/hotels/<hotel_id>',
    tags=['catalogue'],
    summary='Read a hotel',
    description="One hotel: address, IANA time zone and check-in hour (the cancellation rule's clock), currency.",
    openapi_extensions=http.problems(errors.NotFound),
)
def get_hotel(hotel_id: Annotated[str, Path(max_length=63, description="A hotel's `id` (a slug)")]) -> HotelOut:
    return HotelOut.from_domain(catalog.hotel(deps(), hotel_id))


@app.get(
    '/api/room-types',
    tags=['catalogue'],
    summary='List room types',
    description='Every room type, by hotel then base price; `hotel_id` keeps those of one hotel.',
)
def list_room_types(hotel_id: Text = None) -> RoomTypeList:
    return RoomTypeList(items=[RoomTypeOut.from_domain(r) for r in catalog.list_room_types(deps(), hotel_id)])


@app.get(
    '/api/room-types/<room_type_id>',
    tags=['catalogue'],
    summary='Read a room type',
    description='Capacity, base price (minor units), amenities, images, and the average rating of its reviews.',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_room_type(room_type_id: RoomTypeId) -> RoomTypeOut:
    room_type, _ = catalog.require_room_type(deps(), room_type_id)
    return RoomTypeOut.from_domain(room_type)


@app.get(
    '/api/room-types/<room_type_id>/calendar',
    tags=['catalogue'],
    summary='Availability and price per night',
    description='Each night from `from` (inclusive, default today at the hotel) to `to` (exclusive, default 30 '
    'nights later): rooms available, stop-sell, and the price of one room that night. `to` must be after `from` '
    'and at most 366 nights later (422 `invalid_dates`).',
    openapi_extensions=http.problems(errors.NotFound, errors.InvalidDates),
)
def get_calendar(
    room_type_id: RoomTypeId,
    start: Annotated[IsoDate | None, Query(alias='from', description='inclusive')] = None,
    end: Annotated[IsoDate | None, Query(alias='to', description='exclusive')] = None,
) -> CalendarOut:
    room_type, nights = search.calendar(deps(), room_type_id, start, end, deps().clock())
    return CalendarOut.from_domain(room_type, nights)


@app.get(
    '/api/room-types/<room_type_id>/reviews',
    tags=['catalogue'],
    summary="List a room type's reviews",
    description='Published reviews, newest first, a page at a time (pass `next_cursor` back as `cursor`); the '
    'average rating and count are on the room type itself.',
    openapi_extensions=http.problems(errors.NotFound, errors.InvalidCursor),
)
def list_reviews(room_type_id: RoomTypeId, limit: http.PageSize = None, cursor: http.Cursor = None) -> ReviewPage:
    return ReviewPage.from_domain(reviews.for_room_type(deps(), room_type_id, limit, cursor))


@app.get(
    '/api/rooms/search',
    tags=['search'],
    summary='Search available rooms for a stay',
    description='Room types that can take the party for every night of the stay, each with the total price for '
    'all rooms (minor units) and the price night by night; sold-out types are left out unless '
    '`include_sold_out=true` (then `available_rooms: 0`).\n\n'
    'Rules a schema cannot state: `check_out` after `check_in`, `check_in` not before today at the hotel, at '
    'most MAX_STAY_NIGHTS nights inside the sale window, at least one guest per room (422 `validation_error`). '
    'When no hotel can take the dates at all, the refusal of the first is answered (422 with its `code`).\n\n'
    'Each result lists `offers`: one per rate plan that can sell the stay (those whose restrictions refuse it '
    'only with `include_restricted_plans=true`, `bookable: false` and the reason), cheapest first, each with '
    'its nightly prices, `breakdown` (room charge, promo discount, fees, VAT, city tax, total) and '
    "`cancellation` terms in data and words; `total_price` is the cheapest bookable offer's. `promo` applies "
    'a promo code where it fits (else the offer says why in `promo_not_applicable`); a code no hotel searched '
    'can use is a 422 with its own `code` (`promo_unknown`, `promo_not_yet_valid`, `promo_expired`, '
    '`promo_exhausted`). How a price is computed: docs/pricing.md.\n\n'
    'Results come `limit` at a time (default PAGE_SIZE_DEFAULT, 20) in the order of `sort` (ties by price, then '
    'room type); pass `next_cursor` back as `cursor` with the same criteria for the next page (400 '
    '`invalid_cursor` for a cursor of another search). Availability is read from a view kept from the inventory '
    'within about a second: a room shown may be gone when the hold is made (409 `sold_out`).',
    openapi_extensions=http.problems(
        *STAY_REFUSALS,
        errors.PromoUnknown,
        errors.PromoNotYetValid,
        errors.PromoExpired,
        errors.PromoExhausted,
        errors.InvalidCursor,
    ),
)
def search_rooms(
    check_in: Annotated[IsoDate, Query()],
    check_out: Annotated[IsoDate, Query(description='exclusive: the morning the guests leave')],
    guests: Guests = 1,
    rooms: Annotated[int, Query(ge=1, le=100)] = 1,
    city: Text = None,
    hotel_id: Text = None,
    min_price: Money = None,
    max_price: Money = None,
    amenities: Annotated[str | None, Query(max_length=500, description='Comma-separated; all must match')] = None,
    view_type: Text = None,
    sort: Annotated[
        Literal['price', 'availability', 'rating'],
        Query(description='price: cheapest first; availability: most rooms first; rating: best rated first'),
    ] = 'price',
    include_sold_out: bool = False,
    promo: Annotated[
        str | None, Query(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$', description='a promo code, any case')
    ] = None,
    child_ages: Annotated[
        str | None,
        Query(pattern=r'^\d{1,2}(,\d{1,2}){0,98}$', description='comma-separated ages of the children among guests'),
    ] = None,
    include_restricted_plans: Annotated[
        bool, Query(description='also list plans whose restrictions refuse the stay, with the reason')
    ] = False,
    limit: http.PageSize = None,
    cursor: http.Cursor = None,
) -> SearchOut:
    query = search.SearchQuery(
        check_in=check_in,
        check_out=check_out,
        guests=guests,
        rooms=rooms,
        city=city,
        hotel_id=hotel_id,
        min_price=min_price,
        max_price=max_price,
        amenities=tuple(a.strip() for a in (amenities or '').split(',') if a.strip()),
        view_type=view_type,
        sort=sort,
        include_sold_out=include_sold_out,
        promo_code=promo,
        child_ages=tuple(int(a) for a in child_ages.split(',')) if child_ages else (),
        include_restricted_plans=include_restricted_plans,
        limit=limit or deps().settings.page_size_default,
        cursor=cursor,
    )
    return SearchOut.from_domain(search.search(deps(), query, deps().clock()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
