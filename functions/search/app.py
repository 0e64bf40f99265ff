"""Public catalogue: health, hotels, room types, availability calendar, reviews and room search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http, observability, wiring
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

Guests = Annotated[int, Query(ge=1, le=100)]
Money = Annotated[int | None, Query(ge=0)]
Text = Annotated[str | None, Query(max_length=100)]


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.get('/api/health', tags=['ops'])
def health() -> HealthOut:
    return HealthOut(status='ok', stage=deps().settings.stage)


@app.get('/api/config', tags=['ops'])
def site_config() -> SiteConfigOut:
    """What the web client needs for its card form: Stripe's publishable key and where to load
    Stripe.js from (the same static site serves every stage; the stage's values come from here)."""
    current = deps().settings
    return SiteConfigOut(stripe_publishable_key=current.stripe_publishable_key, stripe_js_url=current.stripe_js_url)


@app.get('/api/hotels', tags=['catalogue'])
def list_hotels(city: Text = None) -> HotelList:
    return HotelList(items=[HotelOut.from_domain(h) for h in catalog.list_hotels(deps(), city)])


@app.get('/api/hotels/<hotel_id>', tags=['catalogue'])
def get_hotel(hotel_id: Annotated[str, Path(max_length=63)]) -> HotelOut:
    return HotelOut.from_domain(catalog.hotel(deps(), hotel_id))


@app.get('/api/room-types', tags=['catalogue'])
def list_room_types(hotel_id: Text = None) -> RoomTypeList:
    return RoomTypeList(items=[RoomTypeOut.from_domain(r) for r in catalog.list_room_types(deps(), hotel_id)])


@app.get('/api/room-types/<room_type_id>', tags=['catalogue'])
def get_room_type(room_type_id: Annotated[str, Path(max_length=63)]) -> RoomTypeOut:
    room_type, _ = catalog.require_room_type(deps(), room_type_id)
    return RoomTypeOut.from_domain(room_type)


@app.get('/api/room-types/<room_type_id>/calendar', tags=['catalogue'])
def get_calendar(
    room_type_id: Annotated[str, Path(max_length=63)],
    start: Annotated[IsoDate | None, Query(alias='from')] = None,
    end: Annotated[IsoDate | None, Query(alias='to')] = None,
) -> CalendarOut:
    """Nights from ``from`` (inclusive) to ``to`` (exclusive), at most 366; default the next 30."""
    room_type, nights = search.calendar(deps(), room_type_id, start, end, deps().clock())
    return CalendarOut.from_domain(room_type, nights)


@app.get('/api/room-types/<room_type_id>/reviews', tags=['catalogue'])
def list_reviews(
    room_type_id: Annotated[str, Path(max_length=63)],
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ReviewPage:
    """Published reviews, newest first; the average and count are on the room type itself."""
    return ReviewPage.from_domain(reviews.for_room_type(deps(), room_type_id, limit, cursor))


@app.get('/api/rooms/search', tags=['search'])
def search_rooms(
    check_in: Annotated[IsoDate, Query()],
    check_out: Annotated[IsoDate, Query()],
    guests: Guests = 1,
    rooms: Annotated[int, Query(ge=1, le=100)] = 1,
    city: Text = None,
    hotel_id: Text = None,
    min_price: Money = None,
    max_price: Money = None,
    amenities: Annotated[str | None, Query(max_length=500, description='Comma-separated; all must match')] = None,
    view_type: Text = None,
    sort: Literal['price', 'availability'] = 'price',
    include_sold_out: bool = False,
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
    )
    return SearchOut.from_domain(search.search(deps(), query, deps().clock()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
