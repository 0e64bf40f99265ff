"""Daily housekeeping (issue 23) on moto, with the clock moved by time-machine: the sale window rolls
forward every day in each hotel's own time zone, opening each night once; nights carry their TTL.
The race of two runs at once is in tests/concurrency/test_housekeeping_races.py (ministack)."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from common.config import settings
from common.domain import Principal, Role
from common.sale_window import LEAD_NIGHTS, kept_from, night_expires_at
from common.services import admin, bookings, housekeeping
from common.services.outcomes import RollReport
from common.tables import InventoryItem, SaleWindowPassItem
from functions.housekeeping import app as housekeeping_app
from local.gateway import LambdaContext
from tests.support import factories
from tests.support.counting import count_calls
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture(autouse=True)
def short_windows(override_settings) -> None:
    """Twenty-night windows: every room type created on moto opens them night by night; the
    tests about a year ahead set SALE_WINDOW_DAYS back to 365."""
    override_settings(SALE_WINDOW_DAYS=20)


ROOT = Path(__file__).resolve().parents[2]
ADMIN = Principal('admin-1', Role.ADMIN)
RUN_AT = (0, 15)  # the template's cron(15 0 * * ? *)


def at_run(day: date, minute_late: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, *RUN_AT, tzinfo=UTC) + timedelta(minutes=minute_late)


def create_room_type(hotel_id: str, room_type_id: str, now: datetime, **fields: object) -> None:
    body = {'id': room_type_id, 'hotel_id': hotel_id, 'name': 'Room', 'capacity': 2, 'base_price': 10000}
    admin.create_room_type(deps(), ADMIN, {'total_rooms': 3, **body, **fields}, now)


def roll(now: datetime, *, again: bool = False) -> RollReport:
    return housekeeping.roll(deps(), now, again=again)


def window_nights(room_type_id: str, first: date, last: date) -> list[date]:
    return [n.date for n in deps().inventory.nights(room_type_id, first, last + timedelta(days=1), consistent=True)]


def test_for_nine_days_on_moto_a_stay_360_days_ahead_is_bookable_every_day_and_the_books_balance(override_settings):
    # Given room types created where the day turns first (UTC+14) and in New York, over the end of
    # summer time there (7 Nov 2027); moto's cost grows with the table, so nine days and two
    # room types here, 400 days in the test above
    override_settings(SALE_WINDOW_DAYS=365)
    start = date(2027, 10, 31)
    zones = ('Pacific/Kiritimati', 'America/New_York')
    with time_machine.travel(at_run(start, minute_late=-30), tick=False):
        hotels = [factories.hotel(timezone=zone) for zone in zones]
        for i, hotel in enumerate(hotels):
            create_room_type(hotel.id, f'rt{i}', datetime.now(UTC))
    window = settings().sale_window_days
    guest = Principal('guest-1', Role.GUEST)
    started = time.perf_counter()
    for day in range(9):
        # When housekeeping runs every day
        with time_machine.travel(at_run(start + timedelta(days=day), minute_late=day % 7), tick=False):
            report = roll(datetime.now(UTC))
        assert (report.complete, report.short) == (True, []), (day, report)
        # Then until the next run every window reaches SALE_WINDOW_DAYS, and a stay 360 days
        # ahead can be booked through the booking service (on two of the days, one is)
        with time_machine.travel(at_run(start + timedelta(days=day + 1), minute_late=-1), tick=False):
            now = datetime.now(UTC)
            for i, hotel in enumerate(hotels):
                today = hotel.today(now)
                for offset in (360, 361, window):
                    night = InventoryItem.get(
                        *InventoryItem.key(f'rt{i}', (today + timedelta(days=offset)).isoformat())
                    )
                    assert night.available >= 1, (day, hotel.timezone, offset)
                if day in (3, 8):
                    far = today + timedelta(days=360)
                    bookings.hold(
                        deps(), guest, bookings.HoldRequest(f'rt{i}', far, far + timedelta(days=2), guests=2), now
                    )
    assert_inventory_balances()
    for i in range(len(zones)):
        assert len(deps().inventory.all_nights(f'rt{i}')) == window + LEAD_NIGHTS + 1 + 8  # day 0 opened none
    print(f'\n9 simulated days of housekeeping on moto, 2 room types: {time.perf_counter() - started:.2f}s')


def test_a_second_run_on_the_same_day_opens_nothing_and_reads_one_item(monkeypatch):
    # Given a room type whose window is a day behind
    with time_machine.travel(at_run(date.today()), tick=False):
        hotel = factories.hotel(timezone='Europe/Lisbon')
        create_room_type(hotel.id, 'lisbon-room', datetime.now(UTC))
    tomorrow = at_run(date.today() + timedelta(days=1))
    # When housekeeping runs twice that day
    first = roll(tomorrow)
    with count_calls(monkeypatch) as calls:
        second = roll(tomorrow + timedelta(hours=3))
    # Then the first opens the new night, the second finds the day's pass finished: one read
    assert (first.nights_opened, first.complete, first.already_done) == (1, True, False)
    assert (second.nights_opened, second.already_done) == (0, True)
    assert calls.calls == {'GetItem': 1}
    # And a new pass forced the same day finds every night there: nothing is opened twice
    again = roll(tomorrow + timedelta(hours=4), again=True)
    assert (again.nights_opened, again.room_types, again.complete) == (0, 1, True)


def steady_day(after: date) -> date:
    """The first day after ``after`` on which a pass does not read every window."""
    day = after + timedelta(days=1)
    while day.toordinal() % housekeeping.VERIFY_EVERY_DAYS == 0:
        day += timedelta(days=1)
    return day


def test_a_daily_run_costs_one_put_per_room_type_and_three_reads(monkeypatch):
    # Given 10 room types in three time zones, and yesterday's pass finished
    yesterday = steady_day(date.today()) - timedelta(days=1)
    with time_machine.travel(at_run(yesterday), tick=False):
        hotels = [factories.hotel(timezone=tz) for tz in ('Europe/Lisbon', 'Asia/Tokyo', 'America/New_York')]
        for i in range(10):
            create_room_type(hotels[i % 3].id, f'room-{i:02d}', datetime.now(UTC))
        assert roll(datetime.now(UTC)).complete
    # When today's run comes
    with count_calls(monkeypatch) as calls:
        report = roll(at_run(yesterday + timedelta(days=1)))
    # Then: the progress item, the hotels, the room types; one Put per new night (no read of the
    # windows: yesterday's pass reached its horizon), and the progress written once
    assert (report.room_types, report.nights_opened, report.short, report.read_windows) == (10, 10, [], False)
    assert calls.calls == {'GetItem': 1, 'Query': 2, 'PutItem': 10 + 1}


def test_a_pass_that_reads_every_window_costs_one_query_per_room_type(monkeypatch):
    # Given 10 room types a day behind, and no pass before
    now = at_run(date.today())
    with time_machine.travel(now, tick=False):
        hotel = factories.hotel()
        for i in range(10):
            create_room_type(hotel.id, f'room-{i:02d}', now)
    # When the first pass runs, the next day
    with count_calls(monkeypatch) as calls:
        report = roll(now + timedelta(days=1))
    # Then it reads each window (one Query of keys) and opens the one night missing in each
    assert (report.room_types, report.nights_opened, report.read_windows) == (10, 10, True)
    assert calls.calls == {'GetItem': 1, 'Query': 2 + 10, 'PutItem': 10 + 1}


def test_a_missed_day_is_caught_up_and_reported_short_by_the_next_run():
    # Given a pass that finished, then two days without housekeeping
    first = date.today()
    while (first + timedelta(days=3)).toordinal() % housekeeping.VERIFY_EVERY_DAYS == 0:
        first += timedelta(days=1)
    with time_machine.travel(at_run(first), tick=False):
        hotel = factories.hotel(timezone='Europe/Berlin')
        create_room_type(hotel.id, 'berlin-room', datetime.now(UTC))
        roll(datetime.now(UTC))
    # When the third day's run comes (a day that does not read the windows)
    report = roll(at_run(first + timedelta(days=3)))
    # Then it opens the three nights and names the room type whose window was short
    assert (report.read_windows, report.nights_opened, report.short) == (False, 3, ['berlin-room'])


def test_a_night_missing_inside_a_window_is_found_by_a_pass_that_reads_the_windows():
    # Given a room type whose creation stopped half-way (a night in the middle never opened)
    day = steady_day(date.today())
    with time_machine.travel(at_run(day), tick=False):
        hotel = factories.hotel()
        create_room_type(hotel.id, 'rt', datetime.now(UTC))
        roll(datetime.now(UTC))
    hole = day + timedelta(days=10)
    InventoryItem(*InventoryItem.key('rt', hole.isoformat())).delete()
    # When the next daily run comes, only the new night is opened (it does not read windows)
    assert roll(at_run(day + timedelta(days=1))).nights_opened == 1
    # but a pass that reads them (weekly, or make housekeeping AGAIN=1) opens the hole
    report = roll(at_run(day + timedelta(days=1), minute_late=30), again=True)
    assert (report.read_windows, report.nights_opened, report.short) == (True, 1, ['rt'])
    assert deps().inventory.nights('rt', hole, hole + timedelta(days=1))[0].available == 3


def test_a_run_stopped_by_its_budget_is_continued_by_the_next_and_each_night_opens_once(override_settings):
    # Given 12 room types each missing 20 nights, and runs that may open at most 100 nights
    # (the progress is recorded every 100 nights, and the budget is checked between room types)
    now = at_run(date.today())
    with time_machine.travel(now - timedelta(days=20), tick=False):
        hotel = factories.hotel()
        for i in range(12):
            create_room_type(hotel.id, f'room-{i:02d}', datetime.now(UTC))
    override_settings(HOUSEKEEPING_MAX_NIGHTS=100)
    # When housekeeping runs three times that day
    reports = [roll(now + timedelta(minutes=m)) for m in range(3)]
    # Then the first two stop at their budget, the third finishes the pass where the second stopped
    assert [(r.complete, r.nights_opened) for r in reports] == [(False, 100), (False, 100), (True, 40)]
    assert sum(r.room_types for r in reports) == 12
    stored = SaleWindowPassItem.get(*SaleWindowPassItem.key())
    assert (stored.complete, stored.nights_opened, stored.room_types) == (True, 240, 12)
    for i in range(12):
        assert len(deps().inventory.all_nights(f'room-{i:02d}')) == settings().sale_window_days + LEAD_NIGHTS + 21


def test_a_window_found_short_by_the_first_pass_is_reported_and_made_whole():
    # Given a room type whose housekeeping never ran, three days after its creation
    with time_machine.travel(at_run(date.today()), tick=False):
        hotel = factories.hotel(timezone='Asia/Tokyo')
        create_room_type(hotel.id, 'tokyo-room', datetime.now(UTC))
    later = at_run(date.today() + timedelta(days=3))
    # When it runs
    report = roll(later)
    # Then it names the room type as short and opens the three nights
    assert (report.short, report.nights_opened) == (['tokyo-room'], 3)
    today = hotel.today(later)
    last = today + timedelta(days=settings().sale_window_days + LEAD_NIGHTS)
    assert window_nights('tokyo-room', today, last) == [
        today + timedelta(days=d) for d in range((last - today).days + 1)
    ]


def test_new_nights_take_the_room_types_default_allotment_and_keep_existing_nights():
    # Given a room type of 6 rooms selling 4 a night, with a hold on its last open night
    now = at_run(date.today())
    with time_machine.travel(now, tick=False):
        hotel = factories.hotel()
        create_room_type(hotel.id, 'rt', now, total_rooms=6, default_allotment=4)
        last = hotel.today(now) + timedelta(days=settings().sale_window_days + LEAD_NIGHTS)
        held = factories.booking('guest-1', deps().catalog.get_room_type('rt'), last - timedelta(days=2), nights=1)
        # and an admin who then sells 5 a night from now on
        admin.update_room_type(deps(), ADMIN, 'rt', {'default_allotment': 5})
    # When the next day's housekeeping runs, and an admin opens a night beyond the window
    roll(now + timedelta(days=1))
    # Then the new night has the new default; the night held keeps its counts
    nights = {n.date: n for n in deps().inventory.all_nights('rt')}
    assert (nights[last + timedelta(days=1)].allotment, nights[last + timedelta(days=1)].available) == (5, 5)
    assert (nights[held.check_in].allotment, nights[held.check_in].available) == (4, 3)
    assert {n.allotment for d, n in nights.items() if d <= last} == {4}


def test_every_night_written_carries_its_ttl_and_nothing_reads_nights_past_the_retention(override_settings):
    override_settings(INVENTORY_RETENTION_DAYS=40)
    now = at_run(date.today())
    with time_machine.travel(now, tick=False):
        hotel = factories.hotel()
        create_room_type(hotel.id, 'rt', now)
    # Every night opened at creation expires 40 days (and the two-day margin) after it
    for item in InventoryItem.query('INV#rt'):
        assert item.ttl == night_expires_at(date.fromisoformat(item.sk), 40)
    night = date.fromisoformat(next(iter(InventoryItem.query('INV#rt'))).sk)
    assert datetime.fromtimestamp(night_expires_at(night, 40), UTC) == datetime.combine(
        night + timedelta(days=42), datetime.min.time(), UTC
    )
    # and TTL (which never deletes early) cannot have removed a night readers rely on: every night
    # from kept_from(now) on expires after now, at any time of day
    for hour in range(0, 24, 5):
        at = datetime.combine(night + timedelta(days=41), datetime.min.time(), UTC) + timedelta(hours=hour)
        assert night_expires_at(kept_from(at, 40), 40) > at.timestamp()


def test_the_schedule_event_from_events_runs_the_real_handler_and_records_metrics(emitted):
    # Given a room type whose window is a day behind
    with time_machine.travel(at_run(date.today() - timedelta(days=1)), tick=False):
        hotel = factories.hotel()
        create_room_type(hotel.id, 'rt', datetime.now(UTC))
    emitted()
    # When the handler gets the sample schedule event (as `sam local invoke` would)
    event = json.loads((ROOT / 'events' / 'housekeeping' / 'schedule.json').read_text())
    with time_machine.travel(at_run(date.today()), tick=False):
        summary = housekeeping_app.lambda_handler(event, LambdaContext('HousekeepingFunction', timeout_seconds=300))
    # Then it opened the night and said so in its metrics (zeros too: the alarm reads a missing
    # data point as a day without a run)
    assert (summary['nights_opened'], summary['complete'], summary['short']) == (1, True, 0)
    found = {(m.name, m.value) for m in emitted() if m.dimensions == {'service': 'test'}}
    assert {('NightsOpened', 1), ('SaleWindowShort', 0)} <= found


# The test audits the books itself under its 40-day retention; the audit after it runs with the
# default retention, under which the nights it deletes (as TTL would) are still owed.
@pytest.mark.no_audit
def test_nights_past_the_retention_are_not_read_whether_ttl_deleted_them_yet_or_not(api, override_settings):
    # Given a room type with a confirmed stay 50 nights ago, and a retention of 40 days: TTL may
    # delete those nights any time now (it deletes late, never early), or not yet
    override_settings(INVENTORY_RETENTION_DAYS=40)
    now = datetime.now(UTC)
    hotel = factories.hotel()
    room = factories.room_type(hotel, open_from=now.date() - timedelta(days=60), open_days=80)
    with time_machine.travel(now - timedelta(days=55), tick=False):
        old = factories.confirmed(factories.booking('guest-1', room, now.date() - timedelta(days=50), nights=2))
    admin_token = factories.token('admin-1', Role.ADMIN)
    # Then the auditor balances with or without them, and the occupancy report refuses those dates
    assert_inventory_balances()
    for night in old.nightly:  # TTL deleted them
        InventoryItem(*InventoryItem.key(room.id, night.date.isoformat())).delete()
    assert_inventory_balances()
    start = (now.date() - timedelta(days=50)).isoformat()
    reply = api.get(
        '/api/admin/reports/occupancy', query={'from': start, 'to': now.date().isoformat()}, token=admin_token
    )
    assert (reply.status, reply.code) == (422, 'invalid_dates')
    # and that stay no longer keeps its room type from being deleted
    assert api.delete(f'/api/admin/room-types/{room.id}', token=admin_token).status == 204
