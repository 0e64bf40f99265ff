"""Pydantic models of the admin API (role admin, everything under /api/admin/).

Requests refuse unknown fields and wrong JSON types (no ``"2"`` for 2, no ``1`` for true).
PATCH bodies change only the fields sent; ``null`` clears a field that may be empty and is
refused for one that may not. Business rules that span fields or entities (a rule's end after
its start, a room type of the rule's hotel, adjustment bounds) are checked by the services.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from common.domain import Booking, InventoryNight, PriceRule
from common.models.api import BookingOut, IsoDate, Request, Slug
from common.services import admin as admin_service
from common.services import reports

if TYPE_CHECKING:
    from common.ports import Page

Name = Annotated[str, Field(min_length=1, max_length=100)]
Currency = Annotated[str, Field(pattern=r'^[A-Z]{3}$', description='ISO 4217 code, e.g. EUR')]
Timezone = Annotated[str, Field(min_length=1, max_length=64, description='IANA time zone, e.g. Europe/Lisbon')]
Hour = Annotated[StrictInt, Field(ge=0, le=23)]
Tag = Annotated[str, Field(pattern=r'^[a-z0-9][a-z0-9-]{0,49}$')]
Url = Annotated[str, Field(pattern=r'^https://\S+$', max_length=2048)]
Money = Annotated[StrictInt, Field(ge=0, le=10**9, description='minor units (cents)')]
Rooms = Annotated[StrictInt, Field(ge=0, le=10_000)]
Capacity = Annotated[StrictInt, Field(ge=1, le=50)]
Weekday = Annotated[StrictInt, Field(ge=1, le=7)]
Weekdays = Annotated[list[Weekday], Field(min_length=1, max_length=7, description='ISO weekdays, 1 = Monday')]


class Patch(Request):
    """Only the fields sent change. ``NULLABLE`` lists the fields ``null`` may clear."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode='after')
    def _nulls_only_where_allowed(self) -> Patch:
        refused = sorted(n for n in self.model_fields_set if getattr(self, n) is None and n not in self.NULLABLE)
        if refused:
            raise ValueError(f'{", ".join(refused)} cannot be null')
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


# ------------------------------------------------------------------ hotels


class HotelCreate(Request):
    id: Slug
    name: Name
    city: Name
    address: Annotated[str, Field(max_length=300)] = ''
    timezone: Timezone | None = Field(default=None, description='default HOTEL_TIMEZONE')
    check_in_hour: Hour | None = Field(default=None, description='default CHECK_IN_HOUR')
    currency: Currency

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={
            'examples': [
                {
                    'id': 'porto-riverside',
                    'name': 'Riverside Porto',
                    'city': 'Porto',
                    'address': 'Cais da Ribeira 1',
                    'timezone': 'Europe/Lisbon',
                    'check_in_hour': 15,
                    'currency': 'EUR',
                }
            ]
        },
    )


class HotelPatch(Patch):
    name: Name | None = None
    city: Name | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    timezone: Timezone | None = None
    check_in_hour: Hour | None = None
    currency: Currency | None = Field(default=None, description='only while the hotel has no room types')

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'name': 'Riverside Porto & Spa', 'check_in_hour': 14}]},
    )


# ------------------------------------------------------------------ room types


class RoomTypeCreate(Request):
    id: Slug
    hotel_id: Slug
    name: Name
    description: Annotated[str, Field(max_length=2000)] = ''
    capacity: Capacity
    base_price: Money
    currency: Currency | None = Field(default=None, description="the hotel's currency (the default)")
    total_rooms: Rooms = Field(description='allotment of every night opened for the sale window')
    view_type: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    amenities: Annotated[list[Tag], Field(max_length=50)] = []
    images: Annotated[list[Url], Field(max_length=20)] = []

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={
            'examples': [
                {
                    'id': 'porto-river-king',
                    'hotel_id': 'porto-riverside',
                    'name': 'River King',
                    'capacity': 2,
                    'base_price': 15000,
                    'total_rooms': 6,
                    'view_type': 'river',
                    'amenities': ['wifi', 'balcony'],
                }
            ]
        },
    )


