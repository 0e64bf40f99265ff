"""In-memory fakes of the ports (common/ports.py): what unit tests wire services to.

Each fake keeps the same promises as its DynamoDB repository or gateway, guards included (a hold
takes every night or none, a transition checks the status it expects, a refund is recorded once),
and raises the same domain errors. tests/contract/ runs the same cases against each fake and
against the DynamoDB repository on moto, so the two cannot drift.

``fake_deps()`` wires a ``Deps`` of fakes sharing one ``Store`` (a booking's hold moves the fake
inventory, as the transaction moves the table).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from common import errors
from common.config import Settings
from common.domain import (
    HOLDING_STATUSES,
    MAX_STAY_HARD_LIMIT,
    Attention,
    Booking,
    BookingStatus,
    Dispute,
    Followup,
    HeldSlot,
    Hotel,
    HotelTaxes,
    IntegrationEvent,
    IntentStatus,
    InventoryNight,
    Payment,
    PaymentIntent,
    PriceRule,
    PricingTerms,
    PromoCode,
    PromoUse,
    RatePlan,
    Refund,
    RefundStatus,
    Review,
    RoomType,
    StripeEvent,
    StripeRefund,
    User,
    WishlistEntry,
    Work,
    refund_owed,
    refund_statuses_before,
)
from common.gateways import stripe as stripe_gateway
from common.ports import (
    ANY,
    HOTEL_FIELDS,
    PROFILE_FIELDS,
    ROOM_TYPE_FIELDS,
    Anything,
    EmailClaim,
    EmailDeferred,
    EmailRejected,
    EventClaim,
    GuardRefused,
    HoldGuard,
    HoldSlot,
    NewNight,
    NightChange,
    Page,
    PassProgress,
    ReconcileProgress,
    SlotsInUse,
    ViewKey,
)
from common.sale_window import nights as nights_between
from common.security import JwtTokens, key_set, new_signing_key
from common.services.deps import Deps, TtlCache

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
# The unit tests' token key pair (EdDSA; tokens are signed and checked for real).
TEST_SIGNING_KEY, TEST_PUBLIC_KEY = new_signing_key('unit-test-key')


def _page(items: list[Any], limit: int, cursor: str | None, listing: str) -> Page[Any]:
    """Offset paging; the cursor names its listing, as the DynamoDB cursors name their partition."""
    start = 0
    if cursor:
        prefix, _, offset = cursor.rpartition(':')
        if prefix != listing or not offset.isdigit():
            raise errors.InvalidCursor()
        start = int(offset)
    end = start + limit
    return Page(items=items[start:end], next_cursor=f'{listing}:{end}' if end < len(items) else None)


@dataclass
class Store:
    """Everything the fakes hold, shared (the table is one too)."""

    hotels: dict[str, Hotel] = field(default_factory=dict)
    room_type_counts: dict[str, int] = field(default_factory=dict)
    room_types: dict[str, RoomType] = field(default_factory=dict)
    rules: dict[str, PriceRule] = field(default_factory=dict)
    plans: dict[tuple[str, str], RatePlan] = field(default_factory=dict)
    taxes: dict[str, HotelTaxes] = field(default_factory=dict)
    promos: dict[tuple[str, str], PromoCode] = field(default_factory=dict)
    promo_guest_uses: dict[tuple[str, str, str], int] = field(default_factory=dict)
    nights: dict[tuple[str, date], InventoryNight] = field(default_factory=dict)
    view: dict[ViewKey, dict[str, InventoryNight]] = field(default_factory=dict)
    bookings: dict[str, Booking] = field(default_factory=dict)
    leases: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    events: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id -> (state, lease until)
    users: dict[str, User] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    revoked_families: set[str] = field(default_factory=set)
    spent_tokens: set[str] = field(default_factory=set)
    sessions: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (user, family) -> until
    counters: dict[tuple[str, str, int], int] = field(default_factory=dict)
    hold_slots: dict[str, set[HeldSlot]] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    wishes: dict[tuple[str, str], WishlistEntry] = field(default_factory=dict)
    housekeeping: PassProgress | None = None
    reconcile: ReconcileProgress | None = None
    # (event id, recipient key) -> (state, lease until)
    notifications: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    tokens: Iterator[int] = field(default_factory=itertools.count)


# ---------------------------------------------------------------- repositories


class FakeCatalog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get_hotel(self, hotel_id: str) -> Hotel:
        try:
            return self.store.hotels[hotel_id]
        except KeyError:
            raise errors.NotFound('Hotel not found') from None

    def list_hotels(self) -> list[Hotel]:
        return sorted(self.store.hotels.values(), key=lambda h: (h.city.casefold(), h.id))

    def put_hotel(self, hotel: Hotel, *, create: bool) -> None:
        exists = hotel.id in self.store.hotels
        if create and exists:
            raise errors.AlreadyExists('Hotel already exists')
        if not create and not exists:
            raise errors.NotFound('Hotel not found')
        self.store.hotels[hotel.id] = hotel

    def update_hotel(self, hotel_id: str, changes: Mapping[str, Any]) -> Hotel:
        if set(changes) - HOTEL_FIELDS:
            raise ValueError(f'not changeable: {sorted(set(changes) - HOTEL_FIELDS)}')
        hotel = self.get_hotel(hotel_id)
        if 'currency' in changes and self.store.room_type_counts.get(hotel_id, 0):
            raise errors.HotelNotEmpty('The currency of a hotel with room types cannot change')
        updated = replace(hotel, **changes)
        self.store.hotels[hotel_id] = updated
        return updated

    def delete_hotel(self, hotel_id: str) -> None:
        self.get_hotel(hotel_id)
        if self.store.room_type_counts.get(hotel_id, 0):
            raise errors.HotelNotEmpty('Delete the room types of the hotel first')
        del self.store.hotels[hotel_id]
        for rule in self.list_rules(hotel_id):
            del self.store.rules[rule.id]
        for plan in self.list_plans(hotel_id):
            del self.store.plans[(hotel_id, plan.code)]
        self.store.taxes.pop(hotel_id, None)

    def get_room_type(self, room_type_id: str) -> RoomType:
        try:
            return self.store.room_types[room_type_id]
        except KeyError:
            raise errors.NotFound('Room type not found') from None

    def list_room_types(self) -> list[RoomType]:
        return sorted(self.store.room_types.values(), key=lambda r: (r.hotel_id, r.id))

    def room_types_after(self, cursor: str) -> Iterator[tuple[str, RoomType]]:
        for room_type in self.list_room_types():
            key = f'{room_type.hotel_id}#{room_type.id}'
            if key > cursor:
                yield key, room_type

    def put_room_type(self, room_type: RoomType, *, create: bool) -> None:
        exists = room_type.id in self.store.room_types
        if create:
            if exists:
                raise errors.AlreadyExists('Room type already exists')
            if room_type.hotel_id not in self.store.hotels:
                raise errors.InvalidReference(f'Hotel {room_type.hotel_id} not found')
            self.store.room_type_counts[room_type.hotel_id] = self.store.room_type_counts.get(room_type.hotel_id, 0) + 1
        elif not exists:
            raise errors.NotFound('Room type not found')
        # written with its default allotment, as the table stores it (never absent once written)
        self.store.room_types[room_type.id] = replace(room_type, default_allotment=room_type.allotment_of_new_nights)

    def update_room_type(self, room_type_id: str, changes: Mapping[str, Any]) -> RoomType:
        if set(changes) - ROOM_TYPE_FIELDS:
            raise ValueError(f'not changeable: {sorted(set(changes) - ROOM_TYPE_FIELDS)}')
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
        updated = replace(self.get_room_type(room_type_id), **values)
        self.store.room_types[room_type_id] = updated
        return updated

    def delete_room_type(self, room_type: RoomType, nights: Sequence[InventoryNight]) -> None:
        for night in nights:
            stored = self.store.nights.get((room_type.id, night.date))
            if stored is not None and (stored.allotment, stored.available) != (night.allotment, night.available):
                raise errors.HasBookings('A booking took rooms while the room type was being deleted')
        self.get_room_type(room_type.id)
        for night in nights:
            self.store.nights.pop((room_type.id, night.date), None)
        del self.store.room_types[room_type.id]
        self.store.room_type_counts[room_type.hotel_id] -= 1
        for rule in self.list_rules(room_type.hotel_id):
            if rule.room_type_id == room_type.id:
                del self.store.rules[rule.id]
        for plan in self.list_plans(room_type.hotel_id):
            if plan.room_type_id == room_type.id:
                del self.store.plans[(plan.hotel_id, plan.code)]
                if plan.parent_code and (plan.hotel_id, plan.parent_code) in self.store.plans:
                    parent = self.store.plans[(plan.hotel_id, plan.parent_code)]
                    self.store.plans[(plan.hotel_id, parent.code)] = replace(parent, children=parent.children - 1)

    def list_rules(self, hotel_id: str) -> list[PriceRule]:
        return sorted((r for r in self.store.rules.values() if r.hotel_id == hotel_id), key=lambda r: r.id)

    def get_rule(self, rule_id: str) -> PriceRule:
        try:
            return self.store.rules[rule_id]
        except KeyError:
            raise errors.NotFound('Price rule not found') from None

    def put_rule(self, rule: PriceRule, *, create: bool = False) -> None:
        existing = self.store.rules.get(rule.id)
        if existing is not None and (create or existing.hotel_id != rule.hotel_id):
            raise errors.AlreadyExists('A price rule with this id already exists')
        self.store.rules[rule.id] = rule

    def replace_rule(self, rule: PriceRule, expected_version: int) -> None:
        current = self.get_rule(rule.id)
        if current.version != expected_version:
            raise errors.Conflict('The price rule changed while it was being updated; retry')
        self.store.rules[rule.id] = rule

    def delete_rule(self, hotel_id: str, rule_id: str) -> None:
        if self.get_rule(rule_id).hotel_id != hotel_id:
            raise errors.NotFound('Price rule not found')
        del self.store.rules[rule_id]

    def pricing_terms(self, hotel_id: str) -> PricingTerms:
        return PricingTerms(
            hotel_id, tuple(self.list_rules(hotel_id)), tuple(self.list_plans(hotel_id)), self.store.taxes.get(hotel_id)
        )

    def list_plans(self, hotel_id: str) -> list[RatePlan]:
        return sorted((p for (h, _), p in self.store.plans.items() if h == hotel_id), key=lambda p: p.code)

    def get_plan(self, hotel_id: str, code: str) -> RatePlan:
        try:
            return self.store.plans[(hotel_id, code)]
        except KeyError:
            raise errors.NotFound('Rate plan not found') from None

    def create_plan(self, plan: RatePlan) -> None:
        if plan.hotel_id not in self.store.hotels:
            raise errors.InvalidReference(f'Hotel {plan.hotel_id} not found')
        if (plan.hotel_id, plan.code) in self.store.plans:
            raise errors.AlreadyExists(f'Rate plan {plan.code} already exists')
        if plan.parent_code is not None:
            parent = self.store.plans.get((plan.hotel_id, plan.parent_code))
            if parent is None:
                raise errors.InvalidReference(f'Rate plan {plan.parent_code} not found')
            self.store.plans[(plan.hotel_id, parent.code)] = replace(parent, children=parent.children + 1)
        self.store.plans[(plan.hotel_id, plan.code)] = replace(plan, children=0)

    def replace_plan(self, plan: RatePlan, expected_version: int) -> None:
        current = self.get_plan(plan.hotel_id, plan.code)
        if current.version != expected_version:
            raise errors.Conflict('The rate plan changed while it was being updated; retry')
        self.store.plans[(plan.hotel_id, plan.code)] = replace(plan, children=current.children)

    def delete_plan(self, plan: RatePlan) -> None:
        current = self.get_plan(plan.hotel_id, plan.code)
        if current.children:
            raise errors.PlanHasChildren(f'{current.children} rate plans derive from {plan.code}')
        del self.store.plans[(plan.hotel_id, plan.code)]
        parent = self.store.plans.get((plan.hotel_id, plan.parent_code or ''))
        if parent is not None:
            self.store.plans[(plan.hotel_id, parent.code)] = replace(parent, children=parent.children - 1)

    def get_taxes(self, hotel_id: str) -> HotelTaxes:
        return self.store.taxes.get(hotel_id) or HotelTaxes.none(hotel_id)

    def put_taxes(self, taxes: HotelTaxes, expected_version: int) -> None:
        self.get_hotel(taxes.hotel_id)
        if self.get_taxes(taxes.hotel_id).version != expected_version:
            raise errors.Conflict('The taxes changed while they were being updated; retry')
        self.store.taxes[taxes.hotel_id] = taxes


class FakePromos:
    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, hotel_id: str) -> list[PromoCode]:
        return sorted((p for (h, _), p in self.store.promos.items() if h == hotel_id), key=lambda p: p.code)

    def get(self, hotel_id: str, code: str) -> PromoCode:
        try:
            return self.store.promos[(hotel_id, code)]
        except KeyError:
            raise errors.NotFound('Promo code not found') from None

    def find(self, hotel_id: str, code: str) -> PromoCode | None:
        return self.store.promos.get((hotel_id, code))

    def guest_uses(self, hotel_id: str, code: str, user_id: str) -> int:
        return self.store.promo_guest_uses.get((hotel_id, code, user_id), 0)

    def create(self, value: PromoCode) -> None:
        if value.hotel_id not in self.store.hotels:
            raise errors.InvalidReference(f'Hotel {value.hotel_id} not found')
        if (value.hotel_id, value.code) in self.store.promos:
            raise errors.AlreadyExists(f'Promo code {value.code} already exists')
        self.store.promos[(value.hotel_id, value.code)] = replace(value, uses=0)

    def replace(self, value: PromoCode, expected_version: int) -> None:
        current = self.get(value.hotel_id, value.code)
        if current.version != expected_version:
            raise errors.Conflict('The promo code changed while it was being updated; retry')
        self.store.promos[(value.hotel_id, value.code)] = replace(value, uses=current.uses)

    def delete(self, hotel_id: str, code: str) -> None:
        current = self.get(hotel_id, code)
        if current.uses:
            raise errors.PromoInUse(f'{current.uses} bookings use promo code {code}; deactivate it instead')
        del self.store.promos[(hotel_id, code)]

    def delete_all(self, hotel_id: str) -> None:
        for found in self.list(hotel_id):
            del self.store.promos[(hotel_id, found.code)]

    # what the booking transactions do to a code (FakeBookings)

    def check_take(self, use: PromoUse) -> None:
        current = self.store.promos.get((use.hotel_id, use.code))
        if current is None or (use.max_uses is not None and current.uses >= use.max_uses):
            raise errors.PromoExhausted(f'Promo code {use.code} has been used up', promo_code=use.code)
        key = (use.hotel_id, use.code, use.user_id)
        if use.max_uses_per_guest is not None and self.store.promo_guest_uses.get(key, 0) >= use.max_uses_per_guest:
            raise errors.PromoGuestLimit(f'You have used promo code {use.code}', promo_code=use.code)

    def move(self, hotel_id: str, code: str, user_id: str, delta: int, *, per_guest: bool) -> None:
        current = self.store.promos[(hotel_id, code)]
        self.store.promos[(hotel_id, code)] = replace(current, uses=current.uses + delta)
        if per_guest:
            key = (hotel_id, code, user_id)
            self.store.promo_guest_uses[key] = self.store.promo_guest_uses.get(key, 0) + delta


class FakeInventory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[str] = []  # 'existing_nights' per read of a window, 'put' per night tried

    def nights(self, room_type_id: str, start: date, end: date, *, consistent: bool = False) -> list[InventoryNight]:
        found = [n for (rt, day), n in self.store.nights.items() if rt == room_type_id and start <= day < end]
        return sorted(found, key=lambda n: n.date)

    def all_nights(self, room_type_id: str) -> list[InventoryNight]:
        return sorted((n for (rt, _), n in self.store.nights.items() if rt == room_type_id), key=lambda n: n.date)

    def existing_nights(self, room_type_id: str, first: date, last: date, *, consistent: bool = False) -> set[date]:
        self.calls.append('existing_nights')
        return {day for (rt, day) in self.store.nights if rt == room_type_id and first <= day <= last}

    def open_nights(self, nights: Sequence[NewNight]) -> list[bool]:
        created = []
        for new in nights:
            self.calls.append('put')
            key = (new.room_type.id, new.night)
            if key in self.store.nights:
                created.append(False)  # another opener's counts (and any hold on it) stay
                continue
            allotment = new.room_type.opening_allotment(new.night)
            self.store.nights[key] = InventoryNight(new.room_type.id, new.night, allotment, allotment)
            created.append(True)
        return created

    def open_fresh(self, room_type: RoomType, first: date, last: date) -> int:
        count = 0
        for day in nights_between(first, last):
            allotment = room_type.opening_allotment(day)
            self.store.nights[(room_type.id, day)] = InventoryNight(room_type.id, day, allotment, allotment)
            count += 1
        return count

    def apply(self, room_type: RoomType, changes: Sequence[NightChange]) -> None:
        below_held, moved = [], []
        for change in changes:
            stored = self.store.nights.get((room_type.id, change.night))
            if change.before is None:
                if stored is not None:
                    moved.append(change.night.isoformat())
                continue
            if stored is None or stored.allotment != change.before.allotment:
                moved.append(change.night.isoformat())
            elif change.delta < 0 and stored.available < -change.delta:
                held = stored.allotment - stored.available
                below_held.append({'date': change.night.isoformat(), 'held': held, 'allotment': change.allotment})
        if moved:
            raise errors.InventoryConflict(nights=moved)
        if below_held:
            raise errors.AllotmentBelowHeld(nights=below_held)
        for change in changes:
            key = (room_type.id, change.night)
            stored = self.store.nights.get(key)
            available = change.allotment if stored is None else stored.available + change.delta
            self.store.nights[key] = InventoryNight(
                room_type.id, change.night, change.allotment, available, change.stop_sell
            )

    def scan(self) -> Iterable[InventoryNight]:
        return list(self.store.nights.values())


class FakeAvailabilityView:
    """The search view as the repository keeps it: cells per view item, set and removed by writes.
    Nothing feeds it but what a test writes (there is no stream here): search reads the inventory
    for room types it lacks, as it does on a view still being filled."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writes = 0

    def read(self, city: str, start: date, end: date) -> list[InventoryNight]:
        return [
            night
            for key, cells in sorted(self.store.view.items(), key=lambda kv: (kv[0].night, kv[0].shard))
            if key.city == city.casefold() and start <= key.night < end
            for _, night in sorted(cells.items())
        ]

    def read_items(self, keys: Sequence[ViewKey]) -> list[InventoryNight]:
        return [night for key in keys for _, night in sorted(self.store.view.get(key, {}).items())]

    def write(self, key: ViewKey, cells: Mapping[str, InventoryNight | None], expires_at: int) -> None:
        self.writes += 1
        item = self.store.view.setdefault(key, {})
        for room_type_id, night in cells.items():
            if night is None:
                item.pop(room_type_id, None)
            else:
                item[room_type_id] = night


