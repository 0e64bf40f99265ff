"""A warm hold through the real bookings handler on moto: with the catalogue cached
(CATALOG_CACHE_SECONDS) it is the session check and ONE transaction, and what a cached, stale room
type can and cannot get wrong (docs/capacity.md, "A warm hold")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from common import wiring
from common.domain import Principal, Role
from common.services import admin
from common.services.deps import Deps, TtlCache
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')

STAFF = Principal('admin-1', Role.ADMIN)


@pytest.fixture
def warm(monkeypatch) -> Iterator[None]:
    """The bookings function's process keeps the catalogue for a minute (5 s in production)."""
    monkeypatch.setenv('CATALOG_CACHE_SECONDS', '60')
    wiring.reset()
    yield
    monkeypatch.delenv('CATALOG_CACHE_SECONDS')
    wiring.reset()


def another_process() -> Deps:
    """The admin function runs in other containers: its changes do not clear this one's cache."""
    return replace(deps(), catalog_cache=TtlCache(0))


def test_a_warm_hold_is_the_session_check_and_one_transaction(api: Api, warm, monkeypatch):
    room = factories.room_type(factories.hotel(), total_rooms=5)
    token = factories.token()
    with count_calls(monkeypatch) as cold:
        assert api.hold(room.id, *factories.stay(days_ahead=3, nights=2), token=token).status == 201
    with count_calls(monkeypatch) as hold:
        assert api.hold(room.id, *factories.stay(days_ahead=6, nights=7), token=token).status == 201
    # the session (revocation check), then the booking, its nights, the hold slot and both attempt
    # windows in one TransactWriteItems; room type, hotel, rules, plans and taxes from the cache
    assert hold.calls == {'GetItem': 1, 'TransactWriteItems': 1}
    # cold: hotels, room types and the hotel's terms listed once for the whole process
    assert cold.calls == {'GetItem': 1, 'Query': 3, 'TransactWriteItems': 1}


def test_a_room_type_deleted_while_cached_is_refused_by_the_transaction_and_leaves_nothing(api: Api, warm, monkeypatch):
    room = factories.room_type(factories.hotel(), total_rooms=5)
    token = factories.token()
    assert api.hold(room.id, *factories.stay(days_ahead=3, nights=1), token=token).status == 201
    cancelled = api.get('/api/bookings', token=token).json['items'][0]['id']
    assert api.post(f'/api/bookings/{cancelled}/cancel', token=token).status == 200
    # Given the room type deleted by staff (its nights first, then the room type) in another
    # process, while this one still has it cached
    admin.delete_room_type(another_process(), STAFF, room.id, deps().clock())
    before = sum(1 for _ in deps().bookings.scan())
    # When a guest holds it from the stale cache
    with count_calls(monkeypatch) as calls:
        refused = api.hold(room.id, *factories.stay(days_ahead=5, nights=2), token=factories.token())
    # Then the transaction's guard on each night refuses it (the nights are gone): no booking for a
    # deleted room type, nothing written; no extra read was spent to find out
    assert (refused.status, refused.code) == (422, 'not_on_sale')
    assert sum(1 for _ in deps().bookings.scan()) == before
    assert calls['TransactWriteItems'] == 1 and calls['GetItem'] == 1


def test_a_price_changed_while_cached_is_charged_as_quoted_until_the_cache_lapses(api: Api, warm):
    room = factories.room_type(factories.hotel(), total_rooms=5, base_price=10000)
    token = factories.token()
    first = api.hold(room.id, *factories.stay(days_ahead=3, nights=1), token=token).json
    admin.update_room_type(another_process(), STAFF, room.id, {'base_price': 12000})
    stale = api.hold(room.id, *factories.stay(days_ahead=5, nights=1), token=token).json
    # the cached price: what the search showed a moment ago, locked in the booking consistently
    assert stale['total_amount'] == first['total_amount']
    deps().catalog_cache.clear()  # CATALOG_CACHE_SECONDS later
    fresh = api.hold(room.id, *factories.stay(days_ahead=7, nights=1), token=token).json
    assert fresh['total_amount'] > first['total_amount']
