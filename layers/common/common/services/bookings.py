"""Booking lifecycle: hold, read, list, cancel (see DESIGN §5).

A hold is ONE transaction: the booking item plus every night's inventory guarded by
``available >= rooms``. Every later status change is a write guarded by the status it expects;
the ones that move inventory are one transaction with it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from common import errors, repos
from common.config import settings
from common.domain import Booking, BookingStatus, Hotel, Principal, RoomType, Stay
from common.services import catalog, pricing

if TYPE_CHECKING:
    from common.services import cancellation


@dataclass(frozen=True)
class HoldRequest:
    room_type_id: str
    check_in: date
    check_out: date
    guests: int
    rooms: int = 1


def check_dates(stay: Stay) -> None:
    """Hotel-independent rules: order and length."""
    if stay.check_out <= stay.check_in:
        raise errors.InvalidDates('check_out must be after check_in')
    limit = settings().max_stay_nights
    if stay.nights > limit:
        raise errors.StayTooLong(f'A stay can be at most {limit} nights', max_nights=limit)


def check_window(hotel: Hotel, stay: Stay, now: datetime) -> None:
    """Not in the past at the hotel (its own time zone) and inside its sale window."""
    today = hotel.today(now)
    if stay.check_in < today:
        raise errors.InvalidDates(f'check_in is in the past for {hotel.name} (today there is {today.isoformat()})')
    horizon = today + timedelta(days=settings().sale_window_days)
    if stay.check_out > horizon:
        raise errors.NotOnSale(f'Stays can be booked until {horizon.isoformat()}')


def check_stay(hotel: Hotel, stay: Stay, now: datetime) -> None:
    check_dates(stay)
    check_window(hotel, stay, now)


def check_party(room_type: RoomType, guests: int, rooms: int) -> None:
    if rooms > settings().max_rooms_per_booking:
        raise errors.Unprocessable(f'At most {settings().max_rooms_per_booking} rooms per booking')
    if guests > room_type.capacity * rooms:
        raise errors.TooManyGuests(
            f'{rooms} x {room_type.name} take at most {room_type.capacity * rooms} guests',
            capacity=room_type.capacity,
        )
    if guests < rooms:
        raise errors.Unprocessable('Every room needs at least one guest')


def pending_shard(booking_id: str) -> str:
    """Spread PENDING holds over a few index partitions (the sweeper queries each)."""
    digest = hashlib.blake2b(booking_id.encode(), digest_size=2).digest()
    return f'PENDING#{int.from_bytes(digest, "big") % settings().pending_shards}'


def hold(principal: Principal, request: HoldRequest, now: datetime) -> Booking:
    """Quote the stay, then hold its rooms for BOOKING_HOLD_SECONDS; the quote is locked in."""
    room_type, hotel = catalog.require_room_type(request.room_type_id)
    stay = Stay(request.check_in, request.check_out)
    check_stay(hotel, stay, now)
    check_party(room_type, request.guests, request.rooms)
    rules = catalog.rules(hotel.id)
    refused = pricing.restriction(room_type, rules, stay)
    if refused is not None:
        raise refused
    quote = pricing.quote(room_type, rules, stay, rooms=request.rooms)
    booking = Booking(
        id=str(uuid.uuid4()),
        user_id=principal.user_id,
        hotel_id=hotel.id,
        room_type_id=room_type.id,
        check_in=stay.check_in,
        check_out=stay.check_out,
        guests=request.guests,
        rooms=request.rooms,
        currency=quote.currency,
        total_amount=quote.total,
        nightly=quote.nightly,
        status=BookingStatus.PENDING,
        hold_expires_at=now + timedelta(seconds=settings().booking_hold_seconds),
        created_at=now,
        updated_at=now,
    )
    repos.create_hold(booking, pending_shard(booking.id))
    return booking


def get_own(principal: Principal, booking_id: str) -> Booking:
    """A booking of the caller; someone else's answers 404 exactly like a missing one."""
    booking = repos.get_booking(booking_id)
    if booking.user_id != principal.user_id:
        raise errors.NotFound('Booking not found')
    return booking


def list_own(principal: Principal, limit: int, cursor: str | None) -> repos.Page[Booking]:
    return repos.list_user_bookings(principal.user_id, limit, cursor)


def cancel(principal: Principal, booking_id: str, now: datetime) -> cancellation.Cancelled:
    """Cancel in any state (PaymentIntent cancelled, refund per policy): see services/cancellation.py."""
    from common.services import cancellation  # it builds on this module

    return cancellation.cancel(principal, booking_id, now)
