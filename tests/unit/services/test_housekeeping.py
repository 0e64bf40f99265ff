"""Housekeeping's decisions on the fakes (tests/fakes.py, held to the DynamoDB repositories by
tests/contract): 400 days of moto would take minutes, this takes well under a second. The same
on moto, with DynamoDB calls counted and through the booking service, is in
tests/integration/test_housekeeping.py; two runs racing on ministack in tests/concurrency."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from common.domain import Hotel, RoomType
from common.sale_window import LEAD_NIGHTS, nights
from common.services import housekeeping
from tests.fakes import fakes

RUN_AT = (0, 15)  # the template's cron(15 0 * * ? *)


def at_run(day: date, minute_late: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, *RUN_AT, tzinfo=UTC) + timedelta(minutes=minute_late)


# The day turns first at UTC+14 (hours before the 00:15 UTC run), last at UTC-11; Lisbon and New
# York change their clocks during the runs below.
ZONES = ('Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Lisbon', 'America/New_York')


def test_for_400_days_a_stay_360_days_ahead_is_open_every_day_in_every_time_zone_and_opened_once():
    # Given a room type in each zone, created on the first day (its whole window opened)
    f = fakes(sale_window_days=365)
    deps, stored = f.deps, f.store.nights
    start = date(2027, 3, 15)
    window = deps.settings.sale_window_days
    hotels = [Hotel(f'h{i}', 'Hotel', 'City', '', zone, 15, 'EUR') for i, zone in enumerate(ZONES)]
    room_types = [
        RoomType(f'rt{i}', h.id, 'Room', '', 2, 10000, 'EUR', 3, default_allotment=2) for i, h in enumerate(hotels)
    ]
    created_at = at_run(start, minute_late=-30)
    for hotel, room_type in zip(hotels, room_types, strict=True):
        deps.catalog.put_hotel(hotel, create=True)
        deps.catalog.put_room_type(room_type, create=True)
        housekeeping.open_window(deps, room_type, hotel, created_at)  # what admin creation does
    initial = len(stored)
    f.inventory.calls.clear()
    held: dict[tuple[str, date], int] = {}
    opened = reads = 0
    for day in range(400):
        # When housekeeping runs every day, from the day of the creation (a few minutes late some days)
        report = housekeeping.roll(deps, at_run(start + timedelta(days=day), minute_late=day % 7))
        assert report.complete and not report.short, (day, report)
        opened += report.nights_opened
        reads += f.inventory.calls.count('existing_nights')
        f.inventory.calls.clear()
        # Then, until the next run (its weakest moment: a minute before it), every window is whole
        # and a stay 360 days ahead is open; a guest takes a room of it
        before_next = at_run(start + timedelta(days=day + 1), minute_late=-1)
        for hotel, room_type in zip(hotels, room_types, strict=True):
            today = hotel.today(before_next)
            for offset in range(window + 1):
                assert (room_type.id, today + timedelta(days=offset)) in stored, (day, hotel.timezone, offset)
            far = (room_type.id, today + timedelta(days=360))
            assert stored[far].available >= 1
            stored[far] = replace(stored[far], available=stored[far].available - 1)
            held[far] = held.get(far, 0) + 1
    # Each night was opened once (what the runs opened is what exists beyond the creations), with
    # no gap from the day of creation to the last horizon, and no opening touched a night in use
    assert opened == len(stored) - initial
    last_run = at_run(start + timedelta(days=399), minute_late=399 % 7)
    for hotel, room_type in zip(hotels, room_types, strict=True):
        first, last = hotel.today(created_at), hotel.today(last_run) + timedelta(days=window + LEAD_NIGHTS)
        assert sorted(n for rt, n in stored if rt == room_type.id) == list(nights(first, last))
    assert all(n.allotment == n.available + held.get(key, 0) == 2 for key, n in stored.items())
    # The windows were read on the weekly passes only
    assert reads == len(room_types) * sum(
        d == 0 or (start + timedelta(days=d)).toordinal() % housekeeping.VERIFY_EVERY_DAYS == 0 for d in range(400)
    )
