"""Domain entities and value objects: plain, typed values with the rules that belong to them.

No storage, HTTP or environment here, and no import of ours beyond the domain (``errors``).
Money is integer minor units plus an ISO currency code; stay dates are ``date`` (check-out
exclusive); instants are aware UTC ``datetime``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from common import errors

# DynamoDB's TransactWriteItems limit is 100 items. A hold is the biggest transaction: one item
# per night plus the items below, all in ONE TransactWriteItems. A release (cancel, expiry) writes
# the nights, the booking and the account's hold slots; a late re-hold the nights and the booking.
# A new guard item of the hold is added here, and the longest stay
# shrinks by one: MAX_STAY_HARD_LIMIT nights (MAX_STAY_NIGHTS sets the limit below it).
TRANSACTION_ITEM_LIMIT = 100
HOLD_ITEMS_BESIDES_NIGHTS: dict[str, int] = {
    'the booking': 1,
    "the account's hold slots (MAX_ACTIVE_HOLDS_PER_USER)": 1,
    'the holds-per-account window (HOLDS_PER_USER_PER_HOUR)': 1,
    'the holds-per-client-IP window (HOLDS_PER_IP_PER_HOUR)': 1,
    "a promo code's uses (issue 21: max_uses)": 1,
    "a guest's uses of a promo code (issue 21: max_uses_per_guest)": 1,
}
MAX_STAY_HARD_LIMIT = TRANSACTION_ITEM_LIMIT - sum(HOLD_ITEMS_BESIDES_NIGHTS.values())

# Every date a client sends lies in this range, checked at the edge before any arithmetic (the one
# check: ``models.api.IsoDate``). Far from ``date.min``/``date.max``, so adding a sale window, a
# calendar's length or a day to any accepted date cannot overflow (a 500 otherwise); the rules that
# give dates meaning (not in the past, inside the sale window, ranges of at most a year) come after.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2999, 12, 31)


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
class PricingTerms:
    """Everything a hotel's prices depend on besides its room types (one read: a Query of the
    hotel's partition): its price rules, rate plans and taxes."""

    hotel_id: str
    rules: tuple[PriceRule, ...] = ()
    plans: tuple[RatePlan, ...] = ()
    taxes: HotelTaxes | None = None

    @property
    def tax_settings(self) -> HotelTaxes:
        return self.taxes if self.taxes is not None else HotelTaxes.none(self.hotel_id)

    def plan(self, code: str) -> RatePlan | None:
        return next((p for p in self.plans if p.code == code), None)


@dataclass(frozen=True)
class NightPrice:
    """One night of a stay as it was priced (docs/pricing.md).

    ``price`` is the rate of one room (the price rules, then the rate plan's derivation), in the
    hotel's convention: VAT included or not (``VatTerms.included``). ``supplement`` is what the
    plan adds per guest for the whole party (meals), ``discount`` the promo code's share of the
    night, ``vat`` the VAT of the night's amount (inside it, or added to it)."""

    date: date
    price: int
    rule_ids: tuple[str, ...] = ()
    supplement: int = 0
    discount: int = 0
    vat: int = 0

    def amount(self, rooms: int) -> int:
        """The night's room charge for every room, before VAT is added (when it is added)."""
        return self.price * rooms + self.supplement - self.discount


@dataclass(frozen=True)
class FeeLine:
    """A fee charged once per stay (or once per room of the stay), as entered, with its VAT."""

    code: str
    name: str
    amount: int
    vat: int = 0


@dataclass(frozen=True)
class VatTerms:
    """The VAT of a stay: ``rate`` in basis points (600 = 6 %); ``included``: prices are entered
    with VAT inside them (the guest pays them as shown) or without (VAT is added)."""

    rate: int
    included: bool


@dataclass(frozen=True)
class CityTaxCharge:
    """A city tax per taxed guest per night: ``guests`` taxed (children exempt by age when their
    ages are given), ``nights`` charged (the stay, capped)."""

    per_guest_night: int
    guests: int
    nights: int

    @property
    def amount(self) -> int:
        return self.per_guest_night * self.guests * self.nights


