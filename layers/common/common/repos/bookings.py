"""Bookings, and the rooms they hold: every write that moves inventory is ONE TransactWriteItems
with a guard on each item, and every status change is guarded by the status it expects."""

from __future__ import annotations

import enum
import hashlib
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.expressions.condition import size
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from common import errors
from common.domain import (
    DISPUTE_CLOSED,
    HOLDING_STATUSES,
    MAX_STAY_HARD_LIMIT,
    TRANSACTION_ITEM_LIMIT,
    Attention,
    Booking,
    BookingStatus,
    Dispute,
    Followup,
    HeldSlot,
    NightPrice,
    Payment,
    PromoUse,
    Refund,
    RefundStatus,
    Work,
    refund_statuses_before,
)
from common.ports import ANY, Anything, GuardRefused, HoldGuard, HoldSlot, Page, SlotsInUse
from common.repos import _maps
from common.repos._dynamo import (
    Table,
    decode_cursor,
    decode_month_cursor,
    encode_cursor,
    encode_month_cursor,
    failed_guards,
    strings,
)
from common.tables import BookingItem, CounterItem, HoldSlotsItem, InventoryItem, PromoGuestItem, PromoItem
from common.timeutil import iso, parse_date, parse_instant

# The shards of the pending index are read in parallel when looking for due holds (a refused hold,
# a search): a few threads per process, shared.
_shard_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix='pending-shards')
# The hotel_arrivals partitions of several hotels (a platform-wide listing or report) are read in
# parallel, as the pending shards are.
_arrivals_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix='arrivals')


def pending_shard(booking_id: str, shards: int) -> str:
    """Spread PENDING holds over a few partitions of the ``pending`` index (the sweeper reads each)."""
    digest = hashlib.blake2b(booking_id.encode(), digest_size=2).digest()
    return BookingItem.pending_partition(int.from_bytes(digest, 'big') % shards)


def outbox_shard(booking_id: str, work: Work, shards: int) -> str:
    """Spread one kind of owed work over a few partitions of the ``outbox`` index."""
    digest = hashlib.blake2b(booking_id.encode(), digest_size=2).digest()
    return BookingItem.outbox_partition(work.value, int.from_bytes(digest, 'big') % shards)


def booking(item: BookingItem) -> Booking:
    payment = item.payment.as_dict() if item.payment is not None else None
    refund = item.refund.as_dict() if item.refund is not None else None
    return Booking(
        id=item.booking_id,
        user_id=item.user_id,
        hotel_id=item.hotel_id,
        room_type_id=item.room_type_id,
        check_in=parse_date(item.check_in),
        check_out=parse_date(item.check_out),
        guests=int(item.guests),
        rooms=int(item.rooms),
        currency=item.currency,
        total_amount=int(item.total_amount),
        nightly=tuple(
            NightPrice(
                date=parse_date(n.night),
                price=int(n.price),
                rule_ids=strings(n.rule_ids),
                supplement=int(n.supplement or 0),
                discount=int(n.discount or 0),
                vat=int(n.vat or 0),
            )
            for n in item.nightly
        ),
        status=BookingStatus(item.status),
        hold_expires_at=parse_instant(item.hold_expires_at),
        created_at=parse_instant(item.created_at),
        updated_at=parse_instant(item.updated_at),
        payment=_payment(payment) if payment else None,
        refund=_refund(refund) if refund else None,
        version=int(item.version or 1),
        fees=_maps.fee_lines(item.fees),
        vat=_maps.vat(_maps.plain(item.vat)),
        city_tax=_maps.city_tax_charge(_maps.plain(item.city_tax)),
        promo=_maps.applied_promo(_maps.plain(item.promo)),
        terms=_maps.terms(_maps.plain(item.terms)),
        followup=_followup(item),
        attention=_attention(item.attention.as_dict()) if item.attention is not None else None,
        dispute=_dispute(item.dispute.as_dict()) if item.dispute is not None else None,
        refunded_outside=int(item.refunded_outside or 0),
        intent_key_version=int(item.intent_key_version or 0),
        hold_slot=bool(item.hold_slot),
    )


def _night_map(night: NightPrice) -> dict[str, Any]:
    stored: dict[str, Any] = {'night': night.date.isoformat(), 'price': night.price, 'rule_ids': list(night.rule_ids)}
    for name in ('supplement', 'discount', 'vat'):
        if getattr(night, name):
            stored[name] = getattr(night, name)
    return stored


def _followup(item: BookingItem) -> Followup | None:
    if not item.outbox_shard or not item.outbox_due_at:
        return None
    return Followup(
        work=Work(item.outbox_shard.rsplit('#', 1)[0].lower()),
        due_at=parse_instant(item.outbox_due_at),
        attempts=int(item.outbox_attempts or 0),
        last_error=item.outbox_error,
    )


def _attention(stored: dict[str, Any]) -> Attention:
    return Attention(work=Work(stored['work']), reason=stored['reason'], since=parse_instant(stored['since']))


def _dispute(stored: dict[str, Any]) -> Dispute:
    return Dispute(
        id=stored['id'],
        status=stored['status'],
        reason=stored.get('reason') or '',
        amount=int(stored['amount']),
        currency=stored['currency'],
        updated_at=parse_instant(stored['updated_at']),
    )


