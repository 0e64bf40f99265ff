"""Daily housekeeping (issue 23): every room type keeps ``SALE_WINDOW_DAYS`` of nights open ahead
of its hotel's today.

One pass a day (UTC day of the run), room types in listing order. For each: one Query of the
nights that exist in its window (keys only), then the missing ones are opened with their room
type's opening allotment, each by a PutItem guarded by ``attribute_not_exists``, batched across
room types (progress is recorded every 100 nights). Work per run is bounded (``HOUSEKEEPING_MAX_NIGHTS``, and the
Lambda's time left); progress is recorded after every batch, so the next run continues where
this one stopped, and a finished pass makes later runs of the same day a single read.

Nothing here decides by TTL: nights past the retention are deleted by DynamoDB's TTL, set when
each night is written (``common.sale_window.night_expires_at``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from common.config import Settings
from common.domain import Hotel, RoomType
from common.observability import logger
from common.sale_window import nights, open_through, required_through
from common.sale_window_repo import NewNight, PassProgress, SaleWindowRepo

_SHORT_LISTED = 50  # room types named in the log line (the count is always whole)
_BATCH_NIGHTS = 100  # nights opened between two progress records


@dataclass
class RollReport:
    day: date
    room_types: int = 0
    nights_opened: int = 0
    # Room types whose window had a gap (or ended too early) when the run reached them: the
    # previous run did not happen or failed. Their windows are whole again after this run.
    short: list[str] = field(default_factory=list)
    complete: bool = True  # False: stopped by its budget; the next run continues
    already_done: bool = False  # the day's pass had finished before: nothing to do

    def as_dict(self) -> dict[str, Any]:
        return {
            'day': self.day.isoformat(),
            'room_types': self.room_types,
            'nights_opened': self.nights_opened,
            'short': len(self.short),
            'short_room_types': self.short[:_SHORT_LISTED],
            'complete': self.complete,
            'already_done': self.already_done,
        }


def missing_nights(
    room_type: RoomType, hotel: Hotel, now: datetime, window_days: int, repo: SaleWindowRepo
) -> tuple[list[date], bool]:
    """The nights of the room type's window that do not exist yet, and whether the window is
    short now (a night it must already have is missing)."""
    first, last = hotel.today(now), open_through(hotel, now, window_days)
    existing = repo.open_nights(room_type.id, first, last)
    missing = [n for n in nights(first, last) if n not in existing]
    required = required_through(hotel, now, window_days)
    return missing, any(n <= required for n in missing)


def open_window(room_type: RoomType, hotel: Hotel, now: datetime, window_days: int, repo: SaleWindowRepo) -> int:
    """Open every missing night of one room type's window now (room-type creation, the demo seed)."""
    first, last = hotel.today(now), open_through(hotel, now, window_days)
    existing = repo.open_nights(room_type.id, first, last, consistent=True)
    return repo.open([NewNight(room_type, n) for n in nights(first, last) if n not in existing])


def roll(
    now: datetime,
    repo: SaleWindowRepo,
    config: Settings,
    seconds_left: Callable[[], float] = lambda: float('inf'),
    *,
    again: bool = False,
) -> RollReport:
    """One run of the day's pass (``again``: a new pass even if today's finished)."""
    day = now.astimezone(UTC).date()
    report = RollReport(day)
    stored = repo.progress()
    if stored is not None and stored.day == day and not again:
        if stored.complete:
            report.already_done = True
            return report
        resumed = stored
    else:
        resumed = PassProgress(day)
    hotels = repo.hotels()
    batch: list[NewNight] = []

    def flush(cursor: str, complete: bool) -> None:
        """Open the batched nights, then record that every room type up to ``cursor`` is done."""
        report.nights_opened += repo.open(batch)
        batch.clear()
        progress = PassProgress(
            day,
            cursor=cursor,
            complete=complete,
            room_types=resumed.room_types + report.room_types,
            nights_opened=resumed.nights_opened + report.nights_opened,
            short=resumed.short + len(report.short),
        )
        repo.save_progress(progress, now)

    cursor = resumed.cursor
    for key, room_type in repo.room_types_after(resumed.cursor):
        if not _budget_left(report.nights_opened + len(batch), config, seconds_left):
            report.complete = False
            break
        hotel = hotels.get(room_type.hotel_id)
        if hotel is None:  # listed before its hotel's create committed, or left over: nothing to open
            logger.warning('room type without its hotel', room_type_id=room_type.id, hotel_id=room_type.hotel_id)
        else:
            missing, short = missing_nights(room_type, hotel, now, config.sale_window_days, repo)
            batch.extend(NewNight(room_type, n) for n in missing)
            if short:
                report.short.append(room_type.id)
        report.room_types += 1
        cursor = key
        if len(batch) >= _BATCH_NIGHTS:
            flush(cursor, complete=False)
    flush(cursor, complete=report.complete)
    return report


def _budget_left(nights_so_far: int, config: Settings, seconds_left: Callable[[], float]) -> bool:
    return nights_so_far < config.housekeeping_max_nights and seconds_left() > config.housekeeping_safety_margin_seconds
