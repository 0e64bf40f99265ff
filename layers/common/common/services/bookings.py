"""Booking lifecycle: hold, read, list (see DESIGN §5). Cancelling is services/cancellation.py.

A hold is ONE transaction: the booking item plus every night's inventory guarded by
``available >= rooms``. Every later status change is a write guarded by the status it expects;
the ones that move inventory are one transaction with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from common import errors, money
from common.domain import Booking, BookingStatus, Hotel, Principal, RoomType, Stay
from common.ports import Page
from common.services import catalog, pricing
from common.services.deps import Deps
from common.timeutil import stored_precision


@dataclass(frozen=True)
class HoldRequest:
    room_type_id: str
    check_in: date
    check_out: date
    guests: int
    rooms: int = 1


def check_dates(deps: Deps, stay: Stay) -> None:
    """Hotel-independent rules: order and length."""
    if stay.check_out <= stay.check_in:
        raise errors.InvalidDates('check_out must be after check_in')
    limit = deps.settings.max_stay_nights
    if stay.nights > limit:
        raise errors.StayTooLong(f'A stay can be at most {limit} nights', max_nights=limit)


def check_window(deps: Deps, hotel: Hotel, stay: Stay, now: datetime) -> None:
    """Not in the past at the hotel (its own time zone) and inside its sale window."""
    today = hotel.today(now)
    if stay.check_in < today:
        raise errors.InvalidDates(f'check_in is in the past for {hotel.name} (today there is {today.isoformat()})')
    horizon = today + timedelta(days=deps.settings.sale_window_days)
    if stay.check_out > horizon:
        raise errors.NotOnSale(f'Stays can be booked until {horizon.isoformat()}')


def check_party(deps: Deps, room_type: RoomType, guests: int, rooms: int) -> None:
    limit = deps.settings.max_rooms_per_booking
    if rooms > limit:
        raise errors.Unprocessable(f'At most {limit} rooms per booking')
    if guests > room_type.capacity * rooms:
        raise errors.TooManyGuests(
            f'{rooms} x {room_type.name} take at most {room_type.capacity * rooms} guests',
            capacity=room_type.capacity,
        )
    if guests < rooms:
        raise errors.Unprocessable('Every room needs at least one guest')


def hold(deps: Deps, principal: Principal, request: HoldRequest, now: datetime) -> Booking:
    """Quote the stay, then hold its rooms for BOOKING_HOLD_SECONDS; the quote is locked in."""
    now = stored_precision(now)  # the answer's instants read back the same later
    room_type, hotel = catalog.require_room_type(deps, request.room_type_id)
    stay = Stay(request.check_in, request.check_out)
    check_dates(deps, stay)
    check_window(deps, hotel, stay, now)
    check_party(deps, room_type, request.guests, request.rooms)
    rules = catalog.rules(deps, hotel.id)
    refused = pricing.restriction(room_type, rules, stay)
    if refused is not None:
        raise refused
    quote = pricing.quote(room_type, rules, stay, rooms=request.rooms)
    # Where the total is decided: a total no card payment can take is refused before any room is held.
    money.check_payable(quote.total, quote.currency)
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
        hold_expires_at=now + timedelta(seconds=deps.settings.booking_hold_seconds),
        created_at=now,
        updated_at=now,
    )
    deps.bookings.create_hold(booking)
    return booking


def get_own(deps: Deps, principal: Principal, booking_id: str) -> Booking:
    """A booking of the caller; someone else's answers 404 exactly like a missing one."""
    booking = deps.bookings.get(booking_id)
    if booking.user_id != principal.user_id:
        raise errors.NotFound('Booking not found')
    return booking


def list_own(deps: Deps, principal: Principal, limit: int | None, cursor: str | None) -> Page[Booking]:
    return deps.bookings.list_for_user(principal.user_id, limit or deps.settings.page_size_default, cursor)
