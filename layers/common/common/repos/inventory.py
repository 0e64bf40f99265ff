"""Per-night inventory of each room type: the heart of the table.

``available`` only moves inside guarded writes: holds and releases (repos.bookings, in the same
transaction as the booking's status) and the admin changes planned as ``NightChange``s here.
Nights are opened by a PutItem guarded by ``attribute_not_exists(pk)`` (housekeeping, room-type
creation): a night that exists is never overwritten, so a second opener never undoes a hold taken
a moment after the first opened it. Every night written carries its TTL (``common.sale_window``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from common import errors, sale_window
from common.domain import InventoryNight, RoomType
from common.ports import NewNight, NightChange
from common.repos._dynamo import Table, chunks, conditional_failed, failed_guards, new_token, transient, with_retries
from common.sale_window import night_expires_at
from common.tables import InventoryItem
from common.timeutil import parse_date


def night(item: InventoryItem) -> InventoryNight:
    return InventoryNight(
        room_type_id=item.room_type_id,
        date=parse_date(item.night),
        allotment=int(item.allotment),
        available=int(item.available),
        stop_sell=bool(item.stop_sell),
    )


def night_item(
    room_type: RoomType, day: date, allotment: int, available: int, stop_sell: bool, retention_days: int
) -> InventoryItem:
    return InventoryItem(
        *InventoryItem.key(room_type.id, day.isoformat()),
        room_type_id=room_type.id,
        hotel_id=room_type.hotel_id,
        night=day.isoformat(),
        allotment=allotment,
        available=available,
        stop_sell=stop_sell,
        ttl=night_expires_at(day, retention_days),
    )


def _apply_change(tx: TransactWrite, room_type: RoomType, change: NightChange, retention_days: int) -> None:
    if change.before is None:
        tx.save(
            night_item(room_type, change.night, change.allotment, change.allotment, change.stop_sell, retention_days),
            condition=InventoryItem.pk.does_not_exist(),
            return_values='ALL_OLD',
        )
        return
    # available + held = allotment, so moving both by the same delta keeps what is held; the
    # guard on the old allotment makes it optimistic (another admin's change fails it) and, when
    # lowering, ``available >= -delta`` refuses to go below what is held at commit time.
    guard = InventoryItem.allotment == change.before.allotment
    if change.delta < 0:
        guard = guard & (InventoryItem.available >= -change.delta)
    actions: list[Action] = [
        InventoryItem.allotment.set(change.allotment),
        InventoryItem.stop_sell.set(change.stop_sell),
    ]
    if change.delta:
        actions.append(InventoryItem.available.add(change.delta))
    key = InventoryItem.key(room_type.id, change.night.isoformat())
    tx.update(InventoryItem(*key), actions=actions, condition=guard, return_values='ALL_OLD')


def _undo_change(tx: TransactWrite, room_type: RoomType, change: NightChange) -> None:
    item = InventoryItem(*InventoryItem.key(room_type.id, change.night.isoformat()))
    if change.before is None:
        tx.delete(
            item,
            condition=(InventoryItem.allotment == change.allotment) & (InventoryItem.available == change.allotment),
        )
        return
    guard = InventoryItem.allotment == change.allotment
    if change.delta > 0:
        guard = guard & (InventoryItem.available >= change.delta)
    actions: list[Action] = [
        InventoryItem.allotment.set(change.before.allotment),
        InventoryItem.stop_sell.set(change.before.stop_sell),
    ]
    if change.delta:
        actions.append(InventoryItem.available.add(-change.delta))
    tx.update(item, actions=actions, condition=guard)


def _raw_int(raw: dict[str, Any] | None, name: str) -> int | None:
    value = (raw or {}).get(name)
    return int(value['N']) if value and 'N' in value else None


def _refusal(exc: TransactWriteError, chunk: Sequence[NightChange], failed: list[int]) -> errors.DomainError:
    below_held = []
    for i in failed:
        reason = exc.cancellation_reasons[i]
        change, raw = chunk[i], reason.raw_item if reason is not None else None
        allotment, available = _raw_int(raw, 'allotment'), _raw_int(raw, 'available')
        moved = change.before is None or allotment is None or allotment != change.before.allotment
        if moved or available is None or allotment is None:
            return errors.InventoryConflict(nights=[chunk[j].night.isoformat() for j in failed])
        below_held.append(
            {'date': change.night.isoformat(), 'held': allotment - available, 'allotment': change.allotment}
        )
    return errors.AllotmentBelowHeld(nights=below_held)


class InventoryRepository:
    def __init__(self, table: Table, retention_days: int, workers: int = 8) -> None:
        self._table = table
        self._retention_days = retention_days  # INVENTORY_RETENTION_DAYS: the TTL of every night written
        # Parallel puts when opening many nights (a new room type's window); within the botocore
        # client's connection pool (DYNAMODB_MAX_POOL_CONNECTIONS, 10 in a Lambda).
        self._workers = workers

    def nights(self, room_type_id: str, start: date, end: date, *, consistent: bool = False) -> list[InventoryNight]:
        """Nights ``start`` (inclusive) to ``end`` (exclusive) of one room type: one Query."""
        if end <= start:
            return []
        query = InventoryItem.query(
            InventoryItem.partition(room_type_id),
            InventoryItem.sk.between(start.isoformat(), (end - timedelta(days=1)).isoformat()),
            consistent_read=consistent,
        )
        return [night(i) for i in self._table.read(query)]

    def all_nights(self, room_type_id: str) -> list[InventoryNight]:
        """Every stored night of a room type, strongly consistent (one Query, paged by PynamoDB)."""
        query = InventoryItem.query(InventoryItem.partition(room_type_id), consistent_read=True)
        return [night(i) for i in self._table.read(query)]

    def scan(self) -> Iterable[InventoryNight]:
        """Every inventory night of the table: for the offline auditor only, never a request path."""
        for item in InventoryItem.scan(InventoryItem.pk.startswith(InventoryItem.PREFIX), consistent_read=True):
            yield night(item)

    def existing_nights(self, room_type_id: str, first: date, last: date, *, consistent: bool = False) -> set[date]:
        """The nights from ``first`` to ``last`` (both included) that exist: one Query of keys only."""
        query = InventoryItem.query(
            InventoryItem.partition(room_type_id),
            InventoryItem.sk.between(first.isoformat(), last.isoformat()),
            consistent_read=consistent,
            attributes_to_get=['sk'],
        )
        return {parse_date(item.sk) for item in self._table.read(query)}

    def open_nights(self, nights: Sequence[NewNight]) -> list[bool]:
        """Create the nights that do not exist yet; for each, whether this call created it.

        One conditional PutItem per night, ``workers`` at a time. Not TransactWriteItems: nights
        need no atomicity between them, a transactional write costs twice the WCU, and one night
        that exists would cancel the other 99."""
        if len(nights) <= 1 or self._workers <= 1:
            return [self._open_one(new) for new in nights]
        with ThreadPoolExecutor(max_workers=min(self._workers, len(nights))) as pool:
            return list(pool.map(self._open_one, nights))

    def _open_one(self, new: NewNight) -> bool:
        allotment = new.room_type.opening_allotment(new.night)
        item = night_item(new.room_type, new.night, allotment, allotment, False, self._retention_days)
        try:
            with_retries(lambda: item.save(condition=InventoryItem.pk.does_not_exist()))
        except PutError as exc:
            if conditional_failed(exc):
                return False  # opened by someone else first: its counts (and any hold on it) stay
            if transient(exc):
                raise errors.ServiceUnavailable() from exc
            raise
        return True

    def open_fresh(self, room_type: RoomType, first: date, last: date) -> int:
        """Write the nights ``first`` to ``last`` of a room type created a moment ago, before anything
        else can see it (the demo seed before the API serves, test setup), in BatchWriteItem calls of
        25 nights. Unconditional: never for a room type the API or housekeeping may already know
        (they may have opened a night and a guest booked it)."""
        count = 0
        with InventoryItem.batch_write() as batch:
            for day in sale_window.nights(first, last):
                allotment = room_type.opening_allotment(day)
                batch.save(night_item(room_type, day, allotment, allotment, False, self._retention_days))
                count += 1
        return count

    def apply(self, room_type: RoomType, changes: Sequence[NightChange]) -> None:
        """Apply planned night changes all-or-nothing.

        Up to 100 nights are one transaction. Longer plans are applied 100 nights at a time; if a
        later transaction is refused (a hold or another admin change landed after the plan was
        read), the transactions already applied are undone, each guarded by the values this call
        wrote, so the request changes nothing. Only if an undo is itself refused (a guest booked one
        of the rooms this request had just added, in the same instant) does part of the change stay;
        that answer says so (``partial: true``) and every night still balances.
        """
        applied: list[Sequence[NightChange]] = []
        for chunk in chunks(changes):

            def apply(tx: TransactWrite, chunk: Sequence[NightChange] = chunk) -> None:
                for change in chunk:
                    _apply_change(tx, room_type, change, self._retention_days)

            try:
                self._table.transact(apply, token=new_token())
            except (TransactWriteError, errors.ServiceUnavailable) as exc:
                self.undo(room_type, applied)
                if isinstance(exc, TransactWriteError) and failed_guards(exc):
                    raise _refusal(exc, chunk, failed_guards(exc)) from None
                raise
            applied.append(chunk)

    def undo(self, room_type: RoomType, applied: list[Sequence[NightChange]]) -> None:
        """Undo the blocks already written, last first, each guarded by what was written."""
        while applied:
            done = applied[-1]

            def undo(tx: TransactWrite, done: Sequence[NightChange] = done) -> None:
                for change in done:
                    _undo_change(tx, room_type, change)

            try:
                self._table.transact(undo, token=new_token())
            except (TransactWriteError, errors.ServiceUnavailable):
                raise errors.InventoryConflict(
                    'The inventory changed while this request was applied; part of it stayed applied',
                    partial=True,
                    applied=[c.night.isoformat() for block in applied for c in block],
                ) from None
            applied.pop()