class FakeBookings:
    def __init__(self, store: Store) -> None:
        self.store = store
        # The hotels each arrivals read named (one index partition per hotel and month in DynamoDB).
        self.arrival_reads: list[frozenset[str]] = []

    def _take(self, booking: Booking, rooms: int) -> None:
        """Move the booking's nights by ``rooms`` (negative: take), all or none, with the guards of
        the transaction: taking needs the night, ``available >= rooms`` and no stop-sell."""
        keys = [(booking.room_type_id, n.date) for n in booking.nightly]
        if rooms < 0:
            missing = [day.isoformat() for key in keys if key not in self.store.nights for day in [key[1]]]
            if missing:
                raise errors.NotOnSale(nights=missing)
            short = [key[1].isoformat() for key in keys if self.store.nights[key].sellable < -rooms]
            if short:
                raise errors.SoldOut(nights=short)
        for key in keys:
            night = self.store.nights[key]
            self.store.nights[key] = replace(night, available=night.available + rooms)

    def create_hold(self, booking: Booking, guards: Sequence[HoldGuard] = (), promo: PromoUse | None = None) -> None:
        if booking.hold_slot != any(isinstance(g, HoldSlot) for g in guards):
            raise ValueError('a booking marked hold_slot is written with a HoldSlot guard, and only then')
        if booking.id in self.store.bookings:
            return  # a retry of a hold that was written: the same answer
        for guard in guards:  # the guards first, in order, as the repository reports them
            if isinstance(guard, HoldSlot):
                held = self.store.hold_slots.get(guard.user_id, set())
                if len(held) >= guard.cap:
                    raise SlotsInUse(guard, list(held))
            elif self.store.counters.get((guard.scope, guard.subject_hash, guard.window_start), 0) >= guard.limit:
                raise GuardRefused(guard)
        self._check_take(booking)  # then the rooms, then the promo code's uses
        if promo is not None:
            FakePromos(self.store).check_take(promo)
        self._take(booking, -booking.rooms)
        for guard in guards:
            if isinstance(guard, HoldSlot):
                self.store.hold_slots.setdefault(guard.user_id, set()).add(booking.slot)
            else:
                key = (guard.scope, guard.subject_hash, guard.window_start)
                self.store.counters[key] = self.store.counters.get(key, 0) + 1
        if promo is not None:
            FakePromos(self.store).move(
                promo.hotel_id, promo.code, promo.user_id, 1, per_guest=promo.max_uses_per_guest is not None
            )
        self.store.bookings[booking.id] = booking

    def _check_take(self, booking: Booking) -> None:
        """The rooms' guards before anything moves (a transaction checks every guard first)."""
        keys = [(booking.room_type_id, n.date) for n in booking.nightly]
        missing = [day.isoformat() for key in keys if key not in self.store.nights for day in [key[1]]]
        if missing:
            raise errors.NotOnSale(nights=missing)
        short = [key[1].isoformat() for key in keys if self.store.nights[key].sellable < booking.rooms]
        if short:
            raise errors.SoldOut(nights=short)

    def get(self, booking_id: str, *, consistent: bool = True) -> Booking:
        try:
            return self.store.bookings[booking_id]
        except KeyError:
            raise errors.NotFound('Booking not found') from None

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> Page[Booking]:
        mine = [b for b in self.store.bookings.values() if b.user_id == user_id]
        mine.sort(key=lambda b: (b.created_at, b.id), reverse=True)
        return _page(mine, limit, cursor, f'user:{user_id}')

    def transition(
        self,
        booking: Booking,
        expected: Sequence[BookingStatus],
        new_status: BookingStatus,
        now: datetime,
        *,
        release_rooms: bool = False,
        take_rooms: bool = False,
        expect_payment_intent: str | Anything | None = ANY,
        expect_no_refund: bool = False,
        payment: Payment | None = None,
        refund: Refund | None = None,
        give_back_promo: bool = False,
        take_promo: PromoUse | None = None,
        followup: Followup | Anything | None = ANY,
        refunded_outside: int | None = None,
    ) -> None:
        stored = self.get(booking.id)
        guard = stored.status in expected
        if expect_payment_intent is None:
            guard = guard and stored.payment is None
        elif not isinstance(expect_payment_intent, Anything):
            guard = guard and stored.payment is not None and stored.payment.payment_intent_id == expect_payment_intent
        if expect_no_refund:
            guard = guard and stored.refund is None
        if not guard:
            raise errors.InvalidState(f'Booking is no longer {"/".join(expected)}')
        if take_rooms:
            self._check_take(stored)
        if take_promo is not None:
            FakePromos(self.store).check_take(take_promo)
        if release_rooms or take_rooms:
            self._take(stored, stored.rooms if release_rooms else -stored.rooms)
        promos, applied = FakePromos(self.store), stored.promo
        if give_back_promo and applied is not None:
            promos.move(stored.hotel_id, applied.code, stored.user_id, -1, per_guest=applied.guest_limited)
        if take_promo is not None:
            per_guest = take_promo.max_uses_per_guest is not None
            promos.move(take_promo.hotel_id, take_promo.code, take_promo.user_id, 1, per_guest=per_guest)
        if stored.hold_slot and BookingStatus.PENDING in expected and new_status is not BookingStatus.PENDING:
            self.store.hold_slots.get(stored.user_id, set()).discard(stored.slot)
        self.store.bookings[booking.id] = replace(
            stored,
            status=new_status,
            updated_at=now,
            version=stored.version + 1,
            payment=payment if payment is not None else stored.payment,
            refund=refund if refund is not None else stored.refund,
            followup=stored.followup if isinstance(followup, Anything) else followup,
            refunded_outside=stored.refunded_outside if refunded_outside is None else refunded_outside,
        )

    def attach_payment(self, booking_id: str, payment: Payment, now: datetime) -> bool:
        stored = self.get(booking_id)
        if stored.status is not BookingStatus.PENDING or stored.payment is not None or stored.hold_expires_at <= now:
            return False
        self.store.bookings[booking_id] = replace(stored, payment=payment, updated_at=now, version=stored.version + 1)
        return True

    def bump_intent_key(self, booking_id: str, version: int) -> bool:
        stored = self.get(booking_id)
        if stored.status is not BookingStatus.PENDING or stored.payment is not None:
            return False
        if stored.intent_key_version != version:
            return False
        self.store.bookings[booking_id] = replace(stored, intent_key_version=version + 1)
        return True

    def claim_refund(self, booking_id: str, now: datetime, lease_seconds: int) -> str | None:
        stored = self.get(booking_id)
        held = self.store.leases.get(booking_id)
        if not refund_owed(stored) or (held is not None and held[0] >= now):
            return None
        lease = f'lease-{next(self.store.tokens)}'
        self.store.leases[booking_id] = (now + timedelta(seconds=lease_seconds), lease)
        return lease

    def release_refund_claim(self, booking_id: str, lease: str) -> None:
        if self.store.leases.get(booking_id, (None, None))[1] == lease:
            del self.store.leases[booking_id]

    def _holds_lease(self, booking_id: str, lease: str) -> bool:
        return refund_owed(self.get(booking_id)) and self.store.leases.get(booking_id, (None, None))[1] == lease

    def bump_refund_key(self, booking_id: str, lease: str) -> bool:
        stored = self.get(booking_id)
        if not self._holds_lease(booking_id, lease) or stored.refund is None:
            return False
        refund = replace(stored.refund, key_version=stored.refund.key_version + 1)
        self.store.bookings[booking_id] = replace(stored, refund=refund)
        return True

    def record_refund(self, booking_id: str, lease: str, refund: Refund, refunded_outside: int, now: datetime) -> bool:
        stored = self.get(booking_id)
        if not self._holds_lease(booking_id, lease):
            return False
        self.store.bookings[booking_id] = replace(
            stored,
            refund=refund,
            refunded_outside=refunded_outside,
            followup=None,
            updated_at=now,
            version=stored.version + 1,
        )
        self.store.leases.pop(booking_id, None)
        return True

    def update_refund_status(self, booking_id: str, stripe_refund_id: str, status: RefundStatus, now: datetime) -> bool:
        stored = self.get(booking_id)
        refund = stored.refund
        if refund is None or refund.stripe_refund_id != stripe_refund_id:
            return False
        if refund.status not in refund_statuses_before(status):
            return False
        self.store.bookings[booking_id] = replace(
            stored, refund=replace(refund, status=status), updated_at=now, version=stored.version + 1
        )
        return True

    def record_dispute(self, booking_id: str, dispute: Dispute) -> bool:
        stored = self.get(booking_id)
        known = stored.dispute
        if known is not None and known.id == dispute.id and (known.closed or known.status == dispute.status):
            return False
        self.store.bookings[booking_id] = replace(
            stored, dispute=dispute, updated_at=dispute.updated_at, version=stored.version + 1
        )
        return True

    def record_refunded_outside(self, booking_id: str, amount: int, penalty: int | None, now: datetime) -> bool:
        stored = self.get(booking_id)
        if stored.refunded_outside >= amount:
            return False
        refund = stored.refund
        if penalty is not None:
            if refund is None or not refund.stripe_refund_id:
                return False
            refund = replace(refund, penalty=penalty)
        self.store.bookings[booking_id] = replace(
            stored, refunded_outside=amount, refund=refund, updated_at=now, version=stored.version + 1
        )
        return True

    def due_followups(self, work: Work, now: datetime, page_size: int) -> Iterator[list[str]]:
        due = sorted(
            (b.followup.due_at, b.id)
            for b in self.store.bookings.values()
            if b.followup is not None and b.followup.work is work and b.followup.due_at <= now
        )
        ids = [booking_id for _, booking_id in due]
        for start in range(0, len(ids), page_size):
            yield ids[start : start + page_size]
        if not ids:
            yield []

    def reschedule(self, booking_id: str, followup: Followup, attempts_were: int) -> bool:
        stored = self.get(booking_id)
        queued = stored.followup
        if queued is None or queued.work is not followup.work or queued.attempts != attempts_were:
            return False
        self.store.bookings[booking_id] = replace(stored, followup=followup)
        return True

    def finish_followup(self, booking_id: str, work: Work) -> bool:
        stored = self.get(booking_id)
        if stored.followup is None or stored.followup.work is not work:
            return False
        self.store.bookings[booking_id] = replace(stored, followup=None)
        return True

    def flag_attention(self, booking_id: str, attention: Attention) -> bool:
        stored = self.get(booking_id)
        if stored.followup is None or stored.followup.work is not attention.work:
            return False
        self.store.bookings[booking_id] = replace(stored, followup=None, attention=attention)
        return True

    def due_holds(self, now: datetime, page_size: int) -> Iterator[list[Booking]]:
        due = sorted(
            (b for b in self.store.bookings.values() if b.status is BookingStatus.PENDING and b.hold_expires_at <= now),
            key=lambda b: (b.hold_expires_at, b.id),
        )
        for start in range(0, len(due), page_size):
            yield due[start : start + page_size]
        if not due:
            yield []

    def due_holds_on(self, room_type_ids: Collection[str], start: date, end: date, now: datetime) -> list[Booking]:
        return [
            b
            for b in self.store.bookings.values()
            if b.hold_has_expired(now) and b.room_type_id in room_type_ids and b.check_in < end and b.check_out > start
        ]

    def hold_slots(self, user_id: str) -> list[HeldSlot]:
        return sorted(self.store.hold_slots.get(user_id, set()))

    def drop_hold_slots(self, user_id: str, slots: Sequence[HeldSlot]) -> None:
        self.store.hold_slots.get(user_id, set()).difference_update(slots)

    def scan_hold_slots(self) -> Iterable[tuple[str, list[HeldSlot]]]:
        return [(user, sorted(held)) for user, held in self.store.hold_slots.items() if held]

    def list_by_arrival(
        self,
        hotel_ids: Collection[str],
        start: date,
        end: date,
        *,
        now: datetime,
        statuses: frozenset[BookingStatus] | None = None,
        room_type_id: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page[Booking]:
        hotels = frozenset(hotel_ids)
        self.arrival_reads.append(hotels)
        found = [
            b
            for b in self.store.bookings.values()
            if start <= b.check_in < end
            and b.hotel_id in hotels
            and (statuses is None or b.effective_status(now) in statuses)
            and (not room_type_id or b.room_type_id == room_type_id)
        ]
        found.sort(key=lambda b: (b.check_in, b.id), reverse=descending)
        return _page(found, limit, cursor, f'arrivals:{",".join(sorted(hotels))}:{start}:{end}')

    def holding_rooms(
        self, hotel_ids: Collection[str], start: date, end: date, *, room_type_id: str | None = None
    ) -> list[Booking]:
        earliest = start - timedelta(days=MAX_STAY_HARD_LIMIT)
        hotels = frozenset(hotel_ids)
        self.arrival_reads.append(hotels)
        return [
            b
            for b in self.store.bookings.values()
            if b.status in HOLDING_STATUSES
            and earliest <= b.check_in < end
            and b.check_out > start
            and b.hotel_id in hotels
            and (not room_type_id or b.room_type_id == room_type_id)
        ]

    def scan(self) -> Iterable[Booking]:
        return list(self.store.bookings.values())


class FakePaymentRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def claim_event(
        self, event_id: str, event_type: str, now: datetime, lease_seconds: int, ttl_seconds: int
    ) -> EventClaim:
        seen = self.store.events.get(event_id)
        if seen is None or (seen[0] == 'processing' and seen[1] < now):
            self.store.events[event_id] = ('processing', now + timedelta(seconds=lease_seconds))
            return EventClaim.CLAIMED
        return EventClaim.DONE if seen[0] == 'done' else EventClaim.IN_PROGRESS

    def finish_event(self, event_id: str, outcome: str) -> None:
        self.store.events[event_id] = ('done', self.store.events[event_id][1])

    def release_event(self, event_id: str) -> None:
        if self.store.events.get(event_id, ('',))[0] == 'processing':
            del self.store.events[event_id]

    def reconcile_progress(self) -> ReconcileProgress | None:
        return self.store.reconcile

    def save_reconcile_progress(self, progress: ReconcileProgress, now: datetime) -> bool:
        stored = self.store.reconcile
        ahead = (
            stored is None
            or stored.run_at < progress.run_at
            or (stored.run_at == progress.run_at and not stored.complete and stored.pages <= progress.pages)
        )
        if ahead:
            self.store.reconcile = progress
        return ahead


class FakeAccounts:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create_user(self, user: User) -> None:
        if user.email in self.store.emails:
            raise errors.EmailTaken()
        self.store.emails[user.email] = user.id
        self.store.users[user.id] = user

    def get_user(self, user_id: str) -> User:
        try:
            return self.store.users[user_id]
        except KeyError:
            raise errors.NotFound('User not found') from None

    def find_user_by_email(self, email: str) -> User | None:
        user_id = self.store.emails.get(email)
        return self.store.users.get(user_id) if user_id else None

    def update_profile(self, user_id: str, changes: Mapping[str, str | None]) -> User:
        if set(changes) - PROFILE_FIELDS:
            raise ValueError(f'not changeable: {sorted(set(changes) - PROFILE_FIELDS)}')
        updated = replace(self.get_user(user_id), **changes)
        self.store.users[user_id] = updated
        return updated

    def family_revoked(self, family: str) -> bool:
        return family in self.store.revoked_families

    def revoke_family(self, family: str, user_id: str, reason: str, now: datetime, until: datetime) -> None:
        self.store.revoked_families.add(family)

    def spend_refresh_token(self, jti: str, family: str, user_id: str, expires_at: datetime) -> None:
        if family in self.store.revoked_families:
            raise errors.InvalidToken()
        if jti in self.store.spent_tokens:
            raise errors.RefreshTokenReused()
        self.store.spent_tokens.add(jti)

    def change_password(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        user = self.store.users.get(user_id)
        if user is None or user.password_hash != old_hash:
            return False
        self.store.users[user_id] = replace(user, password_hash=new_hash)
        return True

    def record_session(self, user_id: str, family: str, started: datetime, until: datetime) -> None:
        self.store.sessions[(user_id, family)] = until

    def sessions(self, user_id: str, now: datetime) -> list[str]:
        return [family for (user, family), until in self.store.sessions.items() if user == user_id and until > now]

    def forget_session(self, user_id: str, family: str) -> None:
        self.store.sessions.pop((user_id, family), None)


class FakeLimits:
    def __init__(self, store: Store) -> None:
        self.store = store

    def take(self, scope: str, subject_hash: str, window_start: int, limit: int, expires_at: int) -> bool:
        key = (scope, subject_hash, window_start)
        if self.store.counters.get(key, 0) >= limit:
            return False
        self.store.counters[key] = self.store.counters.get(key, 0) + 1
        return True

    def give_back(self, scope: str, subject_hash: str, window_start: int) -> None:
        key = (scope, subject_hash, window_start)
        if self.store.counters.get(key, 0) > 0:
            self.store.counters[key] -= 1


class FakeReviews:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, review: Review) -> None:
        booking = self.store.bookings.get(review.booking_id)
        if review.booking_id in self.store.reviews:
            raise errors.AlreadyReviewed()
        if booking is None or booking.status is not BookingStatus.CONFIRMED or booking.user_id != review.user_id:
            raise errors.InvalidState('Only a CONFIRMED stay can be reviewed')
        room_type = self.store.room_types.get(review.room_type_id)
        if room_type is None:
            raise errors.NotFound('Room type not found')
        self.store.reviews[review.booking_id] = review
        self.store.room_types[room_type.id] = replace(
            room_type, rating_sum=room_type.rating_sum + review.rating, review_count=room_type.review_count + 1
        )

    def list_for_room_type(self, room_type_id: str, limit: int, cursor: str | None) -> Page[Review]:
        found = sorted(
            (r for r in self.store.reviews.values() if r.room_type_id == room_type_id),
            key=lambda r: (r.created_at, r.booking_id),
            reverse=True,
        )
        return _page(found, limit, cursor, f'reviews:{room_type_id}')


class FakeWishlist:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, user_id: str, room_type_id: str, now: datetime) -> tuple[WishlistEntry, bool]:
        key = (user_id, room_type_id)
        if key in self.store.wishes:
            return self.store.wishes[key], False
        self.store.wishes[key] = WishlistEntry(room_type_id, now)
        return self.store.wishes[key], True

    def list(self, user_id: str) -> list[WishlistEntry]:
        return sorted((e for (u, _), e in self.store.wishes.items() if u == user_id), key=lambda e: e.room_type_id)

    def remove(self, user_id: str, room_type_id: str) -> None:
        self.store.wishes.pop((user_id, room_type_id), None)


