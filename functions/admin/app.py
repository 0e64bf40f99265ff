"""Hotel staff (role admin): hotels, room types, inventory, price rules, preview, bookings, reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http, observability, wiring
from common.models.admin import (
    AdminBookingPage,
    HotelCreate,
    HotelPatch,
    InventoryNightOut,
    InventoryOut,
    InventoryPut,
    OccupancyOut,
    PreviewOut,
    PriceRuleList,
    PriceRuleOut,
    RoomTypeCreate,
    RoomTypePatch,
    RuleCreate,
    RulePatch,
)
from common.models.api import HotelList, HotelOut, IsoDate, RoomTypeList, RoomTypeOut
from common.observability import logger
from common.services import admin, reports
from common.services.deps import Deps

app = http.make_app()

TAGS = ['admin']
Created = TypeVar('Created')
Id = Annotated[str, Path(max_length=64)]
Filter = Annotated[str | None, Query(max_length=64)]
From = Annotated[IsoDate | None, Query(alias='from', description='inclusive')]
To = Annotated[IsoDate | None, Query(alias='to', description='exclusive')]


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


def _created(body: Created, location: str) -> Response[Created]:
    return Response(status_code=201, content_type='application/json', body=body, headers={'Location': location})


def _no_content() -> Response[None]:
    return Response(status_code=204, body=None)


# ------------------------------------------------------------------ hotels


@app.get('/api/admin/hotels', tags=TAGS)
def list_hotels() -> HotelList:
    return HotelList(items=[HotelOut.from_domain(h) for h in admin.list_hotels(deps())])


@app.post(
    '/api/admin/hotels',
    tags=TAGS,
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': HotelOut}}}},
)
def create_hotel(body: HotelCreate) -> Response[HotelOut]:
    hotel = admin.create_hotel(deps(), http.caller(app), body.model_dump())
    return _created(HotelOut.from_domain(hotel), f'/api/admin/hotels/{hotel.id}')


@app.get('/api/admin/hotels/<hotel_id>', tags=TAGS)
def get_hotel(hotel_id: Id) -> HotelOut:
    return HotelOut.from_domain(admin.get_hotel(deps(), hotel_id))


@app.patch('/api/admin/hotels/<hotel_id>', tags=TAGS)
def update_hotel(hotel_id: Id, body: HotelPatch) -> HotelOut:
    return HotelOut.from_domain(admin.update_hotel(deps(), http.caller(app), hotel_id, body.changes()))


@app.delete('/api/admin/hotels/<hotel_id>', tags=TAGS, responses={204: {'description': 'Deleted'}})
def delete_hotel(hotel_id: Id) -> Response[None]:
    """Refused (409 ``hotel_not_empty``) while the hotel has room types; deletes its price rules."""
    admin.delete_hotel(deps(), http.caller(app), hotel_id)
    return _no_content()


# ------------------------------------------------------------------ room types


@app.get('/api/admin/room-types', tags=TAGS)
def list_room_types(hotel_id: Filter = None) -> RoomTypeList:
    return RoomTypeList(items=[RoomTypeOut.from_domain(r) for r in admin.list_room_types(deps(), hotel_id)])


@app.post(
    '/api/admin/room-types',
    tags=TAGS,
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': RoomTypeOut}}}},
)
def create_room_type(body: RoomTypeCreate) -> Response[RoomTypeOut]:
    """Creates the room type and opens ``total_rooms`` on every night of the sale window."""
    room_type, _ = admin.create_room_type(deps(), http.caller(app), body.model_dump(), deps().clock())
    return _created(RoomTypeOut.from_domain(room_type), f'/api/admin/room-types/{room_type.id}')


@app.get('/api/admin/room-types/<room_type_id>', tags=TAGS)
def get_room_type(room_type_id: Id) -> RoomTypeOut:
    return RoomTypeOut.from_domain(admin.get_room_type(deps(), room_type_id))


@app.patch('/api/admin/room-types/<room_type_id>', tags=TAGS)
def update_room_type(room_type_id: Id, body: RoomTypePatch) -> RoomTypeOut:
    """``total_rooms`` is the allotment of nights opened later; change existing nights with PUT .../inventory."""
    return RoomTypeOut.from_domain(admin.update_room_type(deps(), http.caller(app), room_type_id, body.changes()))


@app.delete('/api/admin/room-types/<room_type_id>', tags=TAGS, responses={204: {'description': 'Deleted'}})
def delete_room_type(room_type_id: Id) -> Response[None]:
    """Refused (409 ``has_bookings``) while any booking holds rooms of it on any night."""
    admin.delete_room_type(deps(), http.caller(app), room_type_id)
    return _no_content()


@app.put('/api/admin/room-types/<room_type_id>/inventory', tags=TAGS)
def set_inventory(room_type_id: Id, body: InventoryPut) -> InventoryOut:
    """Set allotment and/or stop-sell from ``start_date`` to ``end_date`` (exclusive), all or nothing.
    Lowering below the rooms held on a night answers 409 ``allotment_below_held`` listing those nights."""
    room_type, nights = admin.set_inventory(deps(), http.caller(app), room_type_id, body.to_update(), deps().clock())
    return InventoryOut(room_type_id=room_type.id, nights=[InventoryNightOut.from_domain(n) for n in nights])


# ------------------------------------------------------------------ price rules


@app.get('/api/admin/price-rules', tags=TAGS)
def list_rules(hotel_id: Filter = None, room_type_id: Filter = None) -> PriceRuleList:
    """In the order the engine applies them (per hotel: priority, then id)."""
    return PriceRuleList(items=[PriceRuleOut.from_domain(r) for r in admin.list_rules(deps(), hotel_id, room_type_id)])


@app.post(
    '/api/admin/price-rules',
    tags=TAGS,
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': PriceRuleOut}}}},
)
def create_rule(body: RuleCreate) -> Response[PriceRuleOut]:
    rule = admin.create_rule(deps(), http.caller(app), body.fields(), deps().clock())
    return _created(PriceRuleOut.from_domain(rule), f'/api/admin/price-rules/{rule.id}')


@app.get('/api/admin/price-rules/<rule_id>', tags=TAGS)
def get_rule(rule_id: Id) -> PriceRuleOut:
    return PriceRuleOut.from_domain(admin.get_rule(deps(), rule_id))


@app.patch('/api/admin/price-rules/<rule_id>', tags=TAGS)
def update_rule(rule_id: Id, body: RulePatch) -> PriceRuleOut:
    return PriceRuleOut.from_domain(
        admin.update_rule(deps(), http.caller(app), rule_id, body.changes(), deps().clock())
    )


@app.delete('/api/admin/price-rules/<rule_id>', tags=TAGS, responses={204: {'description': 'Deleted'}})
def delete_rule(rule_id: Id) -> Response[None]:
    admin.delete_rule(deps(), http.caller(app), rule_id)
    return _no_content()


@app.get('/api/admin/pricing/preview', tags=TAGS)
def preview(
    room_type_id: Annotated[str, Query(max_length=64)],
    check_in: Annotated[IsoDate, Query()],
    check_out: Annotated[IsoDate, Query()],
    rooms: Annotated[int, Query(ge=1, le=100)] = 1,
) -> PreviewOut:
    """Each night's price with every rule step, and the restriction that would refuse the stay."""
    return PreviewOut.from_domain(admin.preview(deps(), room_type_id, check_in, check_out, rooms))


