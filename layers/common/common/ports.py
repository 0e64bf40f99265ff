"""The ports: what services need from storage and from the outside world, as typing Protocols.

Services are written against these and receive the implementations in ``Deps`` (services/deps.py):
DynamoDB repositories (``common.repos``), the Stripe and EventBridge gateways
(``common.gateways``), tokens and password hashing (``common.security``); in unit tests the
in-memory fakes of ``tests/fakes.py``, which a contract test runs against the same cases as the
DynamoDB repositories so the two cannot drift.

Every method raises domain errors (``common.errors``), never a storage or SDK error.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

from common import errors
from common.domain import (
    Attention,
    Booking,
    BookingStatus,
    Dispute,
    Followup,
    HeldSlot,
    Hotel,
    HotelTaxes,
    IntegrationEvent,
    InventoryNight,
    Payment,
    PaymentIntent,
    PriceRule,
    PricingTerms,
    Principal,
    PromoCode,
    PromoUse,
    RatePlan,
    Refund,
    RefundStatus,
    Review,
    Role,
    RoomType,
    StripeEvent,
    StripeRefund,
    User,
    WishlistEntry,
    Work,
)
from common.migration import Change, Item, ItemFilter, Key, MigrationState

T = TypeVar('T')


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class Anything(enum.Enum):
    """No expectation, for an optional guard whose ``None`` already means "nothing stored"."""

    ANY = 'any'


ANY: Literal[Anything.ANY] = Anything.ANY


@dataclass(frozen=True)
class NightChange:
    """One night's new allotment and stop-sell, planned from a consistent read of ``before``
    (None: the night does not exist yet and is opened with ``available = allotment``)."""

    night: date
    allotment: int
    stop_sell: bool
    before: InventoryNight | None

    @property
    def delta(self) -> int:
        return self.allotment - (self.before.allotment if self.before else 0)


@dataclass(frozen=True)
class HoldSlot:
    """A guard of a hold's transaction: one of the account's ``cap`` hold slots. Taken with the
    booking (refused when all are in use) and given back by the transaction that moves the
    booking out of PENDING (confirmed, cancelled or expired), so it is given back exactly once."""

    user_id: str
    cap: int


@dataclass(frozen=True)
class WindowHit:
    """A guard of a hold's transaction: one hit on a fixed-window limit counter (the same counter
    ``LimitCounters.take`` moves), refused when the window already holds ``limit`` hits."""

    scope: str
    subject_hash: str
    window_start: int
    limit: int
    expires_at: int  # epoch seconds, the counter's TTL


# What a hold's transaction can be guarded by besides its nights. Each is one more item of the
# transaction: see domain.HOLD_ITEMS_BESIDES_NIGHTS.
HoldGuard = HoldSlot | WindowHit


class GuardRefused(errors.Conflict):
    """A guard of a hold's transaction did not hold, so nothing was written. Services turn it into
    the caller's answer; ``guard`` is the one that failed (the first, in the order given)."""

    def __init__(self, guard: HoldGuard) -> None:
        super().__init__(f'{type(guard).__name__} refused')
        self.guard = guard


class SlotsInUse(GuardRefused):
    """Every hold slot of the account is in use; ``held`` are the holds using them, oldest first."""

    def __init__(self, guard: HoldSlot, held: Sequence[HeldSlot]) -> None:
        super().__init__(guard)
        self.held = sorted(held)


@dataclass(frozen=True)
class NewNight:
    """A night to open (if it does not exist yet) with its room type's opening allotment."""

    room_type: RoomType
    night: date


@dataclass(frozen=True)
class PassProgress:
    """The daily housekeeping pass (UTC ``day``, started at ``run_at``): room types up to ``cursor``
    (their listing key) are done. ``since``: the instant of the last finished pass before it (None:
    this pass reads every window)."""

    day: date
    run_at: datetime
    since: datetime | None = None
    cursor: str = ''
    complete: bool = False
    room_types: int = 0
    nights_opened: int = 0
    short: int = 0


@dataclass(frozen=True)
class ReconcileProgress:
    """The daily reconciliation pass (UTC ``day``, started at ``run_at``): ``pages`` pages of
    bookings by arrival are done, the next run continues at ``cursor``; what it found so far:
    ``at_risk`` bookings whose money and status disagree, ``amounts`` their payments by currency."""

    day: date
    run_at: datetime
    cursor: str = ''
    pages: int = 0
    complete: bool = False
    examined: int = 0
    at_risk: int = 0
    amounts: Mapping[str, int] = field(default_factory=dict)