@dataclass(frozen=True)
class AppliedPromo:
    """A promo code as it was applied to a stay: what it takes off the room charge."""

    code: str
    kind: str  # percent | amount
    value: int
    discount: int
    # The code limits each guest's uses: the hold also took one of this guest's uses (and a
    # release gives it back).
    guest_limited: bool = False


@dataclass(frozen=True)
class StayPrice:
    """Everything a stay costs, as one value: the nights, the fees, VAT, city tax and a promo.

    The one definition of the total a guest sees and is charged (the PaymentIntent's amount)::

        total = room charge + fees + VAT (when not included) + city tax

    Every part is integer minor units; each rounding happens once, where docs/pricing.md says."""

    currency: str
    rooms: int
    nightly: tuple[NightPrice, ...]
    fees: tuple[FeeLine, ...] = ()
    vat: VatTerms | None = None
    city_tax: CityTaxCharge | None = None
    promo: AppliedPromo | None = None

    @property
    def room_charge(self) -> int:
        return sum(n.amount(self.rooms) for n in self.nightly)

    @property
    def discount(self) -> int:
        return sum(n.discount for n in self.nightly)

    @property
    def fees_total(self) -> int:
        return sum(f.amount for f in self.fees)

    @property
    def vat_total(self) -> int:
        return sum(n.vat for n in self.nightly) + sum(f.vat for f in self.fees)

    @property
    def vat_included(self) -> bool:
        return self.vat is None or self.vat.included

    @property
    def vat_added(self) -> int:
        return 0 if self.vat_included else self.vat_total

    @property
    def city_tax_amount(self) -> int:
        return self.city_tax.amount if self.city_tax is not None else 0

    @property
    def total(self) -> int:
        return self.room_charge + self.fees_total + self.vat_added + self.city_tax_amount

    def night_revenue(self, night: NightPrice) -> int:
        """Room revenue of a night without taxes: its amount less the VAT inside it."""
        return night.amount(self.rooms) - (night.vat if self.vat_included else 0)

    @property
    def room_revenue(self) -> int:
        return sum(self.night_revenue(n) for n in self.nightly)

    @property
    def first_night_charge(self) -> int:
        """What the first night costs the guest, VAT included (the ``first_night`` penalty)."""
        if not self.nightly:
            return 0
        first = self.nightly[0]
        return first.amount(self.rooms) + (0 if self.vat_included else first.vat)

    @property
    def keepable(self) -> int:
        """What a hotel may keep of this stay if it is cancelled: everything but the city tax
        (no night is stayed: a stay cannot be cancelled once it has begun)."""
        return self.total - self.city_tax_amount


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


class IntentStatus(enum.StrEnum):
    """The PaymentIntent statuses the engine acts on (Stripe has a few more: they are kept as
    Stripe says them, ``Payment.status`` is a plain string)."""

    SUCCEEDED = 'succeeded'
    CANCELED = 'canceled'
    PROCESSING = 'processing'


@dataclass(frozen=True)
class Payment:
    payment_intent_id: str
    status: str  # Stripe's PaymentIntent status as we last saw it
    amount: int
    currency: str
    client_secret: str | None = None
    last_error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == IntentStatus.SUCCEEDED


class RefundStatus(enum.StrEnum):
    """A booking's refund: ``pending`` until it exists at Stripe (owed), then Stripe's own status."""

    PENDING = 'pending'
    NOT_REQUIRED = 'not_required'  # cancelled late with nothing left to give back
    REQUIRES_ACTION = 'requires_action'
    SUCCEEDED = 'succeeded'
    FAILED = 'failed'
    CANCELED = 'canceled'


# Refund statuses at Stripe that returned no money.
NOT_REFUNDED = frozenset({RefundStatus.FAILED, RefundStatus.CANCELED})


