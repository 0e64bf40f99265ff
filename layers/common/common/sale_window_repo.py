"""Storage of the sale window (issue 23): which nights of a room type exist, opening the missing
ones, and the progress of the daily housekeeping pass.

Written in the target style of issue 13: a repository object that the composition root builds
and services receive; it will move into ``common/repos/`` with the rest of the storage code.

Opening a night is a PutItem guarded by ``attribute_not_exists(pk)``: a night that exists is
never overwritten, so a run twice, two runs at once, or a run racing a room-type creation open
each night once, and a hold that took a room of a night a moment after it opened is never undone
by a second opener.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from pynamodb.exceptions import PutError, QueryError

from common import errors, repos
from common.domain import Hotel, RoomType
from common.sale_window import nights
from common.tables import InventoryItem, RoomTypeItem, SaleWindowPassItem
from common.timeutil import iso, parse_date, parse_instant


@dataclass(frozen=True)
class NewNight:
    room_type: RoomType
    night: date


@dataclass(frozen=True)
class PassProgress:
    """The daily pass (UTC ``day``, started at ``run_at``): room types up to ``cursor`` (their
    listing key) are done. ``since``: the instant of the last finished pass before it (None: this
    pass reads every window)."""

    day: date
    run_at: datetime
    since: datetime | None = None
    cursor: str = ''
    complete: bool = False
    room_types: int = 0
    nights_opened: int = 0
    short: int = 0


class SaleWindowRepo:
    def __init__(self, workers: int = 8) -> None:
        # Parallel puts when opening many nights (a new room type's window); within the botocore
        # client's connection pool (DYNAMODB_MAX_POOL_CONNECTIONS, 10 in a Lambda).
        self.workers = workers

    def hotels(self) -> dict[str, Hotel]:
        return {h.id: h for h in repos.list_hotels()}

    def room_types_after(self, cursor: str) -> Iterator[tuple[str, RoomType]]:
        """Every room type after ``cursor`` in listing-key order (``{hotel_id}#{room_type_id}``),
        with its key; paged lazily (one Query per 1 MB)."""
        condition = RoomTypeItem.gsi1sk > cursor if cursor else None
        for item in RoomTypeItem.gsi1.query(RoomTypeItem.LIST_PK, condition):
            yield item.gsi1sk, repos._room_type(item)

    def open_nights(self, room_type_id: str, first: date, last: date, *, consistent: bool = False) -> set[date]:
        """The nights from ``first`` to ``last`` (both included) that exist: one Query of keys only."""
        query = InventoryItem.query(
            InventoryItem.partition(room_type_id),
            InventoryItem.sk.between(first.isoformat(), last.isoformat()),
            consistent_read=consistent,
            attributes_to_get=['sk'],
        )
        try:
            return {parse_date(item.sk) for item in query}
        except QueryError as exc:
            if repos._transient(exc):
                raise errors.ServiceUnavailable() from exc
            raise

    def open(self, nights: Sequence[NewNight]) -> list[bool]:
        """Create the nights that do not exist yet (each with its room type's opening allotment);
        for each, whether this call created it. A night another writer created first is left as it is.

        One conditional PutItem per night, ``workers`` at a time. Not TransactWriteItems: nights
        need no atomicity between them, a transactional write costs twice the WCU, and one night
        that exists would cancel the other 99."""
        if len(nights) <= 1 or self.workers <= 1:
            return [self._open_one(new) for new in nights]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(nights))) as pool:
            return list(pool.map(self._open_one, nights))

    def open_fresh(self, room_type: RoomType, first: date, last: date) -> int:
        """Write the nights ``first`` to ``last`` of a room type the caller created a moment ago,
        before anything else can see it (the demo seed before the API serves, test setup), in
        BatchWriteItem calls of 25 nights. Unconditional: never for a room type the API or
        housekeeping may already know (they may have opened a night and a guest booked it)."""
        count = 0
        with InventoryItem.batch_write() as batch:
            for night in nights(first, last):
                allotment = room_type.opening_allotment(night)
                batch.save(repos._night_item(room_type, night, allotment, allotment, False))
                count += 1
        return count

    @staticmethod
    def _open_one(new: NewNight) -> bool:
        allotment = new.room_type.opening_allotment(new.night)
        item = repos._night_item(new.room_type, new.night, allotment, allotment, False)
        try:
            repos._with_retries(lambda: item.save(condition=InventoryItem.pk.does_not_exist()))
        except PutError as exc:
            if exc.cause_response_code == 'ConditionalCheckFailedException':
                return False  # opened by someone else first: its counts (and any hold on it) stay
            if repos._transient(exc):
                raise errors.ServiceUnavailable() from exc
            raise
        return True

    def progress(self) -> PassProgress | None:
        try:
            item = SaleWindowPassItem.get(*SaleWindowPassItem.key(), consistent_read=True)
        except SaleWindowPassItem.DoesNotExist:
            return None
        return PassProgress(
            day=parse_date(item.day),
            run_at=parse_instant(item.run_at),
            since=parse_instant(item.since) if item.since else None,
            cursor=item.cursor or '',
            complete=bool(item.complete),
            room_types=int(item.room_types or 0),
            nights_opened=int(item.nights_opened or 0),
            short=int(item.short or 0),
        )

    def save_progress(self, progress: PassProgress, now: datetime) -> bool:
        """Record progress if it is ahead of what is stored (a later day, or the same unfinished
        day at this cursor or later); False when another run is already further."""
        day = progress.day.isoformat()
        stored = SaleWindowPassItem
        ahead = (
            stored.day.does_not_exist()
            | (stored.day < day)
            | ((stored.day == day) & (stored.complete == False) & (stored.cursor <= progress.cursor))  # noqa: E712
        )
        item = SaleWindowPassItem(
            *SaleWindowPassItem.key(),
            day=day,
            run_at=iso(progress.run_at),
            since=iso(progress.since) if progress.since else None,
            cursor=progress.cursor,
            complete=progress.complete,
            room_types=progress.room_types,
            nights_opened=progress.nights_opened,
            short=progress.short,
            updated_at=iso(now),
        )
        try:
            repos._with_retries(lambda: item.save(condition=ahead))
        except PutError as exc:
            if exc.cause_response_code == 'ConditionalCheckFailedException':
                return False
            raise
        return True
