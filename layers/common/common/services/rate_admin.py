"""Hotel staff: rate plans, promo codes and taxes (docs/admin.md, docs/pricing.md).

Validated like the price rules: the request models check shapes, the functions here check the
business rules on the merged value at every create and edit (``*_problems``), so no path stores
what the engine would refuse. Edits are guarded by the version read (409 ``conflict`` for the
second of two concurrent edits); a plan's parent and a code's identity never change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from common import errors
from common.domain import (
    CancellationPolicy,
    CityTax,
    Derivation,
    DerivationType,
    Fee,
    HotelTaxes,
    MealPlan,
    Penalty,
    PlanRestrictions,
    Prepayment,
    Principal,
    PromoCode,
    PromoKind,
    RatePlan,
    RoomType,
)
from common.services import admin, bookings, offers, pricing, rates
from common.services.deps import Deps
from common.timeutil import stored_precision

MAX_FREE_HOURS = 24 * 366
MAX_ADVANCE_DAYS = admin.MAX_HORIZON_DAYS
MAX_STAY = pricing.MIN_STAY_MAX
MONEY_MAX = pricing.MONEY_MAX
MAX_USES = 10_000_000
MAX_FEES = 20
MAX_PLANS_PER_PROMO = 20


class _Problems:
    """Collects problem+json ``errors`` entries (``loc``, ``type``, ``msg``)."""

    def __init__(self) -> None:
        self.found: list[dict[str, object]] = []

    def add(self, field: str, msg: str) -> None:
        self.found.append({'loc': ['body', *field.split('.')], 'type': 'value_error', 'msg': msg})


def _refuse(found: list[dict[str, object]]) -> None:
    """422 ``validation_error`` naming the first problem, with all of them in ``errors``."""
    if found:
        loc = found[0]['loc']
        where = '.'.join(str(p) for p in loc[1:]) if isinstance(loc, list) else ''
        raise errors.Unprocessable(f'{where}: {found[0]["msg"]}', errors=found)


def _hotel(deps: Deps, hotel_id: str) -> None:
    deps.catalog.get_hotel(hotel_id)  # NotFound: the path names a hotel that does not exist


def _room_type_of(deps: Deps, hotel_id: str, room_type_id: str) -> RoomType:
    try:
        room_type = deps.catalog.get_room_type(room_type_id)
    except errors.NotFound:
        raise errors.InvalidReference(f'Room type {room_type_id} not found') from None
    if room_type.hotel_id != hotel_id:
        raise errors.InvalidReference(f'Room type {room_type_id} belongs to hotel {room_type.hotel_id}')
    return room_type


# ---------------------------------------------------------------- rate plans


def plan_problems(plan: RatePlan) -> list[dict[str, object]]:
    """Everything wrong with a plan (empty when valid)."""
    found = _Problems()
    if not plan.name.strip():
        found.add('name', 'must not be empty')
    if plan.meal_plan not in set(MealPlan):
        found.add('meal_plan', f'must be one of {", ".join(MealPlan)}')
    if plan.prepayment != Prepayment.FULL:
        found.add('prepayment', 'only full prepayment at booking is supported')
    policy = plan.cancellation
    if policy.refundable:
        if not 0 <= policy.free_hours <= MAX_FREE_HOURS:
            found.add('cancellation.free_hours', f'must be between 0 and {MAX_FREE_HOURS}')
        if policy.penalty.kind == 'percent' and not 0 <= policy.penalty.percent <= 100:
            found.add('cancellation.percent', 'must be between 0 and 100')
    if (plan.parent_code is None) != (plan.derivation is None):
        found.add('derivation', 'a derived plan has both parent_code and derivation; a base plan neither')
    if plan.parent_code is not None and plan.parent_code == plan.code:
        found.add('parent_code', 'a plan cannot derive from itself')
    if plan.derivation is not None:
        kind, value = plan.derivation.type, plan.derivation.value
        if kind == DerivationType.PERCENT and not pricing.PERCENT_MIN <= value <= pricing.PERCENT_MAX:
            found.add('derivation.value', f'a percent must be between {pricing.PERCENT_MIN} and {pricing.PERCENT_MAX}')
        elif kind in (DerivationType.AMOUNT, DerivationType.PER_GUEST) and not -MONEY_MAX <= value <= MONEY_MAX:
            found.add('derivation.value', f'an amount must be between -{MONEY_MAX} and {MONEY_MAX}')
        elif kind not in set(DerivationType):
            found.add('derivation.type', f'must be one of {", ".join(DerivationType)}')
    limits = plan.restrictions
    for low, high, top in (
        ('min_advance_days', 'max_advance_days', MAX_ADVANCE_DAYS),
        ('min_stay', 'max_stay', MAX_STAY),
    ):
        lo, hi = getattr(limits, low), getattr(limits, high)
        for name, value in ((low, lo), (high, hi)):
            floor = 1 if name.endswith('stay') else 0
            if value is not None and not floor <= value <= top:
                found.add(f'restrictions.{name}', f'must be between {floor} and {top}, or null')
        if lo is not None and hi is not None and hi < lo:
            found.add(f'restrictions.{high}', f'must be at least {low}')
    for name in ('closed_to_arrival', 'closed_to_departure'):
        days = getattr(limits, name)
        if not all(1 <= d <= 7 for d in days):
            found.add(f'restrictions.{name}', 'must be ISO weekdays 1 (Monday) to 7 (Sunday)')
        if len(set(days)) == 7:
            found.add(f'restrictions.{name}', 'cannot close every weekday (deactivate the plan instead)')
    return found.found


def _validate_plan(plan: RatePlan) -> None:
    _refuse(plan_problems(plan))


def _plan_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Request fields -> RatePlan fields (nested values as domain objects)."""
    out = dict(fields)
    if out.get('cancellation') is not None:
        out['cancellation'] = policy_from(out['cancellation'])
    if out.get('restrictions') is not None:
        given = dict(out['restrictions'])
        for name in ('closed_to_arrival', 'closed_to_departure'):
            given[name] = tuple(sorted(set(given.get(name) or ())))
        out['restrictions'] = PlanRestrictions(**given)
    if out.get('derivation') is not None:
        out['derivation'] = Derivation(out['derivation']['type'], out['derivation']['value'])
    if out.get('code') is not None:
        out['code'] = rates.normalize_code(out['code'])
    if out.get('parent_code') is not None:
        out['parent_code'] = rates.normalize_code(out['parent_code'])
    return out


