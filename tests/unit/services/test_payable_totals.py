"""Totals a card payment can take (common/money.py), checked where the total is decided: the hold,
the admin preview, and checkout for holds made before (issue 22, point 3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from common import errors, money
from common.domain import Hotel, RoomType
from common.services import admin, checkout
from tests.unit.services.world import GUEST, world


@pytest.mark.parametrize(
    ('total', 'currency', 'refusal'),
    [
        (0, 'EUR', errors.TotalBelowMinimum),  # a free stay
        (49, 'EUR', errors.TotalBelowMinimum),
        (50, 'EUR', None),
        (29, 'GBP', errors.TotalBelowMinimum),
        (30, 'GBP', None),
        (49, 'JPY', errors.TotalBelowMinimum),  # zero-decimal: 50 yen
        (1, 'ISK', None),  # not in Stripe's table: positive is all this side can know
        (0, 'ISK', errors.TotalBelowMinimum),
        (99_999_999, 'EUR', None),
        (100_000_000, 'EUR', errors.TotalAboveMaximum),
        (100_000_000, 'JPY', errors.TotalAboveMaximum),
        (12_345, 'KWD', errors.TotalNotPayable),  # three decimals, charged to the hundredth
        (12_340, 'KWD', None),
        (5, 'KWD', errors.TotalBelowMinimum),
    ],
)
def test_one_table_says_which_totals_a_card_payment_can_take(total, currency, refusal):
    problem = money.payable_problem(total, currency)
    assert type(problem) is refusal if refusal else problem is None


def test_the_refusal_names_the_limit_in_the_currency():
    small = money.payable_problem(0, 'eur')
    assert small is not None and (small.code, small.status) == ('total_below_minimum', 422)
    assert small.extra == {'total': 0, 'currency': 'EUR', 'minimum': 50}
    assert '0.50 EUR' in small.detail
    large = money.payable_problem(135_000_000, 'EUR')
    assert large is not None and large.code == 'total_above_maximum'
    assert large.extra['maximum'] == 99_999_999 and '999999.99 EUR' in large.detail
    assert money.rules_for('JPY').display(5000) == '5000 JPY'
    assert money.rules_for('KWD').display(12340) == '12.340 KWD'


@pytest.mark.parametrize(
    'rule', [('fixed', 0), ('percent', -100), ('amount', -10_000)], ids=['fixed-0', 'minus-100-percent', 'amount']
)
def test_a_hold_whose_rules_make_it_free_is_refused_and_takes_no_room(rule):
    w = world()
    w.rule(rule)
    with pytest.raises(errors.TotalBelowMinimum):
        w.hold(10, 2)
    assert w.available() == [5, 5] and not w.f.store.bookings


def test_a_hold_too_large_for_one_card_payment_is_refused_naming_the_limit():
    # 9 rooms x 30 nights x 5,000.00 EUR = 1,350,000.00 EUR > 999,999.99
    w = world(base_price=500_000, total_rooms=9, max_stay_nights=30)
    with pytest.raises(errors.TotalAboveMaximum) as refused:
        w.hold(10, 30, rooms=9)
    assert refused.value.extra['maximum'] == money.MAXIMUM
    assert w.available(10, 30) == [9] * 30
    assert w.hold(10, 10, rooms=2).total_amount == 10_000_000  # what one payment can take is still sold


def test_a_three_decimal_total_must_end_in_zero():
    w = world(base_price=12_345)
    kwd = Hotel('kuwait', 'Gulf', 'Kuwait', 'Road 1', 'Asia/Kuwait', 14, 'KWD')
    w.deps.catalog.put_hotel(kwd, create=True)
    room = RoomType('suite', kwd.id, 'Suite', '', 2, 12_345, 'KWD', 2)
    w.deps.catalog.put_room_type(room, create=True)
    w.deps.inventory.open_fresh(room, w.now.date(), w.now.date() + timedelta(days=29))
    w.room = room
    with pytest.raises(errors.TotalNotPayable):
        w.hold(10, 1)
    w.deps.catalog.update_room_type(room.id, {'base_price': 12_340})
    assert w.hold(10, 1).total_amount == 12_340


def test_the_preview_shows_the_refusal_a_hold_would_get():
    w = world()
    w.rule(('fixed', 0))
    preview = admin.preview(w.deps, w.room.id, w.day(10), w.day(12))
    assert preview.total == 0
    assert preview.restriction is not None and preview.restriction.code == 'total_below_minimum'
    fine = world()
    assert admin.preview(fine.deps, fine.room.id, fine.day(10), fine.day(12)).restriction is None


def test_checkout_of_a_hold_made_before_the_check_is_a_422_and_asks_stripe_nothing():
    w = world()
    held = w.hold()
    w.f.store.bookings[held.id] = replace(held, total_amount=0)  # held before totals were checked
    with pytest.raises(errors.TotalBelowMinimum):
        checkout.checkout(w.deps, GUEST, held.id, w.now)
    assert w.f.stripe.calls == []
