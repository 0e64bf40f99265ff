"""PynamoDB models of the single application table (see docs/data-model.md).

One table, generic keys ``pk``/``sk``, four global secondary indexes:
- ``gsi1`` (gsi1pk, gsi1sk): catalogue listings and a user's bookings, newest first;
- ``pending`` (pending_shard, hold_expires_at): SPARSE, only PENDING bookings carry
  ``pending_shard``, so the sweeper reads due holds without ever scanning.
- ``hotel_arrivals`` (arrival_partition, arrival_key): every booking by hotel and check-in month,
  then check-in date; the admin booking list, the occupancy report and the reconciler read date
  ranges from it, one partition per hotel and month (it replaced ``arrivals``, one partition per
  month platform-wide: docs/data-model.md, "Sharded arrivals").
- ``outbox`` (outbox_shard, outbox_due_at): SPARSE, keys only: bookings the sweeper owes work
  (a refund to make, a PaymentIntent left open), by when it is due.

The key shapes live here and nowhere else; ``common.repos`` converts items to domain values.
Table and index definitions must match template.yaml (a test checks it). Which table and endpoint
the models use is set by ``configure``, called by the composition root (``common.wiring``).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class _Meta:
    """Shared by every model: one table, bound by ``configure``."""

    table_name = 'hotel-booking'
    host: str | None = None
    region = 'us-east-1'
    max_pool_connections = 10
    # Throttling and DynamoDB 5xx are retried by botocore's standard mode with full jitter
    # (throttling: up to 1 s, then 2 s); what still fails becomes a 503 with Retry-After
    # (repos._dynamo.with_retries). Two retries keep the worst case (3 s of back-off per call) well
    # inside the API functions' 10 s timeout: a clear 503 beats a gateway timeout whose outcome
    # the client cannot know.
    max_retry_attempts = 2


class Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = 'gsi1'
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class PendingIndex(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = 'pending'
        projection = AllProjection()

    pending_shard = UnicodeAttribute(hash_key=True)
    hold_expires_at = UnicodeAttribute(range_key=True)


class OutboxIndex(GlobalSecondaryIndex[Any]):
    """SPARSE: only bookings the sweeper owes work (a refund to make, a PaymentIntent left open)
    carry ``outbox_shard`` (``REFUND#n``, ``OPEN_INTENT#n``), sorted by when the work is due.
    Keys only: the sweeper reads each booking again, consistently, before acting on it."""

    class Meta:
        index_name = 'outbox'
        projection = KeysOnlyProjection()

    outbox_shard = UnicodeAttribute(hash_key=True)
    outbox_due_at = UnicodeAttribute(range_key=True)


class ArrivalsIndex(GlobalSecondaryIndex[Any]):
    """Bookings by hotel and check-in: one partition per hotel and check-in month
    (``{hotel_id}#{YYYY-MM}``), sorted by ``{check_in}#{booking_id}``. The keys are fixed when the
    booking is made (hotel and check-in never change), so status changes never move an item
    between partitions. A month's bookings spread over as many partitions as hotels sell it; one
    hotel's month is one partition, read with one Query (docs/capacity.md, "Sharded arrivals")."""

    class Meta:
        index_name = 'hotel_arrivals'
        projection = AllProjection()

    arrival_partition = UnicodeAttribute(hash_key=True)
    arrival_key = UnicodeAttribute(range_key=True)


class _Item(Model):
    # pynamodb completes a Meta (timeouts, credentials...) when the model class is created.
    Meta = _Meta  # type: ignore[assignment]  # a partial MetaProtocol until then

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class HotelItem(_Item):
    Meta = _Meta
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()

    hotel_id = UnicodeAttribute()
    name = UnicodeAttribute()
    city = UnicodeAttribute()
    address = UnicodeAttribute()
    timezone = UnicodeAttribute()
    check_in_hour = NumberAttribute()
    currency = UnicodeAttribute()
    # Added with the notifications (issue 16); absent on hotels written before.
    check_out_hour = NumberAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    notification_email = UnicodeAttribute(null=True)
    # How many room types belong to the hotel: moved in the same transaction that creates or
    # deletes a room type, so deleting a hotel can be guarded by ``room_types = 0`` (absent = 0).
    room_types = NumberAttribute(null=True)

    @staticmethod
    def key(hotel_id: str) -> tuple[str, str]:
        return f'HOTEL#{hotel_id}', 'META'

    LIST_PK = 'HOTELS'

    @staticmethod
    def list_key(city: str, hotel_id: str) -> str:
        return f'{city.casefold()}#{hotel_id}'


class RoomTypeItem(_Item):
    Meta = _Meta
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()

    room_type_id = UnicodeAttribute()
    hotel_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default='')
    capacity = NumberAttribute()
    base_price = NumberAttribute()
    currency = UnicodeAttribute()
    total_rooms = NumberAttribute()
    view_type = UnicodeAttribute(null=True)
    amenities = ListAttribute(of=UnicodeAttribute, default=list)
    images = ListAttribute(of=UnicodeAttribute, default=list)
    rating_sum = NumberAttribute(default=0)
    review_count = NumberAttribute(default=0)
    # Allotment of nights opened from now on; absent on room types written before it (= total_rooms).
    default_allotment = NumberAttribute(null=True)

    @staticmethod
    def key(room_type_id: str) -> tuple[str, str]:
        return f'ROOMTYPE#{room_type_id}', 'META'

    LIST_PK = 'ROOMTYPES'

    @staticmethod
    def list_key(hotel_id: str, room_type_id: str) -> str:
        return f'{hotel_id}#{room_type_id}'


class InventoryItem(_Item):
    """One night of one room type. ``available`` only moves inside conditional transactions."""

    Meta = _Meta
    room_type_id = UnicodeAttribute()
    hotel_id = UnicodeAttribute()
    night = UnicodeAttribute()
    allotment = NumberAttribute()
    available = NumberAttribute()
    stop_sell = BooleanAttribute(default=False)
    # The table's TTL attribute: INVENTORY_RETENTION_DAYS after the night (common.sale_window).
    # Absent on nights written before it (migration 0004 sets it).
    ttl = NumberAttribute(null=True)

    PREFIX = 'INV#'

    @staticmethod
    def key(room_type_id: str, night: str) -> tuple[str, str]:
        return InventoryItem.partition(room_type_id), night

    @staticmethod
    def partition(room_type_id: str) -> str:
        return f'{InventoryItem.PREFIX}{room_type_id}'


class AvailabilityViewKeys:
    """Key shapes of the search view (issue 17, docs/search-view.md): no PynamoDB model, since
    its attributes are named by room type (``r:{room_type_id}``); ``repos.view`` writes them raw.

    One partition per city (``AVAIL#{city}``), one item per night and hotel shard
    (``{YYYY-MM-DD}#{shard}``): a stay's nights of a whole city are ONE Query of a key range."""

    PREFIX = 'AVAIL#'
    CELL_PREFIX = 'r:'

    @staticmethod
    def partition(city: str) -> str:
        return f'{AvailabilityViewKeys.PREFIX}{city.casefold()}'

    @staticmethod
    def sort_key(night: str, shard: int) -> str:
        return f'{night}#{shard:02d}'


class AdjustmentMap(MapAttribute[str, Any]):
    type = UnicodeAttribute()
    value = NumberAttribute()

    def __init__(self, **attributes: Any) -> None:
        super().__init__(**attributes)  # type: ignore[no-untyped-call]  # pynamodb's MapAttribute.__init__ is unannotated


class PriceRuleItem(_Item):
    Meta = _Meta
    rule_id = UnicodeAttribute()
    hotel_id = UnicodeAttribute()
    name = UnicodeAttribute()
    room_type_id = UnicodeAttribute(null=True)
    start_date = UnicodeAttribute(null=True)
    end_date = UnicodeAttribute(null=True)
    weekdays = ListAttribute(of=NumberAttribute, null=True)
    adjustment = AdjustmentMap()
    priority = NumberAttribute(default=0)
    min_stay = NumberAttribute(null=True)
    closed_to_arrival = BooleanAttribute(default=False)
    # Optimistic concurrency for PATCH (absent on rules written before versions = 0).
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(hotel_id: str, rule_id: str) -> tuple[str, str]:
        return PriceRuleItem.partition(hotel_id), f'{PriceRuleItem.SK_PREFIX}{rule_id}'

    @staticmethod
    def partition(hotel_id: str) -> str:
        return HotelItem.key(hotel_id)[0]

    SK_PREFIX = 'RULE#'


class RuleRefItem(_Item):
    """Finds a rule's hotel from the rule id alone (``/api/admin/price-rules/{id}``).

    Written and deleted in the same transaction as the rule, so it is never stale; a GSI would
    answer a GET right after a POST from an eventually consistent copy."""

    Meta = _Meta
    hotel_id = UnicodeAttribute()

    @staticmethod
    def key(rule_id: str) -> tuple[str, str]:
        return f'RULE#{rule_id}', 'REF'


class RatePlanItem(_Item):
    """A hotel's rate plan, keyed by its code in the hotel's partition: the key makes the code
    unique within the hotel, and one Query of the partition reads the hotel's pricing terms
    (rules, plans, taxes: ``TERMS_AFTER``). Nested values (cancellation, restrictions,
    derivation) are plain maps; ``children`` counts the plans derived from it (moved in their
    create and delete transactions), so a parent is deleted only when nothing derives from it."""

    Meta = _Meta
    hotel_id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default='')
    room_type_id = UnicodeAttribute(null=True)
    meal_plan = UnicodeAttribute()
    cancellation: MapAttribute[str, Any] = MapAttribute()
    prepayment = UnicodeAttribute()
    restrictions: MapAttribute[str, Any] = MapAttribute()
    active = BooleanAttribute(default=True)
    is_default = BooleanAttribute(default=False)
    parent_code = UnicodeAttribute(null=True)
    derivation: MapAttribute[str, Any] = MapAttribute(null=True)
    children = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)

    SK_PREFIX = 'PLAN#'

    @staticmethod
    def key(hotel_id: str, code: str) -> tuple[str, str]:
        return HotelItem.key(hotel_id)[0], f'{RatePlanItem.SK_PREFIX}{code}'


