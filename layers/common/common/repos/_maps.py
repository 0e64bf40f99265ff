"""Values stored as DynamoDB maps (a rate plan's terms, a booking's price parts), both ways.

Maps come back from PynamoDB as plain dicts whose numbers may be ``Decimal`` or ``float``; the
readers convert every number with ``int``. Empty optional values are not stored."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from common.domain import (
    AppliedPromo,
    BookingTerms,
    CancellationPolicy,
    CityTax,
    CityTaxCharge,
    Derivation,
    Fee,
    FeeLine,
    Penalty,
    PlanRestrictions,
    VatTerms,
)


def plain(value: Any) -> Any:
    """A MapAttribute (or a raw dict from one) as a plain dict."""
    if value is None:
        return None
    return value.as_dict() if hasattr(value, 'as_dict') else dict(value)


def fields(value: object) -> dict[str, Any]:
    """A value object's fields as storable values (enums as their strings)."""
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in vars(value).items()}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def policy_map(policy: CancellationPolicy) -> dict[str, Any]:
    return {'refundable': policy.refundable, 'free_hours': policy.free_hours, 'penalty': str(policy.penalty)}


def policy(stored: Mapping[str, Any]) -> CancellationPolicy:
    if not stored.get('refundable', True):
        return CancellationPolicy.non_refundable()
    return CancellationPolicy(int(stored['free_hours']), Penalty.parse(str(stored['penalty'])))


def restrictions_map(value: PlanRestrictions) -> dict[str, Any]:
    found: dict[str, Any] = {k: v for k, v in fields(value).items() if v not in (None, ())}
    for name in ('closed_to_arrival', 'closed_to_departure'):
        if name in found:
            found[name] = list(found[name])
    return found


def restrictions(stored: Mapping[str, Any] | None) -> PlanRestrictions:
    stored = stored or {}
    return PlanRestrictions(
        min_advance_days=_int(stored.get('min_advance_days')),
        max_advance_days=_int(stored.get('max_advance_days')),
        min_stay=_int(stored.get('min_stay')),
        max_stay=_int(stored.get('max_stay')),
        closed_to_arrival=tuple(int(d) for d in stored.get('closed_to_arrival') or ()),
        closed_to_departure=tuple(int(d) for d in stored.get('closed_to_departure') or ()),
    )


def derivation(stored: Mapping[str, Any] | None) -> Derivation | None:
    return Derivation(str(stored['type']), int(stored['value'])) if stored else None


def terms_map(terms: BookingTerms) -> dict[str, Any]:
    return {
        'rate_plan_id': terms.rate_plan_id,
        'name': terms.name,
        'meal_plan': str(terms.meal_plan),
        'cancellation': policy_map(terms.cancellation),
        'prepayment': str(terms.prepayment),
    }


def terms(stored: Mapping[str, Any] | None) -> BookingTerms | None:
    if not stored:
        return None
    return BookingTerms(
        rate_plan_id=str(stored['rate_plan_id']),
        name=str(stored['name']),
        meal_plan=str(stored['meal_plan']),
        cancellation=policy(stored['cancellation']),
        prepayment=str(stored.get('prepayment') or 'full'),
    )


def fee_lines_map(fees: Iterable[FeeLine]) -> list[dict[str, Any]] | None:
    found = [fields(f) for f in fees]
    return found or None


def fee_lines(stored: Iterable[Any] | None) -> tuple[FeeLine, ...]:
    return tuple(
        FeeLine(str(f['code']), str(f['name']), int(f['amount']), int(f.get('vat') or 0))
        for f in (plain(x) for x in stored or ())
    )


def vat_map(vat: VatTerms | None) -> dict[str, Any] | None:
    return {'rate': vat.rate, 'included': vat.included} if vat is not None else None


def vat(stored: Mapping[str, Any] | None) -> VatTerms | None:
    return VatTerms(int(stored['rate']), bool(stored['included'])) if stored else None


def city_tax_charge_map(charge: CityTaxCharge | None) -> dict[str, Any] | None:
    return fields(charge) if charge is not None else None


def city_tax_charge(stored: Mapping[str, Any] | None) -> CityTaxCharge | None:
    if not stored:
        return None
    return CityTaxCharge(int(stored['per_guest_night']), int(stored['guests']), int(stored['nights']))


def promo_map(promo: AppliedPromo | None) -> dict[str, Any] | None:
    return fields(promo) if promo is not None else None


def applied_promo(stored: Mapping[str, Any] | None) -> AppliedPromo | None:
    if not stored:
        return None
    return AppliedPromo(
        code=str(stored['code']),
        kind=str(stored['kind']),
        value=int(stored['value']),
        discount=int(stored['discount']),
        guest_limited=bool(stored.get('guest_limited', False)),
    )


def city_tax_map(rule: CityTax | None) -> dict[str, Any] | None:
    return {k: v for k, v in fields(rule).items() if v is not None} if rule is not None else None


def city_tax(stored: Mapping[str, Any] | None) -> CityTax | None:
    if not stored:
        return None
    return CityTax(int(stored['per_guest_night']), _int(stored.get('max_nights')), _int(stored.get('exempt_under_age')))


def fees_map(fees: Iterable[Fee]) -> list[dict[str, Any]]:
    return [fields(f) for f in fees]


def fees(stored: Iterable[Any] | None) -> tuple[Fee, ...]:
    return tuple(
        Fee(str(f['code']), str(f['name']), int(f['amount']), str(f.get('per') or 'stay'))
        for f in (plain(x) for x in stored or ())
    )
