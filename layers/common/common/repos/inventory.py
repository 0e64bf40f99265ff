"""Per-night inventory of each room type: the heart of the table.

``available`` only moves inside guarded writes: holds and releases (repos.bookings, in the same
transaction as the booking's status) and the admin changes planned as ``NightChange``s here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from common import errors
from common.domain import InventoryNight, RoomType
from common.ports import NightChange
from common.repos._dynamo import Table, chunks, failed_guards, new_token
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


def night_item(room_type: RoomType, day: date, allotment: int, available: int, stop_sell: bool) -> InventoryItem:
    return InventoryItem(
        *InventoryItem.key(room_type.id, day.isoformat()),
        room_type_id=room_type.id,
        hotel_id=room_type.hotel_id,
        night=day.isoformat(),
        allotment=allotment,
        available=available,
        stop_sell=stop_sell,
    )


def _apply_change(tx: TransactWrite, room_type: RoomType, change: NightChange) -> None:
    if change.before is None:
        tx.save(
            night_item(room_type, change.night, change.allotment, change.allotment, change.stop_sell),
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
    def __init__(self, table: Table) -> None:
        self._table = table

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

    def open(self, room_type: RoomType, start: date, days: int) -> int:
        """Create the nights that do not exist yet (existing nights keep their counts)."""
        existing = {n.date for n in self.nights(room_type.id, start, start + timedelta(days=days), consistent=True)}
        created = 0
        with InventoryItem.batch_write() as batch:
            for offset in range(days):
                day = start + timedelta(days=offset)
                if day in existing:
                    continue
                batch.save(night_item(room_type, day, room_type.total_rooms, room_type.total_rooms, False))
                created += 1
        return created

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
                    _apply_change(tx, room_type, change)

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
