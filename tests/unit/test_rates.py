"""Rate plans, promo codes and taxes (services/rates.py, docs/pricing.md): the decisions, with
hand-computed figures, and properties checked against a reference written from the doc's words."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common import errors
from common.domain import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    CityTax,
    Derivation,
    Fee,
    Hotel,
    HotelTaxes,
    NightPrice,
    Payment,
    Penalty,
    PlanRestrictions,
    PromoCode,
    RatePlan,
    RefundPolicy,
    RoomType,
    Stay,
)
from common.services import rates

ROOM = RoomType('deluxe', 'h1', 'Deluxe', '', 2, 10000, 'EUR', 5)
MONDAY = date(2027, 3, 8)
HOTEL = Hotel('h1', 'Harbour', 'Lisbon', 'Cais 1', 'UTC', 15, 'EUR')


def nights(*prices: int, start: date = MONDAY) -> tuple[NightPrice, ...]:
    return tuple(NightPrice(start + timedelta(days=i), p) for i, p in enumerate(prices))


def plan(code: str, **fields) -> RatePlan:
    return RatePlan(hotel_id='h1', code=code, name=code.title(), **fields)


FLEX = plan('FLEX')
NR = plan(
    'NR', parent_code='FLEX', derivation=Derivation('percent', -10), cancellation=CancellationPolicy.non_refundable()
)
BB = plan('BB', parent_code='FLEX', derivation=Derivation('per_guest', 1500), meal_plan='breakfast')
NO_TAXES = HotelTaxes.none('h1')


# ---------------------------------------------------------------- the worked example (docs/pricing.md)


def test_three_nights_for_two_adults_with_a_3_euro_city_tax_capped_at_7_nights_and_6_percent_vat():
    # Hand-computed: 3 nights of 12000 (VAT excluded), 2 adults, 1 room.
    #   room charge   3 x 12000                          = 36000
    #   VAT 6 %       720 per night (12000 x 6 / 100) x 3 =  2160
    #   city tax      300 x 2 adults x min(3, 7) nights   =  1800
    #   total         36000 + 2160 + 1800                 = 39960
    taxes = HotelTaxes('h1', vat_rate=600, prices_include_vat=False, city_tax=CityTax(300, max_nights=7))
    price = rates.price_stay(ROOM, nights(12000, 12000, 12000), [FLEX], rates.Party(guests=2), taxes)
    assert (price.room_charge, price.vat_total, price.city_tax_amount, price.total) == (36000, 2160, 1800, 39960)
    assert [n.vat for n in price.nightly] == [720, 720, 720]
    assert (price.city_tax.guests, price.city_tax.nights) == (2, 3)
    assert price.room_revenue == 36000  # without taxes


def test_the_same_stay_with_prices_entered_with_vat_shows_the_vat_inside_the_price():
    # 12000 x 6 / 106 = 679.245... -> 679 per night; the guest pays the prices as shown + city tax.
    taxes = HotelTaxes('h1', vat_rate=600, prices_include_vat=True, city_tax=CityTax(300, max_nights=7))
    price = rates.price_stay(ROOM, nights(12000, 12000, 12000), [FLEX], rates.Party(guests=2), taxes)
    assert (price.room_charge, price.vat_total, price.total) == (36000, 3 * 679, 36000 + 1800)
    assert price.room_revenue == 36000 - 3 * 679


def test_the_city_tax_stops_at_its_cap_and_spares_children_younger_than_the_exemption_age():
    taxes = HotelTaxes('h1', city_tax=CityTax(400, max_nights=7, exempt_under_age=13))
    price = rates.price_stay(ROOM, nights(*[10000] * 9), [FLEX], rates.Party(4, 2, child_ages=(4, 12, 15)), taxes)
    # 4 guests, 2 of them under 13: 2 taxed guests x 7 nights (of 9) x 400
    assert (price.city_tax.guests, price.city_tax.nights, price.city_tax_amount) == (2, 7, 5600)
    no_ages = rates.price_stay(ROOM, nights(10000), [FLEX], rates.Party(4, 2), taxes)
    assert no_ages.city_tax.guests == 4  # ages not given: every guest is counted as an adult


def test_fees_are_charged_per_stay_or_per_room_with_vat_like_the_rooms():
    taxes = HotelTaxes(
        'h1',
        vat_rate=1000,
        prices_include_vat=False,
        fees=(Fee('clean', 'Cleaning', 2500, 'room'), Fee('pet', 'Pet', 1000)),
    )
    price = rates.price_stay(ROOM, nights(10000), [FLEX], rates.Party(4, 2), taxes)
    assert [(f.code, f.amount, f.vat) for f in price.fees] == [('clean', 5000, 500), ('pet', 1000, 100)]
    assert price.total == 20000 + 2000 + 6000 + 600


# ---------------------------------------------------------------- plans


def test_derived_plans_follow_their_parent_per_night_and_per_guest():
    base = nights(10000, 12345)
    assert [n.price for n in rates.plan_nightly(base, [FLEX, NR], guests=2)] == [9000, 11111]  # 11110.5 -> 11111
    bb = rates.plan_nightly(base, [FLEX, BB], guests=3)
    assert [(n.price, n.supplement) for n in bb] == [(10000, 4500), (12345, 4500)]
    bb_nr = plan('BBNR', parent_code='BB', derivation=Derivation('percent', -10))
    chained = rates.plan_nightly(base, rates.chain(bb_nr, {p.code: p for p in (FLEX, BB, bb_nr)}), guests=3)
    assert [(n.price, n.supplement) for n in chained] == [(9000, 4050), (11111, 4050)]


def test_a_plan_whose_parent_is_missing_or_loops_is_not_for_sale():
    orphan = plan('X', parent_code='GONE', derivation=Derivation('amount', 1))
    with pytest.raises(errors.RatePlanUnavailable):
        rates.chain(orphan, {'X': orphan})
    a = plan('A', parent_code='B', derivation=Derivation('amount', 1))
    b = plan('B', parent_code='A', derivation=Derivation('amount', 1))
    with pytest.raises(errors.RatePlanUnavailable):
        rates.chain(a, {'A': a, 'B': b})


def test_the_default_plan_is_the_one_marked_default_else_the_first_root_plan_and_a_room_type_without_plans_sells_standard():
    assert rates.default_plan(ROOM, [NR, BB, FLEX]) == FLEX
    marked = plan('BAR', is_default=True, parent_code='FLEX', derivation=Derivation('amount', 0))
    assert rates.default_plan(ROOM, [FLEX, marked]) == marked
    own = plan('OWN', room_type_id='deluxe')
    assert rates.default_plan(ROOM, [FLEX, own]) == own  # the room type's own plan first
    assert rates.default_plan(ROOM, [plan('OFF', active=False)]) is None
    policy = CancellationPolicy(24)
    (standard,) = rates.plans_for(ROOM, [plan('SUITE', room_type_id='suite')], policy)
    assert (standard.code, standard.cancellation) == ('STANDARD', policy)


def test_a_booking_can_name_an_active_plan_of_its_room_type_in_any_case():
    plans = [FLEX, NR, plan('OFF', active=False), plan('SUITE', room_type_id='suite')]
    assert rates.find_plan(ROOM, plans, 'nr') == NR
    assert rates.find_plan(ROOM, plans, None) == FLEX
    for code in ('OFF', 'SUITE', 'NOPE'):
        with pytest.raises(errors.RatePlanUnavailable):
            rates.find_plan(ROOM, plans, code)


@pytest.mark.parametrize(
    ('restrictions', 'check_in', 'nights_', 'code'),
    [
        (PlanRestrictions(min_advance_days=7), MONDAY + timedelta(days=6), 2, 'min_advance_booking'),
        (PlanRestrictions(min_advance_days=7), MONDAY + timedelta(days=7), 2, None),
        (PlanRestrictions(max_advance_days=30), MONDAY + timedelta(days=31), 2, 'max_advance_booking'),
        (PlanRestrictions(min_stay=3), MONDAY + timedelta(days=9), 2, 'min_stay'),
        (PlanRestrictions(max_stay=3), MONDAY + timedelta(days=9), 4, 'max_stay'),
        (PlanRestrictions(closed_to_arrival=(6,)), date(2027, 3, 13), 1, 'closed_to_arrival'),  # a Saturday
        (PlanRestrictions(closed_to_departure=(7,)), date(2027, 3, 13), 1, 'closed_to_departure'),  # out Sunday
        (PlanRestrictions(closed_to_departure=(7,)), date(2027, 3, 13), 2, None),
    ],
)
def test_a_plan_refuses_stays_its_restrictions_do_not_allow(restrictions, check_in, nights_, code):
    refused = rates.restriction(
        plan('P', restrictions=restrictions), Stay(check_in, check_in + timedelta(nights_)), MONDAY
    )
    assert (refused.code if refused else None) == code


# ---------------------------------------------------------------- promo codes


def promo(**fields) -> PromoCode:
    return PromoCode(**{'hotel_id': 'h1', 'code': 'SPRING', 'kind': 'percent', 'value': 10, **fields})


@pytest.mark.parametrize(
    ('fields', 'code'),
    [
        ({'active': False}, 'promo_unknown'),
        ({'valid_from': MONDAY + timedelta(1)}, 'promo_not_yet_valid'),
        ({'valid_until': MONDAY - timedelta(1)}, 'promo_expired'),
        ({'max_uses': 5, 'uses': 5}, 'promo_exhausted'),
        ({'valid_from': MONDAY, 'valid_until': MONDAY, 'max_uses': 5, 'uses': 4}, None),
    ],
)
def test_a_promo_code_can_be_used_only_while_it_is_valid_and_not_used_up(fields, code):
    refused = rates.promo_state_problem(promo(**fields), 'spring', MONDAY)
    assert (refused.code if refused else None) == code
    assert rates.promo_state_problem(None, 'spring', MONDAY).code == 'promo_unknown'


@pytest.mark.parametrize(
    ('fields', 'applies'),
    [
        ({'rate_plans': ('NR',)}, False),
        ({'rate_plans': ('FLEX', 'NR')}, True),
        ({'min_nights': 3}, False),
        ({'stay_from': MONDAY + timedelta(1)}, False),
        ({'stay_until': MONDAY}, False),  # the second night is after it
        ({'stay_from': MONDAY, 'stay_until': MONDAY + timedelta(1), 'min_nights': 2}, True),
    ],
)
def test_a_promo_code_applies_only_to_its_plans_dates_and_lengths_of_stay(fields, applies):
    refused = rates.promo_fit_problem(promo(**fields), 'FLEX', Stay(MONDAY, MONDAY + timedelta(2)))
    assert (refused is None) == applies
    if refused:
        assert refused.code == 'promo_not_applicable'


def test_a_percent_promo_comes_off_each_night_and_an_amount_is_shared_in_proportion():
    discounted, applied = rates.apply_promo(nights(10005, 9999), 1, promo(value=10))
    assert [n.discount for n in discounted] == [1001, 1000]  # 1000.5 -> 1001, 999.9 -> 1000
    assert applied.discount == 2001
    discounted, applied = rates.apply_promo(nights(10000, 20000), 1, promo(kind='amount', value=1000))
    assert [n.discount for n in discounted] == [333, 667]  # 333.33 and 666.67: largest remainder
    discounted, applied = rates.apply_promo(nights(100, 50), 1, promo(kind='amount', value=100_000))
    assert [n.discount for n in discounted] == [100, 50]  # never more than the nights


# ---------------------------------------------------------------- refunds with taxes


def booking_priced(price, paid: int) -> Booking:
    at = datetime(2027, 3, 1, tzinfo=UTC)
    return Booking(
        'b', 'u', 'h1', 'deluxe', MONDAY, MONDAY + timedelta(len(price.nightly)), 2, price.rooms, 'EUR',
        price.total, price.nightly, BookingStatus.CONFIRMED, at, at, at,
        payment=Payment('pi', 'succeeded', paid, 'EUR'),
        fees=price.fees, vat=price.vat, city_tax=price.city_tax, promo=price.promo,
    )  # fmt: skip


def test_a_cancellation_always_gives_the_city_tax_back_and_keeps_the_first_night_with_its_vat():
    taxes = HotelTaxes('h1', vat_rate=600, prices_include_vat=False, city_tax=CityTax(300, max_nights=7))
    price = rates.price_stay(ROOM, nights(12000, 12000, 12000), [FLEX], rates.Party(guests=2), taxes)
    booking = booking_priced(price, 39960)
    assert Penalty.parse('first_night').kept(booking, 39960) == 12720  # 12000 + its 720 VAT
    assert Penalty.parse('full_stay').kept(booking, 39960) == 38160  # all but the 1800 city tax
    assert Penalty.parse('percent:50').kept(booking, 39960) == 19080
    late = datetime(2027, 3, 7, 12, tzinfo=UTC)
    quote = CancellationPolicy.non_refundable().quote(booking, HOTEL, late)
    assert (quote.policy, quote.amount, quote.penalty, quote.city_tax, quote.deadline) == (
        RefundPolicy.NON_REFUNDABLE, 1800, 38160, 1800, None,
    )  # fmt: skip


# ---------------------------------------------------------------- properties


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


derivations = st.one_of(
    st.builds(Derivation, st.just('percent'), st.integers(-100, 300)),
    st.builds(Derivation, st.just('amount'), st.integers(-50_000, 50_000)),
    st.builds(Derivation, st.just('per_guest'), st.integers(-5_000, 10_000)),
)
base_nights = st.lists(st.integers(0, 100_000), min_size=1, max_size=30).map(lambda ps: nights(*ps))
promos = st.one_of(
    st.builds(lambda v: promo(value=v), st.integers(0, 100)),
    st.builds(lambda v: promo(kind='amount', value=v), st.integers(0, 10**7)),
)
tax_settings = st.builds(
    lambda rate, included, city, cap, fee: HotelTaxes(
        'h1',
        vat_rate=rate,
        prices_include_vat=included,
        city_tax=CityTax(city, cap) if city else None,
        fees=(Fee('f', 'Fee', fee, 'room'),) if fee else (),
    ),
    st.integers(0, 3000),
    st.booleans(),
    st.integers(0, 1000),
    st.none() | st.integers(1, 14),
    st.integers(0, 5000),
)


def reference(parent: tuple[int, int], d: Derivation, guests: int) -> tuple[int, int]:
    price, supplement = parent
    if d.type == 'percent':
        price, supplement = (half_up(Fraction(x * (100 + d.value), 100)) for x in (price, supplement))
    elif d.type == 'amount':
        price += d.value
    else:
        supplement += d.value * guests
    return max(price, 0), max(supplement, 0)


@settings(max_examples=200, deadline=None)
@given(base=base_nights, steps=st.lists(derivations, min_size=1, max_size=4), guests=st.integers(1, 12))
def test_a_derived_plan_is_its_parents_night_with_the_formula_applied_step_by_step(base, steps, guests):
    chain = [FLEX] + [
        plan(f'D{i}', parent_code='FLEX' if i == 0 else f'D{i - 1}', derivation=d) for i, d in enumerate(steps)
    ]
    derived = rates.plan_nightly(base, chain, guests)
    parent = rates.plan_nightly(base, chain[:-1], guests)
    for night, before in zip(derived, parent, strict=True):
        assert (night.price, night.supplement) == reference((before.price, before.supplement), steps[-1], guests)
        assert night.price >= 0 and night.supplement >= 0


@settings(max_examples=300, deadline=None)
@given(
    base=base_nights,
    derivation=derivations,
    code=st.none() | promos,
    taxes=tax_settings,
    guests=st.integers(1, 12),
    rooms=st.integers(1, 4),
)
def test_promos_and_taxes_never_make_anything_negative_and_the_total_is_its_parts(
    base, derivation, code, taxes, guests, rooms
):
    derived = plan('D', parent_code='FLEX', derivation=derivation)
    price = rates.price_stay(ROOM, base, [FLEX, derived], rates.Party(max(guests, rooms), rooms), taxes, code)
    assert all(n.amount(rooms) >= 0 and n.discount >= 0 and n.vat >= 0 for n in price.nightly)
    assert price.total == price.room_charge + price.fees_total + price.vat_added + price.city_tax_amount
    assert price.total >= 0 and price.room_revenue >= 0 and 0 <= price.keepable <= price.total
    undiscounted = sum(n.price * rooms + n.supplement for n in price.nightly)
    if code is not None:
        assert price.discount == (
            min(code.value, undiscounted)
            if code.kind == 'amount'
            else sum(
                min(a, half_up(Fraction(a * code.value, 100)))
                for a in (n.price * rooms + n.supplement for n in price.nightly)
            )
        )
    for night in price.nightly:  # VAT: one half-up rounding per line
        rate, amount = taxes.vat_rate, night.amount(rooms)
        exact = Fraction(amount * rate, 10_000 + rate) if taxes.prices_include_vat else Fraction(amount * rate, 10_000)
        assert night.vat == (half_up(exact) if rate and amount > 0 else 0)


@settings(max_examples=200, deadline=None)
@given(total=st.integers(0, 10**6), weights=st.lists(st.integers(0, 10**5), min_size=1, max_size=40))
def test_an_amount_is_shared_exactly_and_no_share_is_larger_than_its_night(total, weights):
    total = min(total, sum(weights))
    shares = rates.allocate(total, weights)
    assert sum(shares) == total
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


@settings(max_examples=200, deadline=None)
@given(
    base=base_nights, taxes=tax_settings, penalty=st.sampled_from(['first_night', 'none', 'full_stay', 'percent:37'])
)
def test_a_penalty_never_keeps_the_city_tax_nor_more_than_was_paid(base, taxes, penalty):
    price = rates.price_stay(ROOM, base, [FLEX], rates.Party(2), taxes)
    booking = booking_priced(price, price.total)
    kept = Penalty.parse(penalty).kept(booking, price.total)
    assert 0 <= kept <= price.total - price.city_tax_amount