# The order a refund's status may move in: Stripe's events arrive in any order and two of them may
# be processed at once, so a status only ever moves to a later rank (a succeeded refund can still
# fail later at the bank; nothing comes after failed or canceled).
REFUND_STATUS_RANK = {
    RefundStatus.PENDING: 0,
    RefundStatus.REQUIRES_ACTION: 1,
    RefundStatus.NOT_REQUIRED: 2,
    RefundStatus.SUCCEEDED: 2,
    RefundStatus.FAILED: 3,
    RefundStatus.CANCELED: 3,
}


def refund_statuses_before(status: RefundStatus) -> frozenset[RefundStatus]:
    """The statuses a refund may be in for ``status`` to be recorded over it."""
    return frozenset(s for s, rank in REFUND_STATUS_RANK.items() if rank < REFUND_STATUS_RANK[status])


@dataclass(frozen=True)
class Refund:
    """The refund the engine decided for a booking: ``amount`` given back and ``penalty`` kept
    (with ``Booking.refunded_outside``, they add up to what was paid)."""

    amount: int
    penalty: int
    currency: str
    status: RefundStatus
    stripe_refund_id: str | None = None
    reason: str | None = None
    # Bumped after Stripe answered a 5xx to creating it: Stripe replays a stored 5xx for the same
    # idempotency key for a day, so the next attempt (after looking for a refund the failed one
    # might have made) sends a fresh key.
    key_version: int = 0


class Work(enum.StrEnum):
    """Work the sweeper owes a booking after the request that decided it (its follow-up)."""

    REFUND = 'refund'  # a refund owed: make it at Stripe
    OPEN_INTENT = 'open_intent'  # a PaymentIntent left open when the hold ended: cancel it, or apply its payment


@dataclass(frozen=True)
class Followup:
    """A booking's place in the sweeper's outbox: what is owed, from when, how often it failed."""

    work: Work
    due_at: datetime
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class Attention:
    """Money a person has to look at: the engine stopped retrying (Stripe refuses for good, e.g. a
    disputed or already refunded charge). Alarmed when set, listed by the reconciler every day."""

    work: Work
    reason: str
    since: datetime


# Stripe's dispute statuses after which nothing more happens.
DISPUTE_CLOSED = frozenset({'won', 'lost', 'warning_closed', 'charge_refunded'})


@dataclass(frozen=True)
class Dispute:
    """A chargeback the guest's bank opened on the booking's payment (``charge.dispute.*``)."""

    id: str
    status: str  # Stripe's: needs_response, under_review, won, lost...
    reason: str
    amount: int
    currency: str
    updated_at: datetime

    @property
    def closed(self) -> bool:
        return self.status in DISPUTE_CLOSED


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
    followup: Followup | None = None  # work the sweeper owes it (services/followups.py)
    attention: Attention | None = None  # money a person has to look at
    dispute: Dispute | None = None  # the latest chargeback on its payment
    # Refunds of its payment made outside the engine (the Stripe Dashboard), as last read from
    # Stripe: a partial one on a CONFIRMED booking, or found when the engine made its own.
    refunded_outside: int = 0
    # Bumped after Stripe answered a 5xx to creating the PaymentIntent (see ``Refund.key_version``).
    intent_key_version: int = 0
    # Took one of its account's hold slots when it was made (MAX_ACTIVE_HOLDS_PER_USER): the
    # transaction that moves it out of PENDING gives the slot back. Set once, never changed.
    hold_slot: bool = False
    # What the stay was priced with, locked when the booking was made (docs/pricing.md). Bookings
    # made before rate plans and taxes have none of these: their total is the nights alone, and
    # their terms are the engine's default policy.
    fees: tuple[FeeLine, ...] = ()
    vat: VatTerms | None = None
    city_tax: CityTaxCharge | None = None
    promo: AppliedPromo | None = None
    terms: BookingTerms | None = None

    @property
    def stay(self) -> Stay:
        return Stay(self.check_in, self.check_out)

    @property
    def price(self) -> StayPrice:
        """The stay's price as it was locked (its ``total`` is ``total_amount``)."""
        return StayPrice(
            currency=self.currency,
            rooms=self.rooms,
            nightly=self.nightly,
            fees=self.fees,
            vat=self.vat,
            city_tax=self.city_tax,
            promo=self.promo,
        )

    @property
    def rate_plan_id(self) -> str | None:
        return self.terms.rate_plan_id if self.terms is not None else None

    def hold_has_expired(self, now: datetime) -> bool:
        return self.status is BookingStatus.PENDING and now >= self.hold_expires_at

    @property
    def slot(self) -> HeldSlot:
        return HeldSlot(self.hold_expires_at, self.id)

    def effective_status(self, now: datetime) -> BookingStatus:
        """The status a client sees: an unpaid hold past its expiry is EXPIRED even before the
        sweeper has released it (the sweeper only catches the stored state up)."""
        return BookingStatus.EXPIRED if self.hold_has_expired(now) else self.status

    def as_seen_at(self, now: datetime) -> Booking:
        status = self.effective_status(now)
        return self if status is self.status else replace(self, status=status)

    @property
    def paid(self) -> int:
        """What the guest paid: the PaymentIntent's amount once it succeeded, else 0."""
        return self.payment.amount if self.payment is not None and self.payment.succeeded else 0