class EventClaim(enum.StrEnum):
    CLAIMED = 'claimed'  # ours to process
    DONE = 'done'  # processed before: a duplicate delivery
    IN_PROGRESS = 'in_progress'  # another delivery holds it


# Fields of a hotel, a room type and a profile that a partial update may set (None removes an
# optional one). Anything else is a programming error, refused before any write.
HOTEL_FIELDS = frozenset(
    {
        'name',
        'city',
        'address',
        'timezone',
        'check_in_hour',
        'check_out_hour',
        'currency',
        'phone',
        'notification_email',
    }
)
ROOM_TYPE_FIELDS = frozenset(
    {
        'name',
        'description',
        'capacity',
        'base_price',
        'total_rooms',
        'default_allotment',
        'view_type',
        'amenities',
        'images',
    }
)
PROFILE_FIELDS = frozenset({'name', 'phone', 'address'})


class CatalogRepository(Protocol):
    """Hotels, room types and price rules (read-mostly; services cache reads, see CatalogCache)."""

    def get_hotel(self, hotel_id: str) -> Hotel: ...
    def list_hotels(self) -> list[Hotel]: ...
    def put_hotel(self, hotel: Hotel, *, create: bool) -> None: ...
    def update_hotel(self, hotel_id: str, changes: Mapping[str, Any]) -> Hotel: ...
    def delete_hotel(self, hotel_id: str) -> None: ...

    def get_room_type(self, room_type_id: str) -> RoomType: ...
    def list_room_types(self) -> list[RoomType]: ...
    def room_types_after(self, cursor: str) -> Iterator[tuple[str, RoomType]]:
        """Every room type after ``cursor`` in listing-key order (``{hotel_id}#{room_type_id}``),
        with its key; paged lazily."""
        ...

    def put_room_type(self, room_type: RoomType, *, create: bool) -> None: ...
    def update_room_type(self, room_type_id: str, changes: Mapping[str, Any]) -> RoomType: ...
    def delete_room_type(self, room_type: RoomType, nights: Sequence[InventoryNight]) -> None: ...

    def list_rules(self, hotel_id: str) -> list[PriceRule]: ...
    def get_rule(self, rule_id: str) -> PriceRule: ...
    def put_rule(self, rule: PriceRule, *, create: bool = False) -> None: ...
    def replace_rule(self, rule: PriceRule, expected_version: int) -> None: ...
    def delete_rule(self, hotel_id: str, rule_id: str) -> None: ...

    def pricing_terms(self, hotel_id: str) -> PricingTerms: ...
    def list_plans(self, hotel_id: str) -> list[RatePlan]: ...
    def get_plan(self, hotel_id: str, code: str) -> RatePlan: ...
    def create_plan(self, plan: RatePlan) -> None: ...
    def replace_plan(self, plan: RatePlan, expected_version: int) -> None: ...
    def delete_plan(self, plan: RatePlan) -> None: ...
    def get_taxes(self, hotel_id: str) -> HotelTaxes: ...
    def put_taxes(self, taxes: HotelTaxes, expected_version: int) -> None: ...


class PromoRepository(Protocol):
    """A hotel's promo codes. ``uses`` moves only in the booking transactions that hold and
    release stays (``BookingRepository.create_hold`` / ``transition``)."""

    def list(self, hotel_id: str) -> list[PromoCode]: ...
    def get(self, hotel_id: str, code: str) -> PromoCode: ...
    def find(self, hotel_id: str, code: str) -> PromoCode | None: ...
    def guest_uses(self, hotel_id: str, code: str, user_id: str) -> int: ...
    def create(self, value: PromoCode) -> None: ...
    def replace(self, value: PromoCode, expected_version: int) -> None: ...
    def delete(self, hotel_id: str, code: str) -> None: ...
    def delete_all(self, hotel_id: str) -> None: ...


