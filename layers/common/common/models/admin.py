"""Pydantic models of the admin API (role admin, everything under /api/admin/).

Requests refuse unknown fields and wrong JSON types (no ``"2"`` for 2, no ``1`` for true).
PATCH bodies change only the fields sent; ``null`` clears a field that may be empty and is
refused for one that may not. Business rules that span fields or entities (a rule's end after
its start, a room type of the rule's hotel, adjustment bounds) are checked by the services.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from common.domain import Booking, Hotel, InventoryNight, PriceRule, RoomType
from common.models.api import (
    JSON_INT,
    WHITESPACE,
    BookingOut,
    Email,
    HotelOut,
    IsoDate,
    MinorUnits,
    NextCursor,
    Patch,
    Phone,
    Request,
    RoomTypeOut,
    Slug,
)
from common.services import admin as admin_service
from common.services import pricing, reports

if TYPE_CHECKING:
    from common.ports import Page

Name = Annotated[str, Field(min_length=1, max_length=100)]
Currency = Annotated[str, Field(pattern=r'^[A-Z]{3}$', description='ISO 4217 code, e.g. EUR')]


# An IANA zone's shape; whether the zone exists is the tz database's to say (422 otherwise). The
# document does not enumerate the ~600 zones: generated clients choke on such enums (GMT0 / GMT-0).
Timezone = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r'^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
        description='An IANA time zone the server knows, e.g. Europe/Lisbon (422 `validation_error` otherwise)',
    ),
]
Hour = Annotated[int, Field(ge=0, le=23), JSON_INT]
Tag = Annotated[str, Field(pattern=r'^[a-z0-9][a-z0-9-]{0,49}$')]
Url = Annotated[str, Field(pattern=rf'^https://[^{WHITESPACE}]+$', max_length=2048)]
Money = Annotated[
    int, Field(ge=0, le=10**9, description='minor units of the currency (cents: 12550 = 125.50)'), JSON_INT
]
Rooms = Annotated[int, Field(ge=0, le=10_000), JSON_INT]
Capacity = Annotated[int, Field(ge=1, le=50), JSON_INT]
Weekday = Annotated[int, Field(ge=1, le=7), JSON_INT]
Weekdays = Annotated[list[Weekday], Field(min_length=1, max_length=7, description='ISO weekdays, 1 = Monday')]


# ------------------------------------------------------------------ hotels


class HotelCreate(Request):
    id: Slug
    name: Name
    city: Name
    address: Annotated[str, Field(max_length=300)] = ''
    timezone: Timezone | None = Field(default=None, description='default HOTEL_TIMEZONE')
    check_in_hour: Hour | None = Field(default=None, description='default CHECK_IN_HOUR')
    check_out_hour: Hour | None = Field(default=None, description='default CHECK_OUT_HOUR')
    currency: Currency
    phone: Phone | None = Field(default=None, description='shown to guests (booking confirmation)')
    notification_email: Email | None = Field(
        default=None, description='where new bookings and cancellations are notified (never shown to guests)'
    )

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
                    'check_out_hour': 11,
                    'currency': 'EUR',
                    'phone': '+351 222 000 111',
                    'notification_email': 'reservations@riverside-porto.example',
                }
            ]
        },
    )


class HotelPatch(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({'phone', 'notification_email'})

    name: Name | None = None
    city: Name | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    timezone: Timezone | None = None
    check_in_hour: Hour | None = None
    check_out_hour: Hour | None = None
    currency: Currency | None = Field(default=None, description='only while the hotel has no room types')
    phone: Phone | None = Field(default=None, description='null clears it')
    notification_email: Email | None = Field(default=None, description='null clears it (no hotel notices)')

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'name': 'Riverside Porto & Spa', 'check_in_hour': 14}]},
    )


class AdminHotelOut(HotelOut):
    """A hotel as its staff see it: what guests see, and where its notices go."""

    notification_email: str | None = None

    @classmethod
    def from_domain(cls, hotel: Hotel) -> AdminHotelOut:
        return cls(**{name: getattr(hotel, name) for name in cls.model_fields})


class AdminHotelList(BaseModel):
    items: list[AdminHotelOut]


# ------------------------------------------------------------------ room types


class RoomTypeCreate(Request):
    id: Slug
    hotel_id: Slug
    name: Name
    description: Annotated[str, Field(max_length=2000)] = ''
    capacity: Capacity
    base_price: Money
    currency: Currency | None = Field(default=None, description="the hotel's currency (the default)")
    total_rooms: Rooms = Field(description='rooms of this type in the hotel')
    default_allotment: Rooms | None = Field(
        default=None,
        description='allotment of every night opened for the sale window, now and as it rolls forward '
        '(default: total_rooms)',
    )
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
    total_rooms: Rooms | None = Field(
        default=None, description='rooms of this type; nights already open and default_allotment keep theirs'
    )
    default_allotment: Rooms | None = Field(
        default=None, description='allotment of nights opened from now on (existing nights keep theirs)'
    )
    view_type: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    amenities: Annotated[list[Tag], Field(max_length=50)] | None = None
    images: Annotated[list[Url], Field(max_length=20)] | None = None

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'base_price': 16500, 'amenities': ['wifi', 'balcony', 'minibar']}]},
    )


class AdminRoomTypeOut(RoomTypeOut):
    default_allotment: int = Field(description='allotment of nights opened from now on')

    @classmethod
    def from_domain(cls, rt: RoomType) -> AdminRoomTypeOut:
        public = RoomTypeOut.from_domain(rt).model_dump()
        return cls(**public, default_allotment=rt.allotment_of_new_nights)


class AdminRoomTypeList(BaseModel):
    items: list[AdminRoomTypeOut]


# ------------------------------------------------------------------ inventory


class InventoryPut(Request):
    start_date: IsoDate
    end_date: IsoDate = Field(description='exclusive')
    # At least one of the two (a rule between fields: the service's 422 says so; a schema-level
    # anyOf would make client generators split the body into two anonymous types).
    allotment: Rooms | None = None
    stop_sell: StrictBool | None = None
    weekdays: Weekdays | None = Field(default=None, description='only these weekdays of the range')

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'start_date': '2027-03-01', 'end_date': '2027-04-01', 'allotment': 12},
                {'start_date': '2027-12-24', 'end_date': '2027-12-26', 'stop_sell': True},
            ],
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


class PercentAdjustment(Request):
    type: Literal['percent']
    value: Annotated[
        int, Field(ge=pricing.PERCENT_MIN, le=pricing.PERCENT_MAX, description='percent of the price'), JSON_INT
    ]


class AmountAdjustment(Request):
    type: Literal['amount']
    value: Annotated[
        int,
        Field(
            ge=-pricing.MONEY_MAX, le=pricing.MONEY_MAX, description='added to the price, minor units of the currency'
        ),
        JSON_INT,
    ]


class FixedAdjustment(Request):
    type: Literal['fixed']
    value: Annotated[
        int, Field(ge=0, le=pricing.MONEY_MAX, description='the price itself, minor units of the currency'), JSON_INT
    ]


AdjustmentIn = Annotated[PercentAdjustment | AmountAdjustment | FixedAdjustment, Field(discriminator='type')]
Priority = Annotated[
    int, Field(ge=-pricing.PRIORITY_LIMIT, le=pricing.PRIORITY_LIMIT, description='ascending; ties by id'), JSON_INT
]
MinStay = Annotated[int, Field(ge=1, le=pricing.MIN_STAY_MAX), JSON_INT]


class RuleCreate(Request):
    name: Name
    hotel_id: Slug | None = Field(default=None, description='required when room_type_id is null')
    room_type_id: Slug | None = Field(default=None, description='null: every room type of the hotel')
    start_date: IsoDate | None = Field(default=None, description='inclusive; null: open')
    end_date: IsoDate | None = Field(default=None, description='inclusive; null: open')
    weekdays: Weekdays | None = None
    adjustment: AdjustmentIn | None = Field(default=None, description='default amount 0 (a restriction only)')
    priority: Priority = 0
    min_stay: MinStay | None = None
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
            ],
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
    priority: Priority | None = None
    min_stay: MinStay | None = None
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
    price_before: MinorUnits
    price_after: MinorUnits


class PreviewNightOut(BaseModel):
    date: date
    weekday: int
    base_price: MinorUnits
    price: MinorUnits
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
    base_price: MinorUnits
    per_room_price: MinorUnits
    total_price: MinorUnits
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
    next_cursor: NextCursor

    @classmethod
    def from_domain(cls, page: Page[Booking], now: datetime) -> AdminBookingPage:
        return cls(items=[AdminBookingOut.from_booking(b, now) for b in page.items], next_cursor=page.next_cursor)


# ------------------------------------------------------------------ occupancy report


class TotalsOut(BaseModel):
    room_nights: int = Field(description='sum of allotments')
    sold: int
    held: int
    occupancy: float | None = Field(description='sold / room_nights, percent')
    revenue: MinorUnits
    adr: int | None = Field(description='average daily rate: revenue / sold, minor units')
    revpar: int | None = Field(description='revenue per available room-night: revenue / room_nights, minor units')

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
    adr: int | None = Field(description='revenue / sold')
    revpar: int | None = Field(description='revenue / allotment')


class RoomTypeOccupancyOut(BaseModel):
    room_type_id: str
    hotel_id: str
    name: str
    currency: str
    totals: TotalsOut
    nights: list[OccupancyNightOut]


class HotelNightOut(TotalsOut):
    date: date


class HotelOccupancyOut(BaseModel):
    hotel_id: str
    currency: str
    totals: TotalsOut
    nights: list[HotelNightOut] = Field(description='every room type of the hotel, per night')


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
                HotelOccupancyOut(
                    hotel_id=h.hotel_id,
                    currency=h.currency,
                    totals=TotalsOut.from_domain(h.totals),
                    nights=[
                        HotelNightOut(date=night, **TotalsOut.from_domain(totals).model_dump())
                        for night, totals in h.nights.items()
                    ],
                )
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
                            adr=n.adr,
                            revpar=n.revpar,
                        )
                        for n in r.nights
                    ],
                )
                for r in report.room_types
            ],
        )


# ------------------------------------------------------------------ inventory grid


class GridNightOut(BaseModel):
    date: date
    allotment: int
    available: int
    sold: int = Field(description='rooms of CONFIRMED bookings')
    held: int = Field(description='rooms of PENDING bookings (unpaid holds)')
    stop_sell: bool


class GridRoomTypeOut(BaseModel):
    room_type_id: str
    name: str
    total_rooms: int = Field(description='the allotment of nights opened later')
    nights: list[GridNightOut] = Field(description='the nights opened in the range (a missing night is not on sale)')


class InventoryGridOut(BaseModel):
    hotel_id: str
    today: date = Field(description="the hotel's today: earlier nights cannot change")
    start_date: date
    end_date: date = Field(description='exclusive')
    room_types: list[GridRoomTypeOut]

    @classmethod
    def from_domain(cls, grid: reports.InventoryGrid) -> InventoryGridOut:
        return cls(
            hotel_id=grid.hotel.id,
            today=grid.today,
            start_date=grid.start,
            end_date=grid.end,
            room_types=[
                GridRoomTypeOut(
                    room_type_id=room_type.id,
                    name=room_type.name,
                    total_rooms=room_type.total_rooms,
                    nights=[
                        GridNightOut(
                            date=n.date,
                            allotment=n.allotment,
                            available=n.available,
                            sold=n.sold,
                            held=n.held,
                            stop_sell=n.stop_sell,
                        )
                        for n in nights
                    ],
                )
                for room_type, nights in grid.rows
            ],
        )
