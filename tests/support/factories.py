"""Build catalogue data and callers for tests (unique ids, written through the real repos)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from common.domain import (
    Adjustment,
    Booking,
    BookingStatus,
    Hotel,
    NightPrice,
    Payment,
    PriceRule,
    Principal,
    Role,
    RoomType,
    User,
)
from common.repos.bookings import booking_item
from common.tables import BookingItem, InventoryItem
from tests.support.deps import deps


def unique(prefix: str) -> str:
    return f'{prefix}-{uuid.uuid4().hex[:8]}'


def hotel(
    hotel_id: str | None = None,
    *,
    timezone: str = 'UTC',
    check_in_hour: int = 15,
    currency: str = 'EUR',
    city: str = 'Testville',
) -> Hotel:
    created = Hotel(hotel_id or unique('hotel'), 'Test Hotel', city, '1 Test Street', timezone, check_in_hour, currency)
    deps().catalog.put_hotel(created, create=True)
    return created


def room_type(
    for_hotel: Hotel,
    room_type_id: str | None = None,
    *,
    capacity: int = 2,
    base_price: int = 10000,
    total_rooms: int = 5,
    open_from: date | None = None,
    open_days: int = 60,
    amenities: tuple[str, ...] = ('wifi',),
    view_type: str | None = 'city',
) -> RoomType:
    created = RoomType(
        room_type_id or unique('rt'),
        for_hotel.id,
        'Test Room',
        'A room for tests',
        capacity=capacity,
        base_price=base_price,
        currency=for_hotel.currency,
        total_rooms=total_rooms,
        view_type=view_type,
        amenities=amenities,
    )
    deps().catalog.put_room_type(created, create=True)
    if open_days:
        open_nights(created, open_from or datetime.now(UTC).date(), open_days)
    return created


def open_nights(room_type: RoomType, start: date, days: int) -> None:
    """Test setup: the nights of a room type nobody else writes yet, in BatchWriteItem calls (the
    application opens nights with conditional puts, one call each)."""
    deps().inventory.open_fresh(room_type, start, start + timedelta(days=days - 1))


def rule(for_hotel: Hotel, adjustment: tuple[str, int], **fields: object) -> PriceRule:
    created = PriceRule(
        id=str(fields.pop('id', unique('rule'))),
        hotel_id=for_hotel.id,
        name=str(fields.pop('name', 'Test rule')),
        adjustment=Adjustment(*adjustment),
        **fields,  # type: ignore[arg-type]
    )
    deps().catalog.put_rule(created)
    return created


def token(user_id: str | None = None, role: Role = Role.GUEST, now: datetime | None = None) -> str:
    """A signed access token (of a session of its own, never revoked)."""
    return deps().tokens.issue(user_id or str(uuid.uuid4()), role, 'access', now or datetime.now(UTC)).token


def stay(days_ahead: int = 10, nights: int = 2) -> tuple[str, str]:
    start = datetime.now(UTC).date() + timedelta(days=days_ahead)
    return start.isoformat(), (start + timedelta(days=nights)).isoformat()


def after_expiry(booking: dict, seconds: int = 1) -> datetime:
    """An instant just past a booking's hold (as the API answered it)."""
    return datetime.fromisoformat(booking['hold_expires_at']) + timedelta(seconds=seconds)


def bulk_bookings(
    room_type_id: str, hotel_id: str, night: date, now: datetime, due: int, later: int, settled: int
) -> list[str]:
    """Bookings written in bulk (a test fixture): ``due`` holds already expired, ``later`` holds
    not yet, ``settled`` CONFIRMED/EXPIRED/CANCELLED ones. Inventory is made to balance."""
    due_ids = []
    statuses = [BookingStatus.CONFIRMED, BookingStatus.EXPIRED, BookingStatus.CANCELLED]
    holding = 0
    with BookingItem.batch_write() as batch:
        for i in range(due + later + settled):
            if i < due:
                status, expires = BookingStatus.PENDING, now - timedelta(minutes=1 + i % 50)
            elif i < due + later:
                # 10 to 14 minutes left (a hold lasts 15): still not due when a loaded machine takes
                # minutes to reach the test's second sweep (at 1 minute, 143 of 2,000 were).
                status, expires = BookingStatus.PENDING, now + timedelta(minutes=10 + i % 5)
            else:
                status, expires = statuses[i % 3], now - timedelta(hours=2)
            booking = Booking(
                id=str(uuid.uuid4()),
                user_id=f'user-{i}',
                hotel_id=hotel_id,
                room_type_id=room_type_id,
                check_in=night,
                check_out=night + timedelta(days=1),
                guests=1,
                rooms=1,
                currency='EUR',
                total_amount=10000,
                nightly=(NightPrice(night, 10000),),
                status=status,
                hold_expires_at=expires,
                created_at=expires - timedelta(minutes=15),
                updated_at=expires - timedelta(minutes=15),
            )
            if status is BookingStatus.CONFIRMED:
                booking = replace(booking, payment=paid(booking))
            # the repository's own item mapping
            batch.save(booking_item(booking, deps().settings.pending_shards))
            holding += status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)
            if i < due:
                due_ids.append(booking.id)
    night_item = InventoryItem(*InventoryItem.key(room_type_id, night.isoformat()))
    night_item.update(actions=[InventoryItem.available.add(-holding)])
    return due_ids


def overwrite(value: Booking) -> Booking:
    """Write a booking as it is, through the repository's item mapping (to seed a state no flow of
    today produces: a booking written by an older version, or damaged on purpose)."""
    booking_item(value, deps().settings.pending_shards).save()
    return value


def user(
    email: str | None = None,
    password: str = 'correct horse battery',
    name: str = 'Ada Lovelace',
    role: Role = Role.GUEST,
) -> User:
    """A registered account (through the real service; argon2 at the test cost)."""
    from common.services import accounts

    return accounts.register(
        deps(), email or f'{unique("guest")}@example.com', password, name, datetime.now(UTC), role=role
    )


def booking(
    user_id: str, for_room_type: RoomType, check_in: date, nights: int = 2, *, guests: int = 1, rooms: int = 1
) -> Booking:
    """A PENDING hold made through the booking service (the same transaction as the API)."""
    from common.services import bookings

    request = bookings.HoldRequest(for_room_type.id, check_in, check_in + timedelta(days=nights), guests, rooms)
    return bookings.hold(deps(), Principal(user_id, Role.GUEST), request, datetime.now(UTC))


def paid(booking: Booking) -> Payment:
    """A succeeded payment of the booking's total, as the payment flow records it (the
    PaymentIntent id is made up: no Stripe behind it)."""
    return Payment(f'pi_fixture_{uuid.uuid4().hex[:16]}', 'succeeded', booking.total_amount, booking.currency)


def confirmed(held: Booking, now: datetime | None = None) -> Booking:
    """Confirm a hold through the domain's guarded transition, recording a succeeded payment (what
    a successful payment does), without a payment flow."""
    deps().bookings.transition(
        held, [BookingStatus.PENDING], BookingStatus.CONFIRMED, now or datetime.now(UTC), payment=paid(held)
    )
    return deps().bookings.get(held.id)
