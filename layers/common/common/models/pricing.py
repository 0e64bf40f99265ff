"""What clients are shown of a price and of a rate plan's terms: the breakdown of a stay's total
(the same for a search offer, the admin preview and a booking) and the cancellation policy as
data and in words. See docs/pricing.md."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from common.domain import (
    AppliedPromo,
    BookingTerms,
    CancellationPolicy,
    NightPrice,
    PenaltyKind,
    StayPrice,
)

if TYPE_CHECKING:
    from common.errors import DomainError
    from common.services.offers import Offer


def vat_percent(rate: int) -> Decimal:
    """Basis points as a percent (600 -> 6, 825 -> 8.25)."""
    return (Decimal(rate) / 100).normalize() if rate else Decimal(0)


class NightOut(BaseModel):
    date: date
    price: int = Field(description='one room, the plan rate (VAT as the hotel enters prices)')
    rule_ids: list[str] = []
    supplement: int = Field(0, description="the plan's per-guest supplement for the whole party (meals)")
    discount: int = Field(0, description="the promo code's share of this night")
    vat: int = Field(0, description="VAT of the night's amount (inside it, or added)")

    @classmethod
    def from_domain(cls, night: NightPrice) -> NightOut:
        return cls(
            date=night.date,
            price=night.price,
            rule_ids=list(night.rule_ids),
            supplement=night.supplement,
            discount=night.discount,
            vat=night.vat,
        )


class FeeOut(BaseModel):
    code: str
    name: str
    amount: int
    vat: int


class VatOut(BaseModel):
    percent: Decimal
    included: bool = Field(description='true: inside the prices shown; false: added to them')
    amount: int


class CityTaxOut(BaseModel):
    per_guest_night: int
    guests: int = Field(description='guests taxed (children younger than the exemption age are not)')
    nights: int = Field(description='nights taxed (the stay, capped)')
    amount: int


class AppliedPromoOut(BaseModel):
    code: str
    kind: str
    value: int
    discount: int

    @classmethod
    def from_domain(cls, promo: AppliedPromo) -> AppliedPromoOut:
        return cls(code=promo.code, kind=promo.kind, value=promo.value, discount=promo.discount)


class BreakdownOut(BaseModel):
    """total = room_charge + fees + VAT (when not included) + city tax: what is charged."""

    currency: str
    room_charge: int = Field(description='every night for every room, supplements in, promo discount out')
    discount: int = Field(description='the promo code, already taken off room_charge')
    fees: list[FeeOut]
    vat: VatOut | None
    city_tax: CityTaxOut | None
    total: int

    @classmethod
    def from_domain(cls, price: StayPrice) -> BreakdownOut:
        return cls(
            currency=price.currency,
            room_charge=price.room_charge,
            discount=price.discount,
            fees=[FeeOut(code=f.code, name=f.name, amount=f.amount, vat=f.vat) for f in price.fees],
            vat=VatOut(percent=vat_percent(price.vat.rate), included=price.vat.included, amount=price.vat_total)
            if price.vat is not None
            else None,
            city_tax=CityTaxOut(
                per_guest_night=price.city_tax.per_guest_night,
                guests=price.city_tax.guests,
                nights=price.city_tax.nights,
                amount=price.city_tax.amount,
            )
            if price.city_tax is not None
            else None,
            total=price.total,
        )


class PenaltyOut(BaseModel):
    kind: str = Field(description='first_night | percent | full_stay | none')
    percent: int | None = None
    amount: int | None = Field(None, description='what it keeps of this stay (offers only)')


class PolicyOut(BaseModel):
    """A cancellation policy as data: free until ``free_hours`` before the check-in instant, then
    ``penalty``; or not refundable at all."""

    refundable: bool
    free_hours: int | None
    penalty: PenaltyOut

    @classmethod
    def from_domain(cls, policy: CancellationPolicy, kept: int | None = None) -> PolicyOut:
        penalty = policy.penalty if policy.refundable else None
        kind = str(penalty.kind) if penalty is not None else str(PenaltyKind.FULL_STAY)
        return cls(
            refundable=policy.refundable,
            free_hours=policy.free_hours if policy.refundable else None,
            penalty=PenaltyOut(
                kind=kind,
                percent=penalty.percent if penalty is not None and penalty.kind == PenaltyKind.PERCENT else None,
                amount=kept,
            ),
        )


class TermsOut(BaseModel):
    """The rate plan a booking was made under, as it was then (a later edit never changes it)."""

    rate_plan_id: str
    name: str
    meal_plan: str
    prepayment: str
    cancellation: PolicyOut

    @classmethod
    def from_domain(cls, terms: BookingTerms) -> TermsOut:
        return cls(
            rate_plan_id=terms.rate_plan_id,
            name=terms.name,
            meal_plan=str(terms.meal_plan),
            prepayment=str(terms.prepayment),
            cancellation=PolicyOut.from_domain(terms.cancellation),
        )


class OfferPolicyOut(PolicyOut):
    free_cancellation_until: datetime | None = Field(description='last instant a cancellation is free (null: never)')
    summary: str = Field(description='the policy in words')


class RestrictionOut(BaseModel):
    code: str
    detail: str

    @classmethod
    def of(cls, error: DomainError | None) -> RestrictionOut | None:
        return cls(code=error.code, detail=error.detail) if error is not None else None


class OfferOut(BaseModel):
    """One rate plan's price for the stay, with its terms."""

    rate_plan_id: str = Field(description='the plan code to book it with')
    name: str
    description: str
    meal_plan: str
    prepayment: str
    bookable: bool = Field(description="false: the plan's restrictions refuse this stay (listed when asked)")
    restriction: RestrictionOut | None
    currency: str
    total_price: int = Field(description='what the booking will charge, taxes and fees included')
    nightly: list[NightOut]
    breakdown: BreakdownOut
    cancellation: OfferPolicyOut
    promo: AppliedPromoOut | None = Field(description='the promo code, when it applies to this plan and stay')
    promo_not_applicable: RestrictionOut | None = None

    @classmethod
    def from_domain(cls, offer: Offer) -> OfferOut:
        plan, price = offer.plan, offer.price
        policy = PolicyOut.from_domain(plan.cancellation, offer.penalty)
        return cls(
            rate_plan_id=plan.code,
            name=plan.name,
            description=plan.description,
            meal_plan=str(plan.meal_plan),
            prepayment=str(plan.prepayment),
            bookable=offer.bookable,
            restriction=RestrictionOut.of(offer.restriction),
            currency=price.currency,
            total_price=price.total,
            nightly=[NightOut.from_domain(n) for n in price.nightly],
            breakdown=BreakdownOut.from_domain(price),
            cancellation=OfferPolicyOut(
                **policy.model_dump(), free_cancellation_until=offer.free_cancellation_until, summary=offer.summary
            ),
            promo=AppliedPromoOut.from_domain(price.promo) if price.promo else None,
            promo_not_applicable=RestrictionOut.of(offer.promo_refused),
        )
