"""The read-mostly catalogue: hotels, room types and price rules.

A warm Lambda keeps what it read for ``CATALOG_CACHE_SECONDS`` (default 5 s, 0 = off), so a
burst of searches does not re-read the catalogue on every request. Availability is never
cached: it is read from inventory every time and decided by the booking transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from common import errors, repos
from common.config import settings
from common.domain import Hotel, PriceRule, RoomType

T = TypeVar('T')

_lock = threading.Lock()
_cache: dict[Any, tuple[float, Any]] = {}


def _cached(key: Any, load: Callable[[], T]) -> T:
    ttl = settings().catalog_cache_seconds
    if ttl <= 0:
        return load()
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = load()
    with _lock:
        _cache[key] = (now, value)
    return value


def _caching() -> bool:
    """With the cache on, single lookups reuse the cached listing; off, they read one item."""
    return settings().catalog_cache_seconds > 0


def clear_cache() -> None:
    """Forget everything cached (after an admin change in this process, and in tests)."""
    with _lock:
        _cache.clear()


def hotels() -> dict[str, Hotel]:
    return _cached('hotels', lambda: {h.id: h for h in repos.list_hotels()})


def hotel(hotel_id: str) -> Hotel:
    found = hotels().get(hotel_id) if _caching() else None
    return found if found is not None else repos.get_hotel(hotel_id)


def room_types() -> dict[str, RoomType]:
    return _cached('room_types', lambda: {r.id: r for r in repos.list_room_types()})


def room_type(room_type_id: str) -> RoomType:
    found = room_types().get(room_type_id) if _caching() else None
    return found if found is not None else repos.get_room_type(room_type_id)


def rules(hotel_id: str) -> list[PriceRule]:
    return _cached(('rules', hotel_id), lambda: repos.list_rules(hotel_id))


def require_room_type(room_type_id: str) -> tuple[RoomType, Hotel]:
    rt = room_type(room_type_id)
    try:
        return rt, hotel(rt.hotel_id)
    except errors.NotFound:
        raise errors.NotFound('Room type not found') from None