def policy_from(given: dict[str, Any]) -> CancellationPolicy:
    """``{type: non_refundable}`` or ``{type: free_until, free_hours, penalty, percent?}``."""
    if given['type'] == 'non_refundable':
        return CancellationPolicy.non_refundable()
    penalty = given.get('penalty') or 'first_night'
    percent = given.get('percent') or 0
    return CancellationPolicy(given.get('free_hours', 48), Penalty(penalty, percent if penalty == 'percent' else 0))


def list_plans(deps: Deps, hotel_id: str, room_type_id: str | None = None) -> list[RatePlan]:
    """The hotel's plans (with ``room_type_id``: the ones that sell it), by code."""
    _hotel(deps, hotel_id)
    plans = deps.catalog.list_plans(hotel_id)
    return sorted((p for p in plans if room_type_id is None or p.applies_to(room_type_id)), key=lambda p: p.code)


def get_plan(deps: Deps, hotel_id: str, code: str) -> RatePlan:
    return deps.catalog.get_plan(hotel_id, rates.normalize_code(code))


def _check_parent(deps: Deps, plan: RatePlan) -> None:
    """A derived plan's parent exists in the same hotel, and its chain stays short."""
    if plan.parent_code is None:
        return
    by_code = {p.code: p for p in deps.catalog.list_plans(plan.hotel_id)}
    if plan.parent_code not in by_code:
        raise errors.InvalidReference(f'Rate plan {plan.parent_code} not found in hotel {plan.hotel_id}')
    try:
        chain = rates.chain(plan, {**by_code, plan.code: plan})
    except errors.RatePlanUnavailable:
        raise errors.InvalidReference(f'Rate plan {plan.parent_code} cannot be a parent') from None
    if len(chain) > rates.MAX_CHAIN:
        raise errors.Unprocessable(f'A derived plan is at most {rates.MAX_CHAIN - 1} steps from its base plan')


def create_plan(deps: Deps, admin_: Principal, hotel_id: str, fields: dict[str, Any], now: datetime) -> RatePlan:
    """A new plan; without ``cancellation`` it gets the engine's default policy
    (CANCELLATION_FREE_HOURS, CANCELLATION_PENALTY)."""
    _hotel(deps, hotel_id)
    values = _plan_values(fields)
    if values.get('cancellation') is None:
        values['cancellation'] = deps.settings.cancellation_policy
    if values.get('restrictions') is None:
        values['restrictions'] = PlanRestrictions()
    if values.get('room_type_id') is not None:
        _room_type_of(deps, hotel_id, values['room_type_id'])
    plan = RatePlan(hotel_id=hotel_id, version=1, updated_at=stored_precision(now), updated_by=admin_.user_id, **values)
    if plan.code == rates.STANDARD_CODE:
        raise errors.Unprocessable(f'{rates.STANDARD_CODE} is the name of the plan a room type without plans sells')
    _validate_plan(plan)
    _check_parent(deps, plan)
    deps.catalog.create_plan(plan)
    admin.record_change(deps, admin_, 'rate_plan.create', hotel_id=hotel_id, rate_plan_id=plan.code)
    return plan