def _payment(stored: dict[str, Any]) -> Payment:
    return Payment(**{**stored, 'amount': int(stored['amount'])})


def _refund(stored: dict[str, Any]) -> Refund:
    return Refund(
        **{
            **stored,
            'amount': int(stored['amount']),
            'penalty': int(stored['penalty']),
            'status': RefundStatus(stored['status']),
            'key_version': int(stored.get('key_version') or 0),
        }
    )


def stored(value: Payment | Refund | Attention | Dispute) -> dict[str, Any]:
    """Payment, refund, attention and dispute values are stored as maps (without empty fields)."""
    return {
        k: v.value if isinstance(v, enum.Enum) else iso(v) if isinstance(v, datetime) else v
        for k, v in vars(value).items()
        if v is not None and not (k == 'key_version' and v == 0)
    }


def _followup_actions(booking_id: str, followup: Followup | None, shards: int) -> list[Action]:
    """Put the booking in the outbox for ``followup`` (None: take it out)."""
    if followup is None:
        return [
            BookingItem.outbox_shard.remove(),
            BookingItem.outbox_due_at.remove(),
            BookingItem.outbox_attempts.remove(),
            BookingItem.outbox_error.remove(),
        ]
    return [
        BookingItem.outbox_shard.set(outbox_shard(booking_id, followup.work, shards)),
        BookingItem.outbox_due_at.set(iso(followup.due_at)),
        BookingItem.outbox_attempts.set(followup.attempts),
        BookingItem.outbox_error.set(followup.last_error) if followup.last_error else BookingItem.outbox_error.remove(),
    ]


def _queued_for(work: Work) -> Any:
    return BookingItem.outbox_shard.startswith(f'{work.value.upper()}#')


def booking_item(value: Booking, shards: int) -> BookingItem:
    """The item of a booking as it is written when held (PENDING: in the sparse index)."""
    arrival_month, arrival_key = BookingItem.arrival(value.check_in.isoformat(), value.id)
    return BookingItem(
        *BookingItem.key(value.id),
        gsi1pk=BookingItem.user_partition(value.user_id),
        gsi1sk=BookingItem.user_sort_key(iso(value.created_at), value.id),
        arrival_partition=BookingItem.arrival_partition_of(value.hotel_id, arrival_month),
        arrival_month=arrival_month,
        arrival_key=arrival_key,
        pending_shard=pending_shard(value.id, shards) if value.status is BookingStatus.PENDING else None,
        hold_expires_at=iso(value.hold_expires_at),
        booking_id=value.id,
        user_id=value.user_id,
        hotel_id=value.hotel_id,
        room_type_id=value.room_type_id,
        check_in=value.check_in.isoformat(),
        check_out=value.check_out.isoformat(),
        guests=value.guests,
        rooms=value.rooms,
        currency=value.currency,
        total_amount=value.total_amount,
        nightly=[_night_map(n) for n in value.nightly],
        status=value.status.value,
        created_at=iso(value.created_at),
        updated_at=iso(value.updated_at),
        payment=stored(value.payment) if value.payment else None,
        refund=stored(value.refund) if value.refund else None,
        version=value.version,
        terms=_maps.terms_map(value.terms) if value.terms else None,
        fees=_maps.fee_lines_map(value.fees),
        vat=_maps.vat_map(value.vat),
        city_tax=_maps.city_tax_charge_map(value.city_tax),
        promo=_maps.promo_map(value.promo),
        outbox_shard=outbox_shard(value.id, value.followup.work, shards) if value.followup else None,
        outbox_due_at=iso(value.followup.due_at) if value.followup else None,
        outbox_attempts=value.followup.attempts if value.followup else None,
        outbox_error=value.followup.last_error if value.followup else None,
        attention=stored(value.attention) if value.attention else None,
        dispute=stored(value.dispute) if value.dispute else None,
        refunded_outside=value.refunded_outside or None,
        intent_key_version=value.intent_key_version or None,
        hold_slot=True if value.hold_slot else None,
    )


@dataclass(frozen=True)
class _Guard:
    """An item a booking transaction moves besides the booking and its nights (a promo code's
    uses...): the update, its condition, and the error when the condition fails. Every guard a
    hold can take is counted in ``domain.HOLD_ITEMS_BESIDES_NIGHTS``."""

    item: Model
    actions: list[Action]
    condition: Any
    refused: Callable[[], Exception]


def _promo_taken(use: PromoUse) -> list[_Guard]:
    """Take one use of the code (and of the guest's own, when limited), within the limits."""
    code = PromoItem(*PromoItem.key(use.hotel_id, use.code))
    within = PromoItem.pk.exists()
    if use.max_uses is not None:
        within = within & (PromoItem.uses.does_not_exist() | (PromoItem.uses < use.max_uses))
    guards = [
        _Guard(
            code,
            [PromoItem.uses.add(1)],
            within,
            lambda: errors.PromoExhausted(f'Promo code {use.code} has been used up', promo_code=use.code),
        )
    ]
    if use.max_uses_per_guest is not None:
        mine = PromoGuestItem(*PromoGuestItem.key(use.hotel_id, use.code, use.user_id))
        guards.append(
            _Guard(
                mine,
                [PromoGuestItem.uses.add(1)],
                PromoGuestItem.uses.does_not_exist() | (PromoGuestItem.uses < use.max_uses_per_guest),
                lambda: errors.PromoGuestLimit(
                    f'You have used promo code {use.code} {use.max_uses_per_guest} times', promo_code=use.code
                ),
            )
        )
    return guards