# ------------------------------------------------------------------ bookings and reports


@app.get('/api/admin/bookings', tags=TAGS)
def list_bookings(
    start: From = None,
    end: To = None,
    status: Annotated[str | None, Query(max_length=100, description='comma-separated, e.g. PENDING,CONFIRMED')] = None,
    hotel_id: Filter = None,
    room_type_id: Filter = None,
    order: Literal['asc', 'desc'] = 'asc',
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AdminBookingPage:
    """Bookings checking in from ``from`` (default today) to ``to`` (exclusive, default +31 days),
    by check-in date; ``next_cursor`` pages on."""
    query = reports.BookingQuery(
        start=start,
        end=end,
        statuses=reports.parse_statuses(status),
        hotel_id=hotel_id,
        room_type_id=room_type_id,
        limit=limit,
        cursor=cursor,
        descending=order == 'desc',
    )
    now = deps().clock()
    return AdminBookingPage.from_domain(reports.list_bookings(deps(), query, now), now)


@app.get('/api/admin/reports/occupancy', tags=TAGS)
def occupancy(start: From = None, end: To = None, hotel_id: Filter = None, room_type_id: Filter = None) -> OccupancyOut:
    """Per night and room type: allotment, available, sold, held, occupancy %, revenue; totals
    with ADR and RevPAR per room type and per hotel."""
    query = reports.OccupancyQuery(start=start, end=end, hotel_id=hotel_id, room_type_id=room_type_id)
    return OccupancyOut.from_domain(reports.occupancy(deps(), query, deps().clock()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
