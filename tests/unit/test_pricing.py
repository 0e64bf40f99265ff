"""The pricing engine on plain values (DESIGN §8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from common import errors
from common.domain import Adjustment, PriceRule, RoomType, Stay
from common.services import pricing
from local import seed

ROOM = RoomType('deluxe', 'h1', 'Deluxe', '', capacity=2, base_price=10000, currency='EUR', total_rooms=5)


def rule(rule_id: str, kind: str, value: int, **fields) -> PriceRule:
    return PriceRule(rule_id, fields.pop('hotel_id', 'h1'), rule_id, Adjustment(kind, value), **fields)


def prices(rules, check_in: date, check_out: date, rooms: int = 1) -> list[int]:
    return [n.price for n in pricing.quote(ROOM, rules, Stay(check_in, check_out), rooms).nightly]


def test_the_originals_weekend_multiplier_prices_friday_and_saturday_at_120_percent():
    weekend = rule('weekend', 'percent', 20, weekdays=(5, 6))
    quote = pricing.quote(ROOM, [weekend], Stay(date(2025, 1, 3), date(2025, 1, 5)))
    assert [n.price for n in quote.nightly] == [12000, 12000]
    assert quote.total == 24000
    assert [n.rule_ids for n in quote.nightly] == [('weekend',), ('weekend',)]


@pytest.mark.parametrize(
    ('case', 'rules', 'expected'),
    [
        ('no rules: base price', [], [10000, 10000, 10000]),
        (
            'high season by date range (inclusive end)',
            [rule('summer', 'percent', 35, start_date=date(2027, 7, 1), end_date=date(2027, 7, 2))],
            [13500, 13500, 10000],
        ),
        ('open-ended start', [rule('until', 'amount', 500, end_date=date(2027, 7, 1))], [10500, 10000, 10000]),
        ('open-ended end', [rule('from', 'amount', -500, start_date=date(2027, 7, 2))], [10000, 9500, 9500]),
        ('another room type is not priced', [rule('other', 'fixed', 1, room_type_id='suite')], [10000] * 3),
        ('this room type', [rule('mine', 'fixed', 7777, room_type_id='deluxe')], [7777] * 3),
        ('another hotel rule never applies', [rule('far', 'fixed', 1, hotel_id='h2')], [10000] * 3),
        (
            'fixed then percent, by priority',
            [rule('b-pct', 'percent', 10, priority=2), rule('a-fix', 'fixed', 20000, priority=1)],
            [22000] * 3,
        ),
        (
            'percent then fixed: the fixed price wins',
            [rule('a-pct', 'percent', 10, priority=1), rule('b-fix', 'fixed', 20000, priority=2)],
            [20000] * 3,
        ),
        (
            'overlapping rules both apply in order',
            [rule('season', 'percent', 50, priority=1), rule('weekend', 'percent', 10, priority=2, weekdays=(5,))],
            [15000, 16500, 15000],  # Thu, Fri, Sat 2027-07-01..03
        ),
        ('never below zero', [rule('cut', 'amount', -50000)], [0, 0, 0]),
        ('minus 100 percent is free', [rule('free', 'percent', -100)], [0, 0, 0]),
    ],
)
def test_rule_table(case, rules, expected):
    assert prices(rules, date(2027, 7, 1), date(2027, 7, 4)) == expected


def test_odd_cents_round_half_up_after_each_step():
    odd = RoomType('odd', 'h1', 'Odd', '', capacity=1, base_price=1005, currency='EUR', total_rooms=1)
    steps = [rule('a', 'percent', -50, priority=1), rule('b', 'percent', 10, priority=2)]
    # 1005 * 0.5 = 502.5 -> 503; 503 * 1.1 = 553.3 -> 553
    assert [n.price for n in pricing.quote(odd, steps, Stay(date(2027, 1, 1), date(2027, 1, 2))).nightly] == [553]


def test_ties_in_priority_are_broken_by_rule_id():
    a = rule('a', 'fixed', 100, priority=1)
    b = rule('b', 'amount', 5, priority=1)
    assert prices([b, a], date(2027, 1, 1), date(2027, 1, 2)) == [105]


def test_totals_multiply_by_rooms():
    quote = pricing.quote(ROOM, [], Stay(date(2027, 1, 1), date(2027, 1, 3)), rooms=3)
    assert (quote.per_room, quote.total) == (20000, 60000)


def test_min_stay_and_closed_to_arrival_are_read_on_the_arrival_night():
    min3 = rule('min3', 'amount', 0, start_date=date(2027, 8, 1), end_date=date(2027, 8, 31), min_stay=3)
    cta = rule('cta', 'amount', 0, weekdays=(7,), closed_to_arrival=True)
    assert isinstance(pricing.restriction(ROOM, [min3], Stay(date(2027, 8, 1), date(2027, 8, 3))), errors.MinStay)
    assert pricing.restriction(ROOM, [min3], Stay(date(2027, 8, 1), date(2027, 8, 4))) is None
    # arriving the day before the window: the rule is not read
    assert pricing.restriction(ROOM, [min3], Stay(date(2027, 7, 31), date(2027, 8, 2))) is None
    assert isinstance(
        pricing.restriction(ROOM, [cta], Stay(date(2027, 8, 1), date(2027, 8, 5))), errors.ClosedToArrival
    )
    assert pricing.restriction(ROOM, [cta], Stay(date(2027, 8, 2), date(2027, 8, 5))) is None


# ---------------------------------------------------------------- the demo seed's rules (local/seed.py)

SEED_RULES = seed.rules(date(2027, 1, 10))
SEED_TYPES = {rt.id: rt for rt in seed.ROOM_TYPES}


@pytest.mark.parametrize(
    ('room_type_id', 'night', 'expected', 'rule_ids'),
    [
        # Lisbon: high season 15 Jun - 15 Sep (+35 %, priority 10), weekend Fri/Sat (+20 %, priority 20)
        ('lisbon-standard-double', date(2027, 3, 4), 12000, ()),  # Thursday, off season
        ('lisbon-standard-double', date(2027, 3, 5), 14400, ('lisbon-weekend',)),
        ('lisbon-standard-double', date(2027, 6, 14), 12000, ()),  # the day before the season
        ('lisbon-standard-double', date(2027, 6, 15), 16200, ('lisbon-summer-2027',)),
        ('lisbon-standard-double', date(2027, 7, 2), 19440, ('lisbon-summer-2027', 'lisbon-weekend')),
        ('lisbon-standard-double', date(2027, 9, 15), 16200, ('lisbon-summer-2027',)),  # inclusive end
        ('lisbon-standard-double', date(2027, 9, 16), 12000, ()),
        ('lisbon-family-suite', date(2027, 7, 3), 42120, ('lisbon-summer-2027', 'lisbon-weekend')),
        # Edinburgh: festival in August (+50 %), weekend +15 %; 9500 * 1.5 * 1.15 = 16387.5 -> 16388
        ('edinburgh-classic-twin', date(2027, 8, 7), 16388, ('edinburgh-festival-2027', 'edinburgh-weekend')),
        ('edinburgh-castle-suite', date(2027, 8, 5), 31500, ('edinburgh-festival-2027',)),
        ('edinburgh-castle-suite', date(2027, 8, 6), 36225, ('edinburgh-festival-2027', 'edinburgh-weekend')),
        # next year's season comes from the same seed
        ('lisbon-deluxe-king', date(2028, 7, 5), 24300, ('lisbon-summer-2028',)),
    ],
)
def test_the_seed_rules_price_each_hotel_by_season_and_weekend(room_type_id, night, expected, rule_ids):
    quote = pricing.quote(SEED_TYPES[room_type_id], SEED_RULES, Stay(night, night + timedelta(days=1)))
    assert [(n.price, n.rule_ids) for n in quote.nightly] == [(expected, rule_ids)]


def test_the_seed_festival_needs_two_nights_for_august_arrivals_only():
    suite = SEED_TYPES['edinburgh-castle-suite']
    one_night = pricing.restriction(suite, SEED_RULES, Stay(date(2027, 8, 6), date(2027, 8, 7)))
    assert isinstance(one_night, errors.MinStay)
    assert one_night.extra == {'min_stay': 2}
    assert pricing.restriction(suite, SEED_RULES, Stay(date(2027, 8, 6), date(2027, 8, 8))) is None
    assert pricing.restriction(suite, SEED_RULES, Stay(date(2027, 7, 31), date(2027, 8, 1))) is None
    # Lisbon's rules have no restriction, and Edinburgh's never reach Lisbon's rooms
    lisbon = SEED_TYPES['lisbon-standard-double']
    assert pricing.restriction(lisbon, SEED_RULES, Stay(date(2027, 8, 6), date(2027, 8, 7))) is None


@pytest.mark.parametrize(
    ('base', 'percent', 'expected'),
    [(1001, 50, 1502), (999, -50, 500), (1, 50, 2), (3, -50, 2), (1005, 10, 1106), (101, 1000, 1111)],
)
def test_a_percent_on_odd_cents_rounds_half_up(base, percent, expected):
    odd = RoomType('odd', 'h1', 'Odd', '', capacity=1, base_price=base, currency='EUR', total_rooms=1)
    quote = pricing.quote(odd, [rule('p', 'percent', percent)], Stay(date(2027, 1, 1), date(2027, 1, 2)))
    assert quote.nightly[0].price == expected


def test_a_global_rule_prices_every_room_type_of_its_hotel_and_a_typed_rule_only_its_own():
    suite = RoomType('suite', 'h1', 'Suite', '', capacity=4, base_price=30000, currency='EUR', total_rooms=2)
    rules = [
        rule('all', 'amount', 1000, priority=1),
        rule('deluxe-only', 'percent', -10, priority=2, room_type_id='deluxe'),
    ]
    stay = Stay(date(2027, 1, 1), date(2027, 1, 2))
    assert [n.price for n in pricing.quote(ROOM, rules, stay).nightly] == [9900]  # (10000 + 1000) * 0.9
    assert [n.price for n in pricing.quote(suite, rules, stay).nightly] == [31000]


@pytest.mark.parametrize(
    ('rule_fields', 'field'),
    [
        ({'adjustment': Adjustment('percent', -101)}, 'adjustment.value'),
        ({'adjustment': Adjustment('percent', 1001)}, 'adjustment.value'),
        ({'adjustment': Adjustment('fixed', -1)}, 'adjustment.value'),
        ({'adjustment': Adjustment('double', 2)}, 'adjustment.type'),
        ({'start_date': date(2027, 2, 1), 'end_date': date(2027, 1, 31)}, 'end_date'),
        ({'weekdays': (0, 1)}, 'weekdays'),
        ({'weekdays': (8,)}, 'weekdays'),
        ({'weekdays': ()}, 'weekdays'),
        ({'min_stay': 0}, 'min_stay'),
        ({'name': '  '}, 'name'),
    ],
)
def test_rules_the_engine_cannot_apply_are_refused(rule_fields, field):
    fields = {'id': 'r', 'hotel_id': 'h1', 'name': 'r', 'adjustment': Adjustment('amount', 0), **rule_fields}
    with pytest.raises(errors.Unprocessable) as refused:
        pricing.validate_rule(PriceRule(**fields))
    assert refused.value.extra['errors'][0]['loc'] == ['body', *field.split('.')]


def test_a_one_day_range_and_minus_100_percent_are_valid_rules():
    pricing.validate_rule(
        PriceRule('r', 'h1', 'r', Adjustment('percent', -100), start_date=date(2027, 1, 1), end_date=date(2027, 1, 1))
    )