class HotelTaxesItem(_Item):
    """How a hotel's prices are taxed (VAT, city tax, fees); absent: no taxes."""

    Meta = _Meta
    hotel_id = UnicodeAttribute()
    vat_rate = NumberAttribute(default=0)
    prices_include_vat = BooleanAttribute(default=True)
    city_tax: MapAttribute[str, Any] = MapAttribute(null=True)
    fees = ListAttribute(of=MapAttribute, default=list)
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)

    SK = 'TAXES'

    @staticmethod
    def key(hotel_id: str) -> tuple[str, str]:
        return HotelItem.key(hotel_id)[0], HotelTaxesItem.SK


# A hotel's partition holds, in sort-key order: META < PLAN#... < RULE#... < TAXES. One Query of
# the keys after META reads everything its prices depend on.
TERMS_AFTER = 'META'


class PromoItem(_Item):
    """A hotel's promo code (the key makes the code unique within the hotel). ``uses`` only moves
    in the transactions that hold a stay (``+1``, guarded by ``max_uses``) and release it
    (``-1``); an admin's edit SETs the other attributes, guarded by ``version``."""

    Meta = _Meta
    hotel_id = UnicodeAttribute()
    code = UnicodeAttribute()
    kind = UnicodeAttribute()
    value = NumberAttribute()
    description = UnicodeAttribute(default='')
    valid_from = UnicodeAttribute(null=True)
    valid_until = UnicodeAttribute(null=True)
    stay_from = UnicodeAttribute(null=True)
    stay_until = UnicodeAttribute(null=True)
    min_nights = NumberAttribute(null=True)
    rate_plans = ListAttribute(of=UnicodeAttribute, default=list)
    max_uses = NumberAttribute(null=True)
    max_uses_per_guest = NumberAttribute(null=True)
    active = BooleanAttribute(default=True)
    uses = NumberAttribute(default=0)
    version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(hotel_id: str, code: str) -> tuple[str, str]:
        return PromoItem.partition(hotel_id), f'CODE#{code}'

    @staticmethod
    def partition(hotel_id: str) -> str:
        return f'PROMOS#{hotel_id}'


