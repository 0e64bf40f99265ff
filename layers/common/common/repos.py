"""Storage: the only module that talks to DynamoDB (through PynamoDB).

It converts items to domain values and translates storage failures into domain errors:
``DoesNotExist`` -> ``NotFound``, a failed guard -> ``SoldOut``/``InvalidState``/``Conflict``,
throttling or transaction conflicts that outlast the retries -> ``ServiceUnavailable``.
Every write that moves inventory is ONE TransactWriteItems with a guard on each item.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    GetError,
    PutError,
    PynamoDBException,
    QueryError,
    TransactWriteError,
    UpdateError,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from common import errors
from common.config import MAX_STAY_HARD_LIMIT, TRANSACTION_ITEM_LIMIT, settings
from common.domain import (
    HOLDING_STATUSES,
    Adjustment,
    Booking,
    BookingStatus,
    Hotel,
    InventoryNight,
    NightPrice,
    Payment,
    PriceRule,
    Refund,
    Review,
    Role,
    RoomType,
    User,
    WishlistEntry,
)
from common.sale_window import night_expires_at
from common.tables import (
    BookingItem,
    CounterItem,
    EmailItem,
    HotelItem,
    InventoryItem,
    PriceRuleItem,
    RefundDueItem,
    ReviewItem,
    RevokedFamilyItem,
    RoomTypeItem,
    RuleRefItem,
    StripeEventItem,
    TokenItem,
    UserItem,
    WishItem,
)
from common.timeutil import iso, parse_date, parse_instant

T = TypeVar('T')
ANY: Any = object()  # "no expectation" for optional guards

_TRANSIENT_CODES = frozenset(
    {
        'ProvisionedThroughputExceededException',
        'ThrottlingException',
        'RequestLimitExceeded',
        'TransactionInProgressException',
        'InternalServerError',
        'ServiceUnavailable',
    }
)
_CONFLICT_ATTEMPTS = 4


# ---------------------------------------------------------------- plumbing


def _connection() -> Connection:
    return BookingItem._get_connection().connection


def _transient(exc: PynamoDBException) -> bool:
    """Throttling, a DynamoDB 5xx, or a transaction conflict: nothing was decided, a retry may work."""
    return exc.cause_response_code in _TRANSIENT_CODES or _conflict(exc)


def _conflict(exc: PynamoDBException) -> bool:
    """Another transaction touched one of our items at the same instant (TransactionConflict)."""
    if isinstance(exc, TransactWriteError):
        return any(r is not None and r.code == 'TransactionConflict' for r in exc.cancellation_reasons)
    return False


def _backoff(attempt: int) -> float:
    """Full jitter: uniform in [0, 25 ms x 2^attempt] (25, 50, 100 ms caps)."""
    return random.uniform(0, 0.025 * 2**attempt)


_sleep = time.sleep  # tests replace it to record the back-off instead of waiting


def _with_retries(write: Callable[[], T]) -> T:
    """Run a DynamoDB call; retry transaction conflicts here, with full jitter, and report what
    still fails for a transient reason as 503 (``ServiceUnavailable``, with Retry-After).

    Throttling and DynamoDB 5xx are NOT retried here: botocore already retried them with its
    own jittered back-off (``tables._Meta.max_retry_attempts``). Retrying again on top would
    multiply the attempts (and the time, past the Lambda timeout) under the very overload that
    caused them. A transaction conflict is never retried by botocore: another transaction
    touched the same item at the same instant and nothing was written, so trying again is safe.
    """
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            return write()
        except PynamoDBException as exc:
            if _conflict(exc) and attempt < _CONFLICT_ATTEMPTS - 1:
                _sleep(_backoff(attempt))
                continue
            if _transient(exc):
                raise errors.ServiceUnavailable('The database is busy; retry shortly') from exc
            raise
    raise AssertionError('unreachable')


def _get(model: type[Model], key: tuple[str, str], what: str, consistent: bool = False) -> Any:
    try:
        return _with_retries(lambda: model.get(*key, consistent_read=consistent))
    except DoesNotExist:
        raise errors.NotFound(f'{what} not found') from None
    except GetError as exc:
        raise errors.ServiceUnavailable() from exc


def _failed_guards(exc: TransactWriteError) -> list[int]:
    return [i for i, r in enumerate(exc.cancellation_reasons) if r is not None and r.code == 'ConditionalCheckFailed']


# ---------------------------------------------------------------- cursors


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(',', ':'), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def decode_cursor(cursor: str | None, partition_attr: str, partition_value: str) -> dict[str, Any] | None:
    """A client's cursor, checked to belong to the same listing (a forged one cannot page
    through someone else's partition)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error):
        raise errors.InvalidCursor() from None
    if not isinstance(key, dict) or key.get(partition_attr) != {'S': partition_value}:
        raise errors.InvalidCursor()
    if not all(isinstance(v, dict) and set(v) == {'S'} and isinstance(v['S'], str) for v in key.values()):
        raise errors.InvalidCursor()
    return key


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


# ---------------------------------------------------------------- catalogue


def _hotel(item: HotelItem) -> Hotel:
    return Hotel(
        id=item.hotel_id,
        name=item.name,
        city=item.city,
        address=item.address,
        timezone=item.timezone,
        check_in_hour=int(item.check_in_hour),
        currency=item.currency,
        check_out_hour=int(item.check_out_hour) if item.check_out_hour is not None else Hotel.check_out_hour,
        phone=item.phone,
        notification_email=item.notification_email,
    )


def get_hotel(hotel_id: str) -> Hotel:
    return _hotel(_get(HotelItem, HotelItem.key(hotel_id), 'Hotel'))


def list_hotels() -> list[Hotel]:
    return [_hotel(i) for i in HotelItem.gsi1.query(HotelItem.LIST_PK)]


def put_hotel(hotel: Hotel, *, create: bool) -> None:
    pk, sk = HotelItem.key(hotel.id)
    item = HotelItem(
        pk,
        sk,
        gsi1pk=HotelItem.LIST_PK,
        gsi1sk=f'{hotel.city.casefold()}#{hotel.id}',
        hotel_id=hotel.id,
        name=hotel.name,
        city=hotel.city,
        address=hotel.address,
        timezone=hotel.timezone,
        check_in_hour=hotel.check_in_hour,
        currency=hotel.currency,
        check_out_hour=hotel.check_out_hour,
        phone=hotel.phone,
        notification_email=hotel.notification_email,
    )
    condition = HotelItem.pk.does_not_exist() if create else HotelItem.pk.exists()
    try:
        item.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            raise (
                errors.AlreadyExists('Hotel already exists') if create else errors.NotFound('Hotel not found')
            ) from None
        raise


def _room_type(item: RoomTypeItem) -> RoomType:
    return RoomType(
        id=item.room_type_id,
        hotel_id=item.hotel_id,
        name=item.name,
        description=item.description or '',
        capacity=int(item.capacity),
        base_price=int(item.base_price),
        currency=item.currency,
        total_rooms=int(item.total_rooms),
        view_type=item.view_type,
        amenities=tuple(item.amenities or ()),
        images=tuple(item.images or ()),
        rating_sum=int(item.rating_sum or 0),
        review_count=int(item.review_count or 0),
        default_allotment=None if item.default_allotment is None else int(item.default_allotment),
    )


