"""Long admin inventory ranges (more nights than one transaction holds), through the real admin
handler and the inventory repository, on the ministack DynamoDB server: moto takes seconds per
100-night transaction, these tests write and undo hundreds of nights."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import errors
from common.domain import Principal, Role
from common.services import bookings
from tests.integration.test_admin_inventory import day, nights, plan, put
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


@pytest.fixture
def admin() -> str:
    return factories.token('admin-7', Role.ADMIN)


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=3, open_days=200)


def test_a_repeated_put_writes_nothing(api: Api, admin: str, room, monkeypatch):
    assert put(api, admin, room.id, day(1), day(150), allotment=4).status == 200
    with count_calls(monkeypatch) as calls:
        assert put(api, admin, room.id, day(1), day(150), allotment=4).status == 200
    assert calls['TransactWriteItems'] == 0


def test_a_long_range_is_written_one_transaction_per_100_nights(api: Api, admin: str, room, monkeypatch):
    with count_calls(monkeypatch) as calls:
        assert put(api, admin, room.id, day(0), day(250), allotment=6).status == 200
    assert calls['TransactWriteItems'] == 3  # 100 + 100 + 50 nights (the last 50 are opened)
    assert {a for a, _, _ in nights(room.id, day(0), day(250))} == {6}


def test_a_hold_landing_after_the_plan_undoes_the_blocks_already_written():
    long_open = factories.room_type(factories.hotel(), total_rooms=3, open_days=250)
    # Given a plan read when nothing was held: allotment 0 for 250 nights (three transactions)
    changes = plan(long_open, day(0), day(250), allotment=0)
    # and a guest then holds a room on a night of the last block
    request = bookings.HoldRequest(long_open.id, day(230), day(231), guests=1)
    bookings.hold(deps(), Principal('guest-late', Role.GUEST), request, datetime.now(UTC))
    # When the plan is applied
    with pytest.raises(errors.AllotmentBelowHeld) as refused:
        deps().inventory.apply(long_open, changes)
    # Then the two blocks written are undone: the request changed nothing, and the night is reported
    assert refused.value.extra['nights'] == [{'date': day(230).isoformat(), 'held': 1, 'allotment': 0}]
    after = nights(long_open.id, day(0), day(250))
    assert after == [(3, 2, False) if i == 230 else (3, 3, False) for i in range(250)]
    assert_inventory_balances()


def test_another_admin_change_after_the_plan_is_a_conflict_and_changes_nothing(room):
    changes = plan(room, day(0), day(130), allotment=5)
    # another admin sets night 110 meanwhile
    deps().inventory.apply(room, plan(room, day(110), day(111), allotment=4))
    with pytest.raises(errors.InventoryConflict) as refused:
        deps().inventory.apply(room, changes)
    assert refused.value.extra['nights'] == [day(110).isoformat()]
    assert [a for a, _, _ in nights(room.id, day(0), day(130))] == [4 if i == 110 else 3 for i in range(130)]
    assert_inventory_balances()