class PromoGuestItem(_Item):
    """How many holds of one guest carry one promo code (only for codes with a per-guest limit);
    moved with the code's ``uses``, in the same transactions. One partition per guest and code."""

    Meta = _Meta
    uses = NumberAttribute(default=0)

    @staticmethod
    def key(hotel_id: str, code: str, user_id: str) -> tuple[str, str]:
        return f'PROMOUSE#{hotel_id}#{code}#{user_id}', 'USES'


class NightMap(MapAttribute[str, Any]):
    night = UnicodeAttribute()
    price = NumberAttribute()
    rule_ids = ListAttribute(of=UnicodeAttribute, default=list)
    # Rate plans, promo codes and VAT (absent on bookings made before them: 0).
    supplement = NumberAttribute(null=True)
    discount = NumberAttribute(null=True)
    vat = NumberAttribute(null=True)


class BookingItem(_Item):
    Meta = _Meta
    gsi1 = Gsi1()
    pending = PendingIndex()
    arrivals = ArrivalsIndex()
    # Set once at creation (see ArrivalsIndex); null only on items written before the index
    # (migrations 0001 and 0006 set them). ``arrival_month`` keyed the index ``arrivals`` that
    # ``hotel_arrivals`` replaced: still written until that index is dropped everywhere
    # (docs/data-model.md, "Sharded arrivals"), read by nothing.
    arrival_partition = UnicodeAttribute(null=True)
    arrival_month = UnicodeAttribute(null=True)
    arrival_key = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    # Present only while PENDING: removing it takes the booking out of the sparse index.
    pending_shard = UnicodeAttribute(null=True)
    hold_expires_at = UnicodeAttribute()

    booking_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    hotel_id = UnicodeAttribute()
    room_type_id = UnicodeAttribute()
    check_in = UnicodeAttribute()
    check_out = UnicodeAttribute()
    guests = NumberAttribute()
    rooms = NumberAttribute()
    currency = UnicodeAttribute()
    total_amount = NumberAttribute()
    nightly = ListAttribute(of=NightMap)
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    payment: MapAttribute[str, Any] = MapAttribute(null=True)
    refund: MapAttribute[str, Any] = MapAttribute(null=True)
    version = NumberAttribute(default=1)
    # Set while one process creates this booking's Stripe refund (see services/refunds.py).
    payment_lease_until = UnicodeAttribute(null=True)
    # What the stay was priced with, locked at the hold (docs/pricing.md): the rate plan's terms,
    # fees, VAT, city tax and promo code. Absent on bookings made before rate plans.
    terms: MapAttribute[str, Any] = MapAttribute(null=True)
    fees = ListAttribute(of=MapAttribute, null=True)
    vat: MapAttribute[str, Any] = MapAttribute(null=True)
    city_tax: MapAttribute[str, Any] = MapAttribute(null=True)
    promo: MapAttribute[str, Any] = MapAttribute(null=True)
    # The sweeper's outbox (OutboxIndex): present only while work is owed, set and removed in the
    # same write as the state that owes it.
    outbox = OutboxIndex()
    outbox_shard = UnicodeAttribute(null=True)
    outbox_due_at = UnicodeAttribute(null=True)
    outbox_attempts = NumberAttribute(null=True)
    outbox_error = UnicodeAttribute(null=True)
    attention: MapAttribute[str, Any] = MapAttribute(null=True)  # {work, reason, since}
    dispute: MapAttribute[str, Any] = MapAttribute(null=True)  # {id, status, reason, amount, currency, updated_at}
    refunded_outside = NumberAttribute(null=True)
    intent_key_version = NumberAttribute(null=True)
    # True when the hold took one of its account's hold slots (HoldSlotsItem); set once.
    hold_slot = BooleanAttribute(null=True)

    PREFIX = 'BOOKING#'

    @staticmethod
    def key(booking_id: str) -> tuple[str, str]:
        return f'{BookingItem.PREFIX}{booking_id}', 'META'

    @staticmethod
    def arrival(check_in: str, booking_id: str) -> tuple[str, str]:
        """``arrival_month`` and ``arrival_key`` of a booking (ISO check-in date)."""
        return check_in[:7], f'{check_in}#{booking_id}'

    @staticmethod
    def arrival_partition_of(hotel_id: str, month: str) -> str:
        """The ``hotel_arrivals`` partition of a hotel's check-ins in ``month`` (``YYYY-MM``)."""
        return f'{hotel_id}#{month}'

    @staticmethod
    def user_partition(user_id: str) -> str:
        return f'USER#{user_id}#BOOKINGS'

    @staticmethod
    def user_sort_key(created_at: str, booking_id: str) -> str:
        """Newest first within the user's partition (``created_at`` is a stored ISO instant)."""
        return f'{created_at}#{booking_id}'

    # Sorts after every ``arrival_key`` of the same date: ``between(first, last + END)``.
    ARRIVAL_KEY_END = '#~'

    @staticmethod
    def pending_partition(shard: int) -> str:
        """A partition of the sparse ``pending`` index (PENDING holds spread over a few)."""
        return f'PENDING#{shard}'

    @staticmethod
    def outbox_partition(work: str, shard: int) -> str:
        """A partition of the sparse ``outbox`` index: one kind of work, spread over a few."""
        return f'{work.upper()}#{shard}'


