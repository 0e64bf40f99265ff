"""Domain entities: plain, typed values with the rules that belong to a single entity.

No storage, HTTP or environment here. Money is integer minor units plus an ISO currency code;
stay dates are ``date`` (check-out exclusive); instants are aware UTC ``datetime``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


class BookingStatus(enum.StrEnum):
    PENDING = 'PENDING'
    CONFIRMED = 'CONFIRMED'
    CANCELLED = 'CANCELLED'
    EXPIRED = 'EXPIRED'


# Statuses whose rooms are held in inventory (the inventory invariant counts these).
HOLDING_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})
# The password rule clients can read in the OpenAPI document (and the service enforces).
MIN_PASSWORD_LENGTH = 10


class Role(enum.StrEnum):
    GUEST = 'guest'
    ADMIN = 'admin'


@dataclass(frozen=True)
class Hotel:
    id: str
    name: str
    city: str
    address: str
    timezone: str
    check_in_hour: int
    currency: str
    check_out_hour: int = 11
    phone: str | None = None  # shown to guests (the confirmation email)
    notification_email: str | None = None  # where the hotel's booking notices go; never shown to guests

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, now: datetime) -> date:
        """The calendar date at the hotel right now."""
        return now.astimezone(self.tz).date()

    def check_in_instant(self, check_in: date) -> datetime:
        """The moment a stay starting on ``check_in`` begins, as an aware datetime."""
        return datetime(check_in.year, check_in.month, check_in.day, self.check_in_hour, tzinfo=self.tz)

    def check_out_instant(self, check_out: date) -> datetime:
        """The moment a stay ending on ``check_out`` ends (the check-out hour), as an aware datetime."""
        return datetime(check_out.year, check_out.month, check_out.day, self.check_out_hour, tzinfo=self.tz)


@dataclass(frozen=True)
class RoomType:
    id: str
    hotel_id: str
    name: str
    description: str
    capacity: int
    base_price: int
    currency: str
    total_rooms: int
    view_type: str | None = None
    amenities: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    rating_sum: int = 0
    review_count: int = 0
    # The allotment of nights opened from now on (room types written before it existed: None,
    # read as total_rooms).
    default_allotment: int | None = None

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.review_count, 2) if self.review_count else None

    @property
    def allotment_of_new_nights(self) -> int:
        return self.total_rooms if self.default_allotment is None else self.default_allotment

    def opening_allotment(self, night: date) -> int:
        """The allotment a night gets when it is opened (room-type creation, the daily roll of the
        sale window, an inventory PUT over a night that did not exist). The one place weekday
        allotments or recurring stop-sell dates would be read from (docs/admin.md)."""
        return self.allotment_of_new_nights


@dataclass(frozen=True)
class InventoryNight:
    room_type_id: str
    date: date
    allotment: int
    available: int
    stop_sell: bool = False

    @property
    def sellable(self) -> int:
        return 0 if self.stop_sell else max(self.available, 0)


@dataclass(frozen=True)
class Adjustment:
    type: str  # percent | amount | fixed
    value: int


@dataclass(frozen=True)
class PriceRule:
    id: str
    hotel_id: str
    name: str
    adjustment: Adjustment
    priority: int = 0
    room_type_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None  # inclusive
    weekdays: tuple[int, ...] | None = None  # ISO, 1 = Monday
    min_stay: int | None = None
    closed_to_arrival: bool = False
    # Bookkeeping, never read by the pricing engine: optimistic-concurrency version and the
    # last admin change.
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def applies_to(self, room_type_id: str, night: date) -> bool:
        if self.room_type_id is not None and self.room_type_id != room_type_id:
            return False
        if self.start_date is not None and night < self.start_date:
            return False
        if self.end_date is not None and night > self.end_date:
            return False
        return self.weekdays is None or night.isoweekday() in self.weekdays


@dataclass(frozen=True)
class NightPrice:
    date: date
    price: int
    rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stay:
    check_in: date
    check_out: date

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def dates(self) -> Iterator[date]:
        for offset in range(self.nights):
            yield self.check_in + timedelta(days=offset)


@dataclass(frozen=True)
class Payment:
    payment_intent_id: str
    status: str  # Stripe's PaymentIntent status as we last saw it
    amount: int
    currency: str
    client_secret: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Refund:
    amount: int
    penalty: int
    currency: str
    status: str
    stripe_refund_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Booking:
    id: str
    user_id: str
    hotel_id: str
    room_type_id: str
    check_in: date
    check_out: date
    guests: int
    rooms: int
    currency: str
    total_amount: int
    nightly: tuple[NightPrice, ...]
    status: BookingStatus
    hold_expires_at: datetime
    created_at: datetime
    updated_at: datetime
    payment: Payment | None = None
    refund: Refund | None = None
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stay(self) -> Stay:
        return Stay(self.check_in, self.check_out)

    def hold_has_expired(self, now: datetime) -> bool:
        return self.status is BookingStatus.PENDING and now >= self.hold_expires_at

    def effective_status(self, now: datetime) -> BookingStatus:
        """The status a client sees: an unpaid hold past its expiry is EXPIRED even before the
        sweeper has released it (the sweeper only catches the stored state up)."""
        return BookingStatus.EXPIRED if self.hold_has_expired(now) else self.status

    def as_seen_at(self, now: datetime) -> Booking:
        status = self.effective_status(now)
        return self if status is self.status else replace(self, status=status)


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling, from a verified access token."""

    user_id: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


# ------------------------------------------------------------------ accounts (issue 7)


@dataclass(frozen=True)
class Review:
    id: str
    booking_id: str
    room_type_id: str
    hotel_id: str
    user_id: str
    author: str  # the guest's first name, as shown publicly
    rating: int  # 1..5
    comment: str
    stayed_check_in: date
    created_at: datetime


@dataclass(frozen=True)
class WishlistEntry:
    room_type_id: str
    added_at: datetime
