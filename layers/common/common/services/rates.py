"""Rate plans, promo codes and taxes: how a stay is priced once the price rules have priced its
nights (docs/pricing.md). Pure functions: no storage, no clock; the callers pass what they read.

The order, one rounding (half up, to the minor unit) per step:

1. each night's base rate: the room type's ``base_price`` and the price rules (``pricing``);
2. the rate plan: a derived plan applies its derivation to its parent's night, parent first
   (``percent``: rate and supplement x (100 + v) / 100, each rounded; ``amount``: + v per room;
   ``per_guest``: + v x guests on the night's supplement); never below 0;
3. the promo code: a percent off each night's amount (rounded per night), or an amount off the
   stay shared over the nights in proportion to their amounts (largest remainder, no rounding);
4. VAT per line (each night's amount after the promo, each fee): prices entered with VAT:
   amount x r / (100 + r); without: amount x r / 100, added;
5. the city tax: per taxed guest per night, nights capped (integers, nothing to round).

total = room charge + fees + VAT (when added) + city tax: the amount shown, and charged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from common import errors
from common.domain import (
    AppliedPromo,
    CancellationPolicy,
    CityTaxCharge,
    Derivation,
    DerivationType,
    FeeLine,
    HotelTaxes,
    NightPrice,
    PromoCode,
    PromoKind,
    RatePlan,
    RoomType,
    Stay,
    StayPrice,
    VatTerms,
)

# The plan a room type sells under when its hotel defines none for it: its price rules' rate,
# under the engine's default cancellation policy (CANCELLATION_FREE_HOURS, CANCELLATION_PENALTY).
STANDARD_CODE = 'STANDARD'
MAX_CHAIN = 5  # a derived plan is at most this many steps from its root


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- which plans sell a room type


def standard_plan(hotel_id: str, policy: CancellationPolicy) -> RatePlan:
    return RatePlan(
        hotel_id=hotel_id,
        code=STANDARD_CODE,
        name='Standard rate',
        description='The room at its published rate.',
        cancellation=policy,
        is_default=True,
    )


def plans_for(room_type: RoomType, plans: Iterable[RatePlan], default_policy: CancellationPolicy) -> list[RatePlan]:
    """The plans that can sell ``room_type`` (active or not), in display order: default first, then
    by code. A room type none of its hotel's plans applies to sells under ``STANDARD``."""
    mine = [p for p in plans if p.hotel_id == room_type.hotel_id and p.applies_to(room_type.id)]
    if not mine:
        return [standard_plan(room_type.hotel_id, default_policy)]
    first = default_plan(room_type, mine)
    return sorted(mine, key=lambda p: (p is not first, p.code))


def default_plan(room_type: RoomType, plans: Sequence[RatePlan]) -> RatePlan | None:
    """The plan a booking that names none gets: an active plan marked ``is_default`` (one for this
    room type before one for the whole hotel), else the first active plan without a parent (the
    same order), by code."""
    active = [p for p in plans if p.active and p.applies_to(room_type.id)]

    def order(p: RatePlan) -> tuple[bool, str]:
        return p.room_type_id is None, p.code

    for candidates in ([p for p in active if p.is_default], [p for p in active if p.parent_code is None]):
        if candidates:
            return min(candidates, key=order)
    return None


def find_plan(room_type: RoomType, plans: Sequence[RatePlan], code: str | None) -> RatePlan:
    """The plan a booking names (its code, any case), or the room type's default; refused when it
    does not exist, is inactive or does not sell this room type."""
    if code is None:
        found = default_plan(room_type, plans)
        if found is None:
            raise errors.RatePlanUnavailable(f'{room_type.name} has no rate plan on sale')
        return found
    wanted = code.upper()
    found = next((p for p in plans if p.code == wanted), None)
    if found is None or not found.active or not found.applies_to(room_type.id):
        raise errors.RatePlanUnavailable(f'Rate plan {wanted} is not on sale for {room_type.name}', rate_plan_id=wanted)
    return found


def chain(plan: RatePlan, by_code: Mapping[str, RatePlan]) -> list[RatePlan]:
    """The plan and its ancestors, root first. A missing parent or a loop (which the admin API
    never stores) makes the plan unavailable rather than mispriced."""
    found = [plan]
    while found[-1].parent_code is not None:
        parent = by_code.get(found[-1].parent_code or '')
        if parent is None or len(found) > MAX_CHAIN or parent in found:
            raise errors.RatePlanUnavailable(f'Rate plan {plan.code} cannot be priced', rate_plan_id=plan.code)
        found.append(parent)
    return found[::-1]


# ---------------------------------------------------------------- derivation