def _promo_given_back(value: Booking) -> list[_Guard]:
    """Give back the uses the hold took. Unconditional: the code exists while any hold uses it
    (it is deleted only at ``uses = 0``), and a release must never be blocked by it."""
    promo = value.promo
    if promo is None:
        return []
    guards = [_Guard(PromoItem(*PromoItem.key(value.hotel_id, promo.code)), [PromoItem.uses.add(-1)], None, Exception)]
    if promo.guest_limited:
        mine = PromoGuestItem(*PromoGuestItem.key(value.hotel_id, promo.code, value.user_id))
        guards.append(_Guard(mine, [PromoGuestItem.uses.add(-1)], None, Exception))
    return guards


def _night_updates(value: Booking, delta: int) -> Iterable[tuple[InventoryItem, list[Action], Any]]:
    """(item, actions, guard) per night: taking rooms needs ``available >= rooms`` and no stop-sell;
    giving them back only needs the night to exist."""
    for n in value.nightly:
        item = InventoryItem(*InventoryItem.key(value.room_type_id, n.date.isoformat()))
        if delta < 0:
            guard = (InventoryItem.available >= -delta) & (InventoryItem.stop_sell == False)  # noqa: E712
        else:
            guard = InventoryItem.pk.exists()
        yield item, [InventoryItem.available.add(delta)], guard


def _slot_entry(slot: HeldSlot) -> str:
    return HoldSlotsItem.entry(iso(slot.expires_at), slot.booking_id)


def _held_slots(entries: Iterable[str] | None) -> list[HeldSlot]:
    slots = []
    for entry in entries or ():
        expires, booking_id = HoldSlotsItem.parse(str(entry))
        slots.append(HeldSlot(parse_instant(expires), booking_id))
    return sorted(slots)


@dataclass(frozen=True)
class _GuardWrite:
    """One guard of a hold as an item of its transaction."""

    guard: HoldGuard
    item: Model
    actions: list[Action]
    condition: Any


def _guard_write(guard: HoldGuard, value: Booking) -> _GuardWrite:
    if isinstance(guard, HoldSlot):
        if guard.user_id != value.user_id or not value.hold_slot:
            raise ValueError('a hold slot is taken by a booking of that account marked hold_slot')
        slots = HoldSlotsItem.holds
        return _GuardWrite(
            guard,
            HoldSlotsItem(*HoldSlotsItem.key(guard.user_id)),
            [slots.add({_slot_entry(value.slot)})],
            slots.does_not_exist() | (size(slots) < guard.cap),
        )
    return _GuardWrite(
        guard,
        CounterItem(*CounterItem.key(guard.scope, guard.subject_hash, guard.window_start)),
        [CounterItem.hits.add(1), CounterItem.ttl.set(guard.expires_at)],
        CounterItem.hits.does_not_exist() | (CounterItem.hits < guard.limit),
    )


def _refused(write: _GuardWrite, reason: CancellationReason | None) -> GuardRefused:
    if isinstance(write.guard, HoldSlot):
        old = _old_item(reason) or {}
        return SlotsInUse(write.guard, _held_slots(old.get('holds', {}).get('SS')))
    return GuardRefused(write.guard)


def _old_item(reason: CancellationReason | None) -> dict[str, Any] | None:
    """The item as it was when its guard failed (None: there was no item)."""
    return reason.raw_item if reason is not None else None


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f'{year:04d}-{month:02d}')
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _arrival_bounds(start: date, end: date) -> tuple[str, str]:
    """The first and last ``arrival_key`` of check-ins from ``start`` to ``end`` (exclusive)."""
    return start.isoformat(), f'{(end - timedelta(days=1)).isoformat()}{BookingItem.ARRIVAL_KEY_END}'


def _after(bounds: tuple[str, str], key: str | None, descending: bool) -> tuple[str, str]:
    """``bounds`` narrowed to start at ``key`` (inclusive: the caller leaves that one out)."""
    if key is None:
        return bounds
    return (bounds[0], key) if descending else (key, bounds[1])


def _arrival_key(value: Booking) -> str:
    return BookingItem.arrival(value.check_in.isoformat(), value.id)[1]


def _either(conditions: Sequence[Any]) -> Any:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined | condition
    return combined


