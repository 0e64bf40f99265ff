"""The availability view search answers from (issue 17; design and limits in docs/search-view.md).

Written by the stream consumer (functions/search_view): the inventory nights a batch of stream
records leaves are aggregated per view item (city, night, hotel shard), the newest image of each
night winning, and each item is written ONCE per batch with absolute values. A replay writes the
same values again; two consumers (stream shards) writing different room types of one item never
clash, since each sets only its own attributes.

Read by search: one Query per city for the whole stay. A room type with no cell for some night of
the stay (a view still being filled, a room type created a moment ago) is read from the inventory
directly, so a missing cell is never taken for "sold out". The view is never the truth: the hold
transaction decides, and a stale cell can only show a room that the hold refuses as ``sold_out``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from common import errors
from common.domain import Hotel, InventoryNight, RoomType, Stay
from common.observability import count, logger
from common.ports import InventoryChange, ViewKey
from common.sale_window import night_expires_at
from common.services import catalog
from common.services.deps import Deps

Cells = dict[str, InventoryNight | None]
CELL_BYTES = 30  # a cell's size, about: ``r:`` + a slug + ``"3:12:0"``
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix='view')


def key_of(city: str, hotel_id: str, night: date) -> ViewKey:
    return ViewKey.of(city, hotel_id, night)


# ---------------------------------------------------------------- writing (pure, then the port)


def aggregate(changes: Iterable[InventoryChange], city_of: Callable[[str], str | None]) -> dict[ViewKey, Cells]:
    """What a batch leaves in each view item: per room type and night the LAST change (records of
    one inventory night arrive in commit order), None where the night was deleted. Changes of a
    hotel ``city_of`` does not know (deleted since) are left out."""
    items: dict[ViewKey, Cells] = defaultdict(dict)
    for change in changes:
        city = city_of(change.hotel_id)
        if city is None:
            continue
        items[key_of(city, change.hotel_id, change.date)][change.room_type_id] = change.night
    return dict(items)


def fresh(nights: Iterable[tuple[str, InventoryNight]], city_of: Callable[[str], str | None]) -> dict[ViewKey, Cells]:
    """The view computed from scratch from (hotel id, night) pairs of the inventory."""
    return aggregate((InventoryChange(n.room_type_id, hotel_id, n.date, n) for hotel_id, n in nights), city_of)


def replay(view: Mapping[ViewKey, Cells], batch: Mapping[ViewKey, Cells]) -> dict[ViewKey, Cells]:
    """``view`` after the writes of ``batch`` (what the repository does, as a pure function): cells
    set to their value, removed where None."""
    out = {key: dict(cells) for key, cells in view.items()}
    for key, cells in batch.items():
        item = out.setdefault(key, {})
        for room_type_id, night in cells.items():
            if night is None:
                item.pop(room_type_id, None)
            else:
                item[room_type_id] = night
    return {key: cells for key, cells in out.items() if cells}


@dataclass
class BatchReport:
    items_written: int = 0
    changes: int = 0
    unknown_hotels: set[str] = field(default_factory=set)
    first_failed: int | None = None  # position of the first record to retry from (None: all done)


def city_lookup(deps: Deps) -> Callable[[str], str | None]:
    """Hotel id -> city, from the cached catalogue, then one GetItem for a hotel it lacks; None for
    a hotel that no longer exists."""
    known = {h.id: h.city for h in catalog.hotels(deps).values()}

    def city_of(hotel_id: str) -> str | None:
        if hotel_id not in known:
            try:
                known[hotel_id] = deps.catalog.get_hotel(hotel_id).city
            except errors.NotFound:
                return None
        return known[hotel_id]

    return city_of


def apply(deps: Deps, changes: Sequence[tuple[int, InventoryChange]]) -> BatchReport:
    """Write a batch's changes (each with its record's position): one write per view item. An item
    that cannot be written makes the batch retry from the first record that touched it (the items
    written are written again then, with the same values)."""
    report = BatchReport(changes=len(changes))
    if not changes:
        return report
    lookup = city_lookup(deps)

    def city_of(hotel_id: str) -> str | None:
        city = lookup(hotel_id)
        if city is None:
            report.unknown_hotels.add(hotel_id)
        return city

    first_seen: dict[ViewKey, int] = {}
    for position, change in changes:
        city = city_of(change.hotel_id)
        if city is not None:
            first_seen.setdefault(key_of(city, change.hotel_id, change.date), position)
    items = aggregate((c for _, c in changes), city_of)
    retention = deps.settings.inventory_retention_days

    def write(key: ViewKey) -> int | None:
        try:
            deps.view.write(key, items[key], night_expires_at(key.night, retention))
        except Exception:
            logger.exception('search view item not written', city=key.city, night=key.night.isoformat())
            return first_seen[key]
        return None

    failed = [p for p in _pool.map(write, sorted(items, key=lambda k: (k.city, k.night, k.shard))) if p is not None]
    report.items_written = len(items) - len(failed)
    report.first_failed = min(failed) if failed else None
    return report


def rebuild(deps: Deps, city: str) -> int:
    """Write the view of one city from its inventory (a backfill; idempotent): every stored night of
    each of its room types, one Query per room type, then one write per view item."""
    hotels = {h.id: h for h in catalog.hotels(deps).values() if h.city.casefold() == city.casefold()}
    types = [rt for rt in catalog.room_types(deps).values() if rt.hotel_id in hotels]
    nights = _pool.map(lambda rt: [(rt.hotel_id, n) for n in deps.inventory.all_nights(rt.id)], types)
    items = fresh((pair for found in nights for pair in found), lambda h: hotels[h].city if h in hotels else None)
    retention = deps.settings.inventory_retention_days
    list(_pool.map(lambda k: deps.view.write(k, items[k], night_expires_at(k.night, retention)), items))
    return len(items)


# ---------------------------------------------------------------- reading


def nights(
    deps: Deps, candidates: Sequence[tuple[RoomType, Hotel]], stay: Stay, city_sizes: Mapping[str, int]
) -> dict[str, list[InventoryNight]]:
    """The stored nights of the stay for each candidate room type: ONE view read per city, in
    parallel (the city's Query, or its candidates' items by key: ``_by_key``); the inventory (one
    Query each) only for room types the view lacks a night of."""
    dates = list(stay.dates())
    shards: dict[str, set[int]] = defaultdict(set)
    for _, hotel in candidates:
        shards[hotel.city.casefold()].add(ViewKey.of(hotel.city, hotel.id, stay.check_in).shard)

    def read(city: str) -> list[InventoryNight]:
        if _by_key(city_sizes.get(city, 0), len(shards[city]), len(dates)):  # a hotel's page in a big city
            return deps.view.read_items([ViewKey(city, d, shard) for shard in sorted(shards[city]) for d in dates])
        return deps.view.read(city, stay.check_in, stay.check_out)

    read_all = _pool.map(read, sorted(shards))
    cells: dict[str, dict[date, InventoryNight]] = defaultdict(dict)
    wanted = {rt.id for rt, _ in candidates}
    for found in read_all:
        for night in found:
            if night.room_type_id in wanted:
                cells[night.room_type_id][night.date] = night
    by_type = {rt.id: [cells[rt.id][d] for d in dates if d in cells[rt.id]] for rt, _ in candidates}
    missing = [rt.id for rt, _ in candidates if len(by_type[rt.id]) < len(dates)]
    if missing:
        count('SearchViewMisses', len(missing))
        stored = _pool.map(lambda rt_id: deps.inventory.nights(rt_id, stay.check_in, stay.check_out), missing)
        by_type.update(zip(missing, stored, strict=True))
    return by_type


def _by_key(city_room_types: int, shards: int, nights: int) -> bool:
    """Whether to read the candidates' (night, shard) items by key (ONE BatchGetItem of at most
    100) rather than the city's Query. A BatchGetItem bills each item apart (0.5 RCU per 4 KB,
    rounded up), a Query its items summed: by key is cheaper only when the whole city's cells of a
    night weigh more than 4 KB per shard asked, as for one hotel's page in a city of hundreds of
    room types (about 140 per shard)."""
    return shards * nights <= 100 and city_room_types * CELL_BYTES > shards * 4096