def derive(night: NightPrice, derivation: Derivation, guests: int) -> NightPrice:
    """One derivation step on one night (see the module's docstring, step 2)."""
    kind, value = derivation.type, derivation.value
    price, supplement = night.price, night.supplement
    if kind == DerivationType.PERCENT:
        price = half_up(Decimal(price) * (100 + value) / 100)
        supplement = half_up(Decimal(supplement) * (100 + value) / 100)
    elif kind == DerivationType.AMOUNT:
        price += value
    elif kind == DerivationType.PER_GUEST:
        supplement += value * guests
    else:  # validated at the edge; a stored unknown type must not silently change prices
        raise ValueError(f'unknown derivation {kind!r}')
    return replace(night, price=max(price, 0), supplement=max(supplement, 0))


def plan_nightly(base: Sequence[NightPrice], plans: Sequence[RatePlan], guests: int) -> tuple[NightPrice, ...]:
    """The nights of a plan from the base nights: every derivation of ``plans`` (root first)."""
    nightly = tuple(base)
    for plan in plans:
        if plan.derivation is not None:
            derivation = plan.derivation
            nightly = tuple(derive(n, derivation, guests) for n in nightly)
    return nightly


# ---------------------------------------------------------------- restrictions


def restriction(plan: RatePlan, stay: Stay, today: date) -> errors.Unprocessable | None:
    """Why ``plan`` refuses this stay booked on ``today`` (the hotel's date), or None."""
    rules = plan.restrictions
    ahead = (stay.check_in - today).days
    code = plan.code
    if rules.min_advance_days is not None and ahead < rules.min_advance_days:
        return errors.MinAdvance(
            f'{plan.name} must be booked at least {rules.min_advance_days} days before arrival',
            rate_plan_id=code,
            min_advance_days=rules.min_advance_days,
        )
    if rules.max_advance_days is not None and ahead > rules.max_advance_days:
        return errors.MaxAdvance(
            f'{plan.name} can be booked at most {rules.max_advance_days} days before arrival',
            rate_plan_id=code,
            max_advance_days=rules.max_advance_days,
        )
    if rules.min_stay is not None and stay.nights < rules.min_stay:
        return errors.MinStay(
            f'{plan.name} needs at least {rules.min_stay} nights', rate_plan_id=code, min_stay=rules.min_stay
        )
    if rules.max_stay is not None and stay.nights > rules.max_stay:
        return errors.MaxStay(
            f'{plan.name} allows at most {rules.max_stay} nights', rate_plan_id=code, max_stay=rules.max_stay
        )
    if stay.check_in.isoweekday() in rules.closed_to_arrival:
        return errors.ClosedToArrival(
            f'{plan.name} is closed to arrival on {stay.check_in.strftime("%A")}s', rate_plan_id=code
        )
    if stay.check_out.isoweekday() in rules.closed_to_departure:
        return errors.ClosedToDeparture(
            f'{plan.name} is closed to departure on {stay.check_out.strftime("%A")}s', rate_plan_id=code
        )
    return None


# ---------------------------------------------------------------- promo codes


def normalize_code(code: str) -> str:
    return code.strip().upper()


def promo_state_problem(promo: PromoCode | None, code: str, today: date) -> errors.Unprocessable | None:
    """Whether a code can be used at all today (the hotel's date): unknown or inactive, not yet or
    no longer valid, used up. What a search reports; a hold also checks the guest's own uses."""
    shown = normalize_code(code)
    if promo is None or not promo.active:
        return errors.PromoUnknown(f'Promo code {shown} does not exist', promo_code=shown)
    if promo.valid_from is not None and today < promo.valid_from:
        return errors.PromoNotYetValid(
            f'Promo code {shown} can be used from {promo.valid_from.isoformat()}',
            promo_code=shown,
            valid_from=promo.valid_from.isoformat(),
        )
    if promo.valid_until is not None and today > promo.valid_until:
        return errors.PromoExpired(
            f'Promo code {shown} expired on {promo.valid_until.isoformat()}',
            promo_code=shown,
            valid_until=promo.valid_until.isoformat(),
        )
    if promo.max_uses is not None and promo.uses >= promo.max_uses:
        return errors.PromoExhausted(f'Promo code {shown} has been used up', promo_code=shown)
    return None


