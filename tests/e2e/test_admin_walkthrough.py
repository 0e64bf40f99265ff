"""The seeded admin over real HTTP: a rule changes prices, a new room type is bookable, stop-sell
takes it off sale, and guests cannot do any of it.

Search sees a catalogue change within CATALOG_CACHE_SECONDS (5 s): under `make run` at once (one
process: the admin's write clears the cache search reads), in AWS and under `make run-emulated`
once the search function's warm cache expires (another process; docs/admin.md)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import LocalStack

pytestmark = pytest.mark.e2e

CATALOG_CACHE_SECONDS = 5


def eventually(search: Callable[[], dict], check: Callable[[dict], bool]) -> dict:
    """The search results once ``check`` holds, within the catalogue cache time (bounded)."""
    deadline = time.monotonic() + CATALOG_CACHE_SECONDS + 3
    while True:
        found = search()
        if check(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


@pytest.fixture
def admin(local_stack: LocalStack) -> requests.Session:
    tokens = requests.post(
        f'{local_stack.url}/api/auth/login',
        json={'email': local_stack.admin_email, 'password': local_stack.admin_password},
        timeout=10,
    ).json()
    session = requests.Session()
    session.headers['Authorization'] = f'Bearer {tokens["access"]}'
    return session


def test_an_admin_prices_opens_and_stops_selling_a_room_type(local_stack: LocalStack, admin: requests.Session):
    base = f'{local_stack.url}/api'
    room_id = factories.unique('e2e-suite')
    check_in, check_out = factories.stay(days_ahead=40, nights=2)
    search = {'check_in': check_in, 'check_out': check_out, 'hotel_id': 'lisbon-harbour', 'guests': 1}

    created = admin.post(
        f'{base}/admin/room-types',
        json={
            'id': room_id,
            'hotel_id': 'lisbon-harbour',
            'name': 'E2E Suite',
            'capacity': 2,
            'base_price': 10000,
            'total_rooms': 1,
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text

    def results() -> dict:
        reply = requests.get(f'{base}/rooms/search', params=search, timeout=10)
        return {r['room_type_id']: r for r in reply.json()['results']}

    try:
        found = eventually(results, lambda found: room_id in found)
        before = found[room_id]['total_price']

        rule = admin.post(
            f'{base}/admin/price-rules',
            json={
                'name': 'E2E uplift',
                'room_type_id': room_id,
                'adjustment': {'type': 'amount', 'value': 1000},
                'priority': 99,
            },
            timeout=10,
        )
        assert rule.status_code == 201, rule.text
        found = eventually(results, lambda found: found[room_id]['total_price'] != before)
        assert found[room_id]['total_price'] == before + 2 * 1000
        preview = admin.get(
            f'{base}/admin/pricing/preview',
            params={'room_type_id': room_id, 'check_in': check_in, 'check_out': check_out},
            timeout=10,
        ).json()
        # the preview's base price is the rules' (no taxes); its offer of the searched plan is what search shows
        offer = next(o for o in preview['offers'] if o['rate_plan_id'] == found[room_id]['rate_plan_id'])
        assert offer['total_price'] == found[room_id]['total_price']

        stopped = admin.put(
            f'{base}/admin/room-types/{room_id}/inventory',
            json={'start_date': check_in, 'end_date': check_out, 'stop_sell': True},
            timeout=10,
        )
        assert stopped.status_code == 200, stopped.text
        # search reads the availability view, which follows the stream within seconds (docs/search-view.md)
        assert room_id not in eventually(results, lambda found: room_id not in found)

        guest = requests.delete(f'{base}/admin/price-rules/{rule.json()["id"]}', timeout=10)
        assert (guest.status_code, guest.json()['code']) == (401, 'unauthorized')
        assert admin.delete(f'{base}/admin/price-rules/{rule.json()["id"]}', timeout=10).status_code == 204
    finally:
        assert admin.delete(f'{base}/admin/room-types/{room_id}', timeout=10).status_code == 204
