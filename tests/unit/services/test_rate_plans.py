"""Rate plans, promo codes and taxes through the services, on fakes: what search offers, what a
hold locks in, what a cancellation refunds and where a promo code's uses go."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import errors, money
from common.domain import (
    BookingStatus,
    CancellationPolicy,
    CityTax,
    Derivation,
    HotelTaxes,
    IntentStatus,
    MealPlan,
    Penalty,
    PlanRestrictions,
    PromoCode,
    RatePlan,
    RefundPolicy,
)
from common.services import bookings, cancellation, checkout, expiry, rate_admin, reports, search, webhooks
from common.services.outcomes import Outcome
from tests.fakes import NOW
from tests.unit.services.world import ADMIN, GUEST, OTHER, World, world

FLEX = RatePlan(
    'lisbon', 'FLEX', 'Flexible', cancellation=CancellationPolicy(48, Penalty.parse('first_night')), is_default=True
)
NR = RatePlan(
    'lisbon',
    'NR',
    'Non-refundable',
    cancellation=CancellationPolicy.non_refundable(),
    parent_code='FLEX',
    derivation=Derivation('percent', -10),
)
BB = RatePlan(
    'lisbon',
    'BB',
    'Bed & breakfast',
    meal_plan=MealPlan.BREAKFAST,
    cancellation=FLEX.cancellation,
    parent_code='FLEX',
    derivation=Derivation('per_guest', 1500),
)


def plans(w: World, *extra: RatePlan, promo: PromoCode | None = None) -> World:
    for plan in (FLEX, NR, BB, *extra):
        w.deps.catalog.create_plan(replace(plan, version=1))
    w.deps.catalog.put_taxes(
        HotelTaxes('lisbon', vat_rate=600, prices_include_vat=False, city_tax=CityTax(300, max_nights=7), version=1),
        expected_version=0,
    )
    if promo is not None:
        w.deps.promos.create(promo)
    return w


def hold(w: World, plan: str | None = None, promo: str | None = None, *, start: int = 10, nights: int = 3, guest=GUEST):
    request = bookings.HoldRequest(w.room.id, w.day(start), w.day(start + nights), 2, 1, plan, promo)
    return bookings.hold(w.deps, guest, request, w.now)


def offers(w: World, promo: str | None = None, **fields):
    query = search.SearchQuery(w.day(10), w.day(13), guests=2, promo_code=promo, **fields)
    [result] = search.search(w.deps, query, w.now).results
    return result


def test_search_offers_every_plan_cheapest_first_and_the_hold_charges_the_offer_it_showed():
    w = plans(world())
    result = offers(w)
    assert [(o.plan.code, o.price.total) for o in result.offers] == [
        # 3 nights x 100.00 (90.00 for NR) + 6 % VAT added + EUR 3 x 2 adults x 3 nights
        ('NR', 27000 + 1620 + 1800),
        ('FLEX', 30000 + 1800 + 1800),
        ('BB', 30000 + 9000 + 2340 + 1800),
    ]
    assert (result.total, result.best.plan.code) == (33600, 'FLEX')  # the default plan's, as a booking without one
    for offer in result.offers:
        booking = hold(w, offer.plan.code.lower())
        assert booking.total_amount == offer.price.total
        assert booking.terms is not None and booking.terms.rate_plan_id == offer.plan.code
        intent = checkout.checkout(w.deps, GUEST, booking.id, w.now).payment
        assert intent.amount == offer.price.total  # what is shown is what is charged


def test_a_booking_without_a_plan_gets_the_default_and_a_hotel_without_plans_sells_standard():
    w = world()
    booking = hold(w)
    assert booking.terms is not None and booking.terms.rate_plan_id == 'STANDARD'
    assert booking.total_amount == 30000
    assert hold(plans(world())).terms.rate_plan_id == 'FLEX'


def test_a_plan_whose_restrictions_refuse_the_stay_is_left_out_or_listed_with_its_reason():
    long_stay = RatePlan('lisbon', 'LONG', 'Stay longer', restrictions=PlanRestrictions(min_stay=5))
    w = plans(world(), long_stay)
    assert 'LONG' not in [o.plan.code for o in offers(w).offers]
    [listed] = [o for o in offers(w, include_restricted_plans=True).offers if o.plan.code == 'LONG']
    assert not listed.bookable and listed.restriction is not None and listed.restriction.code == 'min_stay'
    with pytest.raises(errors.Unprocessable) as refused:
        hold(w, 'LONG')
    assert refused.value.code == 'min_stay'
    with pytest.raises(errors.RatePlanUnavailable):
        hold(w, 'NOPE')


def test_a_non_refundable_booking_refunds_nothing_and_gives_its_rooms_back():
    w = plans(world())
    booking = hold(w, 'NR')
    checkout.checkout(w.deps, GUEST, booking.id, w.now, auto_confirm=True)
    quote = cancellation.refund_quote(w.deps, GUEST, booking.id, w.now)
    assert quote.policy is RefundPolicy.NON_REFUNDABLE
    assert (quote.amount, quote.penalty) == (1800, booking.total_amount - 1800)  # the city tax is given back
    result = cancellation.cancel(w.deps, GUEST, booking.id, w.now)
    assert result.booking.status is BookingStatus.CANCELLED
    assert result.booking.refund.amount == quote.amount
    assert w.available(10, 3) == [5, 5, 5]


def test_a_booking_keeps_the_policy_it_was_made_with_when_its_plan_is_tightened():
    w = plans(world())
    booking = hold(w, 'FLEX')
    checkout.checkout(w.deps, GUEST, booking.id, w.now, auto_confirm=True)
    tightened = rate_admin.update_plan(
        w.deps, ADMIN, 'lisbon', 'FLEX', {'cancellation': {'type': 'non_refundable'}}, w.now
    )
    assert not tightened.cancellation.refundable
    assert not hold(w, 'FLEX', start=20).terms.cancellation.refundable  # new bookings get the new terms
    quote = cancellation.refund_quote(w.deps, GUEST, booking.id, w.now)
    assert (quote.policy, quote.amount) == (RefundPolicy.FULL_REFUND, booking.total_amount)
    assert cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund.amount == booking.total_amount


WELCOME = PromoCode('lisbon', 'WELCOME10', 'percent', 10, max_uses=2, max_uses_per_guest=1, version=1)


def test_a_promo_code_in_any_case_takes_its_share_off_and_one_use_with_the_hold():
    w = plans(world(), promo=WELCOME)
    shown = next(o for o in offers(w, 'welcome10').offers if o.plan.code == 'FLEX')
    assert shown.price.promo is not None and shown.price.discount == 3000
    booking = hold(w, 'FLEX', 'Welcome10')
    assert booking.total_amount == shown.price.total == 27000 + 1620 + 1800
    assert w.deps.promos.get('lisbon', 'WELCOME10').uses == 1
    assert w.deps.promos.guest_uses('lisbon', 'WELCOME10', GUEST.user_id) == 1
    with pytest.raises(errors.PromoGuestLimit):
        hold(w, 'FLEX', 'WELCOME10')
    hold(w, 'NR', 'WELCOME10', guest=OTHER)
    with pytest.raises(errors.PromoExhausted):
        hold(w, 'FLEX', 'WELCOME10', guest=replace(OTHER, user_id='guest-3'))
    assert w.deps.promos.get('lisbon', 'WELCOME10').uses == 2
    assert w.available(10, 3) == [3, 3, 3]  # the refused holds took nothing


@pytest.mark.parametrize(
    ('promo', 'code'),
    [
        (None, 'promo_unknown'),
        (replace(WELCOME, active=False), 'promo_unknown'),
        (replace(WELCOME, valid_until=None, valid_from=None, max_uses=0), 'promo_exhausted'),
    ],
)
def test_an_unusable_promo_code_is_refused_by_search_and_by_the_hold_never_ignored(promo, code):
    w = plans(world(), promo=promo)
    for attempt in (lambda: offers(w, 'WELCOME10'), lambda: hold(w, 'FLEX', 'WELCOME10')):
        with pytest.raises(errors.Unprocessable) as refused:
            attempt()
        assert refused.value.code == code


def test_an_expired_promo_code_and_one_for_other_plans_are_refused_with_their_own_codes():
    w = plans(world(), promo=replace(WELCOME, valid_until=NOW.date() - timedelta(days=1)))
    with pytest.raises(errors.PromoExpired):
        hold(w, 'FLEX', 'WELCOME10')
    w = plans(world(), promo=replace(WELCOME, rate_plans=('FLEX',)))
    with pytest.raises(errors.PromoNotApplicable):
        hold(w, 'NR', 'WELCOME10')
    nr = next(o for o in offers(w, 'WELCOME10').offers if o.plan.code == 'NR')
    assert nr.price.promo is None and nr.promo_refused is not None  # shown, with why


def test_a_released_or_expired_hold_gives_its_use_back_and_a_cancelled_paid_booking_keeps_it():
    w = plans(world(), promo=WELCOME)
    cancelled = hold(w, 'FLEX', 'WELCOME10')
    cancellation.cancel(w.deps, GUEST, cancelled.id, w.now)
    assert w.deps.promos.get('lisbon', 'WELCOME10').uses == 0
    assert w.deps.promos.guest_uses('lisbon', 'WELCOME10', GUEST.user_id) == 0

    expiring = hold(w, 'FLEX', 'WELCOME10')
    report = expiry.sweep(w.deps, expiring.hold_expires_at, lambda: 60.0)
    assert report.expired == 1
    assert w.deps.promos.get('lisbon', 'WELCOME10').uses == 0

    paid = hold(w, 'FLEX', 'WELCOME10')
    checkout.checkout(w.deps, GUEST, paid.id, w.now, auto_confirm=True)
    cancellation.cancel(w.deps, GUEST, paid.id, w.now)
    assert w.deps.promos.get('lisbon', 'WELCOME10').uses == 1  # a paid booking's use is spent


def test_a_payment_that_is_not_the_bookings_money_cancels_the_hold_and_gives_its_promo_use_back():
    w = plans(world(), promo=WELCOME)
    held = hold(w, 'FLEX', 'WELCOME10')
    intent_id = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.intents[intent_id] = replace(
        w.f.stripe.intents[intent_id], status=IntentStatus.SUCCEEDED, amount=100, amount_received=100
    )
    result = webhooks.receive(w.deps, *w.f.stripe.intent_event('payment_intent.succeeded', intent_id), w.now)
    assert result.outcome is Outcome.PAYMENT_MISMATCH_REFUNDED
    assert w.deps.bookings.get(held.id).status is BookingStatus.CANCELLED
    assert w.deps.promos.get('lisbon', 'WELCOME10').uses == 0  # never confirmed: the use is not spent
    assert w.deps.promos.guest_uses('lisbon', 'WELCOME10', GUEST.user_id) == 0


def test_children_younger_than_the_exemption_pay_no_city_tax_and_every_room_keeps_an_adult():
    w = plans(world())
    w.deps.catalog.put_taxes(
        HotelTaxes('lisbon', vat_rate=600, city_tax=CityTax(300, max_nights=7, exempt_under_age=13), version=2),
        expected_version=1,
    )
    request = bookings.HoldRequest(w.room.id, w.day(10), w.day(13), 2, 1, 'FLEX', None, (8,))
    booking = bookings.hold(w.deps, GUEST, request, w.now)
    assert booking.city_tax is not None and booking.city_tax.amount == 300 * 1 * 3
    with pytest.raises(errors.Unprocessable):
        bookings.hold(w.deps, GUEST, replace(request, child_ages=(8, 9)), w.now)


def test_the_occupancy_report_counts_room_revenue_without_taxes_split_by_plan():
    w = plans(world())
    for plan in ('FLEX', 'NR'):
        booking = hold(w, plan)
        checkout.checkout(w.deps, GUEST, booking.id, w.now, auto_confirm=True)
    hold(w, 'BB')  # unpaid: held, no revenue
    report = reports.occupancy(w.deps, reports.OccupancyQuery(w.day(10), w.day(13), 'lisbon'), w.now)
    [totals] = [h.totals for h in report.hotels]
    # 3 nights: 10000 (FLEX) and 9000 (NR) a night, VAT added and city tax outside the revenue
    assert totals.revenue_by_plan == {'FLEX': 30000, 'NR': 27000}
    assert (totals.revenue, totals.sold, totals.held) == (57000, 6, 3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base_price=st.integers(1, 500_000),
    vat_rate=st.integers(0, 2500),
    included=st.booleans(),
    city=st.integers(0, 1000),
    percent=st.integers(0, 100),
    plan=st.sampled_from(['FLEX', 'NR', 'BB']),
    nights=st.integers(1, 7),
)
def test_the_total_shown_is_the_total_held_and_the_amount_charged(
    base_price, vat_rate, included, city, percent, plan, nights
):
    w = world(base_price=base_price)
    for each in (FLEX, NR, BB):
        w.deps.catalog.create_plan(replace(each, version=1))
    city_tax = CityTax(city, max_nights=7) if city else None
    w.deps.catalog.put_taxes(
        HotelTaxes('lisbon', vat_rate=vat_rate, prices_include_vat=included, city_tax=city_tax, version=1), 0
    )
    w.deps.promos.create(PromoCode('lisbon', 'ANY', 'percent', percent, version=1))
    query = search.SearchQuery(w.day(10), w.day(10 + nights), guests=2, promo_code='any')
    [result] = search.search(w.deps, query, w.now).results
    shown = next(o for o in result.offers if o.plan.code == plan)
    problem = money.payable_problem(shown.price.total, shown.price.currency)
    if problem is not None:  # a total no card can take (a free stay, say) is refused, never held
        with pytest.raises(type(problem)):
            hold(w, plan, 'any', nights=nights)
        return
    held = hold(w, plan, 'any', nights=nights)
    charged = checkout.checkout(w.deps, GUEST, held.id, w.now).payment
    assert shown.price.total == held.total_amount == charged.amount >= 0