def _booking_filter(statuses: frozenset[BookingStatus] | None, room_type_id: str | None, now: datetime) -> Any:
    """Filter on the status a client sees: a PENDING hold past its expiry is EXPIRED even before
    the sweeper has caught the stored status up."""
    conditions = []
    if statuses is not None:
        pending, expires = BookingItem.status == BookingStatus.PENDING.value, BookingItem.hold_expires_at
        parts = []
        direct = [s.value for s in statuses if s not in (BookingStatus.PENDING, BookingStatus.EXPIRED)]
        if direct:
            parts.append(BookingItem.status.is_in(*direct))
        if BookingStatus.PENDING in statuses:
            parts.append(pending & (expires > iso(now)))
        if BookingStatus.EXPIRED in statuses:
            parts.append((BookingItem.status == BookingStatus.EXPIRED.value) | (pending & (expires <= iso(now))))
        conditions.append(_either(parts))
    if room_type_id:
        conditions.append(BookingItem.room_type_id == room_type_id)
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def _payment_guard(guard: Any, expect_payment_intent: str | Anything | None, expect_no_refund: bool) -> Any:
    if expect_payment_intent is None:
        guard = guard & BookingItem.payment.does_not_exist()
    elif not isinstance(expect_payment_intent, Anything):
        guard = guard & (BookingItem.payment['payment_intent_id'] == expect_payment_intent)
    if expect_no_refund:
        guard = guard & BookingItem.refund.does_not_exist()
    return guard


def _refund_owed() -> Any:
    """``domain.refund_owed`` as a condition: recorded as owed and not created at Stripe yet."""
    return (BookingItem.refund['status'] == RefundStatus.PENDING.value) & BookingItem.refund[
        'stripe_refund_id'
    ].does_not_exist()