class HoldSlotsItem(_Item):
    """An account's hold slots in use: one entry per PENDING hold that took one,
    ``{hold_expires_at}#{booking_id}`` (sorted by expiry as text).

    A hold's transaction adds its entry (``ADD``) guarded by ``size(holds) < cap``; the
    transaction that moves the booking out of PENDING removes it (``DELETE``). A string set, not a
    map: ``ADD`` creates the item and the set when absent, ``DELETE`` of an absent entry changes
    nothing, and the set disappears with its last entry, whereas a map's ``SET holds.#id`` fails
    when the map does not exist yet."""

    Meta = _Meta
    holds = UnicodeSetAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f'USER#{user_id}', 'HOLDS'

    SEPARATOR = '#'

    @staticmethod
    def entry(hold_expires_at: str, booking_id: str) -> str:
        return f'{hold_expires_at}{HoldSlotsItem.SEPARATOR}{booking_id}'

    @staticmethod
    def parse(entry: str) -> tuple[str, str]:
        """(hold_expires_at, booking_id) of an entry."""
        expires, _, booking_id = entry.partition(HoldSlotsItem.SEPARATOR)
        return expires, booking_id


class UserItem(_Item):
    Meta = _Meta
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f'USER#{user_id}', 'PROFILE'


class EmailItem(_Item):
    """Makes emails unique: created in the same transaction as the user."""

    Meta = _Meta
    user_id = UnicodeAttribute()

    @staticmethod
    def key(email: str) -> tuple[str, str]:
        return f'EMAIL#{email}', 'EMAIL'