# ---------------------------------------------------------------- gateways


def sign(payload: bytes) -> str:
    """The fake's Stripe-Signature for a payload (the real check is the SDK's, see gateways/stripe.py)."""
    return 'fake-signature:' + hashlib.sha256(payload).hexdigest()


class FakeStripe:
    """A PaymentIntent and refund store with Stripe's rules as the engine relies on them: a
    cancel of a succeeded (or processing, or canceled) intent answers it as it is; a canceled
    intent cannot be confirmed; ``pm_card_chargeCustomerFail`` is declined. ``down`` makes every
    call fail as an outage does."""

    DECLINING_METHOD = 'pm_card_chargeCustomerFail'
    AUTHENTICATING_METHOD = 'pm_card_authenticationRequired'  # 3-D Secure: the guest must act

    def __init__(self, key: str = 'sk_test_fake') -> None:
        self.key = key
        self.intents: dict[str, PaymentIntent] = {}
        self.refunds: list[StripeRefund] = []
        self.calls: list[str] = []
        self.down = False
        # Refunds Stripe refuses, by PaymentIntent: Stripe's error code (``charge_disputed``...)
        self.refusals: dict[str, str] = {}
        self._ids = itertools.count(1)

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        if self.down:
            raise errors.PaymentProviderUnavailable(retry_after=5)

    def is_test_mode(self) -> bool:
        return self.key.startswith(('sk_test_', 'rk_test_'))

    def create_payment_intent(
        self, *, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
    ) -> PaymentIntent:
        self._call('create_payment_intent')
        intent_id = f'pi_fake_{next(self._ids)}'
        intent = PaymentIntent(
            intent_id, 'requires_payment_method', amount, currency.upper(), f'{intent_id}_secret', dict(metadata)
        )
        self.intents[intent_id] = intent
        return intent

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        self._call('retrieve_payment_intent')
        try:
            return self.intents[payment_intent_id]
        except KeyError:
            raise errors.PaymentProviderError() from None

    def set_status(self, payment_intent_id: str, status: str, last_error: str | None = None) -> PaymentIntent:
        """What the guest's browser (or Stripe) did to an intent, outside the engine."""
        self.intents[payment_intent_id] = replace(self.intents[payment_intent_id], status=status, last_error=last_error)
        return self.intents[payment_intent_id]

    def confirm_with_test_method(self, payment_intent_id: str, payment_method: str) -> PaymentIntent:
        self._call('confirm_payment_intent')
        current = self.retrieve_payment_intent(payment_intent_id)
        if current.status in (IntentStatus.CANCELED, IntentStatus.SUCCEEDED):
            raise errors.PaymentProviderError()
        if payment_method == self.DECLINING_METHOD:
            self.set_status(payment_intent_id, 'requires_payment_method', 'card_declined')
            raise errors.PaymentDeclined('Your card was declined.', decline_code='card_declined')
        if payment_method == self.AUTHENTICATING_METHOD:
            return self.set_status(payment_intent_id, 'requires_action')
        return self.set_status(payment_intent_id, IntentStatus.SUCCEEDED)

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        self._call('cancel_payment_intent')
        current = self.retrieve_payment_intent(payment_intent_id)
        if current.status in (IntentStatus.CANCELED, IntentStatus.SUCCEEDED, IntentStatus.PROCESSING):
            return current
        return self.set_status(payment_intent_id, IntentStatus.CANCELED)

    def refunds_for(self, payment_intent_id: str) -> list[StripeRefund]:
        self._call('list_refunds')
        return [r for r in self.refunds if r.payment_intent == payment_intent_id]

    def create_refund(
        self, *, payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> StripeRefund:
        self._call('create_refund')
        intent = self.retrieve_payment_intent(payment_intent_id)
        if payment_intent_id in self.refusals:
            raise errors.PaymentProviderError(stripe_code=self.refusals[payment_intent_id])
        refunded = sum(r.amount for r in self.refunds if r.payment_intent == payment_intent_id)
        if not intent.succeeded:
            raise errors.PaymentProviderError(stripe_code='charge_not_captured')
        if refunded + amount > intent.amount:
            raise errors.PaymentProviderError(stripe_code='charge_already_refunded')
        refund = StripeRefund(
            f're_fake_{next(self._ids)}', RefundStatus.SUCCEEDED, amount, intent.currency, payment_intent_id, metadata
        )
        self.refunds.append(refund)
        return refund

    def retrieve_refund(self, refund_id: str) -> StripeRefund:
        self._call('retrieve_refund')
        found = next((r for r in self.refunds if r.id == refund_id), None)
        if found is None:
            raise errors.PaymentProviderError()
        return found

    def set_refund_status(self, refund_id: str, status: RefundStatus) -> None:
        self.refunds = [replace(r, status=status) if r.id == refund_id else r for r in self.refunds]

    def verify_event(self, payload: bytes, signature: str | None) -> StripeEvent:
        self._call('verify_event')
        if signature != sign(payload):
            raise errors.InvalidSignature()
        data = json.loads(payload)
        return StripeEvent(
            data['id'], data['type'], data.get('created', 0), bool(data.get('livemode', False)), data['data']['object']
        )

    def intent_from_event(self, obj: dict[str, Any]) -> PaymentIntent:
        return PaymentIntent(
            obj['id'],
            obj['status'],
            int(obj['amount']),
            str(obj['currency']).upper(),
            obj.get('client_secret'),
            dict(obj.get('metadata') or {}),
            amount_received=obj.get('amount_received'),
            livemode=bool(obj.get('livemode', False)),
        )

    def dispute_from_event(self, obj: dict[str, Any]) -> Dispute:
        return stripe_gateway.dispute(obj)  # the real parser: a dict in, a value out

    def dispute_event(
        self, event_type: str, payment_intent_id: str, status: str = 'needs_response', dispute_id: str = 'dp_fake_1'
    ) -> tuple[bytes, str]:
        """A signed ``charge.dispute.*`` delivery on the intent's charge (no booking metadata: a
        dispute carries its PaymentIntent only)."""
        intent = self.intents[payment_intent_id]
        obj = {
            'id': dispute_id,
            'object': 'dispute',
            'status': status,
            'reason': 'fraudulent',
            'amount': intent.amount,
            'currency': intent.currency.lower(),
            'payment_intent': intent.id,
            'charge': f'ch_{intent.id}',
            'created': 1_800_000_000,
            'metadata': {},
        }
        return self.event(event_type, obj)

    def event(self, event_type: str, obj: dict[str, Any], livemode: bool = False) -> tuple[bytes, str]:
        """A signed webhook delivery (payload, signature) for ``obj``."""
        payload = json.dumps(
            {'id': f'evt_fake_{next(self._ids)}', 'type': event_type, 'livemode': livemode, 'data': {'object': obj}}
        ).encode()
        return payload, sign(payload)

    def intent_event(self, event_type: str, payment_intent_id: str) -> tuple[bytes, str]:
        intent = self.intents[payment_intent_id]
        obj = {
            'id': intent.id,
            'object': 'payment_intent',
            'status': intent.status,
            'amount': intent.amount,
            'currency': intent.currency.lower(),
            'metadata': intent.metadata,
            'livemode': intent.livemode,
        }
        if intent.amount_received is not None:
            obj['amount_received'] = intent.amount_received
        return self.event(event_type, obj, livemode=intent.livemode)


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[IntegrationEvent] = []

    def publish(self, events: Sequence[IntegrationEvent]) -> None:
        self.published.extend(events)


class FakePasswords:
    """Password hashing without argon2's cost (the real one is tested in tests/security)."""

    def hash(self, password: str) -> str:
        return 'fake$' + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def burn_verification_time(self, password: str) -> None:
        self.verify(self.hash('dummy'), password)


class FakeHousekeepingRecords:
    """The same forward-only guard as the DynamoDB record."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[str] = []

    def progress(self) -> PassProgress | None:
        self.calls.append('progress')
        return self.store.housekeeping

    def save_progress(self, progress: PassProgress, now: datetime) -> bool:
        self.calls.append('save_progress')
        stored = self.store.housekeeping
        ahead = (
            stored is None
            or stored.day < progress.day
            or (stored.day == progress.day and not stored.complete and stored.cursor <= progress.cursor)
        )
        if ahead:
            self.store.housekeeping = progress
        return ahead


class FakeNotificationRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(
        self,
        event_id: str,
        recipient_key: str,
        *,
        kind: str,
        booking_id: str,
        now: datetime,
        lease_seconds: int,
        ttl_seconds: int,
    ) -> EmailClaim:
        key = (event_id, recipient_key)
        seen = self.store.notifications.get(key)
        if seen is None or (seen[0] == 'sending' and seen[1] < now):
            self.store.notifications[key] = ('sending', now + timedelta(seconds=lease_seconds))
            return EmailClaim.CLAIMED
        return {'sent': EmailClaim.SENT, 'rejected': EmailClaim.REJECTED}.get(seen[0], EmailClaim.IN_PROGRESS)

    def finish(self, event_id: str, recipient_key: str, *, sent: bool, detail: str) -> None:
        key = (event_id, recipient_key)
        self.store.notifications[key] = ('sent' if sent else 'rejected', self.store.notifications[key][1])

    def release(self, event_id: str, recipient_key: str) -> None:
        key = (event_id, recipient_key)
        if self.store.notifications.get(key, ('',))[0] == 'sending':
            del self.store.notifications[key]


@dataclass(frozen=True)
class SentEmail:
    sender: str
    recipient: str
    raw: bytes


class FakeMailer:
    """SES: keeps what it sent; ``refuse[address] = EmailRejected(...) or EmailDeferred(...)``."""

    def __init__(self) -> None:
        self.sent: list[SentEmail] = []
        self.refuse: dict[str, EmailRejected | EmailDeferred] = {}

    def send(self, sender: str, recipient: str, raw: bytes) -> str:
        refusal = self.refuse.get(recipient)
        if refusal is not None:
            raise refusal
        self.sent.append(SentEmail(sender, recipient, raw))
        return f'fake-message-{len(self.sent)}'


class NoMigrationStore:
    """The data migrations speak DynamoDB filter expressions and raw items: no in-memory fake;
    their runner and store are tested on moto (tests/integration/test_migrations.py)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f'migrations.{name}: the migration store has no fake (use moto)')


