"""In-memory fakes of our own ports, for service tests that would spend their time in moto.

Each fake is held to its real adapter by a contract test running the same cases against both
(tests/integration/test_sale_window_repo_contract.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from common.domain import Hotel, RoomType
from common.sale_window_repo import NewNight, PassProgress


@dataclass
class FakeNight:
    allotment: int
    available: int


class FakeSaleWindowRepo:
    """``common.sale_window_repo.SaleWindowRepo`` in memory: the same listing order, the same
    "create only if absent" opening and the same forward-only progress guard."""

    def __init__(self, hotels: Sequence[Hotel] = (), room_types: Sequence[RoomType] = ()) -> None:
        self._hotels = {h.id: h for h in hotels}
        self._room_types = {f'{rt.hotel_id}#{rt.id}': rt for rt in room_types}
        self.nights: dict[tuple[str, date], FakeNight] = {}
        self._progress: PassProgress | None = None
        self.calls: list[str] = []

    def add_room_type(self, room_type: RoomType) -> None:
        self._room_types[f'{room_type.hotel_id}#{room_type.id}'] = room_type

    def hotels(self) -> dict[str, Hotel]:
        self.calls.append('hotels')
        return dict(self._hotels)

    def room_types_after(self, cursor: str) -> Iterator[tuple[str, RoomType]]:
        self.calls.append('room_types')
        for key in sorted(self._room_types):
            if key > cursor:
                yield key, self._room_types[key]

    def open_nights(self, room_type_id: str, first: date, last: date, *, consistent: bool = False) -> set[date]:
        self.calls.append('open_nights')
        return {night for (rt, night) in self.nights if rt == room_type_id and first <= night <= last}

    def open(self, nights: Sequence[NewNight]) -> list[bool]:
        created = []
        for new in nights:
            self.calls.append('put')
            key = (new.room_type.id, new.night)
            if key in self.nights:
                created.append(False)
                continue
            allotment = new.room_type.opening_allotment(new.night)
            self.nights[key] = FakeNight(allotment, allotment)
            created.append(True)
        return created

    def progress(self) -> PassProgress | None:
        self.calls.append('progress')
        return self._progress

    def save_progress(self, progress: PassProgress, now: datetime) -> bool:
        self.calls.append('save_progress')
        stored = self._progress
        ahead = (
            stored is None
            or stored.day < progress.day
            or (stored.day == progress.day and not stored.complete and stored.cursor <= progress.cursor)
        )
        if ahead:
            self._progress = replace(progress)
        return ahead