class TokenItem(_Item):
    """A refresh token's ``jti`` that was used (rotated) or revoked; expires with the token."""

    Meta = _Meta
    user_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    ttl = NumberAttribute()

    @staticmethod
    def key(jti: str) -> tuple[str, str]:
        return f'TOKEN#{jti}', 'TOKEN'


class StripeEventItem(_Item):
    """A Stripe event id seen by the webhook: claimed while processed, ``done`` after; expires by TTL
    well after Stripe stops retrying (3 days)."""

    Meta = _Meta
    event_type = UnicodeAttribute()
    state = UnicodeAttribute()  # processing | done
    lease_until = UnicodeAttribute()
    received_at = UnicodeAttribute()
    outcome = UnicodeAttribute(null=True)
    ttl = NumberAttribute()

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f'STRIPE_EVENT#{event_id}', 'EVENT'


class RevokedFamilyItem(_Item):
    """A sign-in session (a refresh-token family) that was signed out or caught replaying a
    rotated token. While it exists every token of the family, access or refresh, is refused;
    ``ttl`` is set past the expiry of the family's last possible token (TTL deletes late, never
    early, so the revocation never lapses while a token could still be valid)."""

    Meta = _Meta
    user_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    revoked_at = UnicodeAttribute()
    ttl = NumberAttribute()

    @staticmethod
    def key(family: str) -> tuple[str, str]:
        return f'FAMILY#{family}', 'REVOKED'