def update_plan(
    deps: Deps, admin_: Principal, hotel_id: str, code: str, changes: dict[str, Any], now: datetime
) -> RatePlan:
    """Merge, validate the result, write it if nobody changed the plan meanwhile. Bookings keep
    the terms they were made with: an edit never changes an existing booking's refund."""
    if not changes:
        raise errors.Unprocessable('Send at least one field to change')
    current = get_plan(deps, hotel_id, code)
    values = _plan_values(changes)
    if values.get('room_type_id') is not None:
        _room_type_of(deps, hotel_id, values['room_type_id'])
    merged = replace(
        current, **values, version=current.version + 1, updated_at=stored_precision(now), updated_by=admin_.user_id
    )
    _validate_plan(merged)
    deps.catalog.replace_plan(merged, expected_version=current.version)
    admin.record_change(
        deps, admin_, 'rate_plan.update', hotel_id=hotel_id, rate_plan_id=merged.code, changes=sorted(changes)
    )
    return merged


def delete_plan(deps: Deps, admin_: Principal, hotel_id: str, code: str) -> None:
    """Refused while other plans derive from it (409); bookings keep their snapshot of it."""
    plan = get_plan(deps, hotel_id, code)
    deps.catalog.delete_plan(plan)
    admin.record_change(deps, admin_, 'rate_plan.delete', hotel_id=hotel_id, rate_plan_id=plan.code)


# ---------------------------------------------------------------- taxes


def taxes_problems(taxes: HotelTaxes) -> list[dict[str, object]]:
    found = _Problems()
    if not 0 <= taxes.vat_rate <= 10_000:
        found.add('vat_percent', 'must be between 0 and 100')
    city = taxes.city_tax
    if city is not None:
        if not 0 <= city.per_guest_night <= MONEY_MAX:
            found.add('city_tax.per_guest_night', f'must be between 0 and {MONEY_MAX}')
        if city.max_nights is not None and not 1 <= city.max_nights <= MAX_STAY:
            found.add('city_tax.max_nights', f'must be between 1 and {MAX_STAY}, or null')
        if city.exempt_under_age is not None and not 1 <= city.exempt_under_age <= 25:
            found.add('city_tax.exempt_under_age', 'must be between 1 and 25, or null')
    codes = [f.code for f in taxes.fees]
    if len(set(codes)) != len(codes):
        found.add('fees', 'fee codes must be unique')
    if len(codes) > MAX_FEES:
        found.add('fees', f'at most {MAX_FEES} fees')
    for i, fee in enumerate(taxes.fees):
        if not 0 <= fee.amount <= MONEY_MAX:
            found.add(f'fees.{i}.amount', f'must be between 0 and {MONEY_MAX}')
        if fee.per not in ('stay', 'room'):
            found.add(f'fees.{i}.per', 'must be stay or room')
        if not fee.name.strip():
            found.add(f'fees.{i}.name', 'must not be empty')
    return found.found


def get_taxes(deps: Deps, hotel_id: str) -> HotelTaxes:
    _hotel(deps, hotel_id)
    return deps.catalog.get_taxes(hotel_id)


def put_taxes(deps: Deps, admin_: Principal, hotel_id: str, fields: dict[str, Any], now: datetime) -> HotelTaxes:
    """Replace the hotel's taxes (all of them: what is not sent is removed). Bookings keep the
    taxes they were priced with."""
    current = get_taxes(deps, hotel_id)
    city = fields.get('city_tax')
    taxes = HotelTaxes(
        hotel_id=hotel_id,
        vat_rate=fields['vat_rate'],
        prices_include_vat=fields['prices_include_vat'],
        city_tax=CityTax(**city) if city else None,
        fees=tuple(Fee(**f) for f in fields.get('fees') or ()),
        version=current.version + 1,
        updated_at=stored_precision(now),
        updated_by=admin_.user_id,
    )
    _refuse(taxes_problems(taxes))
    deps.catalog.put_taxes(taxes, expected_version=current.version)
    admin.record_change(deps, admin_, 'taxes.update', hotel_id=hotel_id, vat_rate=taxes.vat_rate)
    return taxes


# ---------------------------------------------------------------- promo codes


