"""Pydantic models at the HTTP edge: what clients send (strict, no unknown fields) and get back.

Request models refuse unknown fields (``extra='forbid'``), so privileged fields such as
``status``, ``role`` or ``total_amount`` can never be mass-assigned. Dates must be ISO strings
(``YYYY-MM-DD``) and integers JSON numbers with no fraction (``2`` or ``2.0``; never ``"2"``,
``true`` or ``2.5``), as JSON Schema's ``integer`` says. The OpenAPI document is generated from
these models: every rule a schema can state is stated here, once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from common.config import settings
from common.domain import (
    EARLIEST_DATE,
    LATEST_DATE,
    MIN_PASSWORD_LENGTH,
    Booking,
    Hotel,
    Refund,
    RefundPolicy,
    RefundQuote,
    Review,
    RoomType,
    User,
    WishlistEntry,
)
from common.models.pricing import BreakdownOut, NightOut, OfferOut, TermsOut

if TYPE_CHECKING:  # names for signatures only: a function imports the services it calls, not all
    from common.ports import Page
    from common.services.accounts import TokenPair
    from common.services.outcomes import CheckoutResult
    from common.services.search import CalendarNight, SearchAnswer

_ISO_DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')
# Whitespace as both regex engines see it: the document's (ECMA-262, clients and validators) and
# pydantic's (Rust's Unicode White_Space) differ by U+0085 and U+FEFF, so a pattern names both.
WHITESPACE = r'\s\x85\ufeff'
_EMAIL = rf'^[^@{WHITESPACE}]{{1,64}}@[^@{WHITESPACE}]+\.[^@{WHITESPACE}]{{2,}}$'
_PHONE = r'^\+?[0-9][0-9 ().-]{4,30}$'
Email = Annotated[str, Field(pattern=_EMAIL, max_length=254)]
Phone = Annotated[str, Field(pattern=_PHONE, max_length=32)]
SLUG = r'^[a-z0-9][a-z0-9-]{0,62}$'


def _json_integer(value: Any) -> Any:
    """JSON Schema's ``integer``: a number with no fraction (2 and 2.0 alike); never a string or
    a boolean (``"2"``, ``true``), which pydantic's lax ``int`` would take."""
    if isinstance(value, bool | str):
        raise PydanticCustomError('int_type', 'Input should be a valid integer')
    return value


# After the constraints in an ``Annotated`` (``Annotated[int, Field(ge=1), JSON_INT]``), so the
# document states them as ``minimum``/``maximum``.
JSON_INT = BeforeValidator(_json_integer)
JsonInt = Annotated[int, JSON_INT]
MinorUnits = Annotated[int, Field(description='Amount in minor units of `currency` (cents: 12550 = 125.50 EUR)')]


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError('must be a date as YYYY-MM-DD')
    return value


def _within_bounds(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f'must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}')
    return value


# Every date a client sends (query, path or body) is this type: ISO text only, and bounded before
# any arithmetic is done with it.
# The bounds in the document too (years 2000-2999 are exactly the dates that start with 2 and three
# digits), so a schema-valid date is never refused.
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date_only),
    AfterValidator(_within_bounds),
    Field(json_schema_extra={'pattern': r'^2[0-9]{3}-[0-9]{2}-[0-9]{2}$'}),
]
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=63)]


class Request(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)


