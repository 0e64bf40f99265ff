"""Admin API models of rate plans, promo codes and taxes (role admin, /api/admin/hotels/{id}/...).

Like the other admin models: unknown fields and wrong JSON types are refused, PATCH changes only
the fields sent (``null`` only where a field may be empty); a plan's code and parent and a promo
code's code never change (sending them in a PATCH is refused). Business rules across fields are
the services' (``services/rate_admin.py``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictInt, model_validator

from common.domain import HotelTaxes, PromoCode, RatePlan
from common.models.admin import Name, Weekday
from common.models.api import IsoDate, Patch, Request, Slug
from common.models.pricing import PolicyOut, vat_percent

PlanCode = Annotated[
    str, Field(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$', description='unique in the hotel; stored upper-case')
]
PromoText = Annotated[
    str, Field(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$', description='any case; stored upper-case')
]
Description = Annotated[str, Field(max_length=2000)]
Money = Annotated[StrictInt, Field(ge=0, le=10**9, description='minor units (cents)')]
MealPlanName = Literal['room_only', 'breakfast', 'half_board', 'full_board']
AdvanceDays = Annotated[StrictInt, Field(ge=0, le=3 * 366)]
StayNights = Annotated[StrictInt, Field(ge=1, le=365)]
Weekdays = Annotated[list[Weekday], Field(max_length=7, description='ISO weekdays, 1 = Monday')]


class CancellationIn(Request):
    """``free_until``: free until ``free_hours`` before the check-in instant, then ``penalty``
    (``percent`` of the stay with ``percent``); ``non_refundable``: nothing back at any time
    (the city tax excepted)."""

    type: Literal['free_until', 'non_refundable']
    free_hours: Annotated[StrictInt, Field(ge=0, le=24 * 366)] | None = None
    penalty: Literal['first_night', 'percent', 'full_stay', 'none'] | None = None
    percent: Annotated[StrictInt, Field(ge=0, le=100)] | None = None

    @model_validator(mode='after')
    def _consistent(self) -> CancellationIn:
        if self.type == 'non_refundable' and (self.free_hours, self.penalty, self.percent) != (None, None, None):
            raise ValueError('a non_refundable policy has no free_hours, penalty or percent')
        if self.type == 'free_until':
            if self.free_hours is None:
                raise ValueError('free_hours is required')
            if (self.penalty == 'percent') != (self.percent is not None):
                raise ValueError('percent is required with penalty percent, and only then')
        return self


class RestrictionsIn(Request):
    min_advance_days: AdvanceDays | None = None
    max_advance_days: AdvanceDays | None = None
    min_stay: StayNights | None = None
    max_stay: StayNights | None = None
    closed_to_arrival: Weekdays = []
    closed_to_departure: Weekdays = []


class DerivationIn(Request):
    type: Literal['percent', 'amount', 'per_guest'] = Field(
        description="percent of the parent's night (-100..1000); amount per room per night; per_guest per night"
    )
    value: StrictInt


_PLAN_EXAMPLES: list[JsonValue] = [
    {
        'code': 'FLEX',
        'name': 'Flexible',
        'description': 'Free cancellation until 2 days before arrival.',
        'cancellation': {'type': 'free_until', 'free_hours': 48, 'penalty': 'first_night'},
        'is_default': True,
    },
    {
        'code': 'NR',
        'name': 'Non-refundable',
        'description': 'Pay now, save 10 %.',
        'parent_code': 'FLEX',
        'derivation': {'type': 'percent', 'value': -10},
        'cancellation': {'type': 'non_refundable'},
        'restrictions': {'min_advance_days': 2},
    },
    {
        'code': 'BB',
        'name': 'Bed & breakfast',
        'meal_plan': 'breakfast',
        'parent_code': 'FLEX',
        'derivation': {'type': 'per_guest', 'value': 1500},
    },
]


class RatePlanCreate(Request):
    code: PlanCode
    name: Name
    description: Description = ''
    room_type_id: Slug | None = Field(default=None, description='null: every room type of the hotel')
    meal_plan: MealPlanName = 'room_only'
    cancellation: CancellationIn | None = Field(
        default=None, description="default: the engine's policy (CANCELLATION_FREE_HOURS, CANCELLATION_PENALTY)"
    )
    prepayment: Literal['full'] = Field(default='full', description='the whole stay at booking (the only mode)')
    restrictions: RestrictionsIn | None = None
    active: StrictBool = True
    is_default: StrictBool = Field(default=False, description='the plan a booking that names none gets')
    parent_code: PlanCode | None = Field(default=None, description='derive the price from this plan (never changes)')
    derivation: DerivationIn | None = None

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True, json_schema_extra={'examples': _PLAN_EXAMPLES})

    def fields(self) -> dict[str, Any]:
        return self.model_dump()


class RatePlanPatch(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({'room_type_id'})

    name: Name | None = None
    description: Description | None = None
    room_type_id: Slug | None = None
    meal_plan: MealPlanName | None = None
    cancellation: CancellationIn | None = None
    prepayment: Literal['full'] | None = None
    restrictions: RestrictionsIn | None = None
    active: StrictBool | None = None
    is_default: StrictBool | None = None
    derivation: DerivationIn | None = None

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={
            'examples': [
                {'cancellation': {'type': 'free_until', 'free_hours': 72, 'penalty': 'percent', 'percent': 50}},
                {'derivation': {'type': 'percent', 'value': -12}, 'active': True},
            ]
        },
    )


class RestrictionsOut(BaseModel):
    min_advance_days: int | None
    max_advance_days: int | None
    min_stay: int | None
    max_stay: int | None
    closed_to_arrival: list[int]
    closed_to_departure: list[int]


class DerivationOut(BaseModel):
    type: str
    value: int


class RatePlanOut(BaseModel):
    hotel_id: str
    code: str
    name: str
    description: str
    room_type_id: str | None
    meal_plan: str
    cancellation: PolicyOut
    prepayment: str
    restrictions: RestrictionsOut
    active: bool
    is_default: bool
    parent_code: str | None
    derivation: DerivationOut | None
    derived_plans: int = Field(description='plans deriving their price from this one')
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def from_domain(cls, plan: RatePlan) -> RatePlanOut:
        limits = plan.restrictions
        return cls(
            hotel_id=plan.hotel_id,
            code=plan.code,
            name=plan.name,
            description=plan.description,
            room_type_id=plan.room_type_id,
            meal_plan=str(plan.meal_plan),
            cancellation=PolicyOut.from_domain(plan.cancellation),
            prepayment=str(plan.prepayment),
            restrictions=RestrictionsOut(
                min_advance_days=limits.min_advance_days,
                max_advance_days=limits.max_advance_days,
                min_stay=limits.min_stay,
                max_stay=limits.max_stay,
                closed_to_arrival=list(limits.closed_to_arrival),
                closed_to_departure=list(limits.closed_to_departure),
            ),
            active=plan.active,
            is_default=plan.is_default,
            parent_code=plan.parent_code,
            derivation=DerivationOut(type=str(plan.derivation.type), value=plan.derivation.value)
            if plan.derivation
            else None,
            derived_plans=plan.children,
            version=plan.version,
            updated_at=plan.updated_at,
            updated_by=plan.updated_by,
        )


class RatePlanList(BaseModel):
    items: list[RatePlanOut]


# ------------------------------------------------------------------ taxes


class CityTaxIn(Request):
    per_guest_night: Money = Field(description='per adult per night, minor units')
    max_nights: StayNights | None = Field(default=None, description='nights of a stay taxed at most')
    exempt_under_age: Annotated[StrictInt, Field(ge=1, le=25)] | None = Field(
        default=None, description='guests younger than this are exempt when the booking gives their ages'
    )


class FeeIn(Request):
    code: Annotated[str, Field(pattern=r'^[a-z0-9][a-z0-9_-]{0,29}$')]
    name: Name
    amount: Money
    per: Literal['stay', 'room'] = Field(default='stay', description='once per booking, or once per room')


def _two_decimals(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal('0.01')):
        raise ValueError('at most two decimals')
    return value


class TaxesPut(Request):
    vat_percent: Annotated[Decimal, Field(ge=0, le=100, description='e.g. 6 or 8.1')] = Decimal(0)
    prices_include_vat: StrictBool = Field(
        default=True, description='true: prices are entered with VAT inside; false: VAT is added to them'
    )
    city_tax: CityTaxIn | None = None
    fees: Annotated[list[FeeIn], Field(max_length=20)] = []

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {
                    'vat_percent': 6,
                    'prices_include_vat': True,
                    'city_tax': {'per_guest_night': 400, 'max_nights': 7, 'exempt_under_age': 13},
                    'fees': [],
                },
                {
                    'vat_percent': 20,
                    'prices_include_vat': False,
                    'fees': [{'code': 'clean', 'name': 'Cleaning', 'amount': 2500, 'per': 'room'}],
                },
            ]
        },
    )

    @model_validator(mode='after')
    def _vat_in_hundredths(self) -> TaxesPut:
        _two_decimals(self.vat_percent)
        return self

    def fields(self) -> dict[str, Any]:
        values = self.model_dump(exclude={'vat_percent'})
        values['vat_rate'] = int(self.vat_percent * 100)
        return values


class CityTaxRuleOut(BaseModel):
    per_guest_night: int
    max_nights: int | None
    exempt_under_age: int | None


class FeeRuleOut(BaseModel):
    code: str
    name: str
    amount: int
    per: str


class TaxesOut(BaseModel):
    hotel_id: str
    vat_percent: Decimal
    prices_include_vat: bool
    city_tax: CityTaxRuleOut | None
    fees: list[FeeRuleOut]
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def from_domain(cls, taxes: HotelTaxes) -> TaxesOut:
        city = taxes.city_tax
        return cls(
            hotel_id=taxes.hotel_id,
            vat_percent=vat_percent(taxes.vat_rate),
            prices_include_vat=taxes.prices_include_vat,
            city_tax=CityTaxRuleOut(
                per_guest_night=city.per_guest_night, max_nights=city.max_nights, exempt_under_age=city.exempt_under_age
            )
            if city
            else None,
            fees=[FeeRuleOut(code=f.code, name=f.name, amount=f.amount, per=f.per) for f in taxes.fees],
            version=taxes.version,
            updated_at=taxes.updated_at,
            updated_by=taxes.updated_by,
        )


# ------------------------------------------------------------------ promo codes

Uses = Annotated[StrictInt, Field(ge=1, le=10_000_000)]


class PromoCreate(Request):
    code: PromoText
    kind: Literal['percent', 'amount'] = Field(description='percent (1..100) or an amount off the stay (minor units)')
    value: StrictInt
    description: Description = ''
    valid_from: IsoDate | None = Field(default=None, description='first booking date (hotel time), inclusive')
    valid_until: IsoDate | None = Field(default=None, description='last booking date (hotel time), inclusive')
    stay_from: IsoDate | None = Field(default=None, description='first night it discounts, inclusive')
    stay_until: IsoDate | None = Field(default=None, description='last night it discounts, inclusive')
    min_nights: StayNights | None = None
    rate_plans: Annotated[list[PlanCode], Field(max_length=20)] = Field(default=[], description='empty: every plan')
    max_uses: Uses | None = Field(default=None, description='holds and paid bookings at once, at most')
    max_uses_per_guest: Uses | None = None
    active: StrictBool = True

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={
            'examples': [
                {
                    'code': 'SPRING27',
                    'kind': 'percent',
                    'value': 15,
                    'valid_until': '2027-04-30',
                    'stay_from': '2027-03-01',
                    'stay_until': '2027-05-31',
                    'min_nights': 2,
                    'rate_plans': ['FLEX', 'BB'],
                    'max_uses': 100,
                    'max_uses_per_guest': 1,
                },
                {'code': 'WELCOME20', 'kind': 'amount', 'value': 2000},
            ]
        },
    )

    def fields(self) -> dict[str, Any]:
        return self.model_dump()


class PromoPatch(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {'valid_from', 'valid_until', 'stay_from', 'stay_until', 'min_nights', 'max_uses', 'max_uses_per_guest'}
    )

    kind: Literal['percent', 'amount'] | None = None
    value: StrictInt | None = None
    description: Description | None = None
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None
    stay_from: IsoDate | None = None
    stay_until: IsoDate | None = None
    min_nights: StayNights | None = None
    rate_plans: Annotated[list[PlanCode], Field(max_length=20)] | None = None
    max_uses: Uses | None = None
    max_uses_per_guest: Uses | None = None
    active: StrictBool | None = None

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'active': False}, {'max_uses': 200, 'valid_until': None}]},
    )


class PromoOut(BaseModel):
    hotel_id: str
    code: str
    kind: str
    value: int
    description: str
    valid_from: date | None
    valid_until: date | None
    stay_from: date | None
    stay_until: date | None
    min_nights: int | None
    rate_plans: list[str]
    max_uses: int | None
    max_uses_per_guest: int | None
    active: bool
    uses: int = Field(description='holds and paid bookings that use it now (an expired hold gives its use back)')
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def from_domain(cls, promo: PromoCode) -> PromoOut:
        return cls(
            hotel_id=promo.hotel_id,
            code=promo.code,
            kind=str(promo.kind),
            value=promo.value,
            description=promo.description,
            valid_from=promo.valid_from,
            valid_until=promo.valid_until,
            stay_from=promo.stay_from,
            stay_until=promo.stay_until,
            min_nights=promo.min_nights,
            rate_plans=list(promo.rate_plans),
            max_uses=promo.max_uses,
            max_uses_per_guest=promo.max_uses_per_guest,
            active=promo.active,
            uses=promo.uses,
            version=promo.version,
            updated_at=promo.updated_at,
            updated_by=promo.updated_by,
        )


class PromoList(BaseModel):
    items: list[PromoOut]
