"""Daily housekeeping (issue 23): every room type keeps ``SALE_WINDOW_DAYS`` of nights open ahead
of its hotel's today.

One pass a day (the UTC day of the run), room types in listing order, in each hotel's own time
zone (``common.sale_window``). Every night is opened by a PutItem guarded by
``attribute_not_exists``, so a run twice, two runs at once, or a run racing a room type's
creation open each night once and never touch a night that exists.

What a pass writes for a room type:
- **Steady state**: the nights that came into its window since the last finished pass (one a
  day), tried directly, without reading: every window reached that pass's horizon, and a room
  type created since opened its whole window when it was created. A put that succeeds for a
  night the window should already have had means the window was short (a missed day).
- **Reading every window** (one Query of keys per room type, the missing nights opened): on the
  first pass, on ``again`` (``make housekeeping AGAIN=1``), and every ``VERIFY_EVERY_DAYS``. It
  heals what the steady state cannot see, such as a room-type creation that stopped half-way.

Work per run is bounded (``HOUSEKEEPING_MAX_NIGHTS`` and the Lambda's time left); progress is
recorded every 100 nights, so the next run continues where this one stopped, and once the day's
pass has finished a later run that day is a single read. Nothing here decides by TTL: nights
past the retention are deleted by DynamoDB's TTL, set when each night is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from common.domain import Hotel, RoomType
from common.observability import logger
from common.ports import NewNight, PassProgress
from common.sale_window import nights, open_through, required_through
from common.services.deps import Deps
from common.services.outcomes import RollReport

VERIFY_EVERY_DAYS = 7
_BATCH_NIGHTS = 100  # nights opened between two progress records


def open_window(deps: Deps, room_type: RoomType, hotel: Hotel, now: datetime) -> int:
    """Open every missing night of one room type's window now (room-type creation)."""
    first, last = hotel.today(now), open_through(hotel, now, deps.settings.sale_window_days)
    existing = deps.inventory.existing_nights(room_type.id, first, last, consistent=True)
    return sum(deps.inventory.open_nights([NewNight(room_type, n) for n in nights(first, last) if n not in existing]))


def roll(
    deps: Deps,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: float('inf'),
    *,
    again: bool = False,
) -> RollReport:
    """One run of the day's pass (``again``: a new pass reading every window, even if today's finished)."""
    day = now.astimezone(UTC).date()
    report = RollReport(day)
    stored = deps.housekeeping.progress()
    if stored is not None and stored.day == day and not again:
        if stored.complete:
            report.already_done = True
            return report
        current = stored
    else:
        current = PassProgress(day, run_at=now, since=_since(stored, day, again))
    report.read_windows = current.since is None
    hotels = {h.id: h for h in deps.catalog.list_hotels()}
    window = deps.settings.sale_window_days
    batch: list[NewNight] = []
    required: dict[tuple[str, date], bool] = {}  # (room type, night) -> the window needed it already

    def flush(cursor: str, complete: bool) -> None:
        """Open the batched nights, then record that every room type up to ``cursor`` is done."""
        opened = deps.inventory.open_nights(batch)
        report.nights_opened += sum(opened)
        for new, created in zip(batch, opened, strict=True):
            if created and required[(new.room_type.id, new.night)] and new.room_type.id not in report.short:
                report.short.append(new.room_type.id)
        batch.clear()
        required.clear()
        progress = PassProgress(
            day,
            run_at=current.run_at,
            since=current.since,
            cursor=cursor,
            complete=complete,
            room_types=current.room_types + report.room_types,
            nights_opened=current.nights_opened + report.nights_opened,
            short=current.short + len(report.short),
        )
        deps.housekeeping.save_progress(progress, now)

    cursor = current.cursor
    for key, room_type in deps.catalog.room_types_after(current.cursor):
        if not _budget_left(deps, report.nights_opened + len(batch), seconds_left):
            report.complete = False
            break
        hotel = hotels.get(room_type.hotel_id)
        if hotel is None:  # listed before its hotel's create committed, or left over: nothing to open
            logger.warning('room type without its hotel', room_type_id=room_type.id, hotel_id=room_type.hotel_id)
        else:
            needed = required_through(hotel, now, window)
            for night in _to_open(deps, room_type, hotel, now, current.since):
                batch.append(NewNight(room_type, night))
                required[(room_type.id, night)] = night <= needed
        report.room_types += 1
        cursor = key
        if len(batch) >= _BATCH_NIGHTS:
            flush(cursor, complete=False)
    flush(cursor, complete=report.complete)
    return report


def _since(stored: PassProgress | None, day: date, again: bool) -> datetime | None:
    """The lower bound of a new pass: the last finished pass's instant (None: read every window)."""
    if stored is None or again or day.toordinal() % VERIFY_EVERY_DAYS == 0:
        return None
    # An unfinished earlier pass reached some room types only: its own lower bound still holds.
    return stored.run_at if stored.complete else stored.since


def _to_open(deps: Deps, room_type: RoomType, hotel: Hotel, now: datetime, since: datetime | None) -> list[date]:
    """The nights a pass tries to open for one room type (see the module docstring)."""
    window = deps.settings.sale_window_days
    last = open_through(hotel, now, window)
    if since is None:
        first = hotel.today(now)
        existing = deps.inventory.existing_nights(room_type.id, first, last)
        return [n for n in nights(first, last) if n not in existing]
    first = max(open_through(hotel, since, window) + timedelta(days=1), hotel.today(now))
    return list(nights(first, last))


def _budget_left(deps: Deps, nights_so_far: int, seconds_left: Callable[[], float]) -> bool:
    current = deps.settings
    return (
        nights_so_far < current.housekeeping_max_nights and seconds_left() > current.housekeeping_safety_margin_seconds
    )
