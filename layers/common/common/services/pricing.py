"""The pricing engine: one function prices every night for search, booking and admin previews.

Night price = the room type's base price, then every matching rule in ascending ``priority``
(ties by rule id): ``fixed`` sets the price, ``percent`` multiplies by (100 + value) / 100,
``amount`` adds value; after each step the price is rounded half-up to the minor unit and
clamped at 0. Restrictions (``min_stay``, ``closed_to_arrival``) are read on the arrival night.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
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


@dataclass(frozen=True)
class Step:
    """One rule applied to one night: the price before and after it."""

    rule: PriceRule
    before: int
    after: int


def explain_night(room_type: RoomType, rules: Sequence[PriceRule], night: date) -> tuple[NightPrice, list[Step]]:
    """The night's price and every step that made it; ``rules`` in application order."""
    price = room_type.base_price
    steps: list[Step] = []
    for rule in rules:
        if rule.applies_to(room_type.id, night):
            before, price = price, apply_adjustment(price, rule)
            steps.append(Step(rule, before, price))
    return NightPrice(date=night, price=price, rule_ids=tuple(s.rule.id for s in steps)), steps


def price_night(room_type: RoomType, rules: Sequence[PriceRule], night: date) -> NightPrice:
    """``rules`` must already be in application order (see ``ordered``)."""
    return explain_night(room_type, rules, night)[0]


def quote(room_type: RoomType, rules: Iterable[PriceRule], stay: Stay, rooms: int = 1) -> Quote:
    in_order = [r for r in ordered(rules) if r.hotel_id == room_type.hotel_id]
    nightly = tuple(price_night(room_type, in_order, night) for night in stay.dates())
    return Quote(room_type_id=room_type.id, currency=room_type.currency, rooms=rooms, nightly=nightly)


def explain(room_type: RoomType, rules: Iterable[PriceRule], stay: Stay) -> list[tuple[NightPrice, list[Step]]]:
    """Every night of the stay with the steps that priced it (the admin preview); same rules,
    same order and same arithmetic as ``quote``."""
    in_order = [r for r in ordered(rules) if r.hotel_id == room_type.hotel_id]
    return [explain_night(room_type, in_order, night) for night in stay.dates()]


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


# ---------------------------------------------------------------- rule validation

ADJUSTMENT_TYPES = ('percent', 'amount', 'fixed')
PERCENT_MIN, PERCENT_MAX = -100, 1000  # -100 % makes a night free; +1000 % is 11 x the price
MONEY_MAX = 10**9  # minor units: 10 million in a two-decimal currency
PRIORITY_LIMIT = 10**6
MIN_STAY_MAX = 365


def rule_problems(rule: PriceRule) -> list[dict[str, object]]:
    """Everything wrong with a rule, as problem+json ``errors`` entries (empty when valid).

    The admin API's request models check shapes; this is the business rule, applied to the
    merged rule on create and on every PATCH, so no path can store a rule the engine rejects.
    """
    found: list[dict[str, object]] = []

    def problem(field: str, msg: str) -> None:
        found.append({'loc': ['body', *field.split('.')], 'type': 'value_error', 'msg': msg})

    kind, value = rule.adjustment.type, rule.adjustment.value
    if kind not in ADJUSTMENT_TYPES:
        problem('adjustment.type', f'must be one of {", ".join(ADJUSTMENT_TYPES)}')
    elif kind == 'percent' and not PERCENT_MIN <= value <= PERCENT_MAX:
        problem('adjustment.value', f'a percent adjustment must be between {PERCENT_MIN} and {PERCENT_MAX}')
    elif kind == 'fixed' and not 0 <= value <= MONEY_MAX:
        problem('adjustment.value', f'a fixed price must be between 0 and {MONEY_MAX}')
    elif kind == 'amount' and not -MONEY_MAX <= value <= MONEY_MAX:
        problem('adjustment.value', f'an amount must be between -{MONEY_MAX} and {MONEY_MAX}')
    if rule.start_date and rule.end_date and rule.end_date < rule.start_date:
        problem('end_date', 'must be on or after start_date (both are inclusive)')
    if rule.weekdays is not None and (not rule.weekdays or not all(1 <= d <= 7 for d in rule.weekdays)):
        problem('weekdays', 'must be ISO weekdays 1 (Monday) to 7 (Sunday), or null for every day')
    if rule.min_stay is not None and not 1 <= rule.min_stay <= MIN_STAY_MAX:
        problem('min_stay', f'must be between 1 and {MIN_STAY_MAX} nights, or null')
    if not -PRIORITY_LIMIT <= rule.priority <= PRIORITY_LIMIT:
        problem('priority', f'must be between -{PRIORITY_LIMIT} and {PRIORITY_LIMIT}')
    if not rule.name.strip():
        problem('name', 'must not be empty')
    return found


def validate_rule(rule: PriceRule) -> None:
    found = rule_problems(rule)
    if found:
        first = found[0]
        loc = first['loc']
        where = '.'.join(str(p) for p in loc[1:]) if isinstance(loc, list) else ''
        raise errors.Unprocessable(f'{where}: {first["msg"]}', errors=found)
