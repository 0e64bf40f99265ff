"""A small world of fakes for service tests: a hotel, a room type with open nights, guests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from common import errors
from common.domain import Adjustment, Booking, BookingStatus, Hotel, PriceRule, Principal, Role, RoomType
from common.services import bookings, cancellation, checkout
from tests.fakes import NOW, Fakes, fakes

GUEST = Principal('guest-1', Role.GUEST)
OTHER = Principal('guest-2', Role.GUEST)
ADMIN = Principal('admin-1', Role.ADMIN)


@dataclass
class World:
    f: Fakes
    hotel: Hotel
    room: RoomType

    @property
    def deps(self) -> Any:
        return self.f.deps

    @property
    def now(self) -> datetime:
        return self.f.clock.now

    def day(self, offset: int) -> date:
        return self.now.date() + timedelta(days=offset)

    def available(self, start: int = 10, nights: int = 2) -> list[int]:
        return [
            n.available for n in self.deps.inventory.nights(self.room.id, self.day(start), self.day(start + nights))
        ]

    def hold(self, start: int = 10, nights: int = 2, *, guest: Principal = GUEST, rooms: int = 1) -> Booking:
        request = bookings.HoldRequest(self.room.id, self.day(start), self.day(start + nights), rooms, rooms)
        return bookings.hold(self.deps, guest, request, self.now)

    def paid(self, start: int = 10, nights: int = 2, *, guest: Principal = GUEST) -> Booking:
        """A CONFIRMED booking, paid through the test-mode checkout."""
        held = self.hold(start, nights, guest=guest)
        result = checkout.checkout(self.deps, guest, held.id, self.now, auto_confirm=True)
        assert result.booking.status is BookingStatus.CONFIRMED
        return result.booking

    def owing_refund(self, start: int = 10, nights: int = 2) -> Booking:
        """A paid booking cancelled while Stripe was down: CANCELLED, its refund owed, not made."""
        booking = self.paid(start, nights)
        self.f.stripe.down = True
        with pytest.raises(errors.PaymentProviderUnavailable):
            cancellation.cancel(self.deps, GUEST, booking.id, self.now)
        self.f.stripe.down = False
        return self.deps.bookings.get(booking.id)

    def rule(self, adjustment: tuple[str, int], **fields: Any) -> PriceRule:
        rule = PriceRule(
            id=str(fields.pop('id', f'rule-{len(self.f.store.rules)}')),
            hotel_id=self.hotel.id,
            name='rule',
            adjustment=Adjustment(*adjustment),
            **fields,
        )
        self.deps.catalog.put_rule(rule)
        return rule


def world(*, timezone: str = 'UTC', total_rooms: int = 5, base_price: int = 10000, **settings: Any) -> World:
    f = fakes(**settings)
    f.clock.now = NOW
    hotel = Hotel('lisbon', 'Harbour', 'Lisbon', 'Cais 1', timezone, 15, 'EUR')
    room = RoomType('deluxe', hotel.id, 'Deluxe', '', 2, base_price, 'EUR', total_rooms)
    f.deps.catalog.put_hotel(hotel, create=True)
    f.deps.catalog.put_room_type(room, create=True)
    room = f.deps.catalog.get_room_type(room.id)  # as stored (with its default allotment)
    f.deps.inventory.open_fresh(room, NOW.date(), NOW.date() + timedelta(days=59))
    return World(f, hotel, room)