class Patch(Request):
    """Only the fields sent change. ``NULLABLE`` lists the fields ``null`` may clear; the others
    are optional but refuse ``null``, and the document says so (no ``null`` in their schema)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    # Whether an empty body is refused (422: nothing to change).
    NEEDS_A_CHANGE: ClassVar[bool] = True

    @model_validator(mode='after')
    def _nulls_only_where_allowed(self) -> Patch:
        refused = sorted(n for n in self.model_fields_set if getattr(self, n) is None and n not in self.NULLABLE)
        if refused:
            raise ValueError(f'{", ".join(refused)} cannot be null')
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        if cls.NEEDS_A_CHANGE:
            schema['minProperties'] = 1
        for name, field in (schema.get('properties') or {}).items():
            if name in cls.NULLABLE or 'anyOf' not in field:
                continue
            options = [option for option in field['anyOf'] if option.get('type') != 'null']
            if len(options) == 1:
                del field['anyOf']
                field.pop('default', None)
                field.update(options[0])
        return schema

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


# ------------------------------------------------------------------ requests


def _max_rooms_per_booking(schema: dict[str, Any]) -> None:
    schema['maximum'] = settings().max_rooms_per_booking
    schema['description'] = 'rooms of this room type, at most MAX_ROOMS_PER_BOOKING'


class HoldBody(Request):
    room_type_id: Slug
    check_in: IsoDate
    check_out: IsoDate
    guests: Annotated[int, Field(ge=1, le=100, description='guests in all rooms together'), JSON_INT]
    # The model bounds the type; the service applies the configured limit, which the document states.
    rooms: Annotated[int, Field(ge=1, le=100, json_schema_extra=_max_rooms_per_booking), JSON_INT] = 1
    rate_plan_id: Annotated[
        str | None,
        Field(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$', description="an offer's plan (default: the room type's)"),
    ] = None
    promo_code: Annotated[
        str | None, Field(pattern=r'^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$', description='any case; 422 if it cannot be used')
    ] = None
    child_ages: Annotated[
        list[Annotated[int, Field(ge=0, le=17), JSON_INT]],
        Field(max_length=99, description='ages of the children among guests (city tax exemptions)'),
    ] = []

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'room_type_id': 'deluxe-king', 'check_in': '2027-03-12', 'check_out': '2027-03-15', 'guests': 2},
                {
                    'room_type_id': 'deluxe-king',
                    'check_in': '2027-03-12',
                    'check_out': '2027-03-15',
                    'guests': 2,
                    'rate_plan_id': 'NR',
                    'promo_code': 'welcome10',
                },
            ]
        },
    )


class RegisterBody(Request):
    email: Email
    # The length is checked by the service (422 ``weak_password``, ``rule: min_length``), after
    # the surrounding whitespace is trimmed; the document states it for clients and generators.
    password: Annotated[
        str,
        Field(
            min_length=1,
            max_length=256,
            description=f'At least {MIN_PASSWORD_LENGTH} characters, not the email address or its part before '
            'the @ (422 `weak_password` otherwise)',
            json_schema_extra={'minLength': MIN_PASSWORD_LENGTH},
        ),
    ]
    name: Annotated[str, Field(min_length=1, max_length=100)]

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [{'email': 'ada@example.com', 'password': 'correct horse battery', 'name': 'Ada Lovelace'}]
        },
    )


class LoginBody(Request):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=256)]

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={'examples': [{'email': 'ada@example.com', 'password': 'correct horse battery'}]},
    )


class PasswordChangeBody(Request):
    current_password: Annotated[str, Field(max_length=256, description='The password the account has now')]
    # Checked by the service like a registration's (422 ``weak_password``); stated for clients.
    new_password: Annotated[
        str,
        Field(
            min_length=1,
            max_length=256,
            description=f'At least {MIN_PASSWORD_LENGTH} characters, not the email address or its part before '
            'the @ (422 `weak_password` otherwise)',
            json_schema_extra={'minLength': MIN_PASSWORD_LENGTH},
        ),
    ]

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [{'current_password': 'correct horse battery', 'new_password': 'a new horse, a new battery'}]
        },
    )


class RefreshBody(Request):
    # Absent when the client keeps its refresh token in the cookie (header X-Refresh-Token: cookie).
    refresh: Annotated[str | None, Field(min_length=1, max_length=4096)] = None

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={'examples': [{'refresh': '<refresh token from /api/auth/login>'}, {}]},
    )


# ------------------------------------------------------------------ responses


class PaymentOut(BaseModel):
    payment_intent_id: str
    status: str
    amount: MinorUnits
    currency: str
    last_error: str | None = None


class RefundOut(BaseModel):
    amount: MinorUnits
    penalty: MinorUnits
    currency: str
    status: str
    stripe_refund_id: str | None = None
    reason: str | None = None

    @classmethod
    def from_domain(cls, refund: Refund) -> RefundOut:
        return cls(
            amount=refund.amount,
            penalty=refund.penalty,
            currency=refund.currency,
            status=refund.status.value,
            stripe_refund_id=refund.stripe_refund_id,
            reason=refund.reason,
        )


class BookingOut(BaseModel):
    id: str
    status: Literal['PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED']
    hotel_id: str
    room_type_id: str
    check_in: date
    check_out: date
    guests: int
    rooms: int
    currency: str
    total_amount: MinorUnits
    nightly: list[NightOut]
    hold_expires_at: datetime
    created_at: datetime
    updated_at: datetime
    payment: PaymentOut | None = None
    refund: RefundOut | None = None
    breakdown: BreakdownOut | None = Field(None, description='total_amount in parts: room charge, fees, VAT, city tax')
    rate_plan: TermsOut | None = Field(None, description="the plan's terms as booked (a later edit never changes them)")
    refunded_outside: int = Field(
        default=0, description='refunded by the hotel outside the booking flow (minor units), besides `refund`'
    )

    @classmethod
    def from_domain(cls, booking: Booking, now: datetime) -> BookingOut:
        seen = booking.as_seen_at(now)
        payment = seen.payment
        return cls(
            id=seen.id,
            status=seen.status.value,
            hotel_id=seen.hotel_id,
            room_type_id=seen.room_type_id,
            check_in=seen.check_in,
            check_out=seen.check_out,
            guests=seen.guests,
            rooms=seen.rooms,
            currency=seen.currency,
            total_amount=seen.total_amount,
            nightly=[NightOut.from_domain(n) for n in seen.nightly],
            hold_expires_at=seen.hold_expires_at,
            created_at=seen.created_at,
            updated_at=seen.updated_at,
            payment=(
                PaymentOut(
                    payment_intent_id=payment.payment_intent_id,
                    status=payment.status,
                    amount=payment.amount,
                    currency=payment.currency,
                    last_error=payment.last_error,
                )
                if payment
                else None
            ),
            refund=RefundOut.from_domain(seen.refund) if seen.refund else None,
            refunded_outside=seen.refunded_outside,
            breakdown=BreakdownOut.from_domain(seen.price),
            rate_plan=TermsOut.from_domain(seen.terms) if seen.terms else None,
        )


NextCursor = Annotated[
    str | None,
    Field(description='Opaque: send it as `cursor` to read the next page; null on the last page'),
]


class BookingPage(BaseModel):
    items: list[BookingOut]
    next_cursor: NextCursor

    @classmethod
    def from_domain(cls, page: Page[Booking], now: datetime) -> BookingPage:
        return cls(items=[BookingOut.from_domain(b, now) for b in page.items], next_cursor=page.next_cursor)


class HotelOut(BaseModel):
    """A hotel as guests see it (its ``notification_email`` is the staff's, never shown here)."""

    id: str
    name: str
    city: str
    address: str
    timezone: str
    check_in_hour: int
    check_out_hour: int
    currency: str
    phone: str | None = None

    @classmethod
    def from_domain(cls, hotel: Hotel) -> HotelOut:
        return cls(**{name: getattr(hotel, name) for name in cls.model_fields})


class HotelList(BaseModel):
    items: list[HotelOut]


class RoomTypeOut(BaseModel):
    id: str
    hotel_id: str
    name: str
    description: str
    capacity: int
    base_price: MinorUnits
    currency: str
    total_rooms: int
    view_type: str | None
    amenities: list[str]
    images: list[str]
    average_rating: float | None
    review_count: int

    @classmethod
    def from_domain(cls, rt: RoomType) -> RoomTypeOut:
        return cls(
            id=rt.id,
            hotel_id=rt.hotel_id,
            name=rt.name,
            description=rt.description,
            capacity=rt.capacity,
            base_price=rt.base_price,
            currency=rt.currency,
            total_rooms=rt.total_rooms,
            view_type=rt.view_type,
            amenities=list(rt.amenities),
            images=list(rt.images),
            average_rating=rt.average_rating,
            review_count=rt.review_count,
        )


class RoomTypeList(BaseModel):
    items: list[RoomTypeOut]


class CalendarNightOut(BaseModel):
    date: date
    allotment: int
    available: int
    stop_sell: bool
    price: MinorUnits
    rule_ids: list[str]


class CalendarOut(BaseModel):
    room_type_id: str
    currency: str
    nights: list[CalendarNightOut]

    @classmethod
    def from_domain(cls, room_type: RoomType, nights: list[CalendarNight]) -> CalendarOut:
        return cls(
            room_type_id=room_type.id,
            currency=room_type.currency,
            nights=[
                CalendarNightOut(
                    date=n.night.date,
                    allotment=n.night.allotment,
                    available=n.night.sellable,
                    stop_sell=n.night.stop_sell,
                    price=n.price.price,
                    rule_ids=list(n.price.rule_ids),
                )
                for n in nights
            ],
        )


class SearchResultOut(BaseModel):
    room_type_id: str
    hotel_id: str
    hotel_name: str
    city: str
    name: str
    capacity: int
    view_type: str | None
    amenities: list[str]
    available_rooms: int
    currency: str
    total_price: Annotated[
        int,
        Field(description="`rate_plan_id`'s total: all rooms, every night, taxes and fees, minor units"),
    ]
    nightly: list[NightOut]
    restriction: str | None = None
    rate_plan_id: str | None = Field(
        None, description='the plan of `total_price` and `nightly` (a booking without one gets it)'
    )
    offers: list[OfferOut] = Field(default=[], description='one per rate plan, cheapest first')


class SearchOut(BaseModel):
    check_in: date
    check_out: date
    nights: int
    guests: int
    rooms: int
    results: list[SearchResultOut]
    next_cursor: NextCursor = None

    @classmethod
    def from_domain(cls, answer: SearchAnswer) -> SearchOut:
        return cls(
            check_in=answer.stay.check_in,
            check_out=answer.stay.check_out,
            nights=answer.stay.nights,
            guests=answer.query.guests,
            rooms=answer.query.rooms,
            results=[
                SearchResultOut(
                    room_type_id=r.room_type.id,
                    hotel_id=r.hotel.id,
                    hotel_name=r.hotel.name,
                    city=r.hotel.city,
                    name=r.room_type.name,
                    capacity=r.room_type.capacity,
                    view_type=r.room_type.view_type,
                    amenities=list(r.room_type.amenities),
                    available_rooms=r.available_rooms,
                    currency=r.currency,
                    total_price=r.total,
                    nightly=[NightOut.from_domain(n) for n in r.nightly],
                    restriction=r.restriction,
                    rate_plan_id=r.best.plan.code if r.best is not None else None,
                    offers=[OfferOut.from_domain(o) for o in r.offers],
                )
                for r in answer.results
            ],
            next_cursor=answer.next_cursor,
        )


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    created_at: datetime
    phone: str | None = None
    address: str | None = None

    @classmethod
    def from_domain(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role.value,
            created_at=user.created_at,
            phone=user.phone,
            address=user.address,
        )


class TokenPairOut(BaseModel):
    access: str
    # null in cookie mode (X-Refresh-Token: cookie): the token is only in an HttpOnly cookie.
    refresh: str | None
    token_type: Literal['Bearer'] = 'Bearer'  # noqa: S105 - the scheme name, not a secret
    expires_in: int

    @classmethod
    def from_domain(cls, pair: TokenPair, *, in_cookie: bool = False) -> TokenPairOut:
        return cls(access=pair.access, refresh=None if in_cookie else pair.refresh, expires_in=pair.expires_in)


class SiteConfigOut(BaseModel):
    """What the web client needs to know before it can take a card."""

    stripe_publishable_key: str | None
    stripe_js_url: str


class HealthOut(BaseModel):
    status: Literal['ok']
    stage: str


# ------------------------------------------------------------------ payments


class CheckoutBody(Request):
    auto_confirm: StrictBool = False
    # Confirm the PaymentIntent on the server with this payment method: one Stripe.js created from
    # the card form (pm_..., or card_... from localstripe's stand-in), or with auto_confirm one of
    # Stripe's test methods (default pm_card_visa; pm_card_chargeCustomerFail to see a decline).
    payment_method: Annotated[str | None, Field(pattern=r'^(pm|card)_[A-Za-z0-9_]{1,100}$')] = None

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'auto_confirm': False},
                {'payment_method': 'pm_1Q0PsIJvEtkwdCNYMSaVuRz6'},
                {'auto_confirm': True},
            ],
            # With auto_confirm, a payment_method is one of Stripe's test methods (the validator below).
            'if': {
                'required': ['auto_confirm', 'payment_method'],
                'properties': {'auto_confirm': {'const': True}, 'payment_method': {'type': 'string'}},
            },
            'then': {'properties': {'payment_method': {'pattern': '^pm_card_'}}},
        },
    )

    @model_validator(mode='after')
    def _auto_confirm_uses_a_test_method(self) -> CheckoutBody:
        if self.auto_confirm and self.payment_method is not None and not self.payment_method.startswith('pm_card_'):
            raise ValueError("auto_confirm pays with one of Stripe's test methods (pm_card_...)")
        return self


