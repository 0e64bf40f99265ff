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
# A new guard item of the hold (a promo code's counter...) is added here, and the longest stay
# shrinks by one: MAX_STAY_HARD_LIMIT nights (MAX_STAY_NIGHTS sets the limit below it).
TRANSACTION_ITEM_LIMIT = 100
HOLD_ITEMS_BESIDES_NIGHTS: dict[str, int] = {
    'the booking': 1,
    "the account's hold slots (MAX_ACTIVE_HOLDS_PER_USER)": 1,
    'the holds-per-account window (HOLDS_PER_USER_PER_HOUR)': 1,
    'the holds-per-client-IP window (HOLDS_PER_IP_PER_HOUR)': 1,
    "reserved: a promo code's redemption counter (issue 21)": 1,
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

    @property
    def stay(self) -> Stay:
        return Stay(self.check_in, self.check_out)

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


@dataclass(frozen=True)
class Penalty:
    """What a late cancellation keeps: ``first_night`` (the first night's price x rooms),
    ``none``, ``full_stay``, or ``percent:<0-100>`` of the amount paid (CANCELLATION_PENALTY)."""

    kind: str  # first_night | none | full_stay | percent
    percent: int = 0

    @classmethod
    def parse(cls, text: str) -> Penalty:
        if text.startswith('percent:'):
            value = int(text.removeprefix('percent:'))
            if not 0 <= value <= 100:
                raise ValueError(f'a percent penalty must be 0 to 100, not {value}')
            return cls('percent', value)
        if text not in ('first_night', 'none', 'full_stay'):
            raise ValueError(f'unknown cancellation penalty {text!r}')
        return cls(text)

    def kept(self, booking: Booking, paid: int) -> int:
        """The part of ``paid`` kept when cancelling late, never more than was paid."""
        if self.kind == 'none':
            kept = 0
        elif self.kind == 'full_stay':
            kept = paid
        elif self.kind == 'percent':
            kept = (paid * self.percent + 50) // 100  # half up, integer minor units
        else:  # first_night
            kept = booking.nightly[0].price * booking.rooms if booking.nightly else 0
        return max(0, min(kept, paid))


@dataclass(frozen=True)
class RefundQuote:
    booking_id: str
    paid: int
    amount: int
    penalty: int
    currency: str
    policy: RefundPolicy
    deadline: datetime  # last instant with a full refund
    cancellable_until: datetime  # the check-in instant


@dataclass(frozen=True)
class CancellationTerms:
    """A booking's cancellation terms as the guest is told them (the confirmation email): the
    policy itself, read off ``quote`` at the instants that matter, never restated."""

    deadline: datetime  # last instant with a full refund
    cancellable_until: datetime  # the check-in instant
    paid: int
    penalty_after_deadline: int  # kept when cancelling between the deadline and check-in
    currency: str


@dataclass(frozen=True)
class CancellationPolicy:
    """At least ``free_hours`` before the check-in instant: full refund. Later: ``penalty`` kept,
    the rest refunded. From the check-in instant on: refused (``too_late_to_cancel``)."""

    free_hours: int = 48
    penalty: Penalty = field(default_factory=lambda: Penalty('first_night'))

    def quote(self, booking: Booking, hotel: Hotel, now: datetime) -> RefundQuote:
        """What cancelling ``booking`` at ``now`` refunds and keeps."""
        # In UTC before subtracting: aware arithmetic in the hotel's zone is wall-clock arithmetic,
        # which would make "48 hours" 47 or 49 across a daylight-saving change.
        check_in_at = hotel.check_in_instant(booking.check_in).astimezone(UTC)
        deadline = check_in_at - timedelta(hours=self.free_hours)
        if now >= check_in_at:
            raise errors.TooLateToCancel(cancellable_until=check_in_at.isoformat())
        paid = booking.paid
        if paid == 0:
            policy, kept = RefundPolicy.NO_CHARGE, 0
        elif now <= deadline:
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
        )

    def terms(self, booking: Booking, hotel: Hotel) -> CancellationTerms:
        """What ``quote`` answers for a cancellation just after the free-cancellation deadline."""
        check_in_at = hotel.check_in_instant(booking.check_in).astimezone(UTC)
        deadline = check_in_at - timedelta(hours=self.free_hours)
        tick = timedelta(microseconds=1)
        # Free until check-in (free_hours 0): there is no late window, ask just before the deadline.
        at = deadline + tick if deadline + tick < check_in_at else deadline - tick
        figures = self.quote(booking, hotel, at)
        return CancellationTerms(
            figures.deadline, figures.cancellable_until, figures.paid, figures.penalty, figures.currency
        )


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