class InventoryRepository(Protocol):
    """Per-night inventory. ``available`` only moves in guarded writes (here and in bookings)."""

    def nights(
        self, room_type_id: str, start: date, end: date, *, consistent: bool = False
    ) -> list[InventoryNight]: ...
    def all_nights(self, room_type_id: str) -> list[InventoryNight]: ...
    def existing_nights(self, room_type_id: str, first: date, last: date, *, consistent: bool = False) -> set[date]:
        """The nights from ``first`` to ``last`` (both included) that exist."""
        ...

    def open_nights(self, nights: Sequence[NewNight]) -> list[bool]:
        """Create the nights that do not exist yet, each with its room type's opening allotment; for
        each, whether this call created it (a night that exists is never touched: a hold on it stays)."""
        ...

    def open_fresh(self, room_type: RoomType, first: date, last: date) -> int:
        """Write every night ``first`` to ``last`` of a room type created a moment ago that nothing
        else can see yet (the demo seed, test setup): unguarded, so never for a room type in use."""
        ...

    def apply(self, room_type: RoomType, changes: Sequence[NightChange]) -> None: ...
    def scan(self) -> Iterable[InventoryNight]: ...


class BookingRepository(Protocol):
    """Bookings, and the inventory they take and give back (in the same transaction)."""

    def create_hold(
        self, booking: Booking, guards: Sequence[HoldGuard] = (), promo: PromoUse | None = None
    ) -> None: ...
    def get(self, booking_id: str, *, consistent: bool = True) -> Booking: ...
    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> Page[Booking]: ...
    def transition(
        self,
        booking: Booking,
        expected: Sequence[BookingStatus],
        new_status: BookingStatus,
        now: datetime,
        *,
        release_rooms: bool = False,
        take_rooms: bool = False,
        expect_payment_intent: str | Anything | None = ANY,
        expect_no_refund: bool = False,
        payment: Payment | None = None,
        refund: Refund | None = None,
        give_back_promo: bool = False,
        take_promo: PromoUse | None = None,
        followup: Followup | Anything | None = ANY,
        refunded_outside: int | None = None,
    ) -> None: ...
    def attach_payment(self, booking_id: str, payment: Payment, now: datetime) -> bool: ...
    def bump_intent_key(self, booking_id: str, version: int) -> bool: ...
    def claim_refund(self, booking_id: str, now: datetime, lease_seconds: int) -> str | None: ...
    def release_refund_claim(self, booking_id: str, lease: str) -> None: ...
    def bump_refund_key(self, booking_id: str, lease: str) -> bool: ...
    def record_refund(
        self, booking_id: str, lease: str, refund: Refund, refunded_outside: int, now: datetime
    ) -> bool: ...
    def update_refund_status(
        self, booking_id: str, stripe_refund_id: str, status: RefundStatus, now: datetime
    ) -> bool: ...
    def record_dispute(self, booking_id: str, dispute: Dispute) -> bool: ...
    def record_refunded_outside(self, booking_id: str, amount: int, penalty: int | None, now: datetime) -> bool: ...
    def due_holds(self, now: datetime, page_size: int) -> Iterator[list[Booking]]: ...
    def due_followups(self, work: Work, now: datetime, page_size: int) -> Iterator[list[str]]: ...
    def reschedule(self, booking_id: str, followup: Followup, attempts_were: int) -> bool: ...
    def finish_followup(self, booking_id: str, work: Work) -> bool: ...
    def flag_attention(self, booking_id: str, attention: Attention) -> bool: ...
    def due_holds_on(self, room_type_ids: Collection[str], start: date, end: date, now: datetime) -> list[Booking]: ...
    def hold_slots(self, user_id: str) -> list[HeldSlot]: ...
    def drop_hold_slots(self, user_id: str, slots: Sequence[HeldSlot]) -> None: ...
    def scan_hold_slots(self) -> Iterable[tuple[str, list[HeldSlot]]]: ...
    def list_by_arrival(
        self,
        hotel_ids: Collection[str],
        start: date,
        end: date,
        *,
        now: datetime,
        statuses: frozenset[BookingStatus] | None = None,
        room_type_id: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page[Booking]:
        """The bookings of these hotels checking in from ``start`` to ``end`` (exclusive), by
        check-in then id. Reads one index partition per hotel and month: name only the hotels
        wanted (docs/data-model.md, "Sharded arrivals")."""
        ...

    def holding_rooms(
        self, hotel_ids: Collection[str], start: date, end: date, *, room_type_id: str | None = None
    ) -> list[Booking]: ...
    def scan(self) -> Iterable[Booking]: ...


class PaymentRecords(Protocol):
    """Stripe events already processed (dedupe), and the progress of the daily reconciliation."""

    def claim_event(
        self, event_id: str, event_type: str, now: datetime, lease_seconds: int, ttl_seconds: int
    ) -> EventClaim: ...
    def finish_event(self, event_id: str, outcome: str) -> None: ...
    def release_event(self, event_id: str) -> None: ...
    def reconcile_progress(self) -> ReconcileProgress | None: ...
    def save_reconcile_progress(self, progress: ReconcileProgress, now: datetime) -> bool:
        """Record ``progress`` if it is ahead of what is stored (a later pass, or the same pass
        further on); False when another run is already further."""
        ...


class AccountRepository(Protocol):
    """Users (unique emails) and sign-in sessions (spent refresh tokens, revoked families)."""

    def create_user(self, user: User) -> None: ...
    def get_user(self, user_id: str) -> User: ...
    def find_user_by_email(self, email: str) -> User | None: ...
    def update_profile(self, user_id: str, changes: Mapping[str, str | None]) -> User: ...
    def family_revoked(self, family: str) -> bool: ...
    def revoke_family(self, family: str, user_id: str, reason: str, now: datetime, until: datetime) -> None: ...
    def spend_refresh_token(self, jti: str, family: str, user_id: str, expires_at: datetime) -> None: ...
    def change_password(self, user_id: str, old_hash: str, new_hash: str) -> bool: ...
    def record_session(self, user_id: str, family: str, started: datetime, until: datetime) -> None: ...
    def sessions(self, user_id: str, now: datetime) -> list[str]: ...
    def forget_session(self, user_id: str, family: str) -> None: ...


class LimitCounters(Protocol):
    """Fixed-window counters of the abuse limits; exact under concurrency."""

    def take(self, scope: str, subject_hash: str, window_start: int, limit: int, expires_at: int) -> bool: ...
    def give_back(self, scope: str, subject_hash: str, window_start: int) -> None: ...


class ReviewRepository(Protocol):
    def create(self, review: Review) -> None: ...
    def list_for_room_type(self, room_type_id: str, limit: int, cursor: str | None) -> Page[Review]: ...


class WishlistRepository(Protocol):
    def add(self, user_id: str, room_type_id: str, now: datetime) -> tuple[WishlistEntry, bool]: ...
    def list(self, user_id: str) -> list[WishlistEntry]: ...
    def remove(self, user_id: str, room_type_id: str) -> None: ...


class HousekeepingRecords(Protocol):
    """The progress of the daily housekeeping pass (one record, only ever moved forward)."""

    def progress(self) -> PassProgress | None: ...
    def save_progress(self, progress: PassProgress, now: datetime) -> bool:
        """Record ``progress`` if it is ahead of what is stored (a later day, or the same
        unfinished day at this cursor or later); False when another run is already further."""
        ...


class EmailClaim(enum.StrEnum):
    CLAIMED = 'claimed'  # ours to send
    SENT = 'sent'  # sent before: a duplicate delivery
    REJECTED = 'rejected'  # SES refused it for good before: never again
    IN_PROGRESS = 'in_progress'  # another delivery is sending it right now


class NotificationRecords(Protocol):
    """One record per (integration event, recipient): each email is sent once."""

    def claim(
        self,
        event_id: str,
        recipient_key: str,
        *,
        kind: str,
        booking_id: str,
        now: datetime,
        lease_seconds: int,
        ttl_seconds: int,
    ) -> EmailClaim:
        """Claim one email: new, or a claim whose holder died (its lease lapsed) is taken over."""
        ...

    def finish(self, event_id: str, recipient_key: str, *, sent: bool, detail: str) -> None:
        """``sent`` with SES's message id, or ``rejected`` with SES's error code."""
        ...

    def release(self, event_id: str, recipient_key: str) -> None:
        """Forget a claim whose email was not sent, so the retry sends it at once."""
        ...


class MigrationStore(Protocol):
    """What the data-migration runner reads and writes: raw items (migrations meet shapes the
    current code no longer writes), guarded changes, and each migration's record and lease."""

    def scan_page(
        self, items: ItemFilter, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...
    def get(self, key: Key) -> Item | None: ...
    def query_index(self, index: str, partition: tuple[str, str], sort_prefix: tuple[str, str]) -> list[Item]: ...
    def apply(self, change: Change) -> bool: ...
    def state(self, migration_id: str) -> MigrationState | None: ...
    def claim(self, migration_id: str, owner: str, now: datetime, lease: timedelta) -> MigrationState: ...
    def save(
        self, state: MigrationState, owner: str, now: datetime, lease: timedelta, *, done: bool = False
    ) -> None: ...
    def release(self, migration_id: str, owner: str) -> None: ...


class PaymentGateway(Protocol):
    """Stripe: PaymentIntents, refunds and webhook verification (common.gateways.stripe)."""

    def is_test_mode(self) -> bool: ...
    def create_payment_intent(
        self, *, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
    ) -> PaymentIntent: ...
    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent: ...
    def confirm_with_test_method(self, payment_intent_id: str, payment_method: str) -> PaymentIntent: ...
    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntent: ...
    def refunds_for(self, payment_intent_id: str) -> list[StripeRefund]: ...
    def create_refund(
        self, *, payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> StripeRefund: ...
    def retrieve_refund(self, refund_id: str) -> StripeRefund: ...
    def verify_event(self, payload: bytes, signature: str | None) -> StripeEvent: ...
    def intent_from_event(self, obj: dict[str, Any]) -> PaymentIntent: ...
    def dispute_from_event(self, obj: dict[str, Any]) -> Dispute: ...


class EmailRejected(Exception):
    """SES refused this message for good (a malformed or unverified recipient, content it will not
    send): sending it again would fail again. Carries SES's error code, never its message text
    (which can quote the address)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class EmailDeferred(Exception):
    """SES did not take the message for a reason that is not the message's (throttled, down, the
    sender not verified): the invocation fails and Lambda retries it."""

    def __init__(self, code: str) -> None:
        super().__init__(f'SES did not take the message: {code}')
        self.code = code


class Mailer(Protocol):
    """Amazon SES (common.gateways.ses): raises ``EmailRejected`` or ``EmailDeferred``."""

    def send(self, sender: str, recipient: str, raw: bytes) -> str:
        """Send a MIME message; SES's message id."""
        ...


class EventPublisher(Protocol):
    """The project's EventBridge bus (common.gateways.events)."""

    def publish(self, events: Sequence[IntegrationEvent]) -> None: ...


TokenType = Literal['access', 'refresh']


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


class Tokens(Protocol):
    """Signed session tokens (common.security)."""

    def issue(
        self,
        user_id: str,
        role: Role,
        token_type: TokenType,
        now: datetime,
        family: str | None = None,
        session_started: datetime | None = None,
    ) -> IssuedToken: ...
    def decode(self, token: str, expected_type: TokenType, now: datetime) -> dict[str, Any]: ...
    def access_claims(self, authorization: str | None, now: datetime) -> dict[str, Any]: ...
    def principal(self, claims: dict[str, Any]) -> Principal: ...


class Passwords(Protocol):
    """Password hashing (common.security)."""

    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def burn_verification_time(self, password: str) -> None: ...


# ---------------------------------------------------------------- the availability view (issue 17)


@dataclass(frozen=True)
class ViewKey:
    """One item of the search view: a city's night, one shard of its hotels (docs/search-view.md)."""

    city: str  # casefolded
    night: date
    shard: int

    SHARDS: ClassVar[int] = 16  # a city's hotels spread over at most this many items per night

    @classmethod
    def of(cls, city: str, hotel_id: str, night: date) -> ViewKey:
        """Where a hotel's room types live: crc32 of the hotel (stable across processes, unlike
        ``hash``), so every writer and reader agrees."""
        return cls(city=city.casefold(), night=night, shard=zlib.crc32(hotel_id.encode()) % cls.SHARDS)


@dataclass(frozen=True)
class InventoryChange:
    """The newest committed state of one inventory night, as the table's stream reports it:
    ``night`` None when the night was deleted (room type deleted, TTL)."""

    room_type_id: str
    hotel_id: str
    date: date
    night: InventoryNight | None


class AvailabilityView(Protocol):
    """The read model search answers from, kept from the table's stream. Never the truth: the hold
    transaction decides; a stale cell can only show a room the hold then refuses as sold out."""

    def read(self, city: str, start: date, end: date) -> list[InventoryNight]:
        """Every cell of the city's nights ``start`` (inclusive) to ``end`` (exclusive)."""
        ...

    def read_items(self, keys: Sequence[ViewKey]) -> list[InventoryNight]:
        """Every cell of the given view items (one hotel's shard over a stay: a hotel's page)."""
        ...

    def write(self, key: ViewKey, cells: Mapping[str, InventoryNight | None], expires_at: int) -> None:
        """Set each room type's cell to its absolute value (None removes it) in ONE item write
        (several only past DynamoDB's 4 KB expression size); other cells of the item are untouched."""
        ...