class CheckoutOut(BaseModel):
    booking_id: str
    status: Literal['PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED']
    payment_intent_id: str
    client_secret: str | None
    payment_status: str
    amount: MinorUnits
    currency: str

    @classmethod
    def from_domain(cls, result: CheckoutResult) -> CheckoutOut:
        return cls(
            booking_id=result.booking.id,
            status=result.status.value,
            payment_intent_id=result.payment.payment_intent_id,
            client_secret=result.payment.client_secret,
            payment_status=result.payment.status,
            amount=result.payment.amount,
            currency=result.payment.currency,
        )


class RefundQuoteOut(BaseModel):
    booking_id: str
    amount: MinorUnits
    penalty: MinorUnits
    paid: MinorUnits
    currency: str
    # A RefundPolicy, stated to clients as a plain string enum (no schema of the domain's type).
    policy: Annotated[str, Field(json_schema_extra={'enum': [p.value for p in RefundPolicy]})]
    deadline: datetime | None = Field(description='last instant with a full refund (null: non-refundable)')
    cancellable_until: datetime
    city_tax: int = Field(0, description='of amount: the city tax, always refunded (no night was stayed)')

    @classmethod
    def from_domain(cls, quote: RefundQuote) -> RefundQuoteOut:
        return cls(
            booking_id=quote.booking_id,
            amount=quote.amount,
            penalty=quote.penalty,
            paid=quote.paid,
            currency=quote.currency,
            policy=quote.policy,
            deadline=quote.deadline,
            cancellable_until=quote.cancellable_until,
            city_tax=quote.city_tax,
        )


