"""The pricing engine: one function prices every night for search, booking and admin previews.

Night price = the room type's base price, then every matching rule in ascending ``priority``
(ties by rule id): ``fixed`` sets the price, ``percent`` multiplies by (100 + value) / 100,
``amount`` adds value; after each step the price is rounded half-up to the minor unit and
clamped at 0. Restrictions (``min_stay``, ``closed_to_arrival``) are read on the arrival night.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from common import errors
from common.domain import NightPrice, PriceRule, RoomType, Stay


@dataclass(frozen=True)
class Quote:
    room_type_id: str
    currency: str
    rooms: int
    nightly: tuple[NightPrice, ...]

    @property
    def per_room(self) -> int:
        return sum(n.price for n in self.nightly)

    @property
    def total(self) -> int:
        return self.per_room * self.rooms


def apply_adjustment(price: int, rule: PriceRule) -> int:
    kind, value = rule.adjustment.type, rule.adjustment.value
    if kind == 'fixed':
        new = Decimal(value)
    elif kind == 'amount':
        new = Decimal(price + value)
    elif kind == 'percent':
        new = Decimal(price) * (100 + value) / 100
    else:  # validated at the edge; a stored unknown type must not silently change prices
        raise ValueError(f'unknown adjustment type {kind!r}')
    return max(int(new.quantize(Decimal(1), rounding=ROUND_HALF_UP)), 0)


def ordered(rules: Iterable[PriceRule]) -> list[PriceRule]:
    return sorted(rules, key=lambda r: (r.priority, r.id))


def price_night(room_type: RoomType, rules: Sequence[PriceRule], night) -> NightPrice:
    """``rules`` must already be in application order (see ``ordered``)."""
    price = room_type.base_price
    applied: list[str] = []
    for rule in rules:
        if rule.applies_to(room_type.id, night):
            price = apply_adjustment(price, rule)
            applied.append(rule.id)
    return NightPrice(date=night, price=price, rule_ids=tuple(applied))


def quote(room_type: RoomType, rules: Iterable[PriceRule], stay: Stay, rooms: int = 1) -> Quote:
    in_order = [r for r in ordered(rules) if r.hotel_id == room_type.hotel_id]
    nightly = tuple(price_night(room_type, in_order, night) for night in stay.dates())
    return Quote(room_type_id=room_type.id, currency=room_type.currency, rooms=rooms, nightly=nightly)


def restriction(room_type: RoomType, rules: Iterable[PriceRule], stay: Stay) -> errors.Unprocessable | None:
    """The restriction that forbids this stay, if any (checked on the arrival night)."""
    arriving = [r for r in rules if r.hotel_id == room_type.hotel_id and r.applies_to(room_type.id, stay.check_in)]
    if any(r.closed_to_arrival for r in arriving):
        return errors.ClosedToArrival(f'{room_type.id} is closed to arrival on {stay.check_in.isoformat()}')
    min_stay = max((r.min_stay for r in arriving if r.min_stay), default=0)
    if stay.nights < min_stay:
        return errors.MinStay(
            f'Arrivals on {stay.check_in.isoformat()} need at least {min_stay} nights', min_stay=min_stay
        )
    return None