def promo_problems(promo: PromoCode) -> list[dict[str, object]]:
    found = _Problems()
    if promo.kind == PromoKind.PERCENT and not 1 <= promo.value <= 100:
        found.add('value', 'a percent must be between 1 and 100')
    elif promo.kind == PromoKind.AMOUNT and not 1 <= promo.value <= MONEY_MAX:
        found.add('value', f'an amount must be between 1 and {MONEY_MAX}')
    elif promo.kind not in set(PromoKind):
        found.add('kind', f'must be one of {", ".join(PromoKind)}')
    for start, end in (('valid_from', 'valid_until'), ('stay_from', 'stay_until')):
        first, last = getattr(promo, start), getattr(promo, end)
        if first is not None and last is not None and last < first:
            found.add(end, f'must be on or after {start} (both are inclusive)')
    if promo.min_nights is not None and not 1 <= promo.min_nights <= MAX_STAY:
        found.add('min_nights', f'must be between 1 and {MAX_STAY}, or null')
    for name in ('max_uses', 'max_uses_per_guest'):
        value = getattr(promo, name)
        if value is not None and not 1 <= value <= MAX_USES:
            found.add(name, f'must be between 1 and {MAX_USES}, or null')
    if len(promo.rate_plans) > MAX_PLANS_PER_PROMO:
        found.add('rate_plans', f'at most {MAX_PLANS_PER_PROMO} plans')
    return found.found


def _promo_values(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if out.get('code') is not None:
        out['code'] = rates.normalize_code(out['code'])
    if out.get('rate_plans') is not None:
        out['rate_plans'] = tuple(sorted({rates.normalize_code(c) for c in out['rate_plans']}))
    return out


def _validate_promo(deps: Deps, promo: PromoCode) -> None:
    _refuse(promo_problems(promo))
    if promo.rate_plans:
        known = {p.code for p in deps.catalog.list_plans(promo.hotel_id)} | {rates.STANDARD_CODE}
        unknown = [c for c in promo.rate_plans if c not in known]
        if unknown:
            raise errors.InvalidReference(f'Rate plans not found in hotel {promo.hotel_id}: {", ".join(unknown)}')


def list_promos(deps: Deps, hotel_id: str) -> list[PromoCode]:
    _hotel(deps, hotel_id)
    return deps.promos.list(hotel_id)


def get_promo(deps: Deps, hotel_id: str, code: str) -> PromoCode:
    return deps.promos.get(hotel_id, rates.normalize_code(code))


def create_promo(deps: Deps, admin_: Principal, hotel_id: str, fields: dict[str, Any], now: datetime) -> PromoCode:
    _hotel(deps, hotel_id)
    promo = PromoCode(
        hotel_id=hotel_id,
        version=1,
        updated_at=stored_precision(now),
        updated_by=admin_.user_id,
        **_promo_values(fields),
    )
    _validate_promo(deps, promo)
    deps.promos.create(promo)
    admin.record_change(deps, admin_, 'promo_code.create', hotel_id=hotel_id, promo_code=promo.code)
    return promo


def update_promo(
    deps: Deps, admin_: Principal, hotel_id: str, code: str, changes: dict[str, Any], now: datetime
) -> PromoCode:
    """Merge, validate, write at the version read. Lowering ``max_uses`` below the uses counted
    is allowed: the code is then used up (holds already made keep it)."""
    if not changes:
        raise errors.Unprocessable('Send at least one field to change')
    current = get_promo(deps, hotel_id, code)
    merged = replace(
        current,
        **_promo_values(changes),
        version=current.version + 1,
        updated_at=stored_precision(now),
        updated_by=admin_.user_id,
    )
    _validate_promo(deps, merged)
    deps.promos.replace(merged, expected_version=current.version)
    admin.record_change(
        deps, admin_, 'promo_code.update', hotel_id=hotel_id, promo_code=merged.code, changes=sorted(changes)
    )
    return deps.promos.get(hotel_id, merged.code)


def delete_promo(deps: Deps, admin_: Principal, hotel_id: str, code: str) -> None:
    """Only a code no booking holds a use of (409 ``promo_in_use``: deactivate it instead)."""
    normalized = rates.normalize_code(code)
    deps.promos.delete(hotel_id, normalized)
    admin.record_change(deps, admin_, 'promo_code.delete', hotel_id=hotel_id, promo_code=normalized)


# ---------------------------------------------------------------- the preview's offers


def preview_offers(
    deps: Deps, preview: admin.Preview, party: rates.Party, now: datetime, promo_code: str | None = None
) -> list[offers.Offer]:
    """Every active plan's offer for the previewed stay, as a guest would see it now (terms read
    fresh); with ``promo_code``, applied where it fits (a code that cannot be used at all is
    refused as a booking would be)."""
    hotel = deps.catalog.get_hotel(preview.room_type.hotel_id)
    promo = bookings.find_promo(deps, hotel, promo_code, now)
    policy = deps.settings.cancellation_policy
    return offers.offers(preview.room_type, hotel, preview.terms, preview.stay, party, now, policy, promo)