@dataclass(frozen=True, order=True)
class HeldSlot:
    """One of an account's hold slots in use: a PENDING hold and the instant it expires."""

    expires_at: datetime
    booking_id: str


def refund_owed(booking: Booking) -> bool:
    """The booking records a refund that does not exist at Stripe yet (decided, not yet made).

    The one definition: ``pending`` is also a status Stripe gives a refund it has created, so
    the missing Stripe id is what says "owed"."""
    refund = booking.refund
    return refund is not None and refund.status is RefundStatus.PENDING and not refund.stripe_refund_id


def has_stripe_refund(booking: Booking) -> bool:
    return booking.refund is not None and bool(booking.refund.stripe_refund_id)


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
    session: str = field(default='', compare=False)  # the sign-in session (token ``fam``) it came with

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


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


# ------------------------------------------------------------------ cancellation policy


class RefundPolicy(enum.StrEnum):
    """Which branch of the cancellation rule applies (DESIGN §9)."""

    FULL_REFUND = 'full_refund'
    LATE_CANCELLATION = 'late_cancellation'
    NO_CHARGE = 'no_charge'
    NON_REFUNDABLE = 'non_refundable'


class PenaltyKind(enum.StrEnum):
    FIRST_NIGHT = 'first_night'
    NONE = 'none'
    FULL_STAY = 'full_stay'
    PERCENT = 'percent'


@dataclass(frozen=True)
class Penalty:
    """What a late cancellation keeps: ``first_night`` (the first night's charge, VAT included, for
    every room), ``none``, ``full_stay``, or ``percent:<0-100>`` of the stay. Never the city tax
    (a cancelled stay has no night stayed) and never more than was paid (``StayPrice.keepable``)."""

    kind: str  # a PenaltyKind
    percent: int = 0

    @classmethod
    def parse(cls, text: str) -> Penalty:
        if text.startswith('percent:'):
            value = int(text.removeprefix('percent:'))
            if not 0 <= value <= 100:
                raise ValueError(f'a percent penalty must be 0 to 100, not {value}')
            return cls(PenaltyKind.PERCENT, value)
        if text not in (PenaltyKind.FIRST_NIGHT, PenaltyKind.NONE, PenaltyKind.FULL_STAY):
            raise ValueError(f'unknown cancellation penalty {text!r}')
        return cls(PenaltyKind(text))

    def __str__(self) -> str:
        return f'percent:{self.percent}' if self.kind == PenaltyKind.PERCENT else str(self.kind)

    def amount(self, price: StayPrice, paid: int | None = None) -> int:
        """What this penalty keeps of a stay priced ``price`` of which ``paid`` was paid (default:
        its total): never the city tax, never more than was paid."""
        paid = price.total if paid is None else paid
        keepable = max(0, min(paid, paid - price.city_tax_amount))
        if self.kind == PenaltyKind.NONE:
            kept = 0
        elif self.kind == PenaltyKind.FULL_STAY:
            kept = keepable
        elif self.kind == PenaltyKind.PERCENT:
            kept = (keepable * self.percent + 50) // 100  # half up, integer minor units
        else:  # first_night
            kept = price.first_night_charge
        return max(0, min(kept, keepable))

    def kept(self, booking: Booking, paid: int) -> int:
        """The part of ``paid`` kept when ``booking`` is cancelled late."""
        return self.amount(booking.price, paid)


