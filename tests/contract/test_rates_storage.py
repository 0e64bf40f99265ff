"""Rate plans, taxes and promo codes: the same cases against the fakes and the DynamoDB
repositories on moto (the fixture ``deps`` of test_repositories runs both)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from common import errors
from common.domain import (
    Adjustment,
    AppliedPromo,
    BookingStatus,
    BookingTerms,
    CancellationPolicy,
    CityTax,
    CityTaxCharge,
    Derivation,
    Fee,
    FeeLine,
    HotelTaxes,
    NightPrice,
    Penalty,
    PlanRestrictions,
    PriceRule,
    PromoCode,
    PromoUse,
    RatePlan,
    VatTerms,
)
from common.services.deps import Deps
from tests.contract.test_repositories import DAY, HOTEL, NOW, ROOM, booking, catalogue

FLEX = RatePlan(
    hotel_id=HOTEL.id,
    code='FLEX',
    name='Flexible',
    description='Free cancellation until 2 days before',
    cancellation=CancellationPolicy(48, Penalty.parse('percent:30')),
    restrictions=PlanRestrictions(min_stay=2, closed_to_arrival=(6, 7)),
    is_default=True,
    version=1,
    updated_at=NOW,
    updated_by='admin',
)
NR = RatePlan(
    hotel_id=HOTEL.id,
    code='NR',
    name='Non-refundable',
    cancellation=CancellationPolicy.non_refundable(),
    parent_code='FLEX',
    derivation=Derivation('percent', -10),
    version=1,
)


def test_a_plan_is_unique_in_its_hotel_derives_from_an_existing_parent_and_keeps_its_children(deps: Deps):
    with pytest.raises(errors.InvalidReference):
        deps.catalog.create_plan(FLEX)  # no hotel
    catalogue(deps)
    deps.catalog.create_plan(FLEX)
    with pytest.raises(errors.AlreadyExists):
        deps.catalog.create_plan(FLEX)
    with pytest.raises(errors.InvalidReference):
        deps.catalog.create_plan(replace(NR, parent_code='GONE'))
    deps.catalog.create_plan(NR)
    assert deps.catalog.get_plan(HOTEL.id, 'FLEX') == replace(FLEX, children=1)
    assert deps.catalog.get_plan(HOTEL.id, 'NR') == NR
    with pytest.raises(errors.PlanHasChildren):
        deps.catalog.delete_plan(FLEX)
    deps.catalog.delete_plan(NR)
    deps.catalog.delete_plan(FLEX)
    assert deps.catalog.list_plans(HOTEL.id) == []
    with pytest.raises(errors.NotFound):
        deps.catalog.get_plan(HOTEL.id, 'FLEX')


def test_a_plan_is_replaced_only_at_the_version_read_and_keeps_its_children_count(deps: Deps):
    catalogue(deps)
    deps.catalog.create_plan(FLEX)
    deps.catalog.create_plan(NR)
    edited = replace(FLEX, name='Flexible rate', active=False, restrictions=PlanRestrictions(), version=2)
    deps.catalog.replace_plan(edited, expected_version=1)
    with pytest.raises(errors.Conflict):
        deps.catalog.replace_plan(replace(edited, name='Lost update'), expected_version=1)
    assert deps.catalog.get_plan(HOTEL.id, 'FLEX') == replace(edited, children=1)


def test_a_hotels_rules_plans_and_taxes_are_read_in_one_go_and_go_with_the_hotel(deps: Deps):
    catalogue(deps)
    assert deps.catalog.get_taxes(HOTEL.id) == HotelTaxes.none(HOTEL.id)
    rule = PriceRule('r1', HOTEL.id, 'Weekend', Adjustment('percent', 10), weekdays=(6, 7))
    deps.catalog.put_rule(rule)
    deps.catalog.create_plan(FLEX)
    taxes = HotelTaxes(
        HOTEL.id,
        vat_rate=600,
        prices_include_vat=False,
        city_tax=CityTax(300, max_nights=7, exempt_under_age=13),
        fees=(Fee('clean', 'Cleaning', 2500, 'room'),),
        version=1,
        updated_at=NOW,
        updated_by='admin',
    )
    deps.catalog.put_taxes(taxes, expected_version=0)
    with pytest.raises(errors.Conflict):
        deps.catalog.put_taxes(replace(taxes, vat_rate=700), expected_version=0)
    terms = deps.catalog.pricing_terms(HOTEL.id)
    assert (terms.rules, terms.plans, terms.taxes) == ((rule,), (replace(FLEX, children=0),), taxes)
    with pytest.raises(errors.NotFound):
        deps.catalog.put_taxes(replace(taxes, hotel_id='nope'), expected_version=0)
    deps.catalog.delete_room_type(ROOM, deps.inventory.all_nights(ROOM.id))
    deps.catalog.delete_hotel(HOTEL.id)
    assert deps.catalog.pricing_terms(HOTEL.id).plans == ()
    assert deps.catalog.get_taxes(HOTEL.id) == HotelTaxes.none(HOTEL.id)


SPRING = PromoCode(
    hotel_id=HOTEL.id,
    code='SPRING',
    kind='percent',
    value=10,
    valid_from=DAY - timedelta(days=10),
    valid_until=DAY,
    rate_plans=('FLEX',),
    max_uses=2,
    max_uses_per_guest=1,
    version=1,
)


def promo_hold(booking_id: str, user: str = 'u1'):
    held = booking(booking_id, user=user)
    applied = AppliedPromo('SPRING', 'percent', 10, 2000, guest_limited=True)
    return replace(held, promo=applied), PromoUse(HOTEL.id, 'SPRING', user, 2, 1)


def hold_with_promo(deps: Deps, booking_id: str, user: str = 'u1') -> None:
    held, use = promo_hold(booking_id, user)
    deps.bookings.create_hold(held, promo=use)


def test_a_promo_code_is_counted_by_the_holds_that_use_it_within_its_limits(deps: Deps):
    catalogue(deps)
    deps.promos.create(SPRING)
    with pytest.raises(errors.AlreadyExists):
        deps.promos.create(SPRING)
    first, use = promo_hold('b1')
    deps.bookings.create_hold(first, promo=use)
    with pytest.raises(errors.PromoGuestLimit):
        hold_with_promo(deps, 'b2')
    hold_with_promo(deps, 'b3', user='u2')
    with pytest.raises(errors.PromoExhausted):
        hold_with_promo(deps, 'b4', user='u3')
    assert deps.promos.get(HOTEL.id, 'SPRING').uses == 2
    assert deps.promos.guest_uses(HOTEL.id, 'SPRING', 'u1') == 1
    with pytest.raises(errors.NotFound):
        deps.bookings.get('b4')  # a refused promo takes no rooms either
    with pytest.raises(errors.PromoInUse):
        deps.promos.delete(HOTEL.id, 'SPRING')
    # releasing a hold gives its uses back in the same transaction
    deps.bookings.transition(
        first, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True, give_back_promo=True
    )
    assert deps.promos.get(HOTEL.id, 'SPRING').uses == 1
    assert deps.promos.guest_uses(HOTEL.id, 'SPRING', 'u1') == 0
    # a late payment takes it again, within the limits
    deps.bookings.transition(
        first, [BookingStatus.EXPIRED], BookingStatus.CONFIRMED, NOW, take_rooms=True, take_promo=use
    )
    assert deps.promos.get(HOTEL.id, 'SPRING').uses == 2
    second = deps.bookings.get('b3')
    deps.bookings.transition(
        second, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True, give_back_promo=True
    )
    hold_with_promo(deps, 'b5', user='u5')
    with pytest.raises(errors.PromoExhausted):
        deps.bookings.transition(
            second, [BookingStatus.EXPIRED], BookingStatus.CONFIRMED, NOW, take_rooms=True,
            take_promo=PromoUse(HOTEL.id, 'SPRING', 'u2', 2, 1),
        )  # fmt: skip
    assert deps.bookings.get('b3').status is BookingStatus.EXPIRED


def test_a_promo_code_is_edited_at_the_version_read_without_touching_its_uses(deps: Deps):
    catalogue(deps)
    with pytest.raises(errors.InvalidReference):
        deps.promos.create(replace(SPRING, hotel_id='nope'))
    deps.promos.create(SPRING)
    hold_with_promo(deps, 'b1')
    edited = replace(SPRING, max_uses=None, rate_plans=(), active=False, version=2)
    deps.promos.replace(edited, expected_version=1)
    with pytest.raises(errors.Conflict):
        deps.promos.replace(replace(edited, value=50), expected_version=1)
    assert deps.promos.get(HOTEL.id, 'SPRING') == replace(edited, uses=1)
    assert deps.promos.find(HOTEL.id, 'NOPE') is None
    deps.promos.create(replace(SPRING, code='UNUSED'))
    deps.promos.delete(HOTEL.id, 'UNUSED')
    assert [p.code for p in deps.promos.list(HOTEL.id)] == ['SPRING']


def test_a_booking_keeps_the_terms_and_price_parts_it_was_made_with(deps: Deps):
    catalogue(deps)
    held = replace(
        booking(),
        nightly=(
            NightPrice(DAY, 10000, ('r1',), supplement=3000, discount=1300, vat=702),
            NightPrice(DAY + timedelta(days=1), 10000),
        ),
        fees=(FeeLine('clean', 'Cleaning', 2500, 150),),
        vat=VatTerms(600, False),
        city_tax=CityTaxCharge(300, 2, 2),
        promo=AppliedPromo('SPRING', 'percent', 10, 1300),
        terms=BookingTerms('NR', 'Non-refundable', 'breakfast', CancellationPolicy.non_refundable()),
    )
    deps.bookings.create_hold(held)
    assert deps.bookings.get(held.id) == held
    flexible = replace(held, id='b2', terms=BookingTerms('FLEX', 'Flexible', 'room_only', CancellationPolicy(24)))
    deps.bookings.create_hold(flexible)
    assert deps.bookings.get('b2').terms == flexible.terms
