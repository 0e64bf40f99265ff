"""A promo code's uses under a rush, against the ministack DynamoDB server: each hold takes its
use in its own transaction (guarded by ``uses < max_uses``), so the count is exact whatever the
interleaving, and an expired hold gives its use back in the transaction that releases it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from common.domain import PromoCode
from common.services import holds
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.race import race

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def test_thirty_guests_racing_for_the_last_five_uses_of_a_promo_code_get_exactly_five(api: Api):
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=40, open_days=20)
    check_in, check_out = factories.stay(days_ahead=5, nights=2)
    deps().promos.create(PromoCode(hotel.id, 'RUSH', 'percent', 20, max_uses=5, version=1))
    tokens = [factories.token(f'guest-{i}') for i in range(30)]

    def book(i: int):
        body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
        return api.post('/api/bookings', {**body, 'promo_code': 'rush'}, token=tokens[i])

    replies = race(30, book)
    outcomes = Counter((r.status, r.code) for r in replies)
    assert outcomes == {(201, None): 5, (422, 'promo_exhausted'): 25}, outcomes
    held = [deps().bookings.get(r.json['id']) for r in replies if r.status == 201]
    assert all(b.promo is not None and b.promo.code == 'RUSH' for b in held)
    assert deps().promos.get(hotel.id, 'RUSH').uses == 5
    assert_inventory_balances()  # the refused holds took no rooms

    # An expired hold gives its use back, and the next guest gets it
    first = held[0]
    assert holds.expire(deps(), first, first.hold_expires_at + timedelta(seconds=1)).release is holds.Release.RELEASED
    assert deps().promos.get(hotel.id, 'RUSH').uses == 4
    late = api.post(
        '/api/bookings',
        {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1, 'promo_code': 'RUSH'},
        token=factories.token('late-guest'),
    )
    assert late.status == 201, late.json
    assert deps().promos.get(hotel.id, 'RUSH').uses == 5
    assert_inventory_balances()
