"""Offers: a room type's stay priced under each rate plan that sells it, with its terms.

Search lists them, the admin preview shows them and a hold books one: all three call
``offer`` (or ``offers``) with the same inputs, so the total a guest is shown is the total the
booking locks and the PaymentIntent charges (docs/pricing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common import errors
from common.domain import (
    CancellationPolicy,
    Hotel,
    NightPrice,
    Penalty,
    PenaltyKind,
    PricingTerms,
    PromoCode,
    RatePlan,
    RoomType,
    Stay,
    StayPrice,
)
from common.observability import logger
from common.services import pricing, rates

ZERO_DECIMAL_CURRENCIES = frozenset({'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'})  # fmt: skip


def money(amount: int, currency: str) -> str:
    """``EUR 120.00`` (minor units shown the way the currency has them)."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return f'{currency.upper()} {amount:,}'
    return f'{currency.upper()} {amount // 100:,}.{amount % 100:02d}'


@dataclass(frozen=True)
class Offer:
    """One plan's price for a stay and what cancelling it would cost."""

    plan: RatePlan
    price: StayPrice
    free_cancellation_until: datetime | None  # None: cancelling is never free
    penalty: int  # kept by a cancellation after that (non-refundable: at any time)
    summary: str  # the policy in words
    restriction: errors.Unprocessable | None = None  # why the plan refuses this stay
    promo_refused: errors.Unprocessable | None = None  # why the promo code does not apply

    @property
    def bookable(self) -> bool:
        return self.restriction is None


def policy_words(
    policy: CancellationPolicy, hotel: Hotel, stay: Stay, price: StayPrice, now: datetime
) -> tuple[datetime | None, int, str]:
    """The deadline, the penalty and the sentence a guest reads before booking."""
    city_tax = price.city_tax_amount
    tax_back = f' The city tax ({money(city_tax, price.currency)}) is always refunded.' if city_tax else ''
    if not policy.refundable:
        kept = Penalty(PenaltyKind.FULL_STAY).amount(price)
        return (
            None,
            kept,
            f'Non-refundable: cancelling frees the room but {money(kept, price.currency)} is kept.{tax_back}',
        )
    kept = policy.penalty.amount(price)
    starts = hotel.check_in_instant(stay.check_in)
    local = f'{starts:%a %d %b %Y, %H:%M} ({hotel.timezone})'
    free_until = policy.free_until(hotel, stay.check_in, now)
    if kept == 0:
        return free_until, 0, f'Free cancellation until check-in, {local}.'
    what = 'the first night' if policy.penalty.kind == PenaltyKind.FIRST_NIGHT else (
        'the whole stay' if policy.penalty.kind == PenaltyKind.FULL_STAY else f'{policy.penalty.percent} % of the stay'
    )  # fmt: skip
    cost = f'{what} ({money(kept, price.currency)})'
    if free_until is None:
        words = f'Cancelling costs {cost}; no cancellation from check-in, {local}.'
    else:
        deadline = free_until.astimezone(hotel.tz)
        words = (
            f'Free cancellation until {deadline:%a %d %b %Y, %H:%M} ({hotel.timezone}); '
            f'after that, cancelling costs {cost}.'
        )
    return free_until, kept, words + tax_back


def offer(
    room_type: RoomType,
    hotel: Hotel,
    terms: PricingTerms,
    plan: RatePlan,
    base: tuple[NightPrice, ...],
    stay: Stay,
    party: rates.Party,
    now: datetime,
    promo: PromoCode | None = None,
) -> Offer:
    """``plan``'s price for the stay (the promo applied when it fits), its terms and whether its
    restrictions allow the stay. ``base``: the stay's nights priced by the price rules."""
    by_code = {p.code: p for p in terms.plans}
    plan_chain = rates.chain(plan, by_code) if plan.parent_code else [plan]
    restriction = rates.restriction(plan, stay, hotel.today(now))
    promo_refused = rates.promo_fit_problem(promo, plan.code, stay) if promo is not None else None
    applied = promo if promo is not None and promo_refused is None else None
    price = rates.price_stay(room_type, base, plan_chain, party, terms.tax_settings, applied)
    free_until, penalty, summary = policy_words(plan.cancellation, hotel, stay, price, now)
    return Offer(plan, price, free_until, penalty, summary, restriction, promo_refused)


def offers(
    room_type: RoomType,
    hotel: Hotel,
    terms: PricingTerms,
    stay: Stay,
    party: rates.Party,
    now: datetime,
    default_policy: CancellationPolicy,
    promo: PromoCode | None = None,
) -> list[Offer]:
    """Every active plan's offer for the stay, cheapest first (then by code). A plan that cannot
    be priced (its parent is gone) is left out and logged."""
    base = pricing.quote(room_type, terms.rules, stay, rooms=party.rooms).nightly
    found = []
    for plan in rates.plans_for(room_type, terms.plans, default_policy):
        if not plan.active:
            continue
        try:
            found.append(offer(room_type, hotel, terms, plan, base, stay, party, now, promo))
        except errors.RatePlanUnavailable:
            logger.error('rate plan cannot be priced', hotel_id=hotel.id, rate_plan_id=plan.code)
    return sorted(found, key=lambda o: (o.price.total, o.plan.code))
