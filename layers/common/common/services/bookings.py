"""Booking lifecycle: hold, read, list (see DESIGN §5). Cancelling is services/cancellation.py.

A hold is ONE transaction: the booking item plus every night's inventory guarded by
``available >= rooms``, with its guards: one of the account's hold slots
(MAX_ACTIVE_HOLDS_PER_USER) and a hit on each hourly attempt limit. Every later status change is
a write guarded by the status it expects; the ones that move inventory are one transaction with
it, and the one that leaves PENDING gives the hold slot back.

A hold refused because due holds (past ``hold_expires_at``, not swept yet) stand in its way
releases them and tries once more: rooms held by the caller's own due holds when its slots are
all in use, rooms of due holds on the refused nights when sold out (docs/holds.md).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from common import errors, money
from common.domain import Booking, BookingStatus, Hotel, Principal, RoomType, Stay
from common.ports import GuardRefused, HoldGuard, HoldSlot, Page, SlotsInUse, WindowHit
from common.services import catalog, holds, limits, pricing
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


def hold(
    deps: Deps, principal: Principal, request: HoldRequest, now: datetime, *, client_ip: str | None = None
) -> Booking:
    """Quote the stay, then hold its rooms for BOOKING_HOLD_SECONDS; the quote is locked in.

    From the API ``client_ip`` is set and the attempt also counts against HOLDS_PER_IP_PER_HOUR.
    Every attempt that reaches the write counts once against the hourly limits: in the hold's own
    transaction when it succeeds, on its own when it is refused."""
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
    cap = deps.settings.max_active_holds_per_user
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
        hold_slot=cap > 0,
    )
    checks = attempt_limits(deps, principal, client_ip)
    guards: list[HoldGuard] = [*limits.window_hits(checks, now)]
    if cap > 0:
        guards.append(HoldSlot(principal.user_id, cap))
    try:
        return _place(deps, booking, guards, checks, now)
    except (errors.SoldOut, errors.NotOnSale, errors.TooManyHolds):
        limits.take(deps, checks, now)  # a refused attempt counts too (429 instead if over the limit)
        raise


def attempt_limits(deps: Deps, principal: Principal, client_ip: str | None) -> list[tuple[limits.Limit, str]]:
    checks = [(limits.holds_per_user(deps), principal.user_id)]
    if client_ip is not None:
        checks.append((limits.holds_per_ip(deps), client_ip))
    return checks


def _place(
    deps: Deps, booking: Booking, guards: Sequence[HoldGuard], checks: Sequence[tuple[limits.Limit, str]], now: datetime
) -> Booking:
    """Write the hold; when due holds stand in its way, release them and try once more."""
    freed_slots = freed_rooms = False
    while True:
        try:
            deps.bookings.create_hold(booking, guards)
            return booking
        except SlotsInUse as in_use:
            if freed_slots or not holds.release_own_due(deps, booking.user_id, in_use.held, now):
                raise too_many_holds(deps, in_use, now) from None
            freed_slots = True
        except GuardRefused as refused:
            assert isinstance(refused.guard, WindowHit)
            raise limits.refusal(checks, refused.guard, now) from None
        except errors.SoldOut as sold_out:
            nights = [date.fromisoformat(n) for n in sold_out.extra.get('nights', [])]
            if freed_rooms or not holds.release_due_on(deps, booking.room_type_id, nights, now, rooms=booking.rooms):
                raise
            freed_rooms = True
        # Another attempt is another booking: its id is the transaction's ClientRequestToken.
        booking = replace(booking, id=str(uuid.uuid4()))


def too_many_holds(deps: Deps, in_use: SlotsInUse, now: datetime) -> errors.TooManyHolds:
    """429 ``too_many_holds``; ``Retry-After``: until the caller's oldest hold expires."""
    cap = deps.settings.max_active_holds_per_user
    oldest = min((slot.expires_at for slot in in_use.held), default=now)
    return errors.TooManyHolds(
        f'You already hold {len(in_use.held)} unpaid booking(s), at most {cap} at a time: pay or cancel one, '
        f'or wait until the oldest expires at {oldest.isoformat()}',
        retry_after=max(1, math.ceil((oldest - now).total_seconds())),
        max_active_holds=cap,
    )


def get_own(deps: Deps, principal: Principal, booking_id: str) -> Booking:
    """A booking of the caller; someone else's answers 404 exactly like a missing one."""
    booking = deps.bookings.get(booking_id)
    if booking.user_id != principal.user_id:
        raise errors.NotFound('Booking not found')
    return booking


def list_own(deps: Deps, principal: Principal, limit: int | None, cursor: str | None) -> Page[Booking]:
    return deps.bookings.list_for_user(principal.user_id, limit or deps.settings.page_size_default, cursor)
