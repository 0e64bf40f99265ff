"""Inventory auditor: for every night of every room type,

    allotment == available + rooms held by PENDING and CONFIRMED bookings,  0 <= available <= allotment.

An offline check (tests after every race, ``make audit``): it scans the table, which is fine
for an audit and never done on a request path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from common.domain import HOLDING_STATUSES, BookingStatus
from common.tables import BookingItem, InventoryItem
from common.timeutil import parse_date


@dataclass(frozen=True)
class Violation:
    room_type_id: str
    night: date
    allotment: int
    available: int
    held: int

    def __str__(self) -> str:
        return (
            f'{self.room_type_id} {self.night}: allotment {self.allotment} != '
            f'available {self.available} + held {self.held}'
        )


def held_rooms() -> dict[tuple[str, date], int]:
    held: dict[tuple[str, date], int] = defaultdict(int)
    for booking in BookingItem.scan(BookingItem.pk.startswith('BOOKING#'), consistent_read=True):
        if BookingStatus(booking.status) not in HOLDING_STATUSES:
            continue
        for night in booking.nightly:
            held[(booking.room_type_id, parse_date(night.night))] += int(booking.rooms)
    return held


def inventory_violations(start: date | None = None, end: date | None = None) -> list[Violation]:
    """Every night (optionally in [start, end)) where the books do not balance."""
    held = held_rooms()
    found = []
    seen: set[tuple[str, date]] = set()
    for item in InventoryItem.scan(InventoryItem.pk.startswith('INV#'), consistent_read=True):
        night = parse_date(item.night)
        if (start and night < start) or (end and night >= end):
            continue
        key = (item.room_type_id, night)
        seen.add(key)
        allotment, available = int(item.allotment), int(item.available)
        rooms = held.get(key, 0)
        if allotment != available + rooms or not 0 <= available <= allotment:
            found.append(Violation(item.room_type_id, night, allotment, available, rooms))
    for (room_type_id, night), rooms in held.items():
        if (room_type_id, night) not in seen and not ((start and night < start) or (end and night >= end)):
            found.append(Violation(room_type_id, night, 0, 0, rooms))
    return sorted(found, key=lambda v: (v.room_type_id, v.night))


def all_violations(start: date | None = None, end: date | None = None) -> list[object]:
    """Every check the auditor knows (inventory now; payments add theirs)."""
    return [*inventory_violations(start, end)]