@dataclass(frozen=True)
class RefundQuote:
    booking_id: str
    paid: int
    amount: int
    penalty: int
    currency: str
    policy: RefundPolicy
    deadline: datetime | None  # last instant with a full refund (None: non-refundable)
    cancellable_until: datetime  # the check-in instant
    city_tax: int = 0  # of the amount refunded: the city tax, always given back


@dataclass(frozen=True)
class CancellationTerms:
    """A booking's cancellation terms as the guest is told them (the confirmation email): the
    policy itself, read off ``quote`` at the instants that matter, never restated."""

    deadline: datetime | None  # last instant with a full refund (None: non-refundable)
    cancellable_until: datetime  # the check-in instant
    paid: int
    penalty_after_deadline: int  # kept when cancelling between the deadline and check-in
    currency: str


@dataclass(frozen=True)
class CancellationPolicy:
    """At least ``free_hours`` before the check-in instant: full refund. Later: ``penalty`` kept,
    the rest refunded. From the check-in instant on: refused (``too_late_to_cancel``).
    Not ``refundable``: a cancellation releases the rooms and keeps the whole stay (the city tax
    excepted) at any time."""

    free_hours: int = 48
    penalty: Penalty = field(default_factory=lambda: Penalty(PenaltyKind.FIRST_NIGHT))
    refundable: bool = True

    @classmethod
    def non_refundable(cls) -> CancellationPolicy:
        return cls(0, Penalty(PenaltyKind.FULL_STAY), refundable=False)

    def deadline(self, hotel: Hotel, check_in: date) -> datetime | None:
        """The last instant a cancellation is free (None: never)."""
        if not self.refundable:
            return None
        # In UTC before subtracting: aware arithmetic in the hotel's zone is wall-clock arithmetic,
        # which would make "48 hours" 47 or 49 across a daylight-saving change.
        return hotel.check_in_instant(check_in).astimezone(UTC) - timedelta(hours=self.free_hours)

    def free_until(self, hotel: Hotel, check_in: date, now: datetime) -> datetime | None:
        """The deadline of a stay booked at ``now``, or None if cancelling it is never free."""
        deadline = self.deadline(hotel, check_in)
        return deadline if deadline is not None and now <= deadline else None

    def quote(self, booking: Booking, hotel: Hotel, now: datetime) -> RefundQuote:
        """What cancelling ``booking`` at ``now`` refunds and keeps."""
        check_in_at = hotel.check_in_instant(booking.check_in).astimezone(UTC)
        deadline = self.deadline(hotel, booking.check_in)
        if now >= check_in_at:
            raise errors.TooLateToCancel(cancellable_until=check_in_at.isoformat())
        paid = booking.paid
        if paid == 0:
            policy, kept = RefundPolicy.NO_CHARGE, 0
        elif not self.refundable:
            policy, kept = RefundPolicy.NON_REFUNDABLE, Penalty(PenaltyKind.FULL_STAY).kept(booking, paid)
        elif deadline is not None and now <= deadline:
            policy, kept = RefundPolicy.FULL_REFUND, 0
        else:
            policy, kept = RefundPolicy.LATE_CANCELLATION, self.penalty.kept(booking, paid)
        # What staff already gave back outside the engine counts towards the refund: the guest gets
        # the policy's refund in all (or what they already have, if more), the hotel keeps at most
        # the penalty.
        given_back = min(booking.refunded_outside, paid)
        amount = max(paid - kept - given_back, 0)
        return RefundQuote(
            booking_id=booking.id,
            paid=paid,
            amount=amount,
            penalty=paid - given_back - amount,
            currency=booking.currency,
            policy=policy,
            deadline=deadline,
            cancellable_until=check_in_at,
            city_tax=min(booking.price.city_tax_amount, paid - kept),
        )

    def penalties(self, booking: Booking, paid: int) -> set[int]:
        """Every penalty this policy can keep of ``booking`` (the auditor's check)."""
        if not self.refundable:
            return {Penalty(PenaltyKind.FULL_STAY).kept(booking, paid)}
        return {0, self.penalty.kept(booking, paid)}

    def terms(self, booking: Booking, hotel: Hotel) -> CancellationTerms:
        """What ``quote`` answers for a cancellation just after the free-cancellation deadline."""
        check_in_at = hotel.check_in_instant(booking.check_in).astimezone(UTC)
        deadline = check_in_at - timedelta(hours=self.free_hours)
        tick = timedelta(microseconds=1)
        # Free until check-in (free_hours 0): there is no late window, ask just before the deadline.
        at = deadline + tick if deadline + tick < check_in_at else deadline - tick
        figures = self.quote(booking, hotel, at)  # non-refundable: deadline None
        return CancellationTerms(
            figures.deadline, figures.cancellable_until, figures.paid, figures.penalty, figures.currency
        )