def get_room_type(room_type_id: str) -> RoomType:
    return _room_type(_get(RoomTypeItem, RoomTypeItem.key(room_type_id), 'Room type'))


def list_room_types() -> list[RoomType]:
    return [_room_type(i) for i in RoomTypeItem.gsi1.query(RoomTypeItem.LIST_PK)]


def put_room_type(room_type: RoomType, *, create: bool) -> None:
    pk, sk = RoomTypeItem.key(room_type.id)
    item = RoomTypeItem(
        pk,
        sk,
        gsi1pk=RoomTypeItem.LIST_PK,
        gsi1sk=f'{room_type.hotel_id}#{room_type.id}',
        room_type_id=room_type.id,
        hotel_id=room_type.hotel_id,
        name=room_type.name,
        description=room_type.description,
        capacity=room_type.capacity,
        base_price=room_type.base_price,
        currency=room_type.currency,
        total_rooms=room_type.total_rooms,
        view_type=room_type.view_type,
        amenities=list(room_type.amenities),
        images=list(room_type.images),
        rating_sum=room_type.rating_sum,
        review_count=room_type.review_count,
        default_allotment=room_type.allotment_of_new_nights,
    )
    if create:
        _create_room_type(item, room_type.hotel_id)
        return
    try:
        item.save(condition=RoomTypeItem.pk.exists())
    except PutError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            raise errors.NotFound('Room type not found') from None
        raise


def _create_room_type(item: RoomTypeItem, hotel_id: str) -> None:
    """The room type and its hotel's ``room_types`` count in one transaction: a hotel can only
    be deleted while the count is 0, and a room type can only be created for a hotel that exists."""
    hotel = HotelItem(*HotelItem.key(hotel_id))

    def write() -> None:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(item, condition=RoomTypeItem.pk.does_not_exist())  # index 0
            tx.update(hotel, actions=[HotelItem.room_types.add(1)], condition=HotelItem.pk.exists())  # index 1

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        failed = _failed_guards(exc)
        if 0 in failed:
            raise errors.AlreadyExists('Room type already exists') from None
        if 1 in failed:
            raise errors.InvalidReference(f'Hotel {hotel_id} not found') from None
        raise


def _rule(item: PriceRuleItem) -> PriceRule:
    return PriceRule(
        id=item.rule_id,
        hotel_id=item.hotel_id,
        name=item.name,
        adjustment=Adjustment(type=item.adjustment.type, value=int(item.adjustment.value)),
        priority=int(item.priority or 0),
        room_type_id=item.room_type_id,
        start_date=parse_date(item.start_date) if item.start_date else None,
        end_date=parse_date(item.end_date) if item.end_date else None,
        weekdays=tuple(int(d) for d in item.weekdays) if item.weekdays else None,
        min_stay=int(item.min_stay) if item.min_stay is not None else None,
        closed_to_arrival=bool(item.closed_to_arrival),
        version=int(item.version or 0),
        updated_at=parse_instant(item.updated_at) if item.updated_at else None,
        updated_by=item.updated_by,
    )


def list_rules(hotel_id: str) -> list[PriceRule]:
    """All price rules of a hotel: one Query, whatever the length of the stay."""
    pk, _ = HotelItem.key(hotel_id)
    query = PriceRuleItem.query(pk, PriceRuleItem.sk.startswith(PriceRuleItem.SK_PREFIX))
    return [_rule(i) for i in query]


def _rule_item(rule: PriceRule) -> PriceRuleItem:
    pk, sk = PriceRuleItem.key(rule.hotel_id, rule.id)
    return PriceRuleItem(
        pk,
        sk,
        rule_id=rule.id,
        hotel_id=rule.hotel_id,
        name=rule.name,
        room_type_id=rule.room_type_id,
        start_date=rule.start_date.isoformat() if rule.start_date else None,
        end_date=rule.end_date.isoformat() if rule.end_date else None,
        weekdays=list(rule.weekdays) if rule.weekdays else None,
        adjustment={'type': rule.adjustment.type, 'value': rule.adjustment.value},
        priority=rule.priority,
        min_stay=rule.min_stay,
        closed_to_arrival=rule.closed_to_arrival,
        version=rule.version,
        updated_at=iso(rule.updated_at) if rule.updated_at else None,
        updated_by=rule.updated_by,
    )


def put_rule(rule: PriceRule, *, create: bool = False) -> None:
    """Write a rule and its id -> hotel reference together. ``create`` refuses an existing id;
    without it the write is an idempotent upsert (the demo seed)."""
    item = _rule_item(rule)
    ref = RuleRefItem(*RuleRefItem.key(rule.id), hotel_id=rule.hotel_id)

    def write() -> None:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(item, condition=PriceRuleItem.pk.does_not_exist() if create else None)
            # The id is unique across hotels: the reference may only point at this rule's hotel.
            tx.save(
                ref,
                condition=RuleRefItem.pk.does_not_exist()
                if create
                else (RuleRefItem.pk.does_not_exist() | (RuleRefItem.hotel_id == rule.hotel_id)),
            )

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        if _failed_guards(exc):
            raise errors.AlreadyExists('A price rule with this id already exists') from None
        raise


def delete_rule(hotel_id: str, rule_id: str) -> None:
    def write() -> None:
        with TransactWrite(connection=_connection()) as tx:
            tx.delete(PriceRuleItem(*PriceRuleItem.key(hotel_id, rule_id)), condition=PriceRuleItem.pk.exists())
            tx.delete(RuleRefItem(*RuleRefItem.key(rule_id)))

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        if _failed_guards(exc):
            raise errors.NotFound('Price rule not found') from None
        raise


# ---------------------------------------------------------------- inventory


def _night(item: InventoryItem) -> InventoryNight:
    return InventoryNight(
        room_type_id=item.room_type_id,
        date=parse_date(item.night),
        allotment=int(item.allotment),
        available=int(item.available),
        stop_sell=bool(item.stop_sell),
    )


def inventory(room_type_id: str, start: date, end: date, *, consistent: bool = False) -> list[InventoryNight]:
    """Nights ``start`` (inclusive) to ``end`` (exclusive) of one room type: one Query."""
    if end <= start:
        return []
    last = (end - timedelta(days=1)).isoformat()
    query = InventoryItem.query(
        InventoryItem.partition(room_type_id),
        InventoryItem.sk.between(start.isoformat(), last),
        consistent_read=consistent,
    )
    try:
        return [_night(i) for i in query]
    except QueryError as exc:
        if _transient(exc):
            raise errors.ServiceUnavailable() from exc
        raise


def scan_inventory() -> Iterable[InventoryNight]:
    """Every inventory night of the table: for the offline auditor only, never a request path."""
    for item in InventoryItem.scan(InventoryItem.pk.startswith('INV#'), consistent_read=True):
        yield _night(item)


