"""What is for sale right now: the stored inventory, plus the rooms of holds past their expiry that
nobody has released yet (the sweeper runs every minute; a hold is over at ``hold_expires_at``).

Read-only: search and the calendar show those rooms as available from ``hold_expires_at`` on, and
the hold that wants them releases them first (``holds.release_due_on``). docs/holds.md has the why.

Cost: the due holds are read from the sparse ``pending`` index (one Query per shard, in parallel,
``hold_expires_at <= now``: due holds only) and only for room types where they could change the
answer: some night is short of the rooms asked for while rooms are held on it. A search that
finds what it asks for reads nothing more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from common.domain import Booking, InventoryNight
from common.services.deps import Deps


def releasable(bookings: Iterable[Booking], now: datetime) -> dict[tuple[str, date], int]:
    """Rooms per (room type, night) of the ``bookings`` that are holds past their expiry."""
    rooms: dict[tuple[str, date], int] = defaultdict(int)
    for booking in bookings:
        if booking.hold_has_expired(now):
            for night in booking.nightly:
                rooms[(booking.room_type_id, night.date)] += booking.rooms
    return rooms


def could_release(night: InventoryNight, rooms: int) -> bool:
    """Short of ``rooms`` while some rooms are held on it: due holds may free what is missing."""
    return not night.stop_sell and night.available < rooms and night.available < night.allotment


def released(night: InventoryNight, rooms: int) -> InventoryNight:
    """``night`` with ``rooms`` more available (never more than its allotment: the index may still
    list a hold released a moment ago)."""
    if not rooms:
        return night
    return replace(night, available=min(night.allotment, night.available + rooms))


def on_sale(
    deps: Deps,
    nights: Mapping[str, Sequence[InventoryNight]],
    start: date,
    end: date,
    now: datetime,
    *,
    rooms: int = 1,
) -> dict[str, list[InventoryNight]]:
    """``nights`` per room type (in [start, end)) with the rooms of due holds counted as available,
    where some night is short of ``rooms`` (see the module's cost)."""
    short = [rt for rt, found in nights.items() if any(could_release(n, rooms) for n in found)]
    if not short:
        return {rt: list(found) for rt, found in nights.items()}
    extra = releasable(deps.bookings.due_holds_on(short, start, end, now), now)
    return {rt: [released(n, extra.get((rt, n.date), 0)) for n in found] for rt, found in nights.items()}
