"""Pydantic models at the HTTP edge: what clients send (strict, no unknown fields) and get back.

Request models refuse unknown fields (``extra='forbid'``), so privileged fields such as
``status``, ``role`` or ``total_amount`` can never be mass-assigned. Dates must be ISO strings
(``YYYY-MM-DD``) and JSON integers must be integers (no ``"2"`` or ``true``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from common.domain import (
    EARLIEST_DATE,
    LATEST_DATE,
    Booking,
    Hotel,
    NightPrice,
    RefundPolicy,
    RefundQuote,
    Review,
    RoomType,
    User,
    WishlistEntry,
)

if TYPE_CHECKING:  # names for signatures only: a function imports the services it calls, not all
    from common.ports import Page
    from common.services.accounts import TokenPair
    from common.services.outcomes import CheckoutResult
    from common.services.search import CalendarNight, SearchAnswer

_ISO_DATE = re.compile(r'^\d{4}-\d{2}-\d{2}$')
_EMAIL = r'^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$'
SLUG = r'^[a-z0-9][a-z0-9-]{0,62}$'


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
IsoDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_within_bounds)]
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=63)]


class Request(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)


# ------------------------------------------------------------------ requests


class HoldBody(Request):
    room_type_id: Slug
    check_in: IsoDate
    check_out: IsoDate
    guests: Annotated[StrictInt, Field(ge=1, le=100)]
    rooms: Annotated[StrictInt, Field(ge=1, le=100)] = 1

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'room_type_id': 'deluxe-king', 'check_in': '2027-03-12', 'check_out': '2027-03-15', 'guests': 2}
            ]
        },
    )


class RegisterBody(Request):
    email: Annotated[str, Field(pattern=_EMAIL, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
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
    current_password: Annotated[str, Field(max_length=256)]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]

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


class NightOut(BaseModel):
    date: date
    price: int
    rule_ids: list[str] = []

    @classmethod
    def from_domain(cls, night: NightPrice) -> NightOut:
        return cls(date=night.date, price=night.price, rule_ids=list(night.rule_ids))


class PaymentOut(BaseModel):
    payment_intent_id: str
    status: str
    amount: int
    currency: str
    last_error: str | None = None


class RefundOut(BaseModel):
    amount: int
    penalty: int
    currency: str
    status: str
    stripe_refund_id: str | None = None
    reason: str | None = None


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
    total_amount: int
    nightly: list[NightOut]
    hold_expires_at: datetime
    created_at: datetime
    updated_at: datetime
    payment: PaymentOut | None = None
    refund: RefundOut | None = None

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
            refund=RefundOut(**vars(seen.refund)) if seen.refund else None,
        )


class BookingPage(BaseModel):
    items: list[BookingOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page[Booking], now: datetime) -> BookingPage:
        return cls(items=[BookingOut.from_domain(b, now) for b in page.items], next_cursor=page.next_cursor)


class HotelOut(BaseModel):
    id: str
    name: str
    city: str
    address: str
    timezone: str
    check_in_hour: int
    currency: str

    @classmethod
    def from_domain(cls, hotel: Hotel) -> HotelOut:
        return cls(**vars(hotel))


class HotelList(BaseModel):
    items: list[HotelOut]


class RoomTypeOut(BaseModel):
    id: str
    hotel_id: str
    name: str
    description: str
    capacity: int
    base_price: int
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
    price: int
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
    total_price: int
    nightly: list[NightOut]
    restriction: str | None = None


class SearchOut(BaseModel):
    check_in: date
    check_out: date
    nights: int
    guests: int
    rooms: int
    results: list[SearchResultOut]

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
                    currency=r.quote.currency,
                    total_price=r.quote.total,
                    nightly=[NightOut.from_domain(n) for n in r.quote.nightly],
                    restriction=r.restriction,
                )
                for r in answer.results
            ],
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
            ]
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
    amount: int
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
    amount: int
    penalty: int
    paid: int
    currency: str
    policy: RefundPolicy
    deadline: datetime
    cancellable_until: datetime

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
        )


class WebhookAck(BaseModel):
    received: Literal[True] = True
    event_id: str
    type: str
    outcome: str


# ------------------------------------------------------------------ accounts

_PHONE = r'^\+?[0-9][0-9 ().-]{4,30}$'
_NOT_CHANGEABLE_HERE = ('email', 'role', 'password', 'password_hash', 'id', 'user_id', 'created_at')


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 and c not in '\n\t' for c in value) or '\x7f' in value:
        raise ValueError('must not contain control characters')
    return value


PlainText = Annotated[str, AfterValidator(_no_control_characters)]


class ProfilePatch(Request):
    """Only the fields sent change; ``null`` clears ``phone`` or ``address``. Email, role and
    password cannot be changed here: sending them is refused (422), never silently ignored."""

    name: Annotated[PlainText, Field(min_length=1, max_length=100)] | None = None
    phone: Annotated[str, Field(pattern=_PHONE, max_length=32)] | None = None
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

    @field_validator('name')
    @classmethod
    def _name_cannot_be_cleared(cls, value: str | None) -> str:
        if value is None:
            raise ValueError('name cannot be removed')
        return value

    def changes(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class WishlistAddBody(Request):
    room_type_id: Slug

    model_config = ConfigDict(extra='forbid', json_schema_extra={'examples': [{'room_type_id': 'deluxe-king'}]})


class WishlistItemOut(BaseModel):
    room_type_id: str
    hotel_id: str
    name: str
    base_price: int
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
    rating: Annotated[StrictInt, Field(ge=1, le=5)]
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
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page[Review]) -> ReviewPage:
        return cls(items=[ReviewOut.from_domain(r) for r in page.items], next_cursor=page.next_cursor)
