"""The sale window's repository and its in-memory fake (tests/support/fakes.py) answer the same:
the cases below run against both, the real one on moto."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from common import repos
from common.domain import Hotel, RoomType
from common.sale_window_repo import NewNight, PassProgress, SaleWindowRepo
from common.tables import InventoryItem
from tests.support.fakes import FakeSaleWindowRepo

NOW = datetime(2027, 5, 3, 0, 15, tzinfo=UTC)
DAY = NOW.date()
HOTELS = [
    Hotel('b-hotel', 'B', 'City', '', 'UTC', 15, 'EUR'),
    Hotel('a-hotel', 'A', 'City', '', 'Asia/Tokyo', 15, 'EUR'),
]
ROOM_TYPES = [
    RoomType('twin', 'b-hotel', 'Twin', '', 2, 9000, 'EUR', 4),
    RoomType('king', 'b-hotel', 'King', '', 2, 12000, 'EUR', 6, default_allotment=5),
    RoomType('suite', 'a-hotel', 'Suite', '', 4, 30000, 'EUR', 2),
]

Taker = Callable[[str, date], None]


def _take_real(room_type_id: str, night: date) -> None:
    InventoryItem(*InventoryItem.key(room_type_id, night.isoformat())).update(actions=[InventoryItem.available.add(-1)])


@pytest.fixture(params=['fake', 'moto'])
def store(request: pytest.FixtureRequest) -> tuple[Any, Taker, Callable[[str, date], tuple[int, int]]]:
    """(repository, take a room of a night, read a night's allotment and available)."""
    if request.param == 'fake':
        fake = FakeSaleWindowRepo(HOTELS, ROOM_TYPES)

        def take(room_type_id: str, night: date) -> None:
            fake.nights[(room_type_id, night)].available -= 1

        return fake, take, lambda rt, night: (fake.nights[(rt, night)].allotment, fake.nights[(rt, night)].available)
    request.getfixturevalue('aws')
    for hotel in HOTELS:
        repos.put_hotel(hotel, create=True)
    for room_type in ROOM_TYPES:
        repos.put_room_type(room_type, create=True)

    def counts(room_type_id: str, night: date) -> tuple[int, int]:
        [found] = repos.inventory(room_type_id, night, night + timedelta(days=1), consistent=True)
        return found.allotment, found.available

    return SaleWindowRepo(), _take_real, counts


def test_opening_creates_only_absent_nights_with_the_opening_allotment_and_never_resets_one(store):
    repo, take, counts = store
    king = ROOM_TYPES[1]
    first = [NewNight(king, DAY + timedelta(days=d)) for d in range(3)]
    assert repo.open(first) == [True, True, True]
    take('king', DAY + timedelta(days=1))
    # opening again (another run) creates the new night only; the night a guest took stays taken
    again = [NewNight(king, DAY + timedelta(days=d)) for d in range(1, 5)]
    assert repo.open(again) == [False, False, True, True]
    assert counts('king', DAY + timedelta(days=1)) == (5, 4)
    assert counts('king', DAY + timedelta(days=4)) == (5, 5)
    assert repo.open_nights('king', DAY + timedelta(days=1), DAY + timedelta(days=3)) == {
        DAY + timedelta(days=d) for d in (1, 2, 3)
    }
    assert repo.open_nights('twin', DAY, DAY + timedelta(days=9)) == set()


def test_room_types_are_listed_by_hotel_then_id_after_a_cursor(store):
    repo, _, _ = store
    listed = list(repo.room_types_after(''))
    assert [key for key, _ in listed] == ['a-hotel#suite', 'b-hotel#king', 'b-hotel#twin']
    assert [rt.id for _, rt in repo.room_types_after('a-hotel#suite')] == ['king', 'twin']
    assert listed[1][1].allotment_of_new_nights == 5
    assert set(repo.hotels()) == {'a-hotel', 'b-hotel'}


def test_progress_only_moves_forward(store):
    repo, _, _ = store
    assert repo.progress() is None
    started = PassProgress(DAY, run_at=NOW, since=NOW - timedelta(days=1), cursor='b-hotel#king', room_types=2)
    assert repo.save_progress(started, NOW)
    assert repo.progress() == started
    # a run behind it (an earlier cursor of the same day) does not set it back
    assert not repo.save_progress(PassProgress(DAY, run_at=NOW, cursor='a-hotel#suite'), NOW)
    finished = PassProgress(DAY, run_at=NOW, since=NOW - timedelta(days=1), cursor='b-hotel#twin', complete=True)
    assert repo.save_progress(finished, NOW)
    # once the day's pass finished, nothing of that day changes it; the next day starts a new one
    assert not repo.save_progress(PassProgress(DAY, run_at=NOW, cursor='b-hotel#twin', complete=True), NOW)
    tomorrow = PassProgress(DAY + timedelta(days=1), run_at=NOW + timedelta(days=1), since=NOW)
    assert repo.save_progress(tomorrow, NOW)
    assert repo.progress() == tomorrow
