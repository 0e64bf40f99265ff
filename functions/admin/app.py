"""Hotel staff (role admin): hotels, room types, inventory, price rules, rate plans, promo codes,
taxes, preview, bookings, reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, observability, wiring
from common.domain import BookingStatus
from common.models.admin import (
    AdminBookingPage,
    AdminHotelList,
    AdminHotelOut,
    AdminRoomTypeList,
    AdminRoomTypeOut,
    HotelCreate,
    HotelPatch,
    InventoryGridOut,
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
from common.models.api import IsoDate
from common.models.rates import (
    PromoCreate,
    PromoList,
    PromoOut,
    PromoPatch,
    RatePlanCreate,
    RatePlanList,
    RatePlanOut,
    RatePlanPatch,
    TaxesOut,
    TaxesPut,
)
from common.observability import logger
from common.services import admin, rate_admin, reports
from common.services.deps import Deps
from common.services.rates import Party

app = http.make_app()

TAGS = ['admin']
Created = TypeVar('Created')
Id = Annotated[str, Path(max_length=64)]
Code = Annotated[str, Path(max_length=32)]
Filter = Annotated[str | None, Query(max_length=64)]
Ref = errors.InvalidReference


def _any_case(word: str) -> str:
    return ''.join(f'[{c.upper()}{c.lower()}]' for c in word)


# A comma-separated list of booking statuses, in any case: the language reports.parse_statuses reads.
_STATUS = '(?:' + '|'.join(_any_case(s.value) for s in BookingStatus) + ')'
STATUSES = rf'^ *{_STATUS} *(?:, *{_STATUS} *)*$'

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


@app.get(
    '/api/admin/hotels',
    tags=TAGS,
    summary='List hotels',
    description='Every hotel, by city then name.',
)
def list_hotels() -> AdminHotelList:
    return AdminHotelList(items=[AdminHotelOut.from_domain(h) for h in admin.list_hotels(deps())])


@app.post(
    '/api/admin/hotels',
    tags=TAGS,
    summary='Create a hotel',
    description='The `id` is a slug you choose (409 `already_exists` if taken). `timezone` and `check_in_hour` '
    "place the cancellation rule's check-in instant; `currency` is every room type's.",
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': AdminHotelOut}}}},
    openapi_extensions=http.problems(errors.AlreadyExists),
)
def create_hotel(body: HotelCreate) -> Response[AdminHotelOut]:
    hotel = admin.create_hotel(deps(), http.caller(app), body.model_dump())
    return _created(AdminHotelOut.from_domain(hotel), f'/api/admin/hotels/{hotel.id}')


@app.get(
    '/api/admin/hotels/<hotel_id>',
    tags=TAGS,
    summary='Read a hotel',
    description='One hotel by its id.',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_hotel(hotel_id: Id) -> AdminHotelOut:
    return AdminHotelOut.from_domain(admin.get_hotel(deps(), hotel_id))


@app.patch(
    '/api/admin/hotels/<hotel_id>',
    tags=TAGS,
    summary='Change a hotel',
    description='Only the fields sent change (at least one). `currency` only while the hotel has no room types '
    '(409 `hotel_not_empty`).',
    openapi_extensions=http.problems(errors.NotFound, errors.HotelNotEmpty, errors.Conflict),
)
def update_hotel(hotel_id: Id, body: HotelPatch) -> AdminHotelOut:
    return AdminHotelOut.from_domain(admin.update_hotel(deps(), http.caller(app), hotel_id, body.changes()))


@app.delete(
    '/api/admin/hotels/<hotel_id>',
    tags=TAGS,
    summary='Delete a hotel',
    description='Refused (409 `hotel_not_empty`) while the hotel has room types; deletes its price rules.',
    responses={204: {'description': 'Deleted'}},
    openapi_extensions=http.problems(errors.NotFound, errors.HotelNotEmpty),
)
def delete_hotel(hotel_id: Id) -> Response[None]:
    admin.delete_hotel(deps(), http.caller(app), hotel_id)
    return _no_content()


# ------------------------------------------------------------------ room types


@app.get(
    '/api/admin/room-types',
    tags=TAGS,
    summary='List room types',
    description='Every room type, or those of `hotel_id`.',
)
def list_room_types(hotel_id: Filter = None) -> AdminRoomTypeList:
    return AdminRoomTypeList(items=[AdminRoomTypeOut.from_domain(r) for r in admin.list_room_types(deps(), hotel_id)])


@app.post(
    '/api/admin/room-types',
    tags=TAGS,
    summary='Create a room type',
    description='Creates it in an existing hotel (422 `invalid_reference` otherwise) and opens `default_allotment` '
    "(default `total_rooms`) on every night of the sale window (SALE_WINDOW_DAYS). `currency`, when sent, must be the hotel's "
    '(422 `validation_error`). The `id` is a slug you choose (409 `already_exists` if taken).',
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': AdminRoomTypeOut}}}},
    openapi_extensions=http.problems(errors.AlreadyExists, Ref, errors.InventoryConflict),
)
def create_room_type(body: RoomTypeCreate) -> Response[AdminRoomTypeOut]:
    room_type, _ = admin.create_room_type(deps(), http.caller(app), body.model_dump(), deps().clock())
    return _created(AdminRoomTypeOut.from_domain(room_type), f'/api/admin/room-types/{room_type.id}')


@app.get(
    '/api/admin/room-types/<room_type_id>',
    tags=TAGS,
    summary='Read a room type',
    description='One room type by its id.',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_room_type(room_type_id: Id) -> AdminRoomTypeOut:
    return AdminRoomTypeOut.from_domain(admin.get_room_type(deps(), room_type_id))


@app.patch(
    '/api/admin/room-types/<room_type_id>',
    tags=TAGS,
    summary='Change a room type',
    description='Only the fields sent change (at least one; `null` clears `view_type`). `default_allotment` '
    'is the allotment of nights opened from now on; change existing nights with `PUT .../inventory`.',
    openapi_extensions=http.problems(errors.NotFound, errors.Conflict),
)
def update_room_type(room_type_id: Id, body: RoomTypePatch) -> AdminRoomTypeOut:
    return AdminRoomTypeOut.from_domain(admin.update_room_type(deps(), http.caller(app), room_type_id, body.changes()))


@app.delete(
    '/api/admin/room-types/<room_type_id>',
    tags=TAGS,
    summary='Delete a room type',
    description='Refused (409 `has_bookings`) while any booking holds rooms of it on any night; deletes its '
    'inventory nights.',
    responses={204: {'description': 'Deleted'}},
    openapi_extensions=http.problems(errors.NotFound, errors.HasBookings, errors.Conflict),
)
def delete_room_type(room_type_id: Id) -> Response[None]:
    admin.delete_room_type(deps(), http.caller(app), room_type_id, deps().clock())
    return _no_content()


@app.get(
    '/api/admin/hotels/<hotel_id>/inventory',
    tags=TAGS,
    summary="A hotel's inventory grid",
    description="Every room type of the hotel x the nights from `from` (default the hotel's today) to `to` "
    '(exclusive, default 28 nights later): allotment, available, sold, held, stop-sell. `to` must be after `from` '
    '(422 `invalid_dates`), at most 366 nights later (422 `range_too_long`).',
    openapi_extensions=http.problems(errors.NotFound, errors.InvalidDates, errors.RangeTooLong),
)
def hotel_inventory(hotel_id: Id, start: From = None, end: To = None) -> InventoryGridOut:
    return InventoryGridOut.from_domain(reports.inventory_grid(deps(), hotel_id, start, end, deps().clock()))


@app.put(
    '/api/admin/room-types/<room_type_id>/inventory',
    tags=TAGS,
    summary='Set allotment and stop-sell for a range of nights',
    description='From `start_date` to `end_date` (exclusive; optionally only some `weekdays`), all or nothing. '
    'Rules a schema cannot state: `end_date` after `start_date`, at most 366 nights (422 `range_too_long`), '
    'no past night at the hotel and none beyond 3 x 366 days ahead (422 `invalid_dates`). Lowering the '
    'allotment below the rooms held on a night answers 409 `allotment_below_held` listing those nights.',
    openapi_extensions=http.problems(
        errors.NotFound, errors.InvalidDates, errors.RangeTooLong, errors.AllotmentBelowHeld, errors.InventoryConflict
    ),
)
def set_inventory(room_type_id: Id, body: InventoryPut) -> InventoryOut:
    room_type, nights = admin.set_inventory(deps(), http.caller(app), room_type_id, body.to_update(), deps().clock())
    return InventoryOut(room_type_id=room_type.id, nights=[InventoryNightOut.from_domain(n) for n in nights])


# ------------------------------------------------------------------ price rules


@app.get(
    '/api/admin/price-rules',
    tags=TAGS,
    summary='List price rules',
    description='In the order the engine applies them (per hotel: priority, then id); `room_type_id` keeps the '
    "rules that apply to it (its own and its hotel's; 404 for an unknown room type).",
    openapi_extensions=http.problems(errors.NotFound),
)
def list_rules(hotel_id: Filter = None, room_type_id: Filter = None) -> PriceRuleList:
    return PriceRuleList(items=[PriceRuleOut.from_domain(r) for r in admin.list_rules(deps(), hotel_id, room_type_id)])


@app.post(
    '/api/admin/price-rules',
    tags=TAGS,
    summary='Create a price rule',
    description='A rule adjusts the nightly price (`percent`, `amount` or `fixed`) on the nights it matches (dates '
    'inclusive, weekdays), by priority; `min_stay` and `closed_to_arrival` restrict arrivals. It belongs to '
    '`hotel_id`, or to `room_type_id` and its hotel (422 `invalid_reference` when they do not exist or do not '
    'belong together). `end_date` must not be before `start_date` (422 `validation_error`).',
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': PriceRuleOut}}}},
    openapi_extensions=http.problems(Ref),
)
def create_rule(body: RuleCreate) -> Response[PriceRuleOut]:
    rule = admin.create_rule(deps(), http.caller(app), body.fields(), deps().clock())
    return _created(PriceRuleOut.from_domain(rule), f'/api/admin/price-rules/{rule.id}')


@app.get(
    '/api/admin/price-rules/<rule_id>',
    tags=TAGS,
    summary='Read a price rule',
    description='One price rule by its id.',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_rule(rule_id: Id) -> PriceRuleOut:
    return PriceRuleOut.from_domain(admin.get_rule(deps(), rule_id))


@app.patch(
    '/api/admin/price-rules/<rule_id>',
    tags=TAGS,
    summary='Change a price rule',
    description='Only the fields sent change (at least one; `null` clears the nullable ones); the rule that results '
    'is checked as a whole (e.g. `end_date` not before `start_date`: 422 `validation_error`).',
    openapi_extensions=http.problems(errors.NotFound, Ref, errors.Conflict),
)
def update_rule(rule_id: Id, body: RulePatch) -> PriceRuleOut:
    return PriceRuleOut.from_domain(
        admin.update_rule(deps(), http.caller(app), rule_id, body.changes(), deps().clock())
    )


@app.delete(
    '/api/admin/price-rules/<rule_id>',
    tags=TAGS,
    summary='Delete a price rule',
    description='Prices already quoted and locked in bookings do not change.',
    responses={204: {'description': 'Deleted'}},
    openapi_extensions=http.problems(errors.NotFound),
)
def delete_rule(rule_id: Id) -> Response[None]:
    admin.delete_rule(deps(), http.caller(app), rule_id)
    return _no_content()


@app.get(
    '/api/admin/pricing/preview',
    tags=TAGS,
    summary="Preview a stay's price",
    description="Each night's price with every rule step, and the restriction (`min_stay`, `closed_to_arrival`) "
    'that would refuse the stay. `check_out` must be after `check_in` (422 `invalid_dates`), at most 366 '
    "nights later (422 `range_too_long`). `offers`: every active rate plan's offer for the stay (taxes, fees "
    'and `promo` included where it fits) as a guest would see it now.',
    openapi_extensions=http.problems(
        errors.NotFound,
        errors.InvalidDates,
        errors.RangeTooLong,
        errors.PromoUnknown,
        errors.PromoNotYetValid,
        errors.PromoExpired,
        errors.PromoExhausted,
    ),
)
def preview(
    room_type_id: Annotated[str, Query(max_length=64)],
    check_in: Annotated[IsoDate, Query()],
    check_out: Annotated[IsoDate, Query(description='exclusive')],
    rooms: Annotated[int, Query(ge=1, le=100)] = 1,
    guests: Annotated[int | None, Query(ge=1, le=100, description='default: one per room')] = None,
    promo: Annotated[str | None, Query(max_length=32, description='a promo code, applied where it fits')] = None,
) -> PreviewOut:
    found = admin.preview(deps(), room_type_id, check_in, check_out, rooms)
    party = Party(guests=guests or rooms, rooms=rooms)
    now = deps().clock()
    offers = rate_admin.preview_offers(deps(), found, party, now, promo)
    return PreviewOut.from_domain(found, offers)


# ------------------------------------------------------------------ rate plans

PLANS = '/api/admin/hotels/<hotel_id>/rate-plans'


@app.get(
    PLANS,
    tags=TAGS,
    summary="List a hotel's rate plans",
    description='By code; with `room_type_id`, the plans that sell that room type.',
    openapi_extensions=http.problems(errors.NotFound),
)
def list_rate_plans(hotel_id: Id, room_type_id: Filter = None) -> RatePlanList:
    return RatePlanList(
        items=[RatePlanOut.from_domain(p) for p in rate_admin.list_plans(deps(), hotel_id, room_type_id)]
    )


@app.post(
    PLANS,
    tags=TAGS,
    summary='Create a rate plan',
    description='A plan for every room type of the hotel (or one, with `room_type_id`). A derived plan names its '
    '`parent_code` (which never changes) and its `derivation` (`percent`, `amount` per room per night, `per_guest` '
    'per night for meals). Without `cancellation` it gets the default policy (CANCELLATION_FREE_HOURS, '
    'CANCELLATION_PENALTY). The `code` is stored upper-case (409 `already_exists` if taken). See docs/pricing.md.',
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': RatePlanOut}}}},
    openapi_extensions=http.problems(errors.NotFound, errors.AlreadyExists, Ref),
)
def create_rate_plan(hotel_id: Id, body: RatePlanCreate) -> Response[RatePlanOut]:
    plan = rate_admin.create_plan(deps(), http.caller(app), hotel_id, body.fields(), deps().clock())
    return _created(RatePlanOut.from_domain(plan), f'/api/admin/hotels/{hotel_id}/rate-plans/{plan.code}')


@app.get(
    f'{PLANS}/<code>',
    tags=TAGS,
    summary='Read a rate plan',
    description='One plan by its code (any case).',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_rate_plan(hotel_id: Id, code: Code) -> RatePlanOut:
    return RatePlanOut.from_domain(rate_admin.get_plan(deps(), hotel_id, code))


@app.patch(
    f'{PLANS}/<code>',
    tags=TAGS,
    summary='Change a rate plan',
    description='Only the fields sent change; the result is validated as a whole. Bookings keep the terms they '
    'were made with: tightening a policy never changes an existing refund. A concurrent edit answers 409 '
    '`conflict`.',
    openapi_extensions=http.problems(errors.NotFound, errors.Conflict, Ref),
)
def update_rate_plan(hotel_id: Id, code: Code, body: RatePlanPatch) -> RatePlanOut:
    plan = rate_admin.update_plan(deps(), http.caller(app), hotel_id, code, body.changes(), deps().clock())
    return RatePlanOut.from_domain(plan)


@app.delete(
    f'{PLANS}/<code>',
    tags=TAGS,
    summary='Delete a rate plan',
    description='Refused (409 `rate_plan_has_derived_plans`) while other plans derive from it. Bookings keep '
    'its terms.',
    responses={204: {'description': 'Deleted'}},
    openapi_extensions=http.problems(errors.NotFound, errors.PlanHasChildren, errors.Conflict),
)
def delete_rate_plan(hotel_id: Id, code: Code) -> Response[None]:
    rate_admin.delete_plan(deps(), http.caller(app), hotel_id, code)
    return _no_content()


# ------------------------------------------------------------------ taxes


@app.get(
    '/api/admin/hotels/<hotel_id>/taxes',
    tags=TAGS,
    summary="Read a hotel's taxes and fees",
    description='VAT, city tax and fees (version 0 and no taxes while none were set).',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_taxes(hotel_id: Id) -> TaxesOut:
    return TaxesOut.from_domain(rate_admin.get_taxes(deps(), hotel_id))


@app.put(
    '/api/admin/hotels/<hotel_id>/taxes',
    tags=TAGS,
    summary="Replace a hotel's taxes and fees",
    description='VAT (`vat_percent`, prices entered with or without it), a city tax per adult per night (a cap '
    'on nights, children exempt under an age), fees per stay or per room. What is not sent is removed. Bookings '
    'keep the taxes they were priced with. A concurrent change answers 409 `conflict`.',
    openapi_extensions=http.problems(errors.NotFound, errors.Conflict),
)
def put_taxes(hotel_id: Id, body: TaxesPut) -> TaxesOut:
    taxes = rate_admin.put_taxes(deps(), http.caller(app), hotel_id, body.fields(), deps().clock())
    return TaxesOut.from_domain(taxes)


# ------------------------------------------------------------------ promo codes

PROMOS = '/api/admin/hotels/<hotel_id>/promo-codes'


@app.get(
    PROMOS,
    tags=TAGS,
    summary="List a hotel's promo codes",
    description='By code, each with its `uses` (holds and paid bookings that carry it).',
    openapi_extensions=http.problems(errors.NotFound),
)
def list_promo_codes(hotel_id: Id) -> PromoList:
    return PromoList(items=[PromoOut.from_domain(p) for p in rate_admin.list_promos(deps(), hotel_id)])


@app.post(
    PROMOS,
    tags=TAGS,
    summary='Create a promo code',
    description='`percent` (0-100) or `amount` (minor units) off the room charge; valid booking dates and stay '
    'dates, `min_nights`, the `rate_plans` it applies to (empty: all), `max_uses` and `max_uses_per_guest`, '
    "counted exactly in the holds' transactions. The code is stored upper-case and typed in any case "
    '(409 `already_exists` if taken).',
    responses={201: {'description': 'Created', 'content': {'application/json': {'model': PromoOut}}}},
    openapi_extensions=http.problems(errors.NotFound, errors.AlreadyExists, Ref),
)
def create_promo_code(hotel_id: Id, body: PromoCreate) -> Response[PromoOut]:
    promo = rate_admin.create_promo(deps(), http.caller(app), hotel_id, body.fields(), deps().clock())
    return _created(PromoOut.from_domain(promo), f'/api/admin/hotels/{hotel_id}/promo-codes/{promo.code}')


@app.get(
    f'{PROMOS}/<code>',
    tags=TAGS,
    summary='Read a promo code',
    description='One code (any case) with its current `uses`.',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_promo_code(hotel_id: Id, code: Code) -> PromoOut:
    return PromoOut.from_domain(rate_admin.get_promo(deps(), hotel_id, code))


@app.patch(
    f'{PROMOS}/<code>',
    tags=TAGS,
    summary='Change a promo code',
    description='Only the fields sent change (`uses` moves only with bookings); `active: false` stops new uses. '
    'Bookings keep the discount they were given. A concurrent edit answers 409 `conflict`.',
    openapi_extensions=http.problems(errors.NotFound, errors.Conflict, Ref),
)
def update_promo_code(hotel_id: Id, code: Code, body: PromoPatch) -> PromoOut:
    promo = rate_admin.update_promo(deps(), http.caller(app), hotel_id, code, body.changes(), deps().clock())
    return PromoOut.from_domain(promo)


@app.delete(
    f'{PROMOS}/<code>',
    tags=TAGS,
    summary='Delete a promo code',
    description='Only while no booking uses it (409 `promo_in_use`: deactivate it with `active: false`).',
    responses={204: {'description': 'Deleted'}},
    openapi_extensions=http.problems(errors.NotFound, errors.PromoInUse),
)
def delete_promo_code(hotel_id: Id, code: Code) -> Response[None]:
    rate_admin.delete_promo(deps(), http.caller(app), hotel_id, code)
    return _no_content()


# ------------------------------------------------------------------ bookings and reports


@app.get(
    '/api/admin/bookings',
    tags=TAGS,
    summary='List bookings by check-in date',
    description='Bookings checking in from `from` (default today) to `to` (exclusive, default 31 days later), by '
    'check-in date, a page at a time (pass `next_cursor` back as `cursor`, with the same filters). `to` must be '
    'after `from`, at most 366 days later (422 `invalid_dates` / `range_too_long`).',
    openapi_extensions=http.problems(errors.InvalidDates, errors.RangeTooLong, errors.InvalidCursor),
)
def list_bookings(
    start: From = None,
    end: To = None,
    status: Annotated[str | None, Query(max_length=100, pattern=STATUSES, description='comma-separated')] = None,
    hotel_id: Filter = None,
    room_type_id: Filter = None,
    order: Literal['asc', 'desc'] = 'asc',
    limit: http.PageSize = None,
    cursor: http.Cursor = None,
) -> AdminBookingPage:
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


@app.get(
    '/api/admin/reports/occupancy',
    tags=TAGS,
    summary='Occupancy and revenue report',
    description='Per night and room type: allotment, available, sold, held, occupancy %, revenue (minor units); '
    'totals with ADR and RevPAR per room type and per hotel. From `from` (default today) to `to` (exclusive, '
    'default 31 days later): `to` after `from` (422 `invalid_dates`); at most 366 days and 20,000 room-type '
    'nights (422 `range_too_long`).',
    openapi_extensions=http.problems(errors.NotFound, errors.InvalidDates, errors.RangeTooLong),
)
def occupancy(start: From = None, end: To = None, hotel_id: Filter = None, room_type_id: Filter = None) -> OccupancyOut:
    query = reports.OccupancyQuery(start=start, end=end, hotel_id=hotel_id, room_type_id=room_type_id)
    return OccupancyOut.from_domain(reports.occupancy(deps(), query, deps().clock()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