class WebhookAck(BaseModel):
    received: Literal[True] = True
    event_id: str
    type: str
    outcome: str


# ------------------------------------------------------------------ accounts

_NOT_CHANGEABLE_HERE = ('email', 'role', 'password', 'password_hash', 'id', 'user_id', 'created_at')


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 and c not in '\n\t' for c in value) or '\x7f' in value:
        raise ValueError('must not contain control characters')
    return value


# The validator says why in words; the document states the same rule as a pattern.
PlainText = Annotated[
    str,
    AfterValidator(_no_control_characters),
    Field(json_schema_extra={'pattern': r'^[^\x00-\x08\x0b-\x1f\x7f]*$'}),
]


class ProfilePatch(Patch):
    """Only the fields sent change; ``null`` clears ``phone`` or ``address`` (a name cannot be
    cleared). Email, role and password cannot be changed here: sending them is refused (422),
    never silently ignored."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({'phone', 'address'})
    NEEDS_A_CHANGE: ClassVar[bool] = False

    name: Annotated[PlainText, Field(min_length=1, max_length=100)] | None = None
    phone: Phone | None = None
    address: Annotated[PlainText, Field(min_length=1, max_length=300)] | None = None

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'name': 'Ada Lovelace', 'phone': '+44 20 7946 0958'}]},
    )

    @model_validator(mode='before')
    @classmethod
    def _refuse_identity_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            named = [f for f in _NOT_CHANGEABLE_HERE if f in data]
            if named:
                raise PydanticCustomError(
                    'not_changeable',
                    '{fields} cannot be changed through this endpoint',
                    {'fields': ', '.join(named)},
                )
        return data


class WishlistAddBody(Request):
    room_type_id: Slug

    model_config = ConfigDict(extra='forbid', json_schema_extra={'examples': [{'room_type_id': 'deluxe-king'}]})


class WishlistItemOut(BaseModel):
    room_type_id: str
    hotel_id: str
    name: str
    base_price: MinorUnits
    currency: str
    added_at: datetime

    @classmethod
    def from_domain(cls, entry: WishlistEntry, room_type: RoomType) -> WishlistItemOut:
        return cls(
            room_type_id=room_type.id,
            hotel_id=room_type.hotel_id,
            name=room_type.name,
            base_price=room_type.base_price,
            currency=room_type.currency,
            added_at=entry.added_at,
        )


class WishlistOut(BaseModel):
    items: list[WishlistItemOut]


class ReviewBody(Request):
    rating: Annotated[int, Field(ge=1, le=5), JSON_INT]
    comment: Annotated[PlainText, Field(max_length=2000)] = ''

    model_config = ConfigDict(
        extra='forbid',
        str_strip_whitespace=True,
        json_schema_extra={'examples': [{'rating': 5, 'comment': 'Quiet room, lovely view of the river.'}]},
    )


class ReviewOut(BaseModel):
    """A review as shown publicly: no booking, user or email, only the guest's first name."""

    id: str
    room_type_id: str
    rating: int
    comment: str
    author: str
    created_at: datetime

    @classmethod
    def from_domain(cls, review: Review) -> ReviewOut:
        return cls(
            id=review.id,
            room_type_id=review.room_type_id,
            rating=review.rating,
            comment=review.comment,
            author=review.author,
            created_at=review.created_at,
        )


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: NextCursor

    @classmethod
    def from_domain(cls, page: Page[Review]) -> ReviewPage:
        return cls(items=[ReviewOut.from_domain(r) for r in page.items], next_cursor=page.next_cursor)