class RoomTypePatch(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({'view_type'})

    name: Name | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    capacity: Capacity | None = None
    base_price: Money | None = None
    total_rooms: Rooms | None = Field(default=None, description='allotment of nights opened from now on')
    view_type: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    amenities: Annotated[list[Tag], Field(max_length=50)] | None = None
    images: Annotated[list[Url], Field(max_length=20)] | None = None

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'base_price': 16500, 'amenities': ['wifi', 'balcony', 'minibar']}]},
    )


# ------------------------------------------------------------------ inventory


class InventoryPut(Request):
    start_date: IsoDate
    end_date: IsoDate = Field(description='exclusive')
    allotment: Rooms | None = None
    stop_sell: StrictBool | None = None
    weekdays: Weekdays | None = Field(default=None, description='only these weekdays of the range')

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'start_date': '2027-03-01', 'end_date': '2027-04-01', 'allotment': 12},
                {'start_date': '2027-12-24', 'end_date': '2027-12-26', 'stop_sell': True},
            ]
        },
    )

    def to_update(self) -> admin_service.InventoryUpdate:
        return admin_service.InventoryUpdate(
            start=self.start_date,
            end=self.end_date,
            allotment=self.allotment,
            stop_sell=self.stop_sell,
            weekdays=tuple(sorted(set(self.weekdays))) if self.weekdays else None,
        )


class InventoryNightOut(BaseModel):
    date: date
    allotment: int
    available: int
    held: int = Field(description='rooms of PENDING and CONFIRMED bookings: allotment - available')
    stop_sell: bool

    @classmethod
    def from_domain(cls, night: InventoryNight) -> InventoryNightOut:
        return cls(
            date=night.date,
            allotment=night.allotment,
            available=night.available,
            held=night.allotment - night.available,
            stop_sell=night.stop_sell,
        )


class InventoryOut(BaseModel):
    room_type_id: str
    nights: list[InventoryNightOut]


# ------------------------------------------------------------------ price rules


class AdjustmentIn(Request):
    type: Literal['percent', 'amount', 'fixed']
    value: StrictInt = Field(description='percent: -100..1000; amount and fixed: minor units')


class RuleCreate(Request):
    name: Name
    hotel_id: Slug | None = Field(default=None, description='required when room_type_id is null')
    room_type_id: Slug | None = Field(default=None, description='null: every room type of the hotel')
    start_date: IsoDate | None = Field(default=None, description='inclusive; null: open')
    end_date: IsoDate | None = Field(default=None, description='inclusive; null: open')
    weekdays: Weekdays | None = None
    adjustment: AdjustmentIn | None = Field(default=None, description='default amount 0 (a restriction only)')
    priority: StrictInt = Field(default=0, description='ascending; ties by id')
    min_stay: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    closed_to_arrival: StrictBool = False

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={
            'examples': [
                {
                    'name': 'Weekend',
                    'hotel_id': 'lisbon-harbour',
                    'weekdays': [5, 6],
                    'adjustment': {'type': 'percent', 'value': 20},
                    'priority': 20,
                },
                {
                    'name': 'Festival minimum stay',
                    'room_type_id': 'edinburgh-castle-suite',
                    'start_date': '2027-08-01',
                    'end_date': '2027-08-31',
                    'adjustment': {'type': 'fixed', 'value': 45000},
                    'priority': 10,
                    'min_stay': 3,
                },
            ]
        },
    )

    def fields(self) -> dict[str, Any]:
        return self.model_dump()


class RulePatch(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({'room_type_id', 'start_date', 'end_date', 'weekdays', 'min_stay'})

    name: Name | None = None
    room_type_id: Slug | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    weekdays: Weekdays | None = None
    adjustment: AdjustmentIn | None = None
    priority: StrictInt | None = None
    min_stay: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    closed_to_arrival: StrictBool | None = None

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'adjustment': {'type': 'percent', 'value': 25}, 'end_date': None}]},
    )