# ---------------------------------------------------------------- bookings


def _booking(item: BookingItem) -> Booking:
    payment = item.payment.as_dict() if item.payment is not None else None
    refund = item.refund.as_dict() if item.refund is not None else None
    return Booking(
        id=item.booking_id,
        user_id=item.user_id,
        hotel_id=item.hotel_id,
        room_type_id=item.room_type_id,
        check_in=parse_date(item.check_in),
        check_out=parse_date(item.check_out),
        guests=int(item.guests),
        rooms=int(item.rooms),
        currency=item.currency,
        total_amount=int(item.total_amount),
        nightly=tuple(
            NightPrice(date=parse_date(n.night), price=int(n.price), rule_ids=tuple(n.rule_ids or ()))
            for n in item.nightly
        ),
        status=BookingStatus(item.status),
        hold_expires_at=parse_instant(item.hold_expires_at),
        created_at=parse_instant(item.created_at),
        updated_at=parse_instant(item.updated_at),
        payment=Payment(**_ints(payment, 'amount')) if payment else None,
        refund=Refund(**_ints(refund, 'amount', 'penalty')) if refund else None,
        version=int(item.version or 1),
    )


def _ints(values: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: int(v) if k in names else v for k, v in values.items()}


def _booking_item(booking: Booking, pending_shard: str | None) -> BookingItem:
    pk, sk = BookingItem.key(booking.id)
    arrival_month, arrival_key = BookingItem.arrival(booking.check_in.isoformat(), booking.id)
    return BookingItem(
        pk,
        sk,
        gsi1pk=BookingItem.user_partition(booking.user_id),
        gsi1sk=f'{iso(booking.created_at)}#{booking.id}',
        arrival_month=arrival_month,
        arrival_key=arrival_key,
        pending_shard=pending_shard,
        hold_expires_at=iso(booking.hold_expires_at),
        booking_id=booking.id,
        user_id=booking.user_id,
        hotel_id=booking.hotel_id,
        room_type_id=booking.room_type_id,
        check_in=booking.check_in.isoformat(),
        check_out=booking.check_out.isoformat(),
        guests=booking.guests,
        rooms=booking.rooms,
        currency=booking.currency,
        total_amount=booking.total_amount,
        nightly=[
            {'night': n.date.isoformat(), 'price': n.price, 'rule_ids': list(n.rule_ids)} for n in booking.nightly
        ],
        status=booking.status.value,
        created_at=iso(booking.created_at),
        updated_at=iso(booking.updated_at),
        payment=None,
        refund=None,
        version=booking.version,
    )


def _night_updates(booking: Booking, delta: int) -> Iterable[tuple[InventoryItem, list[Any], Any]]:
    """(item, actions, guard) per night: taking rooms needs ``available >= rooms`` and no stop-sell;
    giving them back only needs the night to exist."""
    for night in booking.nightly:
        item = InventoryItem(*InventoryItem.key(booking.room_type_id, night.date.isoformat()))
        if delta < 0:
            guard = (InventoryItem.available >= -delta) & (InventoryItem.stop_sell == False)  # noqa: E712
        else:
            guard = InventoryItem.pk.exists()
        yield item, [InventoryItem.available.add(delta)], guard


def create_hold(booking: Booking, pending_shard: str) -> None:
    """Write the booking and take its rooms on every night, atomically: all or nothing.

    The booking id is the ClientRequestToken, so a retry of a call whose answer was lost does
    not fail on the booking's own guard (DynamoDB answers it as the first call did).
    """
    item = _booking_item(booking, pending_shard)

    def write() -> None:
        with TransactWrite(connection=_connection(), client_request_token=booking.id) as tx:
            tx.save(item, condition=BookingItem.pk.does_not_exist())  # transaction index 0
            for night_item, actions, guard in _night_updates(booking, -booking.rooms):  # 1..N
                tx.update(night_item, actions=actions, condition=guard, return_values='ALL_OLD')

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        failed = _failed_guards(exc)
        if not failed:
            raise
        if 0 in failed:
            # The id is a fresh uuid4: only an earlier attempt of this very call can have
            # written it, so that attempt committed (the whole transaction) and its answer was
            # lost. DynamoDB answers such a retry as the first call through the
            # ClientRequestToken (for 10 minutes); a store that does not (moto) fails the guard
            # instead. Either way the hold is in place: the same answer as the first call.
            return
        reasons = exc.cancellation_reasons
        missing = [booking.nightly[i - 1].date.isoformat() for i in failed if reasons[i].raw_item is None]
        if missing:
            raise errors.NotOnSale(nights=missing) from None
        sold_out = [booking.nightly[i - 1].date.isoformat() for i in failed]
        raise errors.SoldOut(nights=sold_out) from None


def get_booking(booking_id: str, *, consistent: bool = True) -> Booking:
    return _booking(_get(BookingItem, BookingItem.key(booking_id), 'Booking', consistent=consistent))


def scan_bookings() -> Iterable[Booking]:
    """Every booking of the table: for the offline auditor only, never a request path."""
    for item in BookingItem.scan(BookingItem.pk.startswith('BOOKING#'), consistent_read=True):
        yield _booking(item)