class CounterItem(_Item):
    """One fixed window of one abuse limit (failed logins per email or IP, registrations per IP).

    ``hits`` only moves through conditional ADDs; the subject (email, IP) is hashed into the key
    so the item carries no raw personal data. ``ttl`` removes it some time after the window."""

    Meta = _Meta
    hits = NumberAttribute(default=0)
    ttl = NumberAttribute()

    @staticmethod
    def key(scope: str, subject_hash: str, window_start: int) -> tuple[str, str]:
        return f'LIMIT#{scope}#{subject_hash}', f'W#{window_start}'


class SessionItem(_Item):
    """A sign-in session of a user (its token family), listed so "sign out everywhere" and a
    password change can revoke them all: written at sign-in, deleted when revoked, removed by
    ``ttl`` after the session's absolute end."""

    Meta = _Meta
    family = UnicodeAttribute()
    started_at = UnicodeAttribute()
    ttl = NumberAttribute()

    @staticmethod
    def key(user_id: str, family: str) -> tuple[str, str]:
        return f'USER#{user_id}', f'SESSION#{family}'

    @staticmethod
    def partition(user_id: str) -> str:
        return f'USER#{user_id}'

    SK_PREFIX = 'SESSION#'


class WishItem(_Item):
    """A room type on a user's wishlist; one item per (user, room type), so adding is idempotent."""

    Meta = _Meta
    user_id = UnicodeAttribute()
    room_type_id = UnicodeAttribute()
    added_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, room_type_id: str) -> tuple[str, str]:
        return f'USER#{user_id}', f'WISH#{room_type_id}'

    @staticmethod
    def partition(user_id: str) -> str:
        return f'USER#{user_id}'

    SK_PREFIX = 'WISH#'


class ReviewItem(_Item):
    """A guest's review of one booking (the key makes it once per booking), listed per room type
    newest first through ``gsi1``. Written in one transaction with the room type's counters."""

    Meta = _Meta
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()

    review_id = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    room_type_id = UnicodeAttribute()
    hotel_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    author = UnicodeAttribute()
    rating = NumberAttribute()
    comment = UnicodeAttribute(default='')
    stayed_check_in = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(booking_id: str) -> tuple[str, str]:
        # Not under BOOKING#: scans and queries of bookings must never meet a review.
        return f'REVIEW#{booking_id}', 'META'

    @staticmethod
    def room_type_partition(room_type_id: str) -> str:
        return f'ROOMTYPE#{room_type_id}#REVIEWS'

    @staticmethod
    def room_type_sort_key(created_at: str, booking_id: str) -> str:
        return f'{created_at}#{booking_id}'


# ------------------------------------------------------------------ operations (issue 23)


class SaleWindowPassItem(_Item):
    """Progress of the daily housekeeping pass (one item): the UTC day of the pass, the listing key
    of the last room type whose window is done, and whether the pass finished. It only moves
    forward (guarded), so a run that stopped half-way is continued by the next one, and two runs
    at once never set it back. ``since`` is the instant of the last finished pass before this one
    (every window reached at least that pass's horizon); absent when the pass reads every window."""

    Meta = _Meta
    day = UnicodeAttribute()
    run_at = UnicodeAttribute()
    since = UnicodeAttribute(null=True)
    cursor = UnicodeAttribute(default='')
    complete = BooleanAttribute(default=False)
    room_types = NumberAttribute(default=0)
    nights_opened = NumberAttribute(default=0)
    short = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return 'JOB#sale-window', 'PROGRESS'


