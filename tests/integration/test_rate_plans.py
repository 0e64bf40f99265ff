"""Rate plans, taxes and promo codes end to end through the real handlers against moto: staff set
them up over the admin API, a guest searches offers, books one with a promo code, cancels."""

from __future__ import annotations

import pytest

from common.domain import Role
from tests.support import factories
from tests.support.api import Api
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def admin() -> str:
    return factories.token('admin-7', Role.ADMIN)


@pytest.fixture
def room():
    hotel = factories.hotel('lisbon', city='Lisbon')
    return factories.room_type(hotel, 'double', capacity=2, base_price=10000, total_rooms=3)


def setup_plans(api: Api, admin: str) -> None:
    base = '/api/admin/hotels/lisbon'
    flexible = {'code': 'flex', 'name': 'Flexible', 'is_default': True}
    assert api.post(f'{base}/rate-plans', flexible, token=admin).status == 201
    non_refundable = {
        'code': 'NR',
        'name': 'Non-refundable',
        'cancellation': {'type': 'non_refundable'},
        'parent_code': 'FLEX',
        'derivation': {'type': 'percent', 'value': -10},
    }
    assert api.post(f'{base}/rate-plans', non_refundable, token=admin).status == 201
    taxes = {'vat_percent': 6, 'prices_include_vat': False, 'city_tax': {'per_guest_night': 300, 'max_nights': 7}}
    assert api.request('PUT', f'{base}/taxes', taxes, token=admin).status == 200
    promo = {'code': 'welcome10', 'kind': 'percent', 'value': 10, 'max_uses': 5}
    assert api.post(f'{base}/promo-codes', promo, token=admin).status == 201


def test_staff_refusals_are_problems_with_stable_codes(api: Api, admin: str, room):
    setup_plans(api, admin)
    base = '/api/admin/hotels/lisbon'
    unknown = api.post(f'{base}/rate-plans', {'code': 'X', 'name': 'X', 'price': 1}, token=admin)
    assert (unknown.status, unknown.code) == (422, 'validation_error')
    assert unknown.header('content-type') == 'application/problem+json'
    assert api.post(f'{base}/rate-plans', {'code': 'nr', 'name': 'Again'}, token=admin).code == 'already_exists'
    assert api.delete(f'{base}/rate-plans/FLEX', token=admin).code == 'rate_plan_has_derived_plans'
    huge = api.post(f'{base}/promo-codes', {'code': 'BIG', 'kind': 'percent', 'value': 101}, token=admin)
    assert huge.status == 422
    assert api.get(f'{base}/rate-plans', token=factories.token('guest-1')).status == 403


def test_a_guest_books_the_non_refundable_offer_with_a_promo_code_and_cancelling_refunds_the_city_tax(
    api: Api, admin: str, room, stripe_local: StripeTest
):
    setup_plans(api, admin)
    check_in, check_out = factories.stay(days_ahead=10, nights=3)
    stay = {'check_in': check_in, 'check_out': check_out, 'guests': 2}
    found = api.get('/api/rooms/search', query={**stay, 'hotel_id': 'lisbon', 'promo': 'Welcome10'})
    assert found.status == 200, found.json
    [result] = found.json['results']
    offers = {o['rate_plan_id']: o for o in result['offers']}
    assert list(offers) == ['NR', 'FLEX']  # cheapest first
    nr = offers['NR']
    # 3 x 9000, 10 % off (8100 a night), 6 % VAT added (486 a night), EUR 3 x 2 adults x 3 nights
    parts = nr['breakdown']
    assert (parts['room_charge'], parts['discount'], parts['vat']['amount'], parts['city_tax']['amount']) == (
        24300, 2700, 1458, 1800,
    )  # fmt: skip
    assert parts['total'] == 24300 + 1458 + 1800 == 27558
    assert nr['total_price'] == 27558
    # total_price is what a booking without rate_plan_id gets: the default plan's (FLEX, 10000 a night)
    assert result['total_price'] == offers['FLEX']['total_price'] == 27000 + 1620 + 1800
    assert nr['cancellation']['free_cancellation_until'] is None

    refused = api.get('/api/rooms/search', query={**stay, 'promo': 'NOPE1'})
    assert (refused.status, refused.code) == (422, 'promo_unknown')

    guest = factories.token('guest-1')
    booked = api.post('/api/bookings', {'room_type_id': room.id, **stay, 'rate_plan_id': 'nr', 'promo_code': 'WELCOME10'}, token=guest)  # fmt: skip
    assert booked.status == 201, booked.json
    assert booked.json['total_amount'] == 27558
    assert booked.json['rate_plan']['rate_plan_id'] == 'NR'
    assert booked.json['breakdown']['total'] == 27558
    paid = api.post(f'/api/bookings/{booked.json["id"]}/checkout', {'auto_confirm': True}, token=guest)
    assert paid.json['status'] == 'CONFIRMED', paid.json
    assert stripe_local.intent(paid.json['payment_intent_id'])['amount'] == 27558  # charged what was shown

    quote = api.get(f'/api/bookings/{booked.json["id"]}/refund-quote', token=guest)
    assert (quote.json['amount'], quote.json['penalty']) == (1800, 27558 - 1800), quote.json
    cancelled = api.post(f'/api/bookings/{booked.json["id"]}/cancel', token=guest)
    assert cancelled.json['status'] == 'CANCELLED' and cancelled.json['refund']['amount'] == 1800
    promo = api.get('/api/admin/hotels/lisbon/promo-codes/WELCOME10', token=admin)
    assert promo.json['uses'] == 1  # a paid booking's use is spent