# ---------------------------------------------------------------- wiring


@dataclass
class FakeClock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def settings_for(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        'jwt_signing_key': TEST_SIGNING_KEY,
        'jwt_public_keys': key_set(TEST_PUBLIC_KEY),
        'catalog_cache_seconds': 0,
        'allow_auto_confirm': True,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Fakes:
    """The fakes behind a ``Deps``, typed as themselves (tests reach into them)."""

    store: Store
    stripe: FakeStripe
    events: FakeEvents
    mailer: FakeMailer
    clock: FakeClock
    deps: Deps

    @property
    def inventory(self) -> FakeInventory:
        return self.deps.inventory  # type: ignore[return-value]

    @property
    def housekeeping(self) -> FakeHousekeepingRecords:
        return self.deps.housekeeping  # type: ignore[return-value]


def fakes(settings: Settings | None = None, **overrides: Any) -> Fakes:
    """A ``Deps`` of fakes (settings: ``settings_for(**overrides)``) and the fakes themselves."""
    current = settings or settings_for(**overrides)
    store, stripe, events, mailer, clock = Store(), FakeStripe(), FakeEvents(), FakeMailer(), FakeClock()
    deps = Deps(
        settings=current,
        catalog=FakeCatalog(store),
        inventory=FakeInventory(store),
        view=FakeAvailabilityView(store),
        bookings=FakeBookings(store),
        payments=FakePaymentRecords(store),
        promos=FakePromos(store),
        accounts=FakeAccounts(store),
        limits=FakeLimits(store),
        reviews=FakeReviews(store),
        wishlist=FakeWishlist(store),
        housekeeping=FakeHousekeepingRecords(store),
        notifications=FakeNotificationRecords(store),
        migrations=NoMigrationStore(),
        stripe=stripe,
        events=events,
        mailer=mailer,
        tokens=JwtTokens(current),
        passwords=FakePasswords(),
        clock=clock,
        catalog_cache=TtlCache(current.catalog_cache_seconds),
    )
    return Fakes(store, stripe, events, mailer, clock, deps)


def fake_deps(**overrides: Any) -> Deps:
    return fakes(**overrides).deps