class AdjustmentOut(BaseModel):
    type: str
    value: int


class PriceRuleOut(BaseModel):
    id: str
    hotel_id: str
    name: str
    room_type_id: str | None
    start_date: date | None
    end_date: date | None
    weekdays: list[int] | None
    adjustment: AdjustmentOut
    priority: int
    min_stay: int | None
    closed_to_arrival: bool
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def from_domain(cls, rule: PriceRule) -> PriceRuleOut:
        return cls(
            id=rule.id,
            hotel_id=rule.hotel_id,
            name=rule.name,
            room_type_id=rule.room_type_id,
            start_date=rule.start_date,
            end_date=rule.end_date,
            weekdays=list(rule.weekdays) if rule.weekdays else None,
            adjustment=AdjustmentOut(type=rule.adjustment.type, value=rule.adjustment.value),
            priority=rule.priority,
            min_stay=rule.min_stay,
            closed_to_arrival=rule.closed_to_arrival,
            version=rule.version,
            updated_at=rule.updated_at,
            updated_by=rule.updated_by,
        )


class PriceRuleList(BaseModel):
    items: list[PriceRuleOut]


# ------------------------------------------------------------------ pricing preview


class StepOut(BaseModel):
    rule_id: str
    name: str
    priority: int
    adjustment: AdjustmentOut
    price_before: int
    price_after: int


class PreviewNightOut(BaseModel):
    date: date
    weekday: int
    base_price: int
    price: int
    rule_ids: list[str]
    steps: list[StepOut]


class RestrictionOut(BaseModel):
    code: str
    detail: str


class PreviewOut(BaseModel):
    room_type_id: str
    hotel_id: str
    currency: str
    check_in: date
    check_out: date
    nights: int
    rooms: int
    base_price: int
    per_room_price: int
    total_price: int
    bookable: bool = Field(
        description='false when a hold of this stay would be refused: a restriction (min_stay, closed_to_arrival) '
        'or a total no card payment can take (total_below_minimum, total_above_maximum, total_not_payable)'
    )
    restriction: RestrictionOut | None
    nightly: list[PreviewNightOut]

    @classmethod
    def from_domain(cls, preview: admin_service.Preview) -> PreviewOut:
        rt = preview.room_type
        refused = preview.restriction
        return cls(
            room_type_id=rt.id,
            hotel_id=rt.hotel_id,
            currency=rt.currency,
            check_in=preview.stay.check_in,
            check_out=preview.stay.check_out,
            nights=preview.stay.nights,
            rooms=preview.rooms,
            base_price=rt.base_price,
            per_room_price=preview.per_room,
            total_price=preview.total,
            bookable=refused is None,
            restriction=RestrictionOut(code=refused.code, detail=refused.detail) if refused else None,
            nightly=[
                PreviewNightOut(
                    date=night.date,
                    weekday=night.date.isoweekday(),
                    base_price=rt.base_price,
                    price=night.price,
                    rule_ids=list(night.rule_ids),
                    steps=[
                        StepOut(
                            rule_id=s.rule.id,
                            name=s.rule.name,
                            priority=s.rule.priority,
                            adjustment=AdjustmentOut(type=s.rule.adjustment.type, value=s.rule.adjustment.value),
                            price_before=s.before,
                            price_after=s.after,
                        )
                        for s in steps
                    ],
                )
                for night, steps in preview.nights
            ],
        )


# ------------------------------------------------------------------ bookings


class DisputeOut(BaseModel):
    """A chargeback the guest's bank opened on the booking's payment (Stripe's dispute)."""

    id: str
    status: str = Field(description="Stripe's: needs_response, under_review, won, lost, warning_closed...")
    reason: str
    amount: int
    currency: str
    updated_at: datetime
    closed: bool


