"""An admin changing allotments while guests book, with real threads against ministack: what is
held is never lost, no night is oversold, and a range changes all or nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from common.domain import Role
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.race import race

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]

RANGE = 150  # two transactions of up to 100 nights


@pytest.mark.parametrize('new_allotment', [4, 7])
def test_lowering_an_allotment_while_guests_book_never_loses_a_hold_or_oversells(api: Api, new_allotment: int):
    hotel = factories.hotel()
    today = datetime.now(UTC).date()  # read with the room's opening, not at import (midnight UTC)
    room = factories.room_type(hotel, total_rooms=10, open_days=RANGE + 5)
    admin = factories.token('admin-race', Role.ADMIN)
    # guests race for a night in each block of the admin's range
    nights = [today + timedelta(days=5), today + timedelta(days=120)]
    guests = 16

    def attempt(i: int):
        if i == guests:
            return api.request(
                'PUT',
                f'/api/admin/room-types/{room.id}/inventory',
                {
                    'start_date': today.isoformat(),
                    'end_date': (today + timedelta(days=RANGE)).isoformat(),
                    'allotment': new_allotment,
                },
                token=admin,
            )
        night = nights[i % 2]
        return api.post(
            '/api/bookings',
            {
                'room_type_id': room.id,
                'check_in': night.isoformat(),
                'check_out': (night + timedelta(days=1)).isoformat(),
                'guests': 1,
            },
            token=factories.token(f'guest-{i}'),
        )

    replies = race(guests + 1, attempt)
    admin_reply, guest_replies = replies[guests], replies[:guests]
    assert (admin_reply.status, admin_reply.code) in {(200, None), (409, 'allotment_below_held')}, admin_reply.json
    assert Counter(r.status for r in guest_replies).keys() <= {201, 409}

    stored = deps().inventory.nights(room.id, today, today + timedelta(days=RANGE), consistent=True)
    allotments = {n.allotment for n in stored}
    assert allotments == ({new_allotment} if admin_reply.status == 200 else {10})  # all or nothing
    for night in nights:
        booked = sum(1 for i, r in enumerate(guest_replies) if r.status == 201 and nights[i % 2] == night)
        [inventory] = [n for n in stored if n.date == night]
        assert booked == inventory.allotment - inventory.available <= inventory.allotment
        assert inventory.available >= 0
    assert_inventory_balances()