# ------------------------------------------------------------------ rate plans


class MealPlan(enum.StrEnum):
    ROOM_ONLY = 'room_only'
    BREAKFAST = 'breakfast'
    HALF_BOARD = 'half_board'
    FULL_BOARD = 'full_board'


class Prepayment(enum.StrEnum):
    """When the guest pays. Only ``full`` (the whole stay at booking, the one Stripe checkout
    supports today); a deposit with the rest charged before arrival is not built (docs/pricing.md)."""

    FULL = 'full'


class DerivationType(enum.StrEnum):
    PERCENT = 'percent'  # the parent's night (rate and supplements) x (100 + value) / 100
    AMOUNT = 'amount'  # + value per room per night
    PER_GUEST = 'per_guest'  # + value per guest per night (meals), on the supplement


@dataclass(frozen=True)
class Derivation:
    """How a derived plan's nights follow its parent's (docs/pricing.md)."""

    type: str  # a DerivationType
    value: int


@dataclass(frozen=True)
class PlanRestrictions:
    """When a plan can be booked. Days in advance count from the hotel's today to check-in."""

    min_advance_days: int | None = None
    max_advance_days: int | None = None
    min_stay: int | None = None
    max_stay: int | None = None
    closed_to_arrival: tuple[int, ...] = ()  # ISO weekdays (1 = Monday) no stay may start on
    closed_to_departure: tuple[int, ...] = ()  # ISO weekdays no stay may end on


@dataclass(frozen=True)
class RatePlan:
    """A way to sell a room type: its price (the room type's, or derived from a parent plan), its
    cancellation and prepayment terms, its restrictions. Identified by ``code`` within its hotel;
    ``room_type_id`` None: every room type of the hotel."""

    hotel_id: str
    code: str
    name: str
    description: str = ''
    room_type_id: str | None = None
    meal_plan: str = MealPlan.ROOM_ONLY
    cancellation: CancellationPolicy = field(default_factory=CancellationPolicy)
    prepayment: str = Prepayment.FULL
    restrictions: PlanRestrictions = field(default_factory=PlanRestrictions)
    active: bool = True
    is_default: bool = False
    parent_code: str | None = None
    derivation: Derivation | None = None
    # Bookkeeping: optimistic-concurrency version, the last admin change, plans derived from it.
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None
    children: int = 0

    def applies_to(self, room_type_id: str) -> bool:
        return self.room_type_id is None or self.room_type_id == room_type_id

    def terms(self) -> BookingTerms:
        return BookingTerms(self.code, self.name, self.meal_plan, self.cancellation, self.prepayment)


@dataclass(frozen=True)
class BookingTerms:
    """A rate plan's terms as a booking keeps them: a later edit of the plan never changes them."""

    rate_plan_id: str  # the plan's code
    name: str
    meal_plan: str
    cancellation: CancellationPolicy
    prepayment: str = Prepayment.FULL