class BookingRepository:
    """Bookings in DynamoDB. ``shards``: how many partitions of the sparse ``pending`` index
    PENDING holds are spread over (PENDING_SHARDS)."""

    def __init__(self, table: Table, shards: int) -> None:
        self._table = table
        self._shards = shards

    def create_hold(self, value: Booking, guards: Sequence[HoldGuard] = (), promo: PromoUse | None = None) -> None:
        """Write the booking and take its rooms on every night, atomically: all or nothing, with
        the hold's ``guards`` (the account's hold slot, rate-limit windows) in the same
        transaction. A guard that fails raises its ``GuardRefused`` (the first one, in the order
        given); otherwise a night that fails raises ``NotOnSale`` or ``SoldOut``; otherwise, with
        ``promo``, the use of the code (and of the guest's own) it takes within their limits raises
        ``PromoExhausted`` / ``PromoGuestLimit``.

        The booking id is the ClientRequestToken, so a retry of a call whose answer was lost does
        not fail on the booking's own guard (DynamoDB answers it as the first call did). Another
        attempt after a refusal needs a booking with another id.
        """
        if value.hold_slot != any(isinstance(g, HoldSlot) for g in guards):
            raise ValueError('a booking marked hold_slot is written with a HoldSlot guard, and only then')
        item = booking_item(value, self._shards)
        nights = list(_night_updates(value, -value.rooms))
        writes = [_guard_write(guard, value) for guard in guards]
        if 1 + len(nights) + len(writes) > TRANSACTION_ITEM_LIMIT:
            raise ValueError('the hold does not fit one transaction: see domain.HOLD_ITEMS_BESIDES_NIGHTS')
        promo_writes = _promo_taken(promo) if promo is not None else []
        if promo_writes and 1 + len(nights) + len(writes) + len(promo_writes) > TRANSACTION_ITEM_LIMIT:
            raise ValueError('the hold does not fit one transaction: see domain.HOLD_ITEMS_BESIDES_NIGHTS')

        def write(tx: TransactWrite) -> None:
            tx.save(item, condition=BookingItem.pk.does_not_exist())  # transaction index 0
            for night_item, actions, guard in nights:  # 1..N
                tx.update(night_item, actions=actions, condition=guard, return_values='ALL_OLD')
            for extra in writes:  # N+1...
                tx.update(extra.item, actions=extra.actions, condition=extra.condition, return_values='ALL_OLD')
            for use in promo_writes:  # after the guards
                tx.update(use.item, actions=use.actions, condition=use.condition)

        try:
            self._table.transact(write, token=value.id)
        except TransactWriteError as exc:
            failed = failed_guards(exc)
            if not failed:
                raise
            if 0 in failed:
                # The id is a fresh uuid4: only an earlier attempt of this very call can have
                # written it, so that attempt committed (the whole transaction) and its answer was
                # lost. DynamoDB answers such a retry as the first call through the
                # ClientRequestToken (for 10 minutes); a store that does not (moto) fails the guard
                # instead. Either way the hold is in place: the same answer as the first call.
                return
            reasons = exc.cancellation_reasons
            first_guard = 1 + len(nights)
            for index, extra in enumerate(writes, start=first_guard):
                if index in failed:
                    raise _refused(extra, reasons[index]) from None
            short = [i for i in failed if i < first_guard]  # the rooms matter most
            if not short:
                raise promo_writes[min(failed) - first_guard - len(writes)].refused() from None
            missing = [value.nightly[i - 1].date.isoformat() for i in short if _old_item(reasons[i]) is None]
            if missing:
                raise errors.NotOnSale(nights=missing) from None
            raise errors.SoldOut(nights=[value.nightly[i - 1].date.isoformat() for i in short]) from None

    def get(self, booking_id: str, *, consistent: bool = True) -> Booking:
        return booking(self._table.get(BookingItem, BookingItem.key(booking_id), 'Booking', consistent=consistent))

    def scan(self) -> Iterable[Booking]:
        """Every booking of the table: for the offline auditor only, never a request path."""
        for item in BookingItem.scan(BookingItem.pk.startswith(BookingItem.PREFIX), consistent_read=True):
            yield booking(item)

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> Page[Booking]:
        partition = BookingItem.user_partition(user_id)
        start = decode_cursor(cursor, 'gsi1pk', partition)
        result = BookingItem.gsi1.query(partition, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = [booking(i) for i in self._table.read(result)]
        return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))

    def transition(
        self,
        value: Booking,
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
        """Move a booking from one of ``expected`` to ``new_status``, guarded by its stored status,
        recording ``payment``, ``refund`` and ``refunded_outside`` when given, and putting it in
        the outbox for ``followup`` (None: out of it; ANY: as it is) in the same write.

        With rooms moving, ``give_back_promo`` also gives back the promo code's use the hold took
        (a hold released or expired), and ``take_promo`` takes one again within the code's limits
        (a late payment re-holding an expired stay: ``PromoExhausted`` when none is left).

        With ``release_rooms``/``take_rooms`` the same transaction gives back/takes the booking's
        rooms on every night, so status and inventory can never disagree. A guard that fails raises
        ``InvalidState`` (someone else moved the booking first) or ``SoldOut`` (re-hold impossible).
        ``expect_payment_intent`` (an id, or None for "no payment yet") and ``expect_no_refund`` add
        guards on the payment: a checkout that attached a PaymentIntent meanwhile fails the write.
        """
        item = BookingItem(*BookingItem.key(value.id))
        guard = _payment_guard(
            BookingItem.status.is_in(*[s.value for s in expected]), expect_payment_intent, expect_no_refund
        )
        actions: list[Action] = [
            BookingItem.status.set(new_status.value),
            BookingItem.updated_at.set(iso(now)),
            BookingItem.version.add(1),
        ]
        if new_status is not BookingStatus.PENDING:
            actions.append(BookingItem.pending_shard.remove())
        if payment is not None:
            actions.append(BookingItem.payment.set(stored(payment)))
        if refund is not None:
            actions.append(BookingItem.refund.set(stored(refund)))
        if refunded_outside is not None:
            actions.append(BookingItem.refunded_outside.set(refunded_outside))
        if not isinstance(followup, Anything):
            actions.extend(_followup_actions(value.id, followup, self._shards))
        moved = errors.InvalidState(f'Booking is no longer {"/".join(expected)}')
        # Leaving PENDING gives the account's hold slot back, in the same transaction (so exactly
        # once: the booking's guard lets one transition through).
        gives_slot_back = (
            value.hold_slot and BookingStatus.PENDING in expected and new_status is not BookingStatus.PENDING
        )
        if not (release_rooms or take_rooms or gives_slot_back or give_back_promo or take_promo is not None):
            if not self._table.update_if(item, actions, guard):
                raise moved
            return

        delta = value.rooms if release_rooms else -value.rooms
        promo_moves = _promo_given_back(value) if give_back_promo else []
        if take_promo is not None:
            promo_moves += _promo_taken(take_promo)
        nights = list(_night_updates(value, delta)) if release_rooms or take_rooms else []
        first_promo = len(nights) + 1 + (1 if gives_slot_back else 0)

        def write(tx: TransactWrite) -> None:
            for night_item, night_actions, night_guard in nights:
                tx.update(night_item, actions=night_actions, condition=night_guard)
            tx.update(item, actions=actions, condition=guard)  # index len(nights)
            if gives_slot_back:
                slots = HoldSlotsItem(*HoldSlotsItem.key(value.user_id))
                tx.update(slots, actions=[HoldSlotsItem.holds.delete({_slot_entry(value.slot)})])
            for extra in promo_moves:  # from first_promo
                tx.update(extra.item, actions=extra.actions, condition=extra.condition)

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            failed = failed_guards(exc)
            if not failed:
                raise
            if len(nights) in failed:
                raise moved from None
            if any(i < len(nights) for i in failed):
                short = [value.nightly[i].date.isoformat() for i in failed if i < len(nights)]
                raise errors.SoldOut(nights=short) from None
            raise promo_moves[min(failed) - first_promo].refused() from None

    # ------------------------------------------------------------ payments and refunds

    def attach_payment(self, booking_id: str, payment: Payment, now: datetime) -> bool:
        """Store the booking's one PaymentIntent: only while PENDING, before the hold ends, and only if
        none is stored yet. False if any of that no longer holds (the caller re-reads)."""
        condition = (
            (BookingItem.status == BookingStatus.PENDING.value)
            & BookingItem.payment.does_not_exist()
            & (BookingItem.hold_expires_at > iso(now))
        )
        actions = [
            BookingItem.payment.set(stored(payment)),
            BookingItem.updated_at.set(iso(now)),
            BookingItem.version.add(1),
        ]
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    def claim_refund(self, booking_id: str, now: datetime, lease_seconds: int) -> str | None:
        """Take the lease to create this booking's Stripe refund; returns it, or None if another
        process holds it. One process at a time (localstripe ignores idempotency keys, so ours must
        not depend on Stripe's); a holder that died loses it when it lapses. ``now`` must be the
        current time (not the start of a long sweep): the lease runs from the moment it is taken."""
        lease = f'{iso(now + timedelta(seconds=lease_seconds))}#{uuid.uuid4().hex[:8]}'
        condition = _refund_owed() & (
            BookingItem.payment_lease_until.does_not_exist() | (BookingItem.payment_lease_until < iso(now))
        )
        item = BookingItem(*BookingItem.key(booking_id))
        return lease if self._table.update_if(item, [BookingItem.payment_lease_until.set(lease)], condition) else None

    def release_refund_claim(self, booking_id: str, lease: str) -> None:
        """Give the lease back early (after a failure that made no refund), only if it is still ours."""
        item = BookingItem(*BookingItem.key(booking_id))
        self._table.update_if(
            item, [BookingItem.payment_lease_until.remove()], BookingItem.payment_lease_until == lease
        )

    def bump_refund_key(self, booking_id: str, lease: str) -> bool:
        """The next attempt sends a fresh idempotency key (after Stripe answered a 5xx), if the
        lease is still ours."""
        actions = [BookingItem.refund['key_version'].add(1)]
        condition = _refund_owed() & (BookingItem.payment_lease_until == lease)
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    def record_refund(self, booking_id: str, lease: str, refund: Refund, refunded_outside: int, now: datetime) -> bool:
        """The owed refund is settled (made at Stripe, or nothing was left to give back): record it
        once, only while it is owed and by the holder of the lease, drop the lease and take the
        booking out of the outbox. False: the lease lapsed and another process took over."""
        actions = [
            BookingItem.refund.set(stored(refund)),
            BookingItem.refunded_outside.set(refunded_outside),
            BookingItem.payment_lease_until.remove(),
            BookingItem.updated_at.set(iso(now)),
            BookingItem.version.add(1),
            *_followup_actions(booking_id, None, self._shards),
        ]
        condition = _refund_owed() & (BookingItem.payment_lease_until == lease)
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    def update_refund_status(self, booking_id: str, stripe_refund_id: str, status: RefundStatus, now: datetime) -> bool:
        """Stripe's latest word on a refund we recorded (read from Stripe), only ever forward:
        two events processed at once cannot set a shown status back."""
        earlier = [s.value for s in refund_statuses_before(status)]
        if not earlier:
            return False
        condition = (BookingItem.refund['stripe_refund_id'] == stripe_refund_id) & BookingItem.refund['status'].is_in(
            *earlier
        )
        actions = [
            BookingItem.refund['status'].set(status.value),
            BookingItem.updated_at.set(iso(now)),
            BookingItem.version.add(1),
        ]
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    def bump_intent_key(self, booking_id: str, version: int) -> bool:
        """The next checkout sends a fresh idempotency key for the PaymentIntent (after Stripe
        answered a 5xx), while none is stored yet and nobody bumped it first."""
        current = BookingItem.intent_key_version
        condition = (
            (BookingItem.status == BookingStatus.PENDING.value)
            & BookingItem.payment.does_not_exist()
            & (current.does_not_exist() if version == 0 else current == version)
        )
        actions = [current.set(version + 1)]
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    # ------------------------------------------------------------ outside changes: disputes, outside refunds

    def record_dispute(self, booking_id: str, dispute: Dispute) -> bool:
        """Record Stripe's latest word on the payment's dispute; a closed dispute is final (an
        older event arriving late changes nothing)."""
        stored_dispute = BookingItem.dispute
        still_open = ~stored_dispute['status'].is_in(*DISPUTE_CLOSED) & (stored_dispute['status'] != dispute.status)
        condition = stored_dispute.does_not_exist() | (stored_dispute['id'] != dispute.id) | still_open
        actions = [
            stored_dispute.set(stored(dispute)),
            BookingItem.updated_at.set(iso(dispute.updated_at)),
            BookingItem.version.add(1),
        ]
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    def record_refunded_outside(self, booking_id: str, amount: int, penalty: int | None, now: datetime) -> bool:
        """Refunds of the payment made outside the engine now add up to ``amount`` (it only
        grows: of two events at once, the later read wins); ``penalty``: what the booking's own
        refund now keeps (refund + penalty + outside = paid)."""
        condition = BookingItem.refunded_outside.does_not_exist() | (BookingItem.refunded_outside < amount)
        actions = [
            BookingItem.refunded_outside.set(amount),
            BookingItem.updated_at.set(iso(now)),
            BookingItem.version.add(1),
        ]
        if penalty is not None:
            condition = condition & BookingItem.refund['stripe_refund_id'].exists()
            actions.append(BookingItem.refund['penalty'].set(penalty))
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    # ------------------------------------------------------------ the sweeper's outbox

    def due_followups(self, work: Work, now: datetime, page_size: int) -> Iterator[list[str]]:
        """Pages of ids of bookings owed ``work`` that is due at ``now``, earliest due first within
        each shard, a page of each shard in turn. A Query on the sparse ``outbox`` index (keys
        only): it holds only bookings owed work, so its cost grows with the work, never the table.
        Eventually consistent: the caller reads each booking again before acting."""
        shards = [BookingItem.outbox_partition(work.value, n) for n in range(self._shards)]
        cursors: dict[str, dict[str, Any] | None] = dict.fromkeys(shards)
        active = list(shards)
        while active:
            for shard in list(active):
                result = BookingItem.outbox.query(
                    shard,
                    BookingItem.outbox_due_at <= iso(now),
                    limit=page_size,
                    page_size=page_size,
                    last_evaluated_key=cursors[shard],
                )
                page = [i.pk.removeprefix(BookingItem.PREFIX) for i in self._table.read(result)]
                cursors[shard] = result.last_evaluated_key
                if cursors[shard] is None:
                    active.remove(shard)
                yield page

    def reschedule(self, booking_id: str, followup: Followup, attempts_were: int) -> bool:
        """Push owed work back (``followup``: its new due time, attempts and last error), if it is
        still owed as it was read (two sweepers at once count one failure once)."""
        condition = _queued_for(followup.work) & (BookingItem.outbox_attempts == attempts_were)
        actions = _followup_actions(booking_id, followup, self._shards)
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    def finish_followup(self, booking_id: str, work: Work) -> bool:
        """Take the booking out of the outbox: nothing of ``work`` is owed any more."""
        actions = _followup_actions(booking_id, None, self._shards)
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, _queued_for(work))

    def flag_attention(self, booking_id: str, attention: Attention) -> bool:
        """Stop retrying ``attention.work`` and hand it to a person (the reconciler lists it)."""
        actions = [BookingItem.attention.set(stored(attention)), *_followup_actions(booking_id, None, self._shards)]
        condition = _queued_for(attention.work)
        return self._table.update_if(BookingItem(*BookingItem.key(booking_id)), actions, condition)

    # ------------------------------------------------------------ the sweeper's reads

    def due_holds(self, now: datetime, page_size: int) -> Iterator[list[Booking]]:
        """Pages of PENDING holds whose expiry has passed, oldest first within each shard, a page of
        each shard in turn (round-robin) until every shard is read. Read lazily: each page is one
        Query made when asked for, so a caller that stops early (its time is up) reads no more.

        A Query on the sparse ``pending`` index: it holds only PENDING bookings, so the cost grows
        with the holds that are due, never with the table. The index is eventually consistent: every
        write made from what it returns is guarded by the status it expects.
        """
        cursors: dict[str, dict[str, Any] | None] = {
            BookingItem.pending_partition(n): None for n in range(self._shards)
        }
        active = list(cursors)
        while active:
            for shard in list(active):
                result = BookingItem.pending.query(
                    shard,
                    BookingItem.hold_expires_at <= iso(now),
                    limit=page_size,
                    page_size=page_size,
                    last_evaluated_key=cursors[shard],
                )
                page = [booking(i) for i in self._table.read(result)]
                cursors[shard] = result.last_evaluated_key
                if cursors[shard] is None:
                    active.remove(shard)
                yield page

    def due_holds_on(self, room_type_ids: Collection[str], start: date, end: date, now: datetime) -> list[Booking]:
        """PENDING holds past their expiry, of these room types, with a night in [start, end): one
        Query per shard of the sparse ``pending`` index (in parallel), ``hold_expires_at <= now``
        so only due holds are read, filtered by DynamoDB on room type and dates. Eventually
        consistent: a hold released a moment ago may still be listed (whoever acts on it writes
        guarded by PENDING)."""
        if not room_type_ids:
            return []
        condition = (
            BookingItem.room_type_id.is_in(*sorted(room_type_ids))
            & (BookingItem.check_in < end.isoformat())
            & (BookingItem.check_out > start.isoformat())
        )

        def shard(n: int) -> list[Booking]:
            result = BookingItem.pending.query(
                BookingItem.pending_partition(n), BookingItem.hold_expires_at <= iso(now), filter_condition=condition
            )
            return [booking(i) for i in self._table.read(result)]

        if self._shards == 1:
            return shard(0)
        return [b for found in _shard_pool.map(shard, range(self._shards)) for b in found]

    # ------------------------------------------------------------ hold slots

    def hold_slots(self, user_id: str) -> list[HeldSlot]:
        """The account's hold slots in use, oldest expiry first (strongly consistent)."""
        try:
            item = self._table.get(HoldSlotsItem, HoldSlotsItem.key(user_id), 'Hold slots', consistent=True)
        except errors.NotFound:
            return []
        return _held_slots(item.holds)

    def drop_hold_slots(self, user_id: str, slots: Sequence[HeldSlot]) -> None:
        """Remove entries whose booking is no longer PENDING (repair: every transition out of
        PENDING removes its own entry)."""
        if slots:
            item = HoldSlotsItem(*HoldSlotsItem.key(user_id))
            entries = {_slot_entry(slot) for slot in slots}
            self._table.update_if(item, [HoldSlotsItem.holds.delete(entries)], HoldSlotsItem.pk.exists())

    def scan_hold_slots(self) -> Iterable[tuple[str, list[HeldSlot]]]:
        """Every account's hold slots in use: for the offline auditor only, never a request path."""
        scan = HoldSlotsItem.scan(
            HoldSlotsItem.pk.startswith('USER#') & (HoldSlotsItem.sk == 'HOLDS'), consistent_read=True
        )
        for item in self._table.read(scan):
            if item.holds:  # the set goes with its last entry; the item stays
                yield item.pk.removeprefix('USER#'), _held_slots(item.holds)

    # ------------------------------------------------------------ admin reads by arrival

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
        """The bookings of ``hotel_ids`` checking in from ``start`` (inclusive) to ``end``
        (exclusive), by check-in date then booking id: per month, one Query per hotel's partition
        of ``hotel_arrivals`` (in parallel), merged, until the page is full. Filters (status, room
        type) are applied by DynamoDB. The cursor is the month and the key of the last booking
        returned: the next page reads after it in every hotel's partition of that month."""
        months = _months(start, end - timedelta(days=1))
        if descending:
            months.reverse()
        index, after = decode_month_cursor(cursor, months) if cursor else (0, None)
        low, high = _arrival_bounds(start, end)
        if after is not None and not low <= after <= high:
            raise errors.InvalidCursor('The cursor does not belong to this date range')
        condition = _booking_filter(statuses, room_type_id, now)
        hotels = sorted(set(hotel_ids))
        items: list[Booking] = []
        while index < len(months) and len(items) < limit:
            need = limit - len(items)
            bounds = _after((low, high), after, descending)
            month = months[index]
            if len(hotels) <= 1:
                found = self._arrivals(hotels[0], month, bounds, condition, need, descending, after) if hotels else []
            else:
                found = self._merged(hotels, month, bounds, condition, need, descending, after)
            items.extend(found[:need])
            if len(items) < limit:
                index, after = index + 1, None
        full = len(items) == limit and index < len(months)
        next_cursor = encode_month_cursor(months[index], _arrival_key(items[-1])) if full else None
        return Page(items=items, next_cursor=next_cursor)

    def _merged(
        self,
        hotels: list[str],
        month: str,
        bounds: tuple[str, str],
        condition: Any,
        need: int,
        descending: bool,
        after: str | None,
    ) -> list[Booking]:
        """The first ``need`` bookings of several hotels' partitions of one month, in key order.
        Each hotel is read a little at a time (about ``need / hotels`` at first, twice as many at
        each further round), and only while its next booking could still be on the page: its last
        key read comes before the page's cutoff. About ``need + hotels`` items read, not
        ``need x hotels``; one Query per hotel per round (in parallel)."""
        step = -(-need // len(hotels)) + 1
        read: list[Booking] = []
        last: dict[str, str | None] = dict.fromkeys(hotels, after)
        wanted = list(hotels)
        while True:
            futures = {
                h: _arrivals_pool.submit(
                    self._arrivals, h, month, _after(bounds, last[h], descending), condition, step, descending, last[h]
                )
                for h in wanted
            }
            for hotel_id, future in futures.items():
                got = future.result()
                read += got
                if len(got) < step:  # fewer than asked: the hotel has nothing more in the range
                    del last[hotel_id]
                else:
                    last[hotel_id] = _arrival_key(got[-1])
            read.sort(key=_arrival_key, reverse=descending)
            if len(read) < need:
                wanted = list(last)
            else:
                cutoff = _arrival_key(read[need - 1])
                wanted = [
                    h for h, key in last.items() if key is not None and (key > cutoff if descending else key < cutoff)
                ]
            if not wanted:
                return read[:need]
            step *= 2

    def _arrivals(
        self,
        hotel_id: str,
        month: str,
        bounds: tuple[str, str],
        condition: Any,
        need: int,
        descending: bool,
        skip: str | None,
    ) -> list[Booking]:
        """Up to ``need`` bookings of one hotel's month partition within ``bounds`` (inclusive),
        leaving out the one keyed ``skip`` (the last of the previous page)."""
        wanted = need + (skip is not None)
        query = BookingItem.arrivals.query(
            BookingItem.arrival_partition_of(hotel_id, month),
            BookingItem.arrival_key.between(*bounds),
            filter_condition=condition,
            scan_index_forward=not descending,
            limit=wanted,
            # Unfiltered, every item read is returned: read no more than the page needs (a Query
            # is billed by what it reads). Filtered, read ahead so a page takes few round trips.
            page_size=wanted if condition is None else max(wanted, 100),
        )
        return [booking(i) for i in self._table.read(query) if i.arrival_key != skip][:need]

    def holding_rooms(
        self, hotel_ids: Collection[str], start: date, end: date, *, room_type_id: str | None = None
    ) -> list[Booking]:
        """PENDING and CONFIRMED bookings of ``hotel_ids`` with a night in [start, end): arrivals
        from ``MAX_STAY_HARD_LIMIT`` nights before ``start`` (no stay is longer) that leave after
        it. One Query per hotel and month (5 months for a month's report), in parallel."""
        earliest = start - timedelta(days=MAX_STAY_HARD_LIMIT)
        condition = (BookingItem.check_out > start.isoformat()) & BookingItem.status.is_in(
            *(s.value for s in HOLDING_STATUSES)
        )
        if room_type_id:
            condition = condition & (BookingItem.room_type_id == room_type_id)
        bounds = _arrival_bounds(earliest, end)
        partitions = [
            BookingItem.arrival_partition_of(hotel_id, month)
            for hotel_id in sorted(set(hotel_ids))
            for month in _months(earliest, end - timedelta(days=1))
        ]

        def read(partition: str) -> list[Booking]:
            query = BookingItem.arrivals.query(
                partition, BookingItem.arrival_key.between(*bounds), filter_condition=condition
            )
            return [booking(i) for i in self._table.read(query)]

        return [b for part in _arrivals_pool.map(read, partitions) for b in part]