def list_user_bookings(user_id: str, limit: int, cursor: str | None) -> Page[Booking]:
    partition = BookingItem.user_partition(user_id)
    start = decode_cursor(cursor, 'gsi1pk', partition)
    result = BookingItem.gsi1.query(partition, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    items = [_booking(i) for i in result]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _status_actions(new_status: BookingStatus, now: datetime, changes: dict[str, Any]) -> list[Any]:
    actions = [
        BookingItem.status.set(new_status.value),
        BookingItem.updated_at.set(iso(now)),
        BookingItem.version.add(1),
    ]
    if new_status is not BookingStatus.PENDING:
        actions.append(BookingItem.pending_shard.remove())
    for name, value in changes.items():
        attribute = getattr(BookingItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(_stored(value)))
    return actions


def transition(
    booking: Booking,
    expected: Sequence[BookingStatus],
    new_status: BookingStatus,
    now: datetime,
    *,
    release_rooms: bool = False,
    take_rooms: bool = False,
    expect_payment_intent: Any = ANY,
    expect_no_refund: bool = False,
    **changes: Any,
) -> None:
    """Move a booking from one of ``expected`` to ``new_status``, guarded by its stored status.

    With ``release_rooms``/``take_rooms`` the same transaction gives back/takes the booking's
    rooms on every night, so status and inventory can never disagree. A guard that fails raises
    ``InvalidState`` (someone else moved the booking first) or ``SoldOut`` (re-hold impossible).
    ``expect_payment_intent`` (an id, or None for "no payment yet") and ``expect_no_refund`` add
    guards on the payment: a checkout that attached a PaymentIntent meanwhile fails the write.
    """
    booking_item = BookingItem(*BookingItem.key(booking.id))
    guard = BookingItem.status.is_in(*[s.value for s in expected])
    guard = _payment_guard(guard, expect_payment_intent, expect_no_refund)
    actions = _status_actions(new_status, now, changes)
    if not (release_rooms or take_rooms):
        try:
            _with_retries(lambda: booking_item.update(actions=actions, condition=guard))
        except UpdateError as exc:
            if exc.cause_response_code == 'ConditionalCheckFailedException':
                raise errors.InvalidState(f'Booking is no longer {"/".join(expected)}') from None
            raise
        return

    delta = booking.rooms if release_rooms else -booking.rooms

    def write() -> None:
        with TransactWrite(connection=_connection()) as tx:
            for night_item, night_actions, night_guard in _night_updates(booking, delta):
                tx.update(night_item, actions=night_actions, condition=night_guard)
            tx.update(booking_item, actions=actions, condition=guard)  # last index

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        failed = _failed_guards(exc)
        if not failed:
            raise
        if len(booking.nightly) in failed:
            raise errors.InvalidState(f'Booking is no longer {"/".join(expected)}') from None
        raise errors.SoldOut(nights=[booking.nightly[i].date.isoformat() for i in failed]) from None


# ---------------------------------------------------------------- users


def _user(item: UserItem) -> User:
    return User(
        id=item.user_id,
        email=item.email,
        name=item.name,
        role=Role(item.role),
        password_hash=item.password_hash,
        created_at=parse_instant(item.created_at),
        phone=item.phone,
        address=item.address,
    )


def create_user(user: User) -> None:
    """User and email lock in one transaction: two registrations of one email cannot both win."""
    email_item = EmailItem(*EmailItem.key(user.email), user_id=user.id)
    user_item = UserItem(
        *UserItem.key(user.id),
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=user.role.value,
        password_hash=user.password_hash,
        created_at=iso(user.created_at),
        phone=user.phone,
        address=user.address,
    )

    def write() -> None:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(email_item, condition=EmailItem.pk.does_not_exist())
            tx.save(user_item, condition=UserItem.pk.does_not_exist())

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        if _failed_guards(exc):
            raise errors.EmailTaken() from None
        raise


def get_user(user_id: str) -> User:
    return _user(_get(UserItem, UserItem.key(user_id), 'User'))


def find_user_by_email(email: str) -> User | None:
    try:
        lock = EmailItem.get(*EmailItem.key(email))
    except DoesNotExist:
        return None
    return get_user(lock.user_id)


# ---------------------------------------------------------------- accounts (issue 7)


def _conditional_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == 'ConditionalCheckFailedException'


def family_revoked(family: str) -> bool:
    """Is this sign-in session revoked? One strongly consistent GetItem (a sign-out takes effect
    on the very next request)."""
    try:
        _with_retries(lambda: RevokedFamilyItem.get(*RevokedFamilyItem.key(family), consistent_read=True))
    except DoesNotExist:
        return False
    except GetError as exc:
        raise errors.ServiceUnavailable() from exc
    return True


def revoke_family(family: str, user_id: str, reason: str, now: datetime, until: datetime) -> None:
    """Revoke a session until ``until`` (past its last token's expiry). Idempotent: a session
    revoked twice keeps its first reason."""
    item = RevokedFamilyItem(
        *RevokedFamilyItem.key(family), user_id=user_id, reason=reason, revoked_at=iso(now), ttl=int(until.timestamp())
    )
    try:
        _with_retries(lambda: item.save(condition=RevokedFamilyItem.pk.does_not_exist()))
    except PutError as exc:
        if not _conditional_failed(exc):
            raise


def spend_refresh_token(jti: str, family: str, user_id: str, expires_at: datetime) -> None:
    """Mark a refresh token used, unless its session is revoked: ONE transaction, two guards.

    Raises ``InvalidToken`` when the session is revoked and ``RefreshTokenReused`` when the token
    was spent before (a replay of a rotated token). Either way nothing is written.
    """
    token = TokenItem(*TokenItem.key(jti), user_id=user_id, reason='rotated', ttl=int(expires_at.timestamp()))
    family_pk, family_sk = RevokedFamilyItem.key(family)

    def write() -> None:
        with TransactWrite(connection=_connection()) as tx:
            tx.condition_check(
                RevokedFamilyItem, family_pk, family_sk, condition=RevokedFamilyItem.pk.does_not_exist()
            )  # transaction index 0
            tx.save(token, condition=TokenItem.pk.does_not_exist())  # 1

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        failed = _failed_guards(exc)
        if 0 in failed:
            raise errors.InvalidToken() from None
        if 1 in failed:
            raise errors.RefreshTokenReused() from None
        raise


def take_from_window(scope: str, subject_hash: str, window_start: int, limit: int, expires_at: int) -> bool:
    """Count one hit in a fixed window if fewer than ``limit`` are there; False (and nothing
    written) when the window is full. One conditional UpdateItem: exact under concurrency."""
    item = CounterItem(*CounterItem.key(scope, subject_hash, window_start))
    try:
        _with_retries(
            lambda: item.update(
                actions=[CounterItem.hits.add(1), CounterItem.ttl.set(expires_at)],
                condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
            )
        )
    except UpdateError as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


# ---------------------------------------------------------------- admin: catalogue changes


def _set_or_remove(attribute: Any, value: Any) -> Any:
    return attribute.remove() if value is None else attribute.set(value)


def _hotel_is_empty() -> Any:
    return HotelItem.room_types.does_not_exist() | (HotelItem.room_types == 0)


def update_hotel(hotel_id: str, changes: dict[str, Any]) -> Hotel:
    """SET only the fields given, so a concurrent change of another field is never lost. A new
    currency needs ``room_types = 0``: existing room types are priced in the old one."""
    item = HotelItem(*HotelItem.key(hotel_id))
    actions = [_set_or_remove(getattr(HotelItem, name), value) for name, value in changes.items()]
    if 'city' in changes:
        actions.append(HotelItem.gsi1sk.set(f'{changes["city"].casefold()}#{hotel_id}'))
    condition = HotelItem.pk.exists()
    if 'currency' in changes:
        condition = condition & _hotel_is_empty()
    try:
        _with_retries(lambda: item.update(actions=actions, condition=condition))
    except UpdateError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            get_hotel(hotel_id)  # NotFound when it does not exist
            raise errors.HotelNotEmpty('The currency of a hotel with room types cannot change') from None
        raise
    return _hotel(item)


def delete_hotel(hotel_id: str) -> None:
    """Delete a hotel that has no room types (guarded by its count), then its price rules."""
    item = HotelItem(*HotelItem.key(hotel_id))
    try:
        _with_retries(lambda: item.delete(condition=HotelItem.pk.exists() & _hotel_is_empty()))
    except DeleteError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            get_hotel(hotel_id)
            raise errors.HotelNotEmpty('Delete the room types of the hotel first') from None
        raise
    for rule in list_rules(hotel_id):
        with contextlib.suppress(errors.NotFound):  # deleted concurrently
            delete_rule(hotel_id, rule.id)


def update_room_type(room_type_id: str, changes: dict[str, Any]) -> RoomType:
    """SET only the fields given (reviews move ``rating_sum`` concurrently; a full put would lose them)."""
    item = RoomTypeItem(*RoomTypeItem.key(room_type_id))
    actions = [_set_or_remove(getattr(RoomTypeItem, name), value) for name, value in changes.items()]
    try:
        _with_retries(lambda: item.update(actions=actions, condition=RoomTypeItem.pk.exists()))
    except UpdateError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            raise errors.NotFound('Room type not found') from None
        raise
    return _room_type(item)


def inventory_nights(room_type_id: str) -> list[InventoryNight]:
    """Every stored night of a room type, strongly consistent (one Query, paged by PynamoDB)."""
    query = InventoryItem.query(InventoryItem.partition(room_type_id), consistent_read=True)
    return [_night(i) for i in query]


def _chunks(items: Sequence[T], size: int = TRANSACTION_ITEM_LIMIT) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _transact(build: Callable[[TransactWrite], None]) -> None:
    """One TransactWriteItems built by ``build``; retried on transaction conflicts with the same
    ClientRequestToken, so a retry of a call whose answer was lost is not applied twice."""
    token = uuid.uuid4().hex

    def write() -> None:
        with TransactWrite(connection=_connection(), client_request_token=token) as tx:
            build(tx)

    _with_retries(write)


def delete_room_type(room_type: RoomType, nights: Sequence[InventoryNight]) -> None:
    """Delete a room type whose nights hold nothing (the caller checked, from a consistent read).

    Nights go first, in transactions of up to 100, each guarded by the counts the caller saw
    (``available = allotment``, nothing held, on every night it checked). A hold that lands after
    the check fails a guard:
    the nights already deleted are put back and ``HasBookings`` is raised. Only then the room
    type and its hotel's count go, in one transaction, and the rules scoped to it.
    """
    deleted: list[Sequence[InventoryNight]] = []
    for chunk in _chunks(nights):

        def remove(tx: TransactWrite, chunk: Sequence[InventoryNight] = chunk) -> None:
            for night in chunk:
                tx.delete(
                    InventoryItem(*InventoryItem.key(room_type.id, night.date.isoformat())),
                    condition=(InventoryItem.allotment == night.allotment)
                    & (InventoryItem.available == night.available),
                )

        try:
            _transact(remove)
        except TransactWriteError as exc:
            if not _failed_guards(exc):
                raise
            _put_back(room_type, [n for done in deleted for n in done])
            raise errors.HasBookings('A booking took rooms while the room type was being deleted') from None
        deleted.append(chunk)

    hotel = HotelItem(*HotelItem.key(room_type.hotel_id))

    def remove_type(tx: TransactWrite) -> None:
        tx.delete(RoomTypeItem(*RoomTypeItem.key(room_type.id)), condition=RoomTypeItem.pk.exists())
        tx.update(hotel, actions=[HotelItem.room_types.add(-1)], condition=HotelItem.pk.exists())

    try:
        _transact(remove_type)
    except TransactWriteError as exc:
        if _failed_guards(exc):
            raise errors.NotFound('Room type not found') from None
        raise
    for rule in list_rules(room_type.hotel_id):
        if rule.room_type_id == room_type.id:
            with contextlib.suppress(errors.NotFound):
                delete_rule(room_type.hotel_id, rule.id)


def _night_item(room_type: RoomType, night: date, allotment: int, available: int, stop_sell: bool) -> InventoryItem:
    return InventoryItem(
        *InventoryItem.key(room_type.id, night.isoformat()),
        room_type_id=room_type.id,
        hotel_id=room_type.hotel_id,
        night=night.isoformat(),
        allotment=allotment,
        available=available,
        stop_sell=stop_sell,
        ttl=night_expires_at(night, settings().inventory_retention_days),
    )


def _put_back(room_type: RoomType, nights: Sequence[InventoryNight]) -> None:
    for chunk in _chunks(nights):

        def restore(tx: TransactWrite, chunk: Sequence[InventoryNight] = chunk) -> None:
            for n in chunk:
                tx.save(
                    _night_item(room_type, n.date, n.allotment, n.available, n.stop_sell),
                    condition=InventoryItem.pk.does_not_exist(),
                )

        _transact(restore)


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


def _apply_change(tx: TransactWrite, room_type: RoomType, change: NightChange) -> None:
    key = InventoryItem.key(room_type.id, change.night.isoformat())
    if change.before is None:
        tx.save(
            _night_item(room_type, change.night, change.allotment, change.allotment, change.stop_sell),
            condition=InventoryItem.pk.does_not_exist(),
            return_values='ALL_OLD',
        )
        return
    # available + held = allotment, so moving both by the same delta keeps what is held; the
    # guard on the old allotment makes it optimistic (another admin's change fails it) and, when
    # lowering, ``available >= -delta`` refuses to go below what is held at commit time.
    guard = InventoryItem.allotment == change.before.allotment
    if change.delta < 0:
        guard = guard & (InventoryItem.available >= -change.delta)
    actions = [InventoryItem.allotment.set(change.allotment), InventoryItem.stop_sell.set(change.stop_sell)]
    if change.delta:
        actions.append(InventoryItem.available.add(change.delta))
    tx.update(InventoryItem(*key), actions=actions, condition=guard, return_values='ALL_OLD')


def _undo_change(tx: TransactWrite, room_type: RoomType, change: NightChange) -> None:
    item = InventoryItem(*InventoryItem.key(room_type.id, change.night.isoformat()))
    if change.before is None:
        tx.delete(
            item,
            condition=(InventoryItem.allotment == change.allotment) & (InventoryItem.available == change.allotment),
        )
        return
    guard = InventoryItem.allotment == change.allotment
    if change.delta > 0:
        guard = guard & (InventoryItem.available >= change.delta)
    actions = [
        InventoryItem.allotment.set(change.before.allotment),
        InventoryItem.stop_sell.set(change.before.stop_sell),
    ]
    if change.delta:
        actions.append(InventoryItem.available.add(-change.delta))
    tx.update(item, actions=actions, condition=guard)


def _raw_int(raw: dict[str, Any] | None, name: str) -> int | None:
    value = (raw or {}).get(name)
    return int(value['N']) if value and 'N' in value else None


def apply_inventory(room_type: RoomType, changes: Sequence[NightChange]) -> None:
    """Apply planned night changes all-or-nothing.

    Up to 100 nights are one transaction. Longer plans are applied 100 nights at a time; if a
    later transaction is refused (a hold or another admin change landed after the plan was
    read), the transactions already applied are undone, each guarded by the values this call
    wrote, so the request changes nothing. Only if an undo is itself refused (a guest booked one
    of the rooms this request had just added, in the same instant) does part of the change stay;
    that answer says so (``partial: true``) and every night still balances.
    """
    applied: list[Sequence[NightChange]] = []
    for chunk in _chunks(changes):
        try:
            _transact(lambda tx, chunk=chunk: [_apply_change(tx, room_type, c) for c in chunk])  # type: ignore[misc]
        except (TransactWriteError, errors.ServiceUnavailable) as exc:
            failed = _failed_guards(exc) if isinstance(exc, TransactWriteError) else []
            _undo_inventory(room_type, applied)
            if failed:
                raise _refusal(exc, chunk, failed) from None  # type: ignore[arg-type]
            raise
        applied.append(chunk)


def _undo_inventory(room_type: RoomType, applied: list[Sequence[NightChange]]) -> None:
    """Undo the blocks already written, last first, each guarded by what was written."""
    while applied:
        done = applied[-1]
        try:
            _transact(lambda tx, done=done: [_undo_change(tx, room_type, c) for c in done])  # type: ignore[misc]
        except (TransactWriteError, errors.ServiceUnavailable):
            raise errors.InventoryConflict(
                'The inventory changed while this request was applied; part of it stayed applied',
                partial=True,
                applied=[c.night.isoformat() for block in applied for c in block],
            ) from None
        applied.pop()


def _refusal(exc: TransactWriteError, chunk: Sequence[NightChange], failed: list[int]) -> errors.DomainError:
    below_held = []
    for i in failed:
        change, raw = chunk[i], exc.cancellation_reasons[i].raw_item
        allotment, available = _raw_int(raw, 'allotment'), _raw_int(raw, 'available')
        moved = change.before is None or allotment is None or allotment != change.before.allotment
        if moved or available is None:
            return errors.InventoryConflict(nights=[chunk[j].night.isoformat() for j in failed])
        below_held.append(
            {'date': change.night.isoformat(), 'held': allotment - available, 'allotment': change.allotment}
        )
    return errors.AllotmentBelowHeld(nights=below_held)


# ---------------------------------------------------------------- admin: bookings by arrival

_ARRIVAL_KEY_END = '#~'  # sorts after every '{date}#{booking id}' of the same date


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f'{year:04d}-{month:02d}')
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _booking_filter(
    statuses: frozenset[BookingStatus] | None, hotel_id: str | None, room_type_id: str | None, now: datetime
) -> Any:
    """Filter on the status a client sees: a PENDING hold past its expiry is EXPIRED even before
    the sweeper has caught the stored status up."""
    conditions = []
    if statuses is not None:
        pending, stored = BookingItem.status == BookingStatus.PENDING.value, BookingItem.hold_expires_at
        parts = []
        direct = [s.value for s in statuses if s not in (BookingStatus.PENDING, BookingStatus.EXPIRED)]
        if direct:
            parts.append(BookingItem.status.is_in(*direct))
        if BookingStatus.PENDING in statuses:
            parts.append(pending & (stored > iso(now)))
        if BookingStatus.EXPIRED in statuses:
            parts.append((BookingItem.status == BookingStatus.EXPIRED.value) | (pending & (stored <= iso(now))))
        either = parts[0]
        for part in parts[1:]:
            either = either | part
        conditions.append(either)
    if hotel_id:
        conditions.append(BookingItem.hotel_id == hotel_id)
    if room_type_id:
        conditions.append(BookingItem.room_type_id == room_type_id)
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def _encode_arrivals_cursor(month: str, key: dict[str, Any] | None) -> str:
    raw = json.dumps({'m': month, 'k': key}, separators=(',', ':'), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def _decode_arrivals_cursor(cursor: str, months: list[str]) -> tuple[int, dict[str, Any] | None]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise errors.InvalidCursor() from None
    if not isinstance(decoded, dict) or decoded.get('m') not in months:
        raise errors.InvalidCursor('The cursor does not belong to this date range')
    key = decoded.get('k')
    if key is not None:
        allowed = {'pk', 'sk', 'arrival_month', 'arrival_key'}
        if (
            not isinstance(key, dict)
            or not set(key) <= allowed
            or key.get('arrival_month') != {'S': decoded['m']}
            or not all(isinstance(v, dict) and set(v) == {'S'} and isinstance(v['S'], str) for v in key.values())
        ):
            raise errors.InvalidCursor()
    return months.index(decoded['m']), key


def list_bookings_by_arrival(
    start: date,
    end: date,
    *,
    now: datetime,
    statuses: frozenset[BookingStatus] | None = None,
    hotel_id: str | None = None,
    room_type_id: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    descending: bool = False,
) -> Page[Booking]:
    """Bookings checking in from ``start`` (inclusive) to ``end`` (exclusive), by check-in date:
    one Query per month partition of the ``arrivals`` index until the page is full. Filters
    (status, hotel, room type) are applied by DynamoDB; the cursor is the month and the key of
    the last booking returned."""
    months = _months(start, end - timedelta(days=1))
    if descending:
        months.reverse()
    index, key = _decode_arrivals_cursor(cursor, months) if cursor else (0, None)
    between = BookingItem.arrival_key.between(
        start.isoformat(), f'{(end - timedelta(days=1)).isoformat()}{_ARRIVAL_KEY_END}'
    )
    condition = _booking_filter(statuses, hotel_id, room_type_id, now)
    items: list[Booking] = []
    while index < len(months) and len(items) < limit:
        result = BookingItem.arrivals.query(
            months[index],
            between,
            filter_condition=condition,
            scan_index_forward=not descending,
            limit=limit - len(items),
            page_size=max(limit, 100),
            last_evaluated_key=key,
        )
        items.extend(_booking(i) for i in result)
        key = result.last_evaluated_key
        if key is None:
            index += 1
    next_cursor = _encode_arrivals_cursor(months[index], key) if index < len(months) else None
    return Page(items=items, next_cursor=next_cursor)


def bookings_holding_rooms(
    start: date, end: date, *, hotel_id: str | None = None, room_type_id: str | None = None
) -> list[Booking]:
    """PENDING and CONFIRMED bookings with a night in [start, end): arrivals from
    ``MAX_STAY_HARD_LIMIT`` nights before ``start`` (no stay is longer) that leave after it."""
    earliest = start - timedelta(days=MAX_STAY_HARD_LIMIT)
    between = BookingItem.arrival_key.between(
        earliest.isoformat(), f'{(end - timedelta(days=1)).isoformat()}{_ARRIVAL_KEY_END}'
    )
    condition = (BookingItem.check_out > start.isoformat()) & BookingItem.status.is_in(
        *(s.value for s in HOLDING_STATUSES)
    )
    if hotel_id:
        condition = condition & (BookingItem.hotel_id == hotel_id)
    if room_type_id:
        condition = condition & (BookingItem.room_type_id == room_type_id)
    found: list[Booking] = []
    for month in _months(earliest, end - timedelta(days=1)):
        found.extend(_booking(i) for i in BookingItem.arrivals.query(month, between, filter_condition=condition))
    return found


# ---------------------------------------------------------------- admin: price rules


def get_rule(rule_id: str) -> PriceRule:
    """A rule by id alone: its reference gives the hotel (2 strongly consistent reads)."""
    ref = _get(RuleRefItem, RuleRefItem.key(rule_id), 'Price rule', consistent=True)
    return _rule(_get(PriceRuleItem, PriceRuleItem.key(ref.hotel_id, rule_id), 'Price rule', consistent=True))


def replace_rule(rule: PriceRule, expected_version: int) -> None:
    """Write the merged rule if nobody changed it since it was read (optimistic on ``version``)."""
    unchanged = PriceRuleItem.version == expected_version
    if expected_version == 0:
        unchanged = PriceRuleItem.version.does_not_exist() | unchanged
    item = _rule_item(rule)
    try:
        _with_retries(lambda: item.save(condition=PriceRuleItem.pk.exists() & unchanged))
    except PutError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            get_rule(rule.id)  # NotFound when it was deleted meanwhile
            raise errors.Conflict('The price rule changed while it was being updated; retry') from None
        raise


# ---------------------------------------------------------------- payments (DESIGN §5, §9)


def _stored(value: Any) -> Any:
    """Domain payment/refund values are stored as maps (without empty fields)."""
    if isinstance(value, Payment | Refund):
        return {k: v for k, v in vars(value).items() if v is not None}
    return value


def _payment_guard(guard: Any, expect_payment_intent: Any, expect_no_refund: bool) -> Any:
    if expect_payment_intent is None:
        guard = guard & BookingItem.payment.does_not_exist()
    elif expect_payment_intent is not ANY:
        guard = guard & (BookingItem.payment['payment_intent_id'] == expect_payment_intent)
    if expect_no_refund:
        guard = guard & BookingItem.refund.does_not_exist()
    return guard


def _conditional_update(booking_id: str, actions: list[Any], condition: Any) -> bool:
    """One guarded update; False when the guard did not hold (nothing written)."""
    item = BookingItem(*BookingItem.key(booking_id))
    try:
        _with_retries(lambda: item.update(actions=actions, condition=condition))
    except UpdateError as exc:
        if exc.cause_response_code == 'ConditionalCheckFailedException':
            return False
        raise
    return True


def attach_payment(booking_id: str, payment: Payment, now: datetime) -> bool:
    """Store the booking's one PaymentIntent: only while PENDING, before the hold ends, and only if
    none is stored yet. False if any of that no longer holds (the caller re-reads)."""
    condition = (
        (BookingItem.status == BookingStatus.PENDING.value)
        & BookingItem.payment.does_not_exist()
        & (BookingItem.hold_expires_at > iso(now))
    )
    actions = [
        BookingItem.payment.set(_stored(payment)),
        BookingItem.updated_at.set(iso(now)),
        BookingItem.version.add(1),
    ]
    return _conditional_update(booking_id, actions, condition)


def _refund_owed() -> Any:
    return (BookingItem.refund['status'] == 'pending') & BookingItem.refund['stripe_refund_id'].does_not_exist()


def claim_refund(booking_id: str, now: datetime, lease_seconds: int) -> str | None:
    """Take the lease to create this booking's Stripe refund; returns it, or None if another
    process holds it. One process at a time (localstripe ignores idempotency keys, so ours must
    not depend on Stripe's); a holder that died loses it when it lapses."""
    lease = f'{iso(now + timedelta(seconds=lease_seconds))}#{uuid.uuid4().hex[:8]}'
    condition = _refund_owed() & (
        BookingItem.payment_lease_until.does_not_exist() | (BookingItem.payment_lease_until < iso(now))
    )
    actions = [BookingItem.payment_lease_until.set(lease)]
    return lease if _conditional_update(booking_id, actions, condition) else None


def release_refund_claim(booking_id: str, lease: str) -> None:
    """Give the lease back early (after a failure), only if it is still ours."""
    _conditional_update(
        booking_id, [BookingItem.payment_lease_until.remove()], BookingItem.payment_lease_until == lease
    )


def record_refund(booking_id: str, stripe_refund_id: str, status: str, now: datetime) -> bool:
    """The owed refund now exists at Stripe: remember its id (once) and drop the lease."""
    actions = [
        BookingItem.refund['stripe_refund_id'].set(stripe_refund_id),
        BookingItem.refund['status'].set(status),
        BookingItem.payment_lease_until.remove(),
        BookingItem.updated_at.set(iso(now)),
        BookingItem.version.add(1),
    ]
    return _conditional_update(booking_id, actions, _refund_owed())


def update_refund_status(booking_id: str, stripe_refund_id: str, status: str, now: datetime) -> bool:
    """Stripe's latest word on a refund we recorded (read from Stripe, so order does not matter)."""
    condition = (BookingItem.refund['stripe_refund_id'] == stripe_refund_id) & (BookingItem.refund['status'] != status)
    actions = [
        BookingItem.refund['status'].set(status),
        BookingItem.updated_at.set(iso(now)),
        BookingItem.version.add(1),
    ]
    return _conditional_update(booking_id, actions, condition)


def due_holds(
    shard: str, now: datetime, limit: int, start: dict[str, Any] | None
) -> tuple[list[Booking], dict[str, Any] | None]:
    """One page of PENDING holds of one shard whose expiry has passed, oldest first.

    A Query on the sparse ``pending`` index: it holds only PENDING bookings, so the cost grows
    with the holds that are due, never with the table. The index is eventually consistent: every
    write made from what it returns is guarded by the status it expects.
    """
    result = BookingItem.pending.query(
        shard,
        BookingItem.hold_expires_at <= iso(now),
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    try:
        items = [_booking(i) for i in result]
    except QueryError as exc:
        if _transient(exc):
            raise errors.ServiceUnavailable() from exc
        raise
    return items, result.last_evaluated_key


# ---------------------------------------------------------------- Stripe events (dedupe)


def claim_event(event_id: str, event_type: str, now: datetime, lease_seconds: int, ttl_seconds: int) -> str:
    """Claim a Stripe event for processing: ``claimed``, or ``done`` (a duplicate), or
    ``in_progress`` (another delivery holds it). A claim whose holder died lapses after the lease."""
    pk, sk = StripeEventItem.key(event_id)
    item = StripeEventItem(
        pk,
        sk,
        event_type=event_type,
        state='processing',
        lease_until=iso(now + timedelta(seconds=lease_seconds)),
        received_at=iso(now),
        ttl=int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    )
    condition = StripeEventItem.pk.does_not_exist() | (
        (StripeEventItem.state == 'processing') & (StripeEventItem.lease_until < iso(now))
    )
    try:
        _with_retries(lambda: item.save(condition=condition))
    except PutError as exc:
        if exc.cause_response_code != 'ConditionalCheckFailedException':
            raise
        seen = _get(StripeEventItem, (pk, sk), 'Event', consistent=True)
        return 'done' if seen.state == 'done' else 'in_progress'
    return 'claimed'


def finish_event(event_id: str, outcome: str) -> None:
    item = StripeEventItem(*StripeEventItem.key(event_id))
    _with_retries(
        lambda: item.update(actions=[StripeEventItem.state.set('done'), StripeEventItem.outcome.set(outcome)])
    )


def release_event(event_id: str) -> None:
    """Forget a claim after a failure, so Stripe's retry processes the event again at once."""
    item = StripeEventItem(*StripeEventItem.key(event_id))
    with contextlib.suppress(DeleteError):  # best effort: the lease lapses anyway
        item.delete(condition=StripeEventItem.state == 'processing')


# ---------------------------------------------------------------- refunds owed (outbox)


def schedule_refund_check(shard: int, booking_id: str, due_at: datetime) -> None:
    """Note that ``booking_id`` may owe a refund; written BEFORE the booking records it, so a
    crash in between leaves at most a note about nothing (dropped when checked)."""
    item = RefundDueItem(*RefundDueItem.key(shard, booking_id), booking_id=booking_id, due_at=iso(due_at))
    _with_retries(lambda: item.save())


def due_refund_checks(shard: int, now: datetime, limit: int) -> list[str]:
    """Booking ids noted in one shard whose check is due. The partition only ever holds refunds
    still owed, so this Query reads a handful of items, never the table."""
    query = RefundDueItem.query(
        RefundDueItem.partition(shard),
        filter_condition=RefundDueItem.due_at <= iso(now),
        limit=limit,
        consistent_read=True,
    )
    try:
        return [i.booking_id for i in query]
    except QueryError as exc:
        if _transient(exc):
            raise errors.ServiceUnavailable() from exc
        raise


def clear_refund_check(shard: int, booking_id: str) -> None:
    item = RefundDueItem(*RefundDueItem.key(shard, booking_id))
    _with_retries(lambda: item.delete())


def give_back_to_window(scope: str, subject_hash: str, window_start: int) -> None:
    """Undo one ``take_from_window`` (a sign-in that succeeded is not a failure)."""
    item = CounterItem(*CounterItem.key(scope, subject_hash, window_start))
    try:
        _with_retries(lambda: item.update(actions=[CounterItem.hits.add(-1)], condition=CounterItem.hits > 0))
    except UpdateError as exc:
        if not _conditional_failed(exc):
            raise


def update_profile(user_id: str, changes: dict[str, str | None]) -> User:
    """Set (or, for ``None``, remove) profile fields: one conditional UpdateItem returning the result."""
    if not changes:
        return get_user(user_id)
    allowed = {'name': UserItem.name, 'phone': UserItem.phone, 'address': UserItem.address}
    actions = [allowed[k].remove() if v is None else allowed[k].set(v) for k, v in changes.items()]
    item = UserItem(*UserItem.key(user_id))
    try:
        _with_retries(lambda: item.update(actions=actions, condition=UserItem.pk.exists()))
    except UpdateError as exc:
        if _conditional_failed(exc):
            raise errors.NotFound('User not found') from None
        raise
    return _user(item)


def _wish(item: WishItem) -> WishlistEntry:
    return WishlistEntry(room_type_id=item.room_type_id, added_at=parse_instant(item.added_at))


def add_wish(user_id: str, room_type_id: str, now: datetime) -> tuple[WishlistEntry, bool]:
    """Put a room type on the wishlist; (entry, False) if it already was there (idempotent)."""
    key = WishItem.key(user_id, room_type_id)
    item = WishItem(*key, user_id=user_id, room_type_id=room_type_id, added_at=iso(now))
    for _ in range(2):  # a concurrent remove between our two calls: try once more
        try:
            _with_retries(lambda: item.save(condition=WishItem.pk.does_not_exist()))
            return _wish(item), True
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
        try:
            return _wish(_get(WishItem, key, 'Wishlist item', consistent=True)), False
        except errors.NotFound:
            continue
    raise errors.Conflict('The wishlist changed; retry')


def list_wishes(user_id: str) -> list[WishlistEntry]:
    """A user's wishlist: one Query (bounded by the catalogue: one item per room type)."""
    query = WishItem.query(WishItem.partition(user_id), WishItem.sk.startswith(WishItem.SK_PREFIX))
    return [_wish(i) for i in query]


def remove_wish(user_id: str, room_type_id: str) -> None:
    """Idempotent: removing what is not there is not an error."""
    _with_retries(lambda: WishItem(*WishItem.key(user_id, room_type_id)).delete())


def _review(item: ReviewItem) -> Review:
    return Review(
        id=item.review_id,
        booking_id=item.booking_id,
        room_type_id=item.room_type_id,
        hotel_id=item.hotel_id,
        user_id=item.user_id,
        author=item.author,
        rating=int(item.rating),
        comment=item.comment or '',
        stayed_check_in=parse_date(item.stayed_check_in),
        created_at=parse_instant(item.created_at),
    )


def create_review(review: Review) -> None:
    """The review and the room type's counters in ONE transaction, guarded by: the booking is
    still the reviewer's and CONFIRMED, it has no review yet, the room type exists. So
    ``review_count``/``rating_sum`` always match the reviews, however many land at once."""
    review_item = ReviewItem(
        *ReviewItem.key(review.booking_id),
        gsi1pk=ReviewItem.room_type_partition(review.room_type_id),
        gsi1sk=f'{iso(review.created_at)}#{review.booking_id}',
        review_id=review.id,
        booking_id=review.booking_id,
        room_type_id=review.room_type_id,
        hotel_id=review.hotel_id,
        user_id=review.user_id,
        author=review.author,
        rating=review.rating,
        comment=review.comment,
        stayed_check_in=review.stayed_check_in.isoformat(),
        created_at=iso(review.created_at),
    )
    booking_pk, booking_sk = BookingItem.key(review.booking_id)
    room_type = RoomTypeItem(*RoomTypeItem.key(review.room_type_id))
    still_owned_and_confirmed = (BookingItem.status == BookingStatus.CONFIRMED.value) & (
        BookingItem.user_id == review.user_id
    )

    def write() -> None:
        # The review id is the ClientRequestToken: a retry whose first answer was lost succeeds
        # as the first call did instead of tripping over its own review.
        with TransactWrite(connection=_connection(), client_request_token=review.id) as tx:
            tx.condition_check(BookingItem, booking_pk, booking_sk, condition=still_owned_and_confirmed)  # 0
            tx.save(review_item, condition=ReviewItem.pk.does_not_exist())  # 1
            tx.update(
                room_type,
                actions=[RoomTypeItem.rating_sum.add(review.rating), RoomTypeItem.review_count.add(1)],
                condition=RoomTypeItem.pk.exists(),
            )  # 2

    try:
        _with_retries(write)
    except TransactWriteError as exc:
        failed = _failed_guards(exc)
        if 1 in failed:
            raise errors.AlreadyReviewed() from None
        if 0 in failed:
            raise errors.InvalidState('Only a CONFIRMED stay can be reviewed') from None
        if 2 in failed:
            raise errors.NotFound('Room type not found') from None
        raise


def list_reviews(room_type_id: str, limit: int, cursor: str | None) -> Page[Review]:
    """Reviews of a room type, newest first: one Query on ``gsi1`` per page."""
    partition = ReviewItem.room_type_partition(room_type_id)
    start = decode_cursor(cursor, 'gsi1pk', partition)
    result = ReviewItem.gsi1.query(partition, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    items = [_review(i) for i in result]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))