class ReconcilePassItem(_Item):
    """Progress of the daily reconciliation pass (one item, services/reconciler.py): the UTC day
    and start of the pass, where the next run continues in the bookings by arrival, and what it
    found so far. Only moves forward (guarded), like ``SaleWindowPassItem``."""

    Meta = _Meta
    day = UnicodeAttribute()
    run_at = UnicodeAttribute()
    cursor = UnicodeAttribute(default='')
    pages = NumberAttribute(default=0)
    complete = BooleanAttribute(default=False)
    examined = NumberAttribute(default=0)
    at_risk = NumberAttribute(default=0)
    amounts: MapAttribute[str, Any] = MapAttribute(default=dict)  # currency -> minor units
    updated_at = UnicodeAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return 'JOB#reconcile', 'PROGRESS'


class MigrationItem(_Item):
    """One data migration's record (common/migrations): running or done, the last key of the table
    scan it finished, counts, and the lease of the run working on it."""

    Meta = _Meta
    status = UnicodeAttribute()  # running | done
    last_key = UnicodeAttribute(null=True)  # JSON of the scan's LastEvaluatedKey
    examined = NumberAttribute(default=0)
    changed = NumberAttribute(default=0)
    started_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)

    PREFIX = 'MIGRATION#'

    @staticmethod
    def key(migration_id: str) -> tuple[str, str]:
        return f'{MigrationItem.PREFIX}{migration_id}', 'STATE'


# ------------------------------------------------------------------ notifications (issue 16)


class NotificationItem(_Item):
    """One email of one integration event to one recipient: claimed (``sending``, with a lease)
    before it is handed to SES, then ``sent`` or ``rejected``. The conditional claim makes
    EventBridge's at-least-once delivery send each email once. The recipient is a hash in the key
    (no address is stored); ``ttl`` keeps the record past every retry and DLQ redrive."""

    Meta = _Meta
    kind = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    state = UnicodeAttribute()  # sending | sent | rejected
    lease_until = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)  # SES's, once sent
    outcome = UnicodeAttribute(null=True)  # SES's error code, once rejected
    ttl = NumberAttribute()

    @staticmethod
    def key(event_id: str, recipient_key: str) -> tuple[str, str]:
        return f'NOTIFICATION#{event_id}', f'TO#{recipient_key}'


MODELS: tuple[type[_Item], ...] = (
    HotelItem,
    RoomTypeItem,
    InventoryItem,
    PriceRuleItem,
    BookingItem,
    HoldSlotsItem,
    UserItem,
    EmailItem,
    TokenItem,
    RuleRefItem,
    RatePlanItem,
    HotelTaxesItem,
    PromoItem,
    PromoGuestItem,
    StripeEventItem,
    ReconcilePassItem,
    RevokedFamilyItem,
    CounterItem,
    WishItem,
    ReviewItem,
    SaleWindowPassItem,
    MigrationItem,
    NotificationItem,
)


def configure(table_name: str, host: str | None, region: str, max_pool_connections: int = 10) -> None:
    """Point every model at a table (and endpoint); drops the cached connections if that changes.

    Connections are kept when the target is the same (each test re-points at moto's table):
    building a model's botocore client costs 40-90 ms, and every model has its own."""
    target = (table_name, host, region, max_pool_connections)
    if target == (_Meta.table_name, _Meta.host, _Meta.region, _Meta.max_pool_connections):
        return
    _Meta.table_name, _Meta.host, _Meta.region, _Meta.max_pool_connections = target
    every: tuple[type[_Item], ...] = (_Item, *MODELS)
    for model in every:
        model._connection = None