class AttentionOut(BaseModel):
    """Payment work the engine stopped retrying: a person has to act (see docs/payments.md)."""

    work: str = Field(description='refund (a refund owed) or open_intent (a PaymentIntent left open)')
    reason: str = Field(description="why: Stripe's refusal (charge_disputed...) or the repeated failure")
    since: datetime


class AdminBookingOut(BookingOut):
    user_id: str
    dispute: DisputeOut | None = None
    needs_attention: AttentionOut | None = None

    @classmethod
    def from_booking(cls, booking: Booking, now: datetime) -> AdminBookingOut:
        dispute, attention = booking.dispute, booking.attention
        return cls(
            **BookingOut.from_domain(booking, now).model_dump(),
            user_id=booking.user_id,
            dispute=DisputeOut(**vars(dispute), closed=dispute.closed) if dispute else None,
            needs_attention=(
                AttentionOut(work=attention.work.value, reason=attention.reason, since=attention.since)
                if attention
                else None
            ),
        )


class AdminBookingPage(BaseModel):
    items: list[AdminBookingOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page[Booking], now: datetime) -> AdminBookingPage:
        return cls(items=[AdminBookingOut.from_booking(b, now) for b in page.items], next_cursor=page.next_cursor)


# ------------------------------------------------------------------ occupancy report


class TotalsOut(BaseModel):
    room_nights: int = Field(description='sum of allotments')
    sold: int
    held: int
    occupancy: float | None = Field(description='sold / room_nights, percent')
    revenue: int
    adr: int | None = Field(description='average daily rate: revenue / sold')
    revpar: int | None = Field(description='revenue per available room-night: revenue / room_nights')

    @classmethod
    def from_domain(cls, totals: reports.Totals) -> TotalsOut:
        return cls(
            room_nights=totals.allotment,
            sold=totals.sold,
            held=totals.held,
            occupancy=totals.occupancy,
            revenue=totals.revenue,
            adr=totals.adr,
            revpar=totals.revpar,
        )


class OccupancyNightOut(BaseModel):
    date: date
    allotment: int
    available: int
    stop_sell: bool
    sold: int = Field(description='rooms of CONFIRMED bookings')
    held: int = Field(description='rooms of PENDING bookings')
    occupancy: float | None = Field(description='sold / allotment, percent')
    revenue: int = Field(description='locked nightly prices of CONFIRMED bookings, minor units')


class RoomTypeOccupancyOut(BaseModel):
    room_type_id: str
    hotel_id: str
    name: str
    currency: str
    totals: TotalsOut
    nights: list[OccupancyNightOut]


class HotelOccupancyOut(BaseModel):
    hotel_id: str
    currency: str
    totals: TotalsOut


class OccupancyOut(BaseModel):
    start_date: date
    end_date: date = Field(description='exclusive')
    hotels: list[HotelOccupancyOut]
    room_types: list[RoomTypeOccupancyOut]

    @classmethod
    def from_domain(cls, report: reports.OccupancyReport) -> OccupancyOut:
        return cls(
            start_date=report.start,
            end_date=report.end,
            hotels=[
                HotelOccupancyOut(hotel_id=h.hotel_id, currency=h.currency, totals=TotalsOut.from_domain(h.totals))
                for h in report.hotels
            ],
            room_types=[
                RoomTypeOccupancyOut(
                    room_type_id=r.room_type.id,
                    hotel_id=r.room_type.hotel_id,
                    name=r.room_type.name,
                    currency=r.room_type.currency,
                    totals=TotalsOut.from_domain(r.totals),
                    nights=[
                        OccupancyNightOut(
                            date=n.date,
                            allotment=n.allotment,
                            available=n.available,
                            stop_sell=n.stop_sell,
                            sold=n.sold,
                            held=n.held,
                            occupancy=n.occupancy,
                            revenue=n.revenue,
                        )
                        for n in r.nights
                    ],
                )
                for r in report.room_types
            ],
        )
