"""The progress of the daily housekeeping pass (services/housekeeping.py): one item, only ever
moved forward, so a run that stopped half-way is continued by the next one and two runs at once
never set it back."""

from __future__ import annotations

from datetime import datetime

from common import errors
from common.ports import PassProgress
from common.repos._dynamo import Table
from common.tables import SaleWindowPassItem
from common.timeutil import iso, parse_date, parse_instant


class HousekeepingRecords:
    def __init__(self, table: Table) -> None:
        self._table = table

    def progress(self) -> PassProgress | None:
        try:
            item = self._table.get(SaleWindowPassItem, SaleWindowPassItem.key(), 'Progress', consistent=True)
        except errors.NotFound:
            return None  # no pass yet
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
        return self._table.save_if(item, ahead)
