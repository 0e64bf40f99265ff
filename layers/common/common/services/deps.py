"""What services receive: the ports they use, the settings and the clock, in one object.

Built once per Lambda container by the composition root (``common.wiring.build_deps``) from
DynamoDB repositories and real gateways; in unit tests from the fakes of ``tests/fakes.py``.
Every service takes it as its first argument, ``deps``, and uses nothing else from outside:
no module-level clients, no ``settings()`` calls, no boto3, PynamoDB or HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from common.ports import (
    AccountRepository,
    AvailabilityView,
    BookingRepository,
    CatalogRepository,
    EventPublisher,
    HousekeepingRecords,
    InventoryRepository,
    LimitCounters,
    Mailer,
    MigrationStore,
    NotificationRecords,
    Passwords,
    PaymentGateway,
    PaymentRecords,
    PromoRepository,
    ReviewRepository,
    Tokens,
    WishlistRepository,
)

if TYPE_CHECKING:
    from common.config import Settings

T = TypeVar('T')


class TtlCache:
    """What a warm Lambda keeps of the read-mostly catalogue, for ``ttl_seconds`` (0: nothing).

    One per container (it lives in ``Deps``); ``clear`` after an admin change in this container,
    other containers catch up within the TTL. Availability is never cached."""

    def __init__(self, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        if not self.enabled:
            return load()
        now = self._monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl_seconds:
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class Deps:
    settings: Settings
    catalog: CatalogRepository
    inventory: InventoryRepository
    view: AvailabilityView  # the search view (issue 17): read by search, written by its stream consumer
    bookings: BookingRepository
    payments: PaymentRecords
    promos: PromoRepository
    accounts: AccountRepository
    limits: LimitCounters
    reviews: ReviewRepository
    wishlist: WishlistRepository
    housekeeping: HousekeepingRecords
    notifications: NotificationRecords
    migrations: MigrationStore
    stripe: PaymentGateway
    events: EventPublisher
    mailer: Mailer
    tokens: Tokens
    passwords: Passwords
    clock: Callable[[], datetime]
    catalog_cache: TtlCache = field(default_factory=lambda: TtlCache(0))
