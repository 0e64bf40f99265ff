"""Two housekeeping runs at once, and guests booking the nights they open, with real threads against
ministack: every night is opened once, and a room a guest took a moment after its night opened is
never given back by the second opener."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from common import errors
from common.config import settings
from common.domain import Principal, Role
from common.sale_window import LEAD_NIGHTS
from common.services import bookings, housekeeping
from common.services.outcomes import RollReport
from tests.support import factories
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.race import race

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def test_two_runs_at_once_open_each_night_once_and_keep_the_rooms_guests_took_meanwhile(override_settings):
    # Given six room types whose windows are four nights short (no housekeeping has run yet)
    # Each guest retries every 10 ms until its night opens: every refused attempt counts against
    # HOLDS_PER_USER_PER_HOUR (docs/holds.md), which is not what this race is about.
    override_settings(SALE_WINDOW_DAYS=30, HOLDS_PER_USER_PER_HOUR=0)
    window = settings().sale_window_days
    now = datetime.now(UTC)
    hotel = factories.hotel()
    today = hotel.today(now)
    rooms = [factories.room_type(hotel, total_rooms=2, open_from=today, open_days=window - 2) for _ in range(6)]
    missing = len(rooms) * (window + LEAD_NIGHTS + 1 - (window - 2))
    # When two runs start at the same instant, while guests try to book the last nights of the window
    last_stay = today + timedelta(days=window - 1)

    def attempt(i: int) -> object:
        if i < 2:
            return housekeeping.roll(deps(), now)
        # a guest tries again until the night has opened (bounded): the holds land while the
        # runs are still opening nights
        room = rooms[i % len(rooms)]
        request = bookings.HoldRequest(room.id, last_stay, last_stay + timedelta(days=1), guests=1)
        deadline = time.monotonic() + 60  # generous: on a loaded 2-core run the two runs took over 10 s
        while True:
            try:
                return bookings.hold(deps(), Principal(f'guest-{i}', Role.GUEST), request, now)
            except errors.SoldOut as refused:  # the two rooms went to other guests
                return refused
            except errors.NotOnSale as refused:  # not open yet
                if time.monotonic() > deadline:
                    return refused
                time.sleep(0.01)

    results = race(2 + 12, attempt)
    # Then between them the runs opened each missing night once
    runs = [r for r in results[:2] if isinstance(r, RollReport)]
    assert len(runs) == 2 and all(r.complete for r in runs)
    assert sum(r.nights_opened for r in runs) == missing
    for room in rooms:
        nights = deps().inventory.all_nights(room.id)
        assert [n.date for n in nights] == [today + timedelta(days=d) for d in range(window + LEAD_NIGHTS + 1)]
    # and every room a guest got is still held: the books balance
    booked = [r for r in results[2:] if not isinstance(r, errors.DomainError)]
    assert len(booked) == len(rooms) * 2  # every room of every last night, none twice
    assert_inventory_balances()