def promo_fit_problem(promo: PromoCode, plan_code: str, stay: Stay) -> errors.Unprocessable | None:
    """Whether a usable code applies to this plan and stay."""
    reason = None
    if promo.rate_plans and plan_code not in promo.rate_plans:
        reason = f'applies to the {", ".join(promo.rate_plans)} rate only'
    elif promo.min_nights is not None and stay.nights < promo.min_nights:
        reason = f'needs a stay of at least {promo.min_nights} nights'
    elif promo.stay_from is not None and stay.check_in < promo.stay_from:
        reason = f'applies to stays from {promo.stay_from.isoformat()}'
    elif promo.stay_until is not None and stay.check_out - timedelta(days=1) > promo.stay_until:
        reason = f'applies to nights until {promo.stay_until.isoformat()}'
    if reason is None:
        return None
    return errors.PromoNotApplicable(f'Promo code {promo.code} {reason}', promo_code=promo.code, reason=reason)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` shared over ``weights`` in proportion (largest remainder: the shares add up to
    ``total`` exactly; ties go to the earlier weight). ``total`` at most ``sum(weights)``."""
    whole = sum(weights)
    if whole <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def apply_promo(
    nightly: Sequence[NightPrice], rooms: int, promo: PromoCode
) -> tuple[tuple[NightPrice, ...], AppliedPromo]:
    """Take the promo's discount off the nights (step 3); never more than a night's amount."""
    amounts = [n.price * rooms + n.supplement for n in nightly]
    if promo.kind == PromoKind.PERCENT:
        shares = [min(a, half_up(Decimal(a) * promo.value / 100)) for a in amounts]
    else:
        shares = allocate(min(promo.value, sum(amounts)), amounts)
    discounted = tuple(replace(n, discount=s) for n, s in zip(nightly, shares, strict=True))
    applied = AppliedPromo(
        promo.code, promo.kind, promo.value, sum(shares), guest_limited=promo.max_uses_per_guest is not None
    )
    return discounted, applied


# ---------------------------------------------------------------- taxes


def vat_of(amount: int, vat: VatTerms) -> int:
    """The VAT of one line (step 4): inside ``amount`` or on top of it."""
    if vat.rate == 0 or amount <= 0:
        return 0
    if vat.included:
        return half_up(Decimal(amount) * vat.rate / (10_000 + vat.rate))
    return half_up(Decimal(amount) * vat.rate / 10_000)


def taxed_guests(guests: int, child_ages: Sequence[int], exempt_under_age: int | None) -> int:
    """Guests the city tax counts: all of them, less the children younger than the exemption age
    among those whose ages were given."""
    if exempt_under_age is None:
        return guests
    return max(0, guests - sum(1 for age in child_ages if age < exempt_under_age))


def tax(
    currency: str,
    nightly: Sequence[NightPrice],
    rooms: int,
    guests: int,
    child_ages: Sequence[int],
    taxes: HotelTaxes,
    promo: AppliedPromo | None = None,
) -> StayPrice:
    """The stay's price with its fees, VAT and city tax (steps 4 and 5)."""
    vat = VatTerms(taxes.vat_rate, taxes.prices_include_vat) if taxes.vat_rate else None
    if vat is not None:
        nightly = [replace(n, vat=vat_of(n.amount(rooms), vat)) for n in nightly]
    fees = []
    for fee in taxes.fees:
        amount = fee.amount * (rooms if fee.per == 'room' else 1)
        fees.append(FeeLine(fee.code, fee.name, amount, vat_of(amount, vat) if vat is not None else 0))
    city_tax = None
    if taxes.city_tax is not None and taxes.city_tax.per_guest_night > 0:
        rule = taxes.city_tax
        nights = len(nightly) if rule.max_nights is None else min(len(nightly), rule.max_nights)
        city_tax = CityTaxCharge(rule.per_guest_night, taxed_guests(guests, child_ages, rule.exempt_under_age), nights)
    return StayPrice(
        currency=currency,
        rooms=rooms,
        nightly=tuple(nightly),
        fees=tuple(fees),
        vat=vat,
        city_tax=city_tax,
        promo=promo,
    )


# ---------------------------------------------------------------- the whole stay


@dataclass(frozen=True)
class Party:
    guests: int
    rooms: int = 1
    child_ages: tuple[int, ...] = ()


def price_stay(
    room_type: RoomType,
    base: Sequence[NightPrice],
    plan_chain: Sequence[RatePlan],
    party: Party,
    taxes: HotelTaxes,
    promo: PromoCode | None = None,
) -> StayPrice:
    """Steps 2 to 5 on the base nights of step 1 (``pricing.quote``): the one function search,
    booking and the admin preview price a stay with."""
    nightly = plan_nightly(base, plan_chain, party.guests)
    applied = None
    if promo is not None:
        nightly, applied = apply_promo(nightly, party.rooms, promo)
    return tax(room_type.currency, nightly, party.rooms, party.guests, party.child_ages, taxes, applied)