# ------------------------------------------------------------------ promo codes and taxes


class PromoKind(enum.StrEnum):
    PERCENT = 'percent'
    AMOUNT = 'amount'  # minor units off the stay's room charge


@dataclass(frozen=True)
class PromoCode:
    """A hotel's promo code (``code`` upper-case; guests type it in any case). Validity: booked
    from ``valid_from`` to ``valid_until`` (dates at the hotel, inclusive), for stays inside
    ``stay_from``..``stay_until`` (every night), of at least ``min_nights``, on the listed plans
    (empty: every plan). ``uses`` moves only in the transactions that hold and release stays."""

    hotel_id: str
    code: str
    kind: str  # a PromoKind
    value: int
    description: str = ''
    valid_from: date | None = None
    valid_until: date | None = None
    stay_from: date | None = None
    stay_until: date | None = None
    min_nights: int | None = None
    rate_plans: tuple[str, ...] = ()
    max_uses: int | None = None
    max_uses_per_guest: int | None = None
    active: bool = True
    uses: int = 0
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class PromoUse:
    """What a hold takes of a promo code, in its own transaction (and gives back on release)."""

    hotel_id: str
    code: str
    user_id: str
    max_uses: int | None
    max_uses_per_guest: int | None


@dataclass(frozen=True)
class CityTax:
    """A city tax per adult per night: at most ``max_nights`` nights of a stay are taxed; guests
    younger than ``exempt_under_age`` are exempt when their ages are given."""

    per_guest_night: int
    max_nights: int | None = None
    exempt_under_age: int | None = None


@dataclass(frozen=True)
class Fee:
    """A fee per stay: once per booking (``per`` = ``stay``) or once per room (``room``)."""

    code: str
    name: str
    amount: int
    per: str = 'stay'  # stay | room


@dataclass(frozen=True)
class HotelTaxes:
    """How a hotel's prices are taxed: VAT (basis points; prices entered with it or without), a
    city tax, fees. A hotel without any is taxed nothing (``HotelTaxes.none``)."""

    hotel_id: str
    vat_rate: int = 0  # basis points: 600 = 6 %
    prices_include_vat: bool = True
    city_tax: CityTax | None = None
    fees: tuple[Fee, ...] = ()
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def none(cls, hotel_id: str) -> HotelTaxes:
        return cls(hotel_id)


# ------------------------------------------------------------------ what Stripe tells us


@dataclass(frozen=True)
class PaymentIntent:
    """A Stripe PaymentIntent as far as bookings care."""

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    last_error: str | None = None
    amount_received: int | None = None  # what Stripe took (None where Stripe does not say: localstripe)
    livemode: bool = False  # a live-mode intent (real money) or a test-mode one

    @property
    def succeeded(self) -> bool:
        return self.status == IntentStatus.SUCCEEDED

    @property
    def received(self) -> int:
        """The money taken: ``amount_received``, else (an emulator that omits it) ``amount``."""
        return self.amount if self.amount_received is None else self.amount_received


@dataclass(frozen=True)
class StripeRefund:
    id: str
    status: RefundStatus
    amount: int
    currency: str
    payment_intent: str | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StripeEvent:
    """A verified webhook event: ``object`` is ``data.object`` as a plain dict."""

    id: str
    type: str
    created: int
    livemode: bool
    object: dict[str, Any]


EVENT_SOURCE = 'hotel-booking'  # the ``source`` of every integration event on the bus
# The ``detail-type`` of the integration events (docs/events.md).
BOOKING_HELD = 'BookingHeld'
BOOKING_CONFIRMED = 'BookingConfirmed'
BOOKING_CANCELLED = 'BookingCancelled'
BOOKING_EXPIRED = 'BookingExpired'
REFUND_ISSUED = 'RefundIssued'


@dataclass(frozen=True)
class IntegrationEvent:
    """A committed booking change published to the event bus (see docs/events.md)."""

    detail_type: str
    detail: dict[str, Any]
