"""Properties of the pricing engine (DESIGN §8), checked against a reference computation.

The reference is written here from the design's words, with exact fractions instead of the
engine's decimals: for each night, start at the base price, take the matching rules of the
room type's hotel by (priority, id), apply each (fixed sets, percent multiplies by
(100 + value) / 100, amount adds), round half-up to the minor unit and clamp at 0 after each.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from common.domain import Adjustment, PriceRule, RoomType, Stay
from common.services import pricing

FIRST = date(2027, 1, 1)
SPAN = 70  # rules and stays fall in Jan-Mar 2027, so ranges overlap often
ROOM_TYPE_IDS = ('deluxe', 'suite')

dates = st.integers(0, SPAN).map(lambda d: FIRST + timedelta(days=d))
adjustments = st.one_of(
    st.builds(Adjustment, st.just('percent'), st.integers(-100, 1000)),
    st.builds(Adjustment, st.just('amount'), st.integers(-60_000, 60_000)),
    st.builds(Adjustment, st.just('fixed'), st.integers(0, 90_000)),
)
weekday_sets = st.none() | st.sets(st.integers(1, 7), min_size=1).map(lambda s: tuple(sorted(s)))


@st.composite
def rule_sets(draw: st.DrawFn, max_size: int = 8) -> list[PriceRule]:
    ids = draw(st.lists(st.text('abcdefgh', min_size=1, max_size=3), unique=True, max_size=max_size))
    rules = []
    for rule_id in ids:
        start, end = draw(st.none() | dates), draw(st.none() | dates)
        if start and end and end < start:
            start, end = end, start
        rules.append(
            PriceRule(
                id=rule_id,
                hotel_id=draw(st.sampled_from(['h1', 'h1', 'h1', 'h2'])),
                name=rule_id,
                adjustment=draw(adjustments),
                priority=draw(st.integers(-2, 2)),  # a small range: ties are common
                room_type_id=draw(st.sampled_from([None, None, *ROOM_TYPE_IDS])),
                start_date=start,
                end_date=end,
                weekdays=draw(weekday_sets),
                min_stay=draw(st.none() | st.integers(1, 6)),
                closed_to_arrival=draw(st.integers(0, 9)) == 0,  # rare, so min_stay is exercised too
            )
        )
    return rules


@st.composite
def stays(draw: st.DrawFn) -> Stay:
    check_in = draw(dates)
    return Stay(check_in, check_in + timedelta(days=draw(st.integers(1, 30))))


room_types = st.builds(
    lambda rt_id, base: RoomType(rt_id, 'h1', rt_id, '', capacity=2, base_price=base, currency='EUR', total_rooms=5),
    st.sampled_from(ROOM_TYPE_IDS),
    st.integers(0, 100_000),
)


# ---------------------------------------------------------------- the reference


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2)) if value >= 0 else -math.floor(-value + Fraction(1, 2))


def matches(rule: PriceRule, room_type: RoomType, night: date) -> bool:
    return (
        rule.hotel_id == room_type.hotel_id
        and rule.room_type_id in (None, room_type.id)
        and (rule.start_date is None or rule.start_date <= night)
        and (rule.end_date is None or night <= rule.end_date)
        and (rule.weekdays is None or night.isoweekday() in rule.weekdays)
    )


def reference_night(room_type: RoomType, rules: list[PriceRule], night: date) -> tuple[int, list[str]]:
    price, applied = room_type.base_price, []
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if not matches(rule, room_type, night):
            continue
        kind, value = rule.adjustment.type, rule.adjustment.value
        if kind == 'fixed':
            exact = Fraction(value)
        elif kind == 'amount':
            exact = Fraction(price + value)
        else:
            exact = Fraction(price) * (100 + value) / 100
        price = max(half_up(exact), 0)
        applied.append(rule.id)
    return price, applied


def reference_restriction(room_type: RoomType, rules: list[PriceRule], stay: Stay) -> str | None:
    arriving = [r for r in rules if matches(r, room_type, stay.check_in)]
    if any(r.closed_to_arrival for r in arriving):
        return 'closed_to_arrival'
    if any(r.min_stay and stay.nights < r.min_stay for r in arriving):
        return 'min_stay'
    return None


def nights_of(stay: Stay) -> list[date]:
    return [stay.check_in + timedelta(days=i) for i in range(stay.nights)]


# ---------------------------------------------------------------- properties


@settings(max_examples=250, deadline=None)
@given(room_type=room_types, rules=rule_sets(), stay=stays(), rooms=st.integers(1, 9))
def test_the_engine_agrees_with_the_reference_night_by_night(room_type, rules, stay, rooms):
    quote = pricing.quote(room_type, rules, stay, rooms=rooms)
    expected = [reference_night(room_type, rules, night) for night in nights_of(stay)]
    assert [(n.price, list(n.rule_ids)) for n in quote.nightly] == expected
    assert [n.date for n in quote.nightly] == nights_of(stay)
    assert quote.total == sum(price for price, _ in expected) * rooms


@settings(max_examples=120, deadline=None)
@given(room_type=room_types, rules=rule_sets(), stay=stays())
def test_restrictions_agree_with_the_reference(room_type, rules, stay):
    refused = pricing.restriction(room_type, rules, stay)
    assert (refused.code if refused else None) == reference_restriction(room_type, rules, stay)


@settings(max_examples=120, deadline=None)
@given(room_type=room_types, rules=rule_sets(max_size=12), stay=stays())
def test_prices_are_never_negative(room_type, rules, stay):
    # amounts down to -60000 and -100 % on bases up to 100000 drive many nights to the floor
    assert all(n.price >= 0 for n in pricing.quote(room_type, rules, stay).nightly)


@st.composite
def rules_that_match_no_night(draw: st.DrawFn, room_type: RoomType, stay: Stay) -> PriceRule:
    """A rule that cannot touch this stay: another room type, another hotel, a range that ends
    before it or starts after it, or weekdays the stay does not have."""
    base = {'id': draw(st.text('xyz', min_size=1, max_size=3)), 'name': 'never', 'adjustment': draw(adjustments)}
    base['priority'] = draw(st.integers(-2, 2))
    stay_weekdays = {d.isoweekday() for d in nights_of(stay)}
    ways = [
        {'hotel_id': room_type.hotel_id, 'room_type_id': next(r for r in ROOM_TYPE_IDS if r != room_type.id)},
        {'hotel_id': 'h2'},
        {'hotel_id': room_type.hotel_id, 'end_date': stay.check_in - timedelta(days=draw(st.integers(1, 20)))},
        {'hotel_id': room_type.hotel_id, 'start_date': stay.check_out + timedelta(days=draw(st.integers(0, 20)))},
    ]
    if len(stay_weekdays) < 7:
        missing = tuple(sorted(set(range(1, 8)) - stay_weekdays))
        ways.append({'hotel_id': room_type.hotel_id, 'weekdays': missing})
    return PriceRule(**base, **draw(st.sampled_from(ways)))


@settings(max_examples=120, deadline=None)
@given(data=st.data(), room_type=room_types, rules=rule_sets(), stay=stays())
def test_a_rule_that_matches_no_night_changes_nothing(data, room_type, rules, stay):
    extra = data.draw(rules_that_match_no_night(room_type, stay))
    rules = [r for r in rules if r.id != extra.id]
    assert pricing.quote(room_type, [*rules, extra], stay) == pricing.quote(room_type, rules, stay)


@settings(max_examples=120, deadline=None)
@given(room_type=room_types, rules=rule_sets(), stay=stays(), seed=st.integers(0, 2**32 - 1))
def test_the_order_rules_were_created_in_does_not_matter_only_priority(room_type, rules, stay, seed):
    shuffled = list(rules)
    random.Random(seed).shuffle(shuffled)
    assert pricing.quote(room_type, shuffled, stay) == pricing.quote(room_type, rules, stay)


@settings(max_examples=60, deadline=None)
@given(room_type=room_types, rules=rule_sets(), stay=stays())
def test_the_admin_preview_explains_exactly_what_the_quote_charges(room_type, rules, stay):
    explained = pricing.explain(room_type, rules, stay)
    assert tuple(night for night, _ in explained) == pricing.quote(room_type, rules, stay).nightly
    for night, steps in explained:
        chain = [room_type.base_price] + [s.after for s in steps]
        assert all(s.before == chain[i] for i, s in enumerate(steps))
        assert chain[-1] == night.price
